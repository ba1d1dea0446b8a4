// Journal volume counters (lib/journal/stats.ts): written at ingest beside the index, read for charts
// without touching entries. Counts match the entries, duplicates do not count twice, a 24 h range across
// midnight costs ≤ 2 storage requests, and every limit answers a 400 naming the field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isAppError } from '../../lib/errors';
import { readIndex } from '../../lib/journal/indexes';
import { ingestBody } from '../../lib/journal/ingest';
import { parseStatsQuery, readStats, STATS_MAX_UNITS } from '../../lib/journal/stats';
import type { Services } from '../../lib/services';
import { chunksOf, startAzurite } from '../journal/helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const BOOT = 'a'.repeat(32);
// 23:30 UTC on 2023-11-14: the entries cross midnight into the next day's bucket table.
const START_USEC = Date.UTC(2023, 10, 14, 23, 30) * 1000;
const NOW_MS = START_USEC / 1000 + 2 * 3_600_000;
const UNITS = ['ssh.service', 'cron.service', 'nginx.service'];

interface Line {
  t: number;
  unit: string;
  priority: number;
}

/** One entry per 20 s for an hour: units and priorities in a fixed rotation. */
const lines: Line[] = Array.from({ length: 180 }, (_, i) => ({
  t: START_USEC + i * 20_000_000,
  unit: UNITS[i % 3]!,
  priority: [6, 6, 4, 3, 7][i % 5]!,
}));

const ndjson = (ls: Line[], seq0 = 0) =>
  ls
    .map((l, i) =>
      JSON.stringify({
        __CURSOR: `s=1;i=${(seq0 + i).toString(16)};b=${BOOT};m=1;t=${l.t.toString(16)};x=1`,
        __REALTIME_TIMESTAMP: String(l.t),
        _BOOT_ID: BOOT,
        _SYSTEMD_UNIT: l.unit,
        PRIORITY: String(l.priority),
        MESSAGE: `entry at ${l.t}`,
      }),
    )
    .join('\n');

async function ingest(vm: string, body: string) {
  return ingestBody(services, vm, chunksOf(Buffer.from(body), 65536), {
    format: 'json',
    gzip: false,
    mode: 'atomic',
    nowMs: NOW_MS,
  });
}

const iso = (usec: number) => new Date(usec / 1000).toISOString();
const q = (params: Record<string, string>) => parseStatsQuery(new URLSearchParams(params), NOW_MS);

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(isAppError(e) && e.status === 400, String(e));
    return e.errors?.map((x) => x.field).join(',');
  }
  return undefined;
}

