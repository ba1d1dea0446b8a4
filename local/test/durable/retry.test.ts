import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { retryDelayMs, retryExpired, toRetryPolicy } from '../../durable/retry';

describe('durable engine: RetryOptions semantics', () => {
  it('waits firstRetryInterval * backoffCoefficient^(n-1) after failure n, capped by maxRetryInterval', () => {
    const p = toRetryPolicy({
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 5,
      backoffCoefficient: 2,
    });
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(p, n)),
      [100, 200, 400, 800],
    );
    const capped = { ...p, maxRetryIntervalInMilliseconds: 250 };
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelayMs(capped, n)),
      [100, 200, 250],
    );
    assert.equal(
      retryDelayMs(toRetryPolicy({ firstRetryIntervalInMilliseconds: 70, maxNumberOfAttempts: 3 }), 3),
      70,
    );
  });

  it('stops retrying once retryTimeout has elapsed since the first attempt', () => {
    const p = toRetryPolicy({
      firstRetryIntervalInMilliseconds: 10,
      maxNumberOfAttempts: 9,
      retryTimeoutInMilliseconds: 1000,
    });
    assert.equal(retryExpired(p, 0, 999), false);
    assert.equal(retryExpired(p, 0, 1000), true);
    assert.equal(
      retryExpired(toRetryPolicy({ firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 }), 0, 1e12),
      false,
    );
  });

  it('ignores option values that are not finite numbers', () => {
    const p = toRetryPolicy({
      firstRetryIntervalInMilliseconds: 'soon',
      maxNumberOfAttempts: Infinity,
      backoffCoefficient: null,
    });
    assert.deepEqual(p, { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 1 });
  });
});
