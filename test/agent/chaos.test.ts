// Chaos for the real agent against the real ingestion (through a misbehaving proxy): kill -9 in the
// middle of a stream, a stream broken mid-way after the server stored part of it, 500s (also after
// the stream was stored), 401s after a token rotation, requests that time out, refused connections,
// poison entries (a 3 MiB line, 1,100 fields, an entry the server refuses).
// Every case ends with stored == journal (but for a refused entry), no duplicate cursors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { rotateIngestToken } from '../../lib/ingest-token';
import { eventually, type TestRuntime } from '../helpers/runtime';
import { ChaosProxy } from './chaos-proxy';
import { type AgentRig, makeAgentRig, startIngestion, storedEntries } from './helpers';

describe('journal agent under failures', () => {
  let t: TestRuntime;
  let proxy: ChaosProxy;
  let rig: AgentRig | undefined;
  before(async () => {
    t = await startIngestion();
  });
  after(async () => {
    await t?.dispose();
  });
  afterEach(async () => {
    await rig?.dispose();
    await proxy?.close();
    rig = undefined;
  });

  const rigBehindProxy = async (env: Record<string, string> = {}) => {
    proxy = await ChaosProxy.start(t.rt.baseUrl);
    rig = await makeAgentRig(t, { ingestUrl: (vm) => proxy.url(`/api/vms/${vm}/journal`), env });
    return rig;
  };
  const failures = (n: number) =>
    eventually(() => proxy.requests.filter((r) => r.status >= 400).length >= n, 20_000);

  it('kill -9 in the middle of a stream, three times: its entries are re-sent and stored once', async () => {
    const r = await rigBehindProxy({ VMJ_BATCH_MAX_ENTRIES: '100' });
    await r.write(1500);
    await r.writer.rotate();
    proxy.delayMs = 150; // the server has stored the stream; the agent has not seen the answer yet
    r.agent.start();
    for (let k = 1; k <= 3; k++) {
      await eventually(() => proxy.inFlight > 0 && proxy.requests.at(-1)?.accepted !== undefined, 20_000, 5);
      await r.agent.crash('SIGKILL');
      await r.agent.waitForStart(k + 1);
    }
    proxy.delayMs = 0;
    await r.waitInSync(60_000);
    const dup = proxy.requests.reduce((s, q) => s + (q.duplicates ?? 0), 0);
    assert.ok(dup > 0, 'at least one killed batch was re-sent (and its entries ignored as duplicates)');
    // One request per stream, carrying several chunks (gzip members) of at most 100 entries each.
    assert.ok(proxy.requests.every((q) => q.chunks.every((n) => n <= 100)));
    assert.ok(proxy.requests.some((q) => q.chunks.length > 1));
    assert.ok(proxy.requests.every((q) => q.chunks.reduce((a, b) => a + b, 0) === q.entries));
  });

  it('a stream broken in the middle, then kill -9 mid-stream: what the server stored is re-sent and stored once', async () => {
    const r = await rigBehindProxy({ VMJ_STREAM_SECONDS: '60' }); // streams end only by failure here
    proxy.mode = 'stream'; // the body reaches the server as it is sent
    r.agent.start();
    let writing = true;
    const trickle = (async () => {
      while (writing) {
        await r.write(3);
        await new Promise((res) => setTimeout(res, 40));
      }
    })();
    const stored = async () => (await storedEntries(t, r.vm)).length;
    try {
      // Stored while the one request is still open (no answer yet), so its cursor is not saved yet.
      await eventually(async () => proxy.inFlight === 1 && (await stored()) > 43 + 30, 20_000);
      assert.ok(proxy.requests.every((q) => q.status === 0));
      proxy.cut();
      await eventually(() => r.logs.some((l) => /sending failed: (curl exit|gzip)/.test(l)), 20_000);
      // The next stream starts again at the saved cursor: its first entries are duplicates.
      const before = await stored();
      await eventually(async () => proxy.inFlight === 1 && (await stored()) > before + 30, 20_000);
      await r.agent.crash('SIGKILL');
      await r.agent.waitForStart(2);
    } finally {
      writing = false;
      await trickle;
    }
    await r.waitInSync(60_000);
    const answered = proxy.requests.filter((q) => q.status === 200);
    assert.ok(answered.length >= 1);
    assert.ok(answered.reduce((s, q) => s + (q.duplicates ?? 0), 0) > 0, 'the stored part was re-sent');
  });

  it('413 from a front end with a body limit: halves its chunk and stream limits until requests fit', async () => {
    const r = await rigBehindProxy();
    proxy.mode = 'limit';
    proxy.maxEntries = 60;
    await r.write(300);
    await r.writer.rotate();
    r.agent.start();
    await r.waitInSync(60_000);
    assert.ok(r.logs.some((l) => l.includes('too large for the server')));
    assert.ok(proxy.requests.some((q) => q.status === 413));
    assert.ok(proxy.requests.filter((q) => q.status === 200).every((q) => q.entries <= 60));
  });

  it('500s for a while (before and after storing): backs off, then catches up', async () => {
    const r = await rigBehindProxy();
    proxy.mode = 'fail500';
    r.agent.start();
    await failures(3);
    proxy.mode = 'store-then-500';
    await r.write(50);
    await failures(5);
    proxy.mode = 'pass';
    await r.write(10);
    await r.waitInSync();
    assert.ok(r.logs.some((l) => /HTTP 500.*retrying in/.test(l)));
    // Stored while the answers were lost: the agent re-sends until it sees a 2xx (all duplicates).
    await eventually(() => r.logs.some((l) => l.includes('sending again after')), 20_000);
    await r.waitInSync();
  });

  it('401 after the token is rotated: keeps the cursor, picks up the new token file without a restart', async () => {
    const r = await rigBehindProxy();
    r.agent.start();
    await r.waitInSync();
    const fresh = await rotateIngestToken(t.services, r.vm); // the agent's token is now wrong
    await r.write(30);
    await eventually(() => proxy.requests.filter((q) => q.status === 401).length >= 2, 20_000);
    writeFileSync(r.tokenFile, `${fresh}\n`);
    await r.waitInSync();
    assert.equal(r.agent.starts, 1);
    assert.ok(r.logs.some((l) => l.includes('HTTP 401')));
  });

  it('a 3 MiB line and 1,100 fields in the middle of normal traffic: stored (cut), every later entry arrives', async () => {
    const r = await rigBehindProxy();
    r.agent.start();
    await r.write(40);
    await r.write(1, () => ({ MESSAGE: `${'long line '.repeat(314_573)}end` })); // 3 MiB
    const many = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`FIELD_${i}`, `value ${i}`]));
    await r.write(1, () => many);
    await r.write(40);
    await r.waitInSync(60_000);
    const stored = await storedEntries(t, r.vm);
    const long = stored.find((e) => e.message?.startsWith('long line'))!;
    assert.equal(Buffer.byteLength(long.message!), 2 * 1024 * 1024);
    assert.match(String(long.fields._VMJ_TRUNCATED), /^MESSAGE 314573\d$/);
    // journald (here systemd-journal-remote) keeps 1,024 client fields; journalctl adds its own.
    const wide = stored.find((e) => 'FIELD_0' in e.fields)!;
    assert.ok(Object.keys(wide.fields).length > 1024, String(Object.keys(wide.fields).length));
    assert.ok(proxy.requests.every((q) => q.status === 0 || q.status === 200));
  });

  it('an entry the server refuses (dated after 2286, beyond its keys): skipped and logged, never retried', async () => {
    const r = await rigBehindProxy();
    r.agent.start();
    await r.write(20);
    await r.write(1, () => ({ MESSAGE: 'from the far future', __REALTIME_TIMESTAMP: '10000000000000000' }));
    await r.write(20);
    // Found by its message (journalctl may order an entry dated 2286 last), once the writer flushed it.
    const poison = await eventually(async () => {
      const { stdout } = await promisify(execFile)('journalctl', [
        `--directory=${r.journalDir}`,
        '-q',
        '-o',
        'json',
        'MESSAGE=from the far future',
      ]);
      return stdout.trim() ? (JSON.parse(stdout.trim()) as { __CURSOR: string }).__CURSOR : undefined;
    }, 10_000);
    await r.waitInSync(30_000, [], [poison]);
    assert.ok(
      r.logs.some((l) => l.includes(`skipped entry ${poison}: refused by the server (HTTP 400`)),
      r.logs.join('\n'),
    );
    assert.equal(proxy.requests.filter((q) => q.status === 400).length, 1); // never retried
  });

  it('requests that time out, then refused connections: nothing lost', async () => {
    const r = await rigBehindProxy({ VMJ_REQUEST_TIMEOUT_S: '1' });
    proxy.mode = 'hang';
    r.agent.start();
    await eventually(() => r.logs.filter((l) => l.includes('curl exit 28')).length >= 2, 20_000);
    await proxy.refuse();
    await r.write(40);
    await eventually(() => r.logs.filter((l) => l.includes('curl exit 7')).length >= 2, 20_000);
    proxy.mode = 'pass';
    await proxy.accept();
    await r.waitInSync();
  });
});
