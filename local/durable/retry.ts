// RetryOptions semantics of the Durable Task Framework's RetryInterceptor, which the extension uses for
// callActivityWithRetry / callSubOrchestratorWithRetry: after failure n (1-based) the next attempt waits
// firstRetryInterval * backoffCoefficient^(n-1), capped by maxRetryInterval; no further attempt once
// retryTimeout has elapsed since the first attempt. durable-functions counts the attempts itself and
// expects a timer after every failure (also the last one), which it then turns into the final error.
import type { RetryPolicy } from './history';

export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const coefficient = policy.backoffCoefficient ?? 1;
  const delay = policy.firstRetryIntervalInMilliseconds * Math.pow(coefficient, Math.max(0, failures - 1));
  const max = policy.maxRetryIntervalInMilliseconds;
  const capped = max !== undefined && max > 0 ? Math.min(delay, max) : delay;
  return Number.isFinite(capped) ? Math.max(0, capped) : 0;
}

/** True when retryTimeout (if any) no longer allows another attempt. */
export function retryExpired(policy: RetryPolicy, firstAttemptAt: number, now: number): boolean {
  const timeout = policy.retryTimeoutInMilliseconds;
  if (timeout === undefined || timeout <= 0 || !Number.isFinite(timeout)) return false;
  return now - firstAttemptAt >= timeout;
}

/** Sanitises retry options from an action (numbers only; the SDK validated the required ones). */
export function toRetryPolicy(raw: unknown): RetryPolicy {
  const r = (raw ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  const policy: RetryPolicy = {
    firstRetryIntervalInMilliseconds: num(r.firstRetryIntervalInMilliseconds) ?? 1000,
    maxNumberOfAttempts: num(r.maxNumberOfAttempts) ?? 1,
  };
  const backoff = num(r.backoffCoefficient);
  const maxInterval = num(r.maxRetryIntervalInMilliseconds);
  const timeout = num(r.retryTimeoutInMilliseconds);
  if (backoff !== undefined) policy.backoffCoefficient = backoff;
  if (maxInterval !== undefined) policy.maxRetryIntervalInMilliseconds = maxInterval;
  if (timeout !== undefined) policy.retryTimeoutInMilliseconds = timeout;
  return policy;
}
