// The journal's HTTP handlers (lib/journal/http.ts) called as the Functions host calls them, with
// `new HttpRequest` / `new InvocationContext` and a Services on a real Azurite: no local host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import type { FieldError } from '../../lib/errors';
import { withProblems } from '../../lib/http/problem';
import { rotateIngestToken } from '../../lib/ingest-token';
import { ingestHandler, queryHandler, statsHandler, unitsHandler } from '../../lib/journal/http';
import { MAX_BODY_BYTES } from '../../lib/journal/ingest';
import type { Services } from '../../lib/services';
import { addVmRecord } from '../helpers/vm-record';
import { startAzurite, type TestStorage } from './helpers';

const VM = 'vm-handlers';
const BOOT = 'c3'.repeat(16);

const line = (i: number) =>
  JSON.stringify({
    __CURSOR: `s=h;i=${i};b=${BOOT}`,
    __REALTIME_TIMESTAMP: String(Date.now() * 1000 - 60_000_000 + i),
    _BOOT_ID: BOOT,
    _SYSTEMD_UNIT: 'app.service',
    MESSAGE: `handler line ${i}`,
  });

interface Call {
  method?: string;
  path: string;
  name?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}

function request({ method = 'GET', path, name = VM, query = '', headers = {}, body }: Call): HttpRequest {
  return new HttpRequest({
    method,
    url: `http://127.0.0.1/api/vms/${name}/${path}${query ? `?${query}` : ''}`,
    query: Object.fromEntries(new URLSearchParams(query)),
    headers,
    params: { name },
    ...(body !== undefined ? { body: { string: body } } : {}),
  });
}

const context = () => new InvocationContext({ invocationId: 'handler-test', functionName: 'journal' });

interface Problem {
  status: number;
  errors?: FieldError[];
}
const problemOf = (res: HttpResponseInit): Problem => {
  assert.equal((res.headers as Record<string, string>)['content-type'], 'application/problem+json');
  return JSON.parse(res.body as string) as Problem;
};
const fieldsOf = (res: HttpResponseInit) => problemOf(res).errors?.map((e) => e.field);

describe('journal handlers (HttpRequest + InvocationContext, Azurite)', () => {
  let storage: TestStorage;
  let services: Services;
  let token: string;
  let ingest: ReturnType<typeof ingestHandler>;
  let query: ReturnType<typeof queryHandler>;

  before(async () => {
    storage = await startAzurite();
    services = storage.services;
    ingest = withProblems(ingestHandler(services));
    query = withProblems(queryHandler(services));
    await addVmRecord(services, VM);
    token = await rotateIngestToken(services, VM);
  });
  after(async () => {
    await storage?.dispose();
  });

  const post = (body: string, headers: Record<string, string> = {}, query = '') =>
    ingest(
      request({
        method: 'POST',
        path: 'journal',
        query,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', ...headers },
        body,
      }),
      context(),
    );

  it('ingest stores a batch; the same batch again is all duplicates; a query reads it back', async () => {
    const body = [1, 2, 3].map(line).join('\n');
    const first = await post(body);
    assert.equal(first.status, 200);
    assert.deepEqual(first.jsonBody, {
      accepted: 3,
      duplicates: 0,
      expired: 0,
      lastCursor: `s=h;i=3;b=${BOOT}`,
    });
    const again = await post(body);
    assert.deepEqual(again.jsonBody, {
      accepted: 0,
      duplicates: 3,
      expired: 0,
      lastCursor: `s=h;i=3;b=${BOOT}`,
    });
    const read = await query(request({ path: 'journal', query: 'order=desc&limit=2' }), context());
    assert.equal(read.status, 200);
    const { items, nextLink } = read.jsonBody as { items: { message: string }[]; nextLink: string | null };
    assert.deepEqual(
      items.map((i) => i.message),
      ['handler line 3', 'handler line 2'],
    );
    assert.match(nextLink!, /^\/api\/vms\/vm-handlers\/journal\?order=desc&limit=2&cursor=/);
    const units = await withProblems(unitsHandler(services))(request({ path: 'units' }), context());
    assert.deepEqual(
      (units.jsonBody as { items: { unit: string; count: number }[] }).items.map((u) => [u.unit, u.count]),
      [['app.service', 3]],
    );
  });

  it('ingest without the VM token is a 401, nothing stored', async () => {
    const res = await ingest(
      request({
        method: 'POST',
        path: 'journal',
        headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/x-ndjson' },
        body: line(50),
      }),
      context(),
    );
    assert.equal(res.status, 401);
    assert.equal(problemOf(res).status, 401);
    const read = await query(request({ path: 'journal', query: 'grep=line 50' }), context());
    assert.deepEqual((read.jsonBody as { items: unknown[] }).items, []);
  });

  it('ingest: bad input is a 400 naming the field', async () => {
    assert.deepEqual(fieldsOf(await post(line(60), {}, 'stream=maybe')), ['query.stream']);
    assert.deepEqual(fieldsOf(await post(line(60), { 'content-encoding': 'br' })), [
      'header.Content-Encoding',
    ]);
    const noTime = JSON.stringify({ __CURSOR: 's=h;i=61', MESSAGE: 'no timestamp' });
    const res = await post(noTime);
    assert.equal(res.status, 400);
    assert.ok(
      fieldsOf(res)?.some((f) => f.includes('__REALTIME_TIMESTAMP')),
      res.body as string,
    );
    const badName = await ingest(
      request({ method: 'POST', path: 'journal', name: 'Not_A_VM', body: line(62) }),
      context(),
    );
    assert.deepEqual(fieldsOf(badName), ['path.name']);
  });

  it(`ingest: a body declared over ${MAX_BODY_BYTES} bytes is a 413`, async () => {
    const res = await post(line(70), { 'content-length': String(MAX_BODY_BYTES + 1) });
    assert.equal(res.status, 413);
    assert.equal(problemOf(res).status, 413);
  });

  it('query: a bad parameter is a 400 naming it; an unknown VM is a 404', async () => {
    const bad = await query(request({ path: 'journal', query: 'priority=loud&limit=0' }), context());
    assert.equal(bad.status, 400);
    assert.deepEqual(fieldsOf(bad)?.sort(), ['query.limit', 'query.priority']);
    assert.deepEqual(fieldsOf(await query(request({ path: 'journal', query: 'colour=red' }), context())), [
      'query.colour',
    ]);
    const unknown = await query(request({ path: 'journal', name: 'vm-never-made' }), context());
    assert.equal(unknown.status, 404);
    assert.equal(problemOf(unknown).status, 404);
    const stats = await withProblems(statsHandler(services))(
      request({ path: 'journal/stats', name: '-bad-' }),
      context(),
    );
    assert.deepEqual(fieldsOf(stats), ['path.name']);
  });
});