describe('journal stats counters', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    services = storage.services;
    // Two requests, so hour rows are created and then updated (ETag path).
    await ingest('vm-stats', ndjson(lines.slice(0, 70)));
    await ingest('vm-stats', ndjson(lines.slice(70), 70));
  });
  after(() => storage.dispose());

  it('per-minute counts by priority match the entries, in ≤ 2 storage requests for 24 h', async () => {
    const requests = { requests: 0 };
    const since = START_USEC - 12 * 3_600_000_000;
    const s = await readStats(
      services,
      'vm-stats',
      q({ since: iso(since), until: iso(since + 24 * 3_600_000_000), bucket: '1m', by: 'priority' }),
      requests,
    );
    assert.ok(requests.requests <= 2, `${requests.requests} requests`);
    assert.equal(s.times.length, 24 * 60 + 1);
    assert.equal(s.total, lines.length);
    for (const series of s.series) {
      const expected = s.times.map((t) => {
        const from = Date.parse(t) * 1000;
        return lines.filter(
          (l) => String(l.priority) === series.key && l.t >= from && l.t < from + 60_000_000,
        ).length;
      });
      assert.deepEqual(series.counts, expected, `priority ${series.key}`);
    }
    assert.deepEqual(s.series.map((x) => x.key).sort(), ['3', '4', '6', '7']);
  });

  it('hourly counts by unit, and a range that starts mid-way counts only what is inside it', async () => {
    const s = await readStats(
      services,
      'vm-stats',
      q({ since: iso(START_USEC), until: iso(START_USEC + 3_599_000_000), bucket: '1h', by: 'unit' }),
    );
    assert.deepEqual(
      Object.fromEntries(s.series.map((x) => [x.key, x.total])),
      Object.fromEntries(UNITS.map((u) => [u, lines.filter((l) => l.unit === u).length])),
    );
    const half = await readStats(
      services,
      'vm-stats',
      q({ since: iso(START_USEC + 30 * 60_000_000), until: iso(START_USEC + 3_599_000_000), bucket: '1m' }),
    );
    assert.equal(half.total, lines.filter((l) => l.t >= START_USEC + 30 * 60_000_000).length);
  });

  it('re-sent entries (duplicates) do not count again; the unit and boot indexes are unchanged', async () => {
    const r = await ingest('vm-stats', ndjson(lines.slice(0, 50)));
    assert.equal(r.accepted, 0);
    const s = await readStats(
      services,
      'vm-stats',
      q({ since: iso(START_USEC), until: iso(START_USEC + 3_600_000_000) }),
    );
    assert.equal(s.total, lines.length);
    const index = await readIndex(services, 'vm-stats', NOW_MS);
    assert.deepEqual(index.units.map((u) => u.unit).sort(), [...UNITS].sort());
    assert.deepEqual(
      index.boots.map((b) => b.bootId),
      [BOOT],
    );
  });

  it(`keeps ${STATS_MAX_UNITS} named units per hour and counts the rest under (other)`, async () => {
    const many: Line[] = Array.from({ length: STATS_MAX_UNITS + 5 }, (_, i) => ({
      t: START_USEC + i * 1_000_000,
      unit: `u${String(i).padStart(2, '0')}.service`,
      priority: 6,
    }));
    await ingest('vm-units', ndjson(many));
    const s = await readStats(
      services,
      'vm-units',
      q({ since: iso(START_USEC), until: iso(START_USEC + 60_000_000), by: 'unit' }),
    );
    assert.equal(s.total, many.length);
    assert.equal(s.series.find((x) => x.key === '(other)')?.total, 5);
    assert.equal(s.series.length, STATS_MAX_UNITS + 1);
  });

  it('a VM without entries has empty series', async () => {
    const s = await readStats(services, 'vm-none', q({}));
    assert.deepEqual([s.total, s.series.length], [0, 0]);
  });

  it('answers 400 naming the field at every limit', () => {
    const day = 24 * 3_600_000_000;
    assert.equal(
      fieldOf(() => q({ since: iso(START_USEC), until: iso(START_USEC + day) })),
      undefined,
    );
    assert.equal(
      fieldOf(() => q({ since: iso(START_USEC), until: iso(START_USEC + day + 1000) })),
      'query.since',
    );
    assert.equal(
      fieldOf(() => q({ since: '-31d', bucket: '1h' })),
      undefined,
    );
    assert.equal(
      fieldOf(() => q({ since: '-32d', bucket: '1h' })),
      'query.since',
    );
    assert.equal(
      fieldOf(() => q({ bucket: '5m' })),
      'query.bucket',
    );
    assert.equal(
      fieldOf(() => q({ by: 'host' })),
      'query.by',
    );
    assert.equal(
      fieldOf(() => q({ since: 'soon' })),
      'query.since',
    );
    assert.equal(
      fieldOf(() => q({ since: '-1h', until: '-2h' })),
      'query.until',
    );
    assert.equal(
      fieldOf(() => q({ top: '3' })),
      'query.top',
    );
    assert.equal(
      fieldOf(() => parseStatsQuery(new URLSearchParams('bucket=1m&bucket=1h'), NOW_MS)),
      'query.bucket',
    );
  });
});
