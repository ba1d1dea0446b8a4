// ARM's per-principal request limits, as token buckets per subscription: 250 reads refilled at 25/s,
// 200 writes and 200 deletes refilled at 10/s. Exhausted → 429 SubscriptionRequestsThrottled.

interface Bucket {
  tokens: number;
  at: number;
}

const limits = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
} as const;

export type LimitKind = keyof typeof limits;

export function limitKindOf(method: string): LimitKind {
  if (method === 'GET' || method === 'HEAD') return 'reads';
  return method === 'DELETE' ? 'deletes' : 'writes';
}

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one token; returns the remaining count, or the seconds to wait when the bucket is empty. */
  take(
    principal: string,
    subscriptionId: string,
    kind: LimitKind,
  ): { remaining: number } | { retryAfter: number } {
    const { burst, perSecond } = limits[kind];
    const key = `${principal}|${subscriptionId.toLowerCase()}|${kind}`;
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return { retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
    b.tokens -= 1;
    return { remaining: Math.floor(b.tokens) };
  }

  reset(): void {
    this.buckets.clear();
  }
}
