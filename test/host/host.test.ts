import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

import { DEFAULT_APP_HEAP_MB, WORKER_ARGUMENTS_SETTING } from '../../local/host/app-thread';
import type { Seen } from '../fixtures/host-app';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const seen = () => ((globalThis as unknown as { hostAppSeen?: Seen[] }).hostAppSeen ??= []);

/** The fixture app on the local runtime, with its keys; `workQueue` names the queue its outputs use. */
const startHostApp = (appThread: boolean, workQueue = 'work-items', env: Record<string, string> = {}) =>
  startTestRuntime({
    appDir: 'test/fixtures/host-app',
    appEntry: 'index.ts',
    env: { WORK_QUEUE: workQueue, ...env },
    keys: { functionKey: 'fn-key', masterKey: 'master-key' },
    appThread,
  });

describe('local Functions host', () => {
  let t: TestRuntime;
  before(async () => {
    t = await startHostApp(false); // the fixture app records what it saw in a global this test reads
  });
  after(() => t.dispose());

  describe('HTTP triggers', () => httpTriggerTests(() => t));

  describe('queue triggers and outputs', () => {
    it('delivers queue and table outputs, decodes base64 messages and fills trigger metadata', async () => {
      const res = await fetch(t.url('/api/enqueue'), {
        method: 'POST',
        body: JSON.stringify({ items: [{ id: 1 }, 'plain text'] }),
      });
      assert.equal(res.status, 202);
      const got = await eventually(() => {
        const work = seen().filter((s) => s.fn === 'work');
        return work.length >= 2 && work;
      });
      const inputs = got.map((s) => JSON.stringify(s.input)).sort();
      assert.deepEqual(inputs, ['"plain text"', '{"id":1}']);
      const meta = got[0]!.meta as { dequeueCount: number; id: string; insertionTime: string };
      assert.equal(meta.dequeueCount, 1);
      assert.match(meta.id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(meta.insertionTime)));
      const table = TableClient.fromConnectionString(t.rt.storageConnectionString, 'HostAppRows', {
        allowInsecureConnection: true,
      });
      // The outputs are written after the handler returns, a moment after it recorded its input.
      const rows = await eventually(async () => {
        const found = [];
        for await (const e of table.listEntities()) found.push(e);
        return found.length > 0 && found;
      });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.count, 2);
    });

    it('moves a message that fails five times to <queue>-poison', async () => {
      const queue = new QueueClient(t.rt.storageConnectionString, 'always-fails');
      await queue.createIfNotExists();
      await queue.sendMessage(Buffer.from('{"n":7}').toString('base64'));
      const poison = new QueueClient(t.rt.storageConnectionString, 'always-fails-poison');
      const moved = await eventually(async () => {
        if (!(await poison.exists())) return undefined;
        const peek = await poison.peekMessages();
        return peek.peekedMessageItems[0];
      }, 20_000);
      assert.equal(Buffer.from(moved.messageText, 'base64').toString(), '{"n":7}');
      const attempts = seen().filter((s) => s.fn === 'flaky');
      assert.deepEqual(
        attempts.map((a) => (a.meta as { dequeueCount: number }).dequeueCount),
        [1, 2, 3, 4, 5],
      );
      assert.equal((await queue.peekMessages()).peekedMessageItems.length, 0);
    });
  });

  describe('timer triggers', () => {
    it('fires a six-field NCRONTAB schedule with seconds', async () => {
      const ticks = await eventually(() => {
        const s = seen().filter((x) => x.fn === 'tick');
        return s.length >= 2 && s;
      }, 5000);
      const input = ticks[0]!.input as {
        isPastDue: boolean;
        scheduleStatus: { next: string; lastUpdated: string };
      };
      assert.equal(typeof input.isPastDue, 'boolean');
      assert.ok(Date.parse(input.scheduleStatus.next) > Date.parse(input.scheduleStatus.lastUpdated));
    });
  });
});

