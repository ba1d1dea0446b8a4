// ARM errors in two kinds: transient ones (throttling, 5xx, dropped connections, a conflicting
// operation still in progress) are worth retrying; everything else (quota, AllocationFailed,
// validation, SKU not available…) is permanent and ends the operation.
import type { ArmErrorInfo } from '../vms/record';

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
  'RetryableError',
  'InternalServerError',
  'ServiceUnavailable',
  'GatewayTimeout',
  'TooManyRequests',
  'AnotherOperationInProgress',
  'OperationNotAllowed_ConcurrentUpdate',
  'RetryableErrorDueToAnotherOperation',
]);

interface ErrorLike {
  name?: string;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

// core-lro reports a failed operation as a plain Error: "The long-running operation has failed. <code>. <message>".
const LRO_FAILED = /^The long-running operation has failed\.\s*([A-Za-z][\w.]*)\.\s*([\s\S]*)$/;

export function armErrorInfo(e: unknown): ArmErrorInfo {
  const x = (e ?? {}) as ErrorLike;
  const m = typeof x.message === 'string' && x.code === undefined ? LRO_FAILED.exec(x.message) : null;
  if (m) return { code: m[1]!, message: m[2]!.trim().slice(0, 2000) };
  return {
    code: typeof x.code === 'string' && x.code ? x.code : typeof x.name === 'string' ? x.name : 'Error',
    message: typeof x.message === 'string' ? x.message.slice(0, 2000) : String(e).slice(0, 2000),
  };
}

export function isTransientArmError(e: unknown): boolean {
  const x = (e ?? {}) as ErrorLike;
  const status = typeof x.statusCode === 'number' ? x.statusCode : undefined;
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) return true;
  if (typeof x.code === 'string' && TRANSIENT_CODES.has(x.code)) return true;
  // A request that never got a response (socket closed, TLS reset) carries no status at all.
  return (
    status === undefined && (x.name === 'RestError' || x.name === 'AbortError') && x.code !== 'PARSE_ERROR'
  );
}

/** Thrown by activities for transient failures, so that the orchestrator's RetryOptions apply. */
export class TransientArmError extends Error {
  override name = 'TransientArmError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
