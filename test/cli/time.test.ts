// journalctl's --since/--until forms, resolved in the local time zone (this process runs with the
// zone of the machine; the expected values are built with the same local-time Date constructor).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseJournalTime, parseSpan, timeOption } from '../../cli/time';

const now = new Date(2026, 11, 3, 14, 30, 15, 500); // Dec 3 2026 14:30:15.500 local

describe('journalctl time forms', () => {
  test('absolute local times, with or without seconds, fraction, date or zone', () => {
    assert.equal(
      parseJournalTime('2026-12-01 10:00:00', now)?.getTime(),
      new Date(2026, 11, 1, 10).getTime(),
    );
    assert.equal(parseJournalTime('2026-12-01 10:00', now)?.getTime(), new Date(2026, 11, 1, 10).getTime());
    assert.equal(parseJournalTime('2026-12-01', now)?.getTime(), new Date(2026, 11, 1).getTime());
    assert.equal(parseJournalTime('10:05', now)?.getTime(), new Date(2026, 11, 3, 10, 5).getTime());
    assert.equal(
      parseJournalTime('2026-12-01 10:00:00.250', now)?.getTime(),
      new Date(2026, 11, 1, 10, 0, 0, 250).getTime(),
    );
    assert.equal(parseJournalTime('2026-12-01T10:00:00Z', now)?.toISOString(), '2026-12-01T10:00:00.000Z');
    assert.equal(parseJournalTime('2026-12-01 10:00:00 UTC', now)?.toISOString(), '2026-12-01T10:00:00.000Z');
    assert.equal(
      parseJournalTime('2026-12-01T10:00:00+01:00', now)?.toISOString(),
      '2026-12-01T09:00:00.000Z',
    );
    assert.equal(parseJournalTime('@1764583200', now)?.toISOString(), '2025-12-01T10:00:00.000Z');
  });

  test('now, today, yesterday, tomorrow', () => {
    assert.equal(parseJournalTime('now', now)?.getTime(), now.getTime());
    assert.equal(parseJournalTime('today', now)?.getTime(), new Date(2026, 11, 3).getTime());
    assert.equal(parseJournalTime('yesterday', now)?.getTime(), new Date(2026, 11, 2).getTime());
    assert.equal(parseJournalTime('tomorrow', now)?.getTime(), new Date(2026, 11, 4).getTime());
  });

  test('relative: -1h, +5min, 1h 30min ago, 2 days left', () => {
    const at = (ms: number) => new Date(now.getTime() + ms).getTime();
    assert.equal(parseJournalTime('-1h', now)?.getTime(), at(-3_600_000));
    assert.equal(parseJournalTime('+5min', now)?.getTime(), at(300_000));
    assert.equal(parseJournalTime('-90s', now)?.getTime(), at(-90_000));
    assert.equal(parseJournalTime('1h 30min ago', now)?.getTime(), at(-5_400_000));
    assert.equal(parseJournalTime('2 days left', now)?.getTime(), at(2 * 86_400_000));
    assert.equal(parseJournalTime('-1w', now)?.getTime(), at(-7 * 86_400_000));
    assert.equal(parseSpan('1h30m'), 5_400e6);
    assert.equal(parseSpan('250ms'), 250e3);
  });

  test('anything else is a usage error naming the option', () => {
    for (const bad of ['', 'soon', '-1 parsec', '2026-13-01', '25:00', '2026-12-01 10:61', '+', 'h'])
      assert.equal(parseJournalTime(bad, now), undefined, bad);
    assert.throws(
      () => timeOption('-S/--since', 'soon', now),
      /^UsageError: -S\/--since: not a time: 'soon'/,
    );
  });
});