describe('the app on a thread of its own', () => {
  let t: TestRuntime;
  before(async () => {
    t = await startHostApp(true, 'work-items-thread');
  });
  after(() => t.dispose());

  describe('HTTP triggers', () => httpTriggerTests(() => t));

  it('the thread has a heap cap of its own: the documented default, or --max-old-space-size from the worker arguments setting as on Azure', async () => {
    const limits = async (rt: TestRuntime) =>
      ((await (await fetch(rt.url('/api/heap'))).json()) as { maxOldGenerationSizeMb?: number })
        .maxOldGenerationSizeMb;
    assert.equal(await limits(t), DEFAULT_APP_HEAP_MB);
    const own = await startHostApp(true, 'work-items-heap', {
      [WORKER_ARGUMENTS_SETTING]: '--max-old-space-size=96',
    });
    try {
      assert.equal(await limits(own), 96);
    } finally {
      await own.dispose();
    }
  });

  it('an error the app leaves uncaught stops its thread: logged, and later invocations fail with 500', async () => {
    await fetch(t.url('/api/crash'))
      .then((r) => r.text())
      .catch(() => undefined);
    const line = await eventually(() => t.logs.find((l) => /thread stopped/.test(l.message)));
    assert.match(line.message, /left uncaught/);
    assert.equal((await fetch(t.url('/api/items/1'))).status, 500);
  });

  it('a shutdown lets the invocations under way finish', async () => {
    const own = await startHostApp(true);
    const slow = fetch(own.url('/api/slow')).then(async (r) => ({ status: r.status, body: await r.text() }));
    await new Promise((r) => setTimeout(r, 100)); // under way
    await own.dispose();
    assert.deepEqual(await slow, { status: 200, body: 'finished' });
    assert.ok(!own.logs.some((l) => l.level === 'error'), 'nothing failed');
  });
});

/** The HTTP trigger cases, run with the app on the host's thread and on its own. */
function httpTriggerTests(rt: () => TestRuntime): void {
  it('matches route templates with constraints and optional parameters', async () => {
    const res = await fetch(rt().url('/api/items/42/ssh.service?x=1&y=%C3%A9'), {
      headers: { 'x-test': 'yes' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      params: { id: '42', unit: 'ssh.service' },
      query: { x: '1', y: 'é' },
      ua: 'yes',
    });
    const noUnit = await fetch(rt().url('/api/ITEMS/7'));
    assert.deepEqual(((await noUnit.json()) as { params: unknown }).params, { id: '7' });
  });

  it('answers 404 for an unknown route or a failed constraint, 405 for a wrong method', async () => {
    assert.equal((await fetch(rt().url('/api/items/abc'))).status, 404);
    assert.equal((await fetch(rt().url('/api/nowhere'))).status, 404);
    assert.equal((await fetch(rt().url('/nowhere'))).status, 404);
    const wrong = await fetch(rt().url('/api/items/1'), { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
  });

  it('streams request and response bodies', async () => {
    const chunks = ['hello ', 'streaming ', 'world'];
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        const next = chunks.shift();
        if (next === undefined) return ctl.close();
        await new Promise((r) => setTimeout(r, 20));
        ctl.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(rt().url('/api/echo'), { method: 'POST', body, duplex: 'half' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-kind'), 'echo');
    assert.equal(await res.text(), 'HELLO STREAMING WORLD');
  });

  it('passes a large binary body through intact', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 97; // below 'a', so upper-casing keeps it
    const res = await fetch(rt().url('/api/echo'), { method: 'PUT', body: big });
    assert.equal(res.status, 201);
    assert.equal(Buffer.compare(Buffer.from(await res.arrayBuffer()), big), 0);
  });

  it('passes cookies through', async () => {
    const res = await fetch(rt().url('/api/cookies'));
    assert.match(res.headers.get('set-cookie') ?? '', /^session=abc; HttpOnly/);
  });

  it('answers a bare 500 without the error when a handler throws, and logs it', async () => {
    const res = await fetch(rt().url('/api/boom'));
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    const line = await eventually(() =>
      rt().logs.find((l) => l.functionName === 'boom' && l.level === 'error'),
    );
    assert.match(line.message, /secret internal detail/);
    assert.ok(line.invocationId, 'invocation id logged');
  });

  it('answers 204 when a handler returns nothing', async () => {
    assert.equal((await fetch(rt().url('/api/nothing'))).status, 204);
  });

  it('enforces function and admin keys like Azure', async () => {
    assert.equal((await fetch(rt().url('/api/secured'))).status, 401);
    assert.equal((await fetch(rt().url('/api/secured?code=wrong'))).status, 401);
    assert.equal((await fetch(rt().url('/api/secured?code=fn-key'))).status, 200);
    assert.equal(
      (await fetch(rt().url('/api/secured'), { headers: { 'x-functions-key': 'master-key' } })).status,
      200,
    );
    assert.equal((await fetch(rt().url('/api/admin-only?code=fn-key'))).status, 401);
    assert.equal((await fetch(rt().url('/api/admin-only?code=master-key'))).status, 200);
    // anonymous routes stay open
    assert.equal((await fetch(rt().url('/api/items/1'))).status, 200);
  });
}
