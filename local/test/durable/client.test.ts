import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type Harness, startHarness } from './harness';

const json = { 'content-type': 'application/json' };

describe('durable engine: client API (durable-functions DurableClient and the durabletask webhooks)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.dispose();
  });

  it('starts with an explicit id, refuses the id while it runs (409), accepts it again once done', async () => {
    await h.start('Waits', undefined, 'fixed-id');
    const again = await h.webhook('POST', 'orchestrators/Waits/fixed-id', '');
    assert.equal(again.status, 409);
    const viaClient = await h.client('startNew', { name: 'Waits', instanceId: 'fixed-id' });
    assert.equal(viaClient.code, 500);
    assert.match(String(viaClient.body.error), /409/);
    await h.client('raiseEvent', { instanceId: 'fixed-id', eventName: 'Go', eventData: 21 });
    assert.equal((await h.waitDone('fixed-id')).output, 42);
    const restarted = await h.start('Sequence', ['X'], 'fixed-id');
    const done = await h.waitDone(restarted.id);
    assert.equal(done.name, 'Sequence');
    assert.deepEqual(done.output, ['Hello X!']);
  });

  it('reports status with history, history output and input flags through the client', async () => {
    const { id } = await h.start('Sequence', ['Q']);
    await h.waitDone(id);
    const plain = (await h.client('getStatus', { instanceId: id })).body.result as Record<string, unknown>;
    assert.equal(plain.runtimeStatus, 'Completed');
    assert.deepEqual(plain.input, ['Q']);
    assert.equal(plain.history, undefined);
    const full = (await h.client('getStatus', { instanceId: id, showHistory: true, showHistoryOutput: true }))
      .body.result as { history: Record<string, unknown>[] };
    const types = full.history.map((e) => e.EventType);
    assert.deepEqual(types, ['ExecutionStarted', 'TaskCompleted', 'ExecutionCompleted']);
    assert.equal(full.history[1]!.FunctionName, 'Hello');
    assert.equal(full.history[1]!.Result, 'Hello Q!');
    const noOutput = (await h
      .webhook('GET', `instances/${id}?showHistory=true&showInput=false`)
      .then((r) => r.json())) as {
      input: unknown;
      historyEvents: Record<string, unknown>[];
    };
    assert.equal(noOutput.input, null);
    assert.equal(noOutput.historyEvents[1]!.Result, undefined);
    const missing = await h.client('getStatus', { instanceId: 'no-such-instance' });
    assert.match(String(missing.body.error), /404/);
  });

  it('lists instances with filters and pages with the continuation token header', async () => {
    const prefix = `page-${Date.now()}-`;
    for (let i = 0; i < 5; i++) await h.waitDone((await h.start('Sequence', ['p'], `${prefix}${i}`)).id);
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const res = await h.webhook(
        'GET',
        `instances/?instanceIdPrefix=${prefix}&top=2&runtimeStatus=Completed`,
        undefined,
        token ? { 'x-ms-continuation-token': token } : {},
      );
      assert.equal(res.status, 200);
      const items = (await res.json()) as { instanceId: string }[];
      assert.ok(items.length <= 2);
      seen.push(...items.map((i) => i.instanceId));
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token && pages < 10);
    assert.deepEqual(
      seen.sort(),
      [0, 1, 2, 3, 4].map((i) => `${prefix}${i}`),
    );
    assert.ok(pages >= 3);
    const viaClient = (await h.client('getStatusBy', { runtimeStatus: ['Completed'] })).body.result as {
      instanceId: string;
    }[];
    for (let i = 0; i < 5; i++) assert.ok(viaClient.some((s) => s.instanceId === `${prefix}${i}`));
    const running = (await h.client('getStatusBy', { runtimeStatus: ['Running'] })).body.result as {
      instanceId: string;
    }[];
    assert.ok(!running.some((s) => s.instanceId.startsWith(prefix)));
  });

  it('terminates a running instance; later events answer 410', async () => {
    const { id } = await h.start('Waits');
    assert.equal((await h.client('terminate', { instanceId: id, reason: 'no longer needed' })).code, 200);
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Terminated');
    assert.equal(status.output, 'no longer needed');
    const late = await h.webhook('POST', `instances/${id}/raiseEvent/Go`, '1', json);
    assert.equal(late.status, 410);
    assert.equal((await h.webhook('POST', `instances/${id}/terminate`)).status, 410);
  });

  it('suspends (events wait) and resumes', async () => {
    const { id } = await h.start('Waits');
    assert.equal((await h.client('suspend', { instanceId: id, reason: 'hold' })).code, 200);
    await h.client('raiseEvent', { instanceId: id, eventName: 'Go', eventData: 5 });
    let status = (await h.status(id)).body;
    for (let i = 0; i < 200 && status.runtimeStatus !== 'Suspended'; i++) {
      await new Promise((r) => setImmediate(r));
      status = (await h.status(id)).body;
    }
    assert.equal(status.runtimeStatus, 'Suspended');
    assert.equal(status.output, null);
    assert.equal((await h.client('resume', { instanceId: id, reason: 'go on' })).code, 200);
    const done = await h.waitDone(id);
    assert.equal(done.runtimeStatus, 'Completed');
    assert.equal(done.output, 10);
  });

  it('purges one instance (terminal only) and by filter', async () => {
    const running = await h.start('Waits');
    assert.equal((await h.webhook('DELETE', `instances/${running.id}`)).status, 412);
    await h.client('terminate', { instanceId: running.id, reason: 'x' });
    await h.waitDone(running.id);
    const purged = await h.client('purge', { instanceId: running.id });
    assert.deepEqual(purged.body.result, { instancesDeleted: 1 });
    assert.equal((await h.status(running.id)).code, 404);
    assert.deepEqual((await h.client('purge', { instanceId: running.id })).body.result, {
      instancesDeleted: 0,
    });

    const from = new Date(Date.now() - 1000).toISOString();
    const a = await h.start('Sequence', ['purge']);
    const b = await h.start('Failing', 'purge');
    await h.waitDone(a.id);
    await h.waitDone(b.id);
    const byFilter = await h.client('purgeBy', { createdTimeFrom: from, runtimeStatus: ['Failed'] });
    assert.deepEqual(byFilter.body.result, { instancesDeleted: 1 });
    assert.equal((await h.status(b.id)).code, 404);
    assert.equal((await h.status(a.id)).code, 200);
  });

  it('builds management URLs that work against the local host', async () => {
    const { id } = await h.start('Sequence', ['M']);
    await h.waitDone(id);
    const payload = (await h.client('managementPayload', { instanceId: id })).body.result as Record<
      string,
      string
    >;
    assert.equal(payload.id, id);
    const res = await fetch(payload.statusQueryGetUri!.replace(/^https?:\/\/[^/]+/, h.rt.baseUrl));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { instanceId: string }).instanceId, id);
  });

  it('answers bad input with 4xx problem+json naming the field', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, number, string | undefined][] =
      [
        ['POST', 'orchestrators/Sequence', '{not json', {}, 400, 'input'],
        ['POST', 'orchestrators/Sequence', '\u0000\u00ff\ufffd binary', {}, 400, 'input'],
        ['POST', 'orchestrators/NoSuchOrchestrator', '', {}, 400, 'functionName'],
        ['POST', 'orchestrators/Hello', '', {}, 400, 'functionName'],
        ['POST', 'orchestrators/Sequence/bad%23id', '', {}, 400, 'instanceId'],
        ['POST', 'orchestrators/Sequence/%40entity', '', {}, 400, 'instanceId'],
        ['POST', 'orchestrators/Sequence/%E0%A4%A', '', {}, 400, 'path'],
        ['POST', `orchestrators/Sequence/${'x'.repeat(300)}`, '', {}, 400, 'instanceId'],
        ['GET', 'instances/?runtimeStatus=Bogus', undefined, {}, 400, 'runtimeStatus'],
        ['GET', 'instances/?top=0', undefined, {}, 400, 'top'],
        ['GET', 'instances/?createdTimeFrom=yesterday-ish', undefined, {}, 400, 'createdTimeFrom'],
        ['GET', 'instances/x?showHistory=maybe', undefined, {}, 400, 'showHistory'],
        [
          'GET',
          'instances/',
          undefined,
          { 'x-ms-continuation-token': 'garbage!!' },
          400,
          'x-ms-continuation-token',
        ],
        ['DELETE', 'instances/', undefined, {}, 400, 'createdTimeFrom'],
        ['GET', 'nothing-here', undefined, {}, 404, undefined],
        ['PUT', 'instances/x', undefined, {}, 405, undefined],
        ['GET', 'entities/counter/k', undefined, {}, 501, undefined],
        ['POST', 'instances/nope/raiseEvent/Go', '1', json, 404, undefined],
        ['POST', 'instances/nope/terminate', undefined, {}, 404, undefined],
      ];
    for (const [method, path, body, headers, code, field] of cases) {
      const res = await h.webhook(method, path, body, headers);
      assert.equal(res.status, code, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, `${method} ${path}`);
      const p = (await res.json()) as { status: number; errors?: { field: string }[] };
      assert.equal(p.status, code);
      if (field) assert.equal(p.errors?.[0]?.field, field, `${method} ${path}`);
    }
    const { id } = await h.start('Waits');
    const wrongType = await h.webhook('POST', `instances/${id}/raiseEvent/Go`, '1', {
      'content-type': 'text/plain',
    });
    assert.equal(wrongType.status, 400);
    const badJson = await h.webhook('POST', `instances/${id}/raiseEvent/Go`, '{', json);
    assert.equal(badJson.status, 400);
    const huge = await h.webhook(
      'POST',
      'orchestrators/Sequence',
      JSON.stringify(['x'.repeat(5 * 1024 * 1024)]),
    );
    assert.equal(huge.status, 413);
    const large = await h.webhook('POST', 'orchestrators/Sequence', JSON.stringify(['x'.repeat(500_000)]));
    assert.equal(large.status, 413);
    await h.client('terminate', { instanceId: id, reason: 'cleanup' });
    await h.waitDone(id);
  });
});
