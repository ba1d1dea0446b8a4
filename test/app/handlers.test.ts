// The events, health, OpenAPI and console handlers called directly, as @azure/functions would call
// them (`new HttpRequest`, `new InvocationContext`), with a Services on an in-memory Azurite and a fake
// clock: no host, no app thread.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import {
  eventRangeHandler,
  eventsRetentionHandler,
  getEventHandler,
  listEventsHandler,
} from '../../lib/events/http';
import { appendEvent, type StoredEvent } from '../../lib/events/store';
import { healthHandler, openApiHandler } from '../../lib/health';
import type { Services } from '../../lib/services';
import { uiHandler } from '../../lib/ui/handler';
import { UI_CSP } from '../../lib/ui/headers';
import { version } from '../../lib/version';
import { FakeClock } from '../helpers/clock';
import { startTestStorage, testServices, type TestStorage } from '../helpers/services';

const BASE = 'http://127.0.0.1:7071/api';
const DAY_MS = 86_400_000;

let storage: TestStorage;
before(async () => {
  storage = await startTestStorage();
});
after(async () => {
  await storage?.dispose();
});

const get = (
  path: string,
  init: { params?: Record<string, string>; headers?: Record<string, string> } = {},
) => {
  const url = new URL(`${BASE}${path}`);
  return new HttpRequest({
    method: 'GET',
    url: url.href,
    query: Object.fromEntries(url.searchParams),
    ...init,
  });
};
const context = () => new InvocationContext({ functionName: 'test', logHandler: () => undefined });

async function text(res: HttpResponseInit): Promise<string> {
  if (res.body === undefined) return '';
  return new Response(res.body as ConstructorParameters<typeof Response>[0]).text();
}
const header = (res: HttpResponseInit, name: string) =>
  (res.headers as Record<string, string> | undefined)?.[name];

async function problem(res: HttpResponseInit, status: number, field?: string) {
  assert.equal(res.status, status);
  assert.equal(header(res, 'content-type'), 'application/problem+json');
  const body = JSON.parse(await text(res)) as { status: number; errors?: { field: string }[] };
  assert.equal(body.status, status);
  if (field)
    assert.ok(
      body.errors?.some((e) => e.field === field),
      `${field} named in ${JSON.stringify(body)}`,
    );
}

describe('events handlers', () => {
  // A table of its own per Services would need a table name setting; a storage of its own is simpler.
  let own: TestStorage;
  let clock: FakeClock;
  let services: Services;
  before(async () => {
    own = await startTestStorage();
    clock = new FakeClock(Date.UTC(2030, 0, 1));
    services = testServices(own.connectionString, { EVENTS_RETENTION_DAYS: '2' }, { clock });
  });
  after(() => own?.dispose());

  test('an empty log: no range (204), an empty batch without a next link', async () => {
    assert.equal((await eventRangeHandler(services)(get('/events/range'), context())).status, 204);
    const res = await listEventsHandler(services)(get('/events'), context());
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await text(res)), []);
    assert.equal(header(res, 'link'), undefined);
  });

  test('list, page after an id, range and get', async () => {
    const appended: StoredEvent[] = [];
    for (const n of [1, 2, 3]) {
      appended.push((await appendEvent(services, 'queued', `vm${n}`, { n }))!);
      clock.advance(1000);
    }
    assert.equal(appended[0]!.time, new Date(Date.UTC(2030, 0, 1)).toISOString(), 'time from the clock');

    const latest = await listEventsHandler(services)(get('/events?limit=2'), context());
    assert.equal(latest.status, 200);
    assert.match(header(latest, 'content-type') ?? '', /^application\/cloudevents-batch\+json/);
    const page = JSON.parse(await text(latest)) as StoredEvent[];
    assert.deepEqual(
      page.map((e) => e.subject),
      ['vm2', 'vm3'],
    );
    assert.equal(header(latest, 'link'), `</api/events?after=${appended[2]!.id}&limit=2>; rel="next"`);

    const afterFirst = await listEventsHandler(services)(get(`/events?after=${appended[0]!.id}`), context());
    assert.deepEqual(
      (JSON.parse(await text(afterFirst)) as StoredEvent[]).map((e) => e.subject),
      ['vm2', 'vm3'],
    );

    const range = await eventRangeHandler(services)(get('/events/range'), context());
    assert.deepEqual(range.jsonBody, { earliest: appended[0]!.id, latest: appended[2]!.id });

    const one = await getEventHandler(services)(
      get(`/events/${appended[1]!.id}`, { params: { id: appended[1]!.id } }),
      context(),
    );
    assert.equal(one.status, 200);
    assert.match(header(one, 'content-type') ?? '', /^application\/cloudevents\+json/);
    assert.deepEqual(JSON.parse(await text(one)), appended[1]);
  });

  test('bad input is a 400 naming the field; an unknown id is 404', async () => {
    const list = listEventsHandler(services);
    await problem(await list(get('/events?after=nope'), context()), 400, 'query.after');
    await problem(await list(get('/events?limit=0'), context()), 400, 'query.limit');
    await problem(await list(get('/events?watch=yes'), context()), 400, 'query.watch');
    await problem(await list(get('/events?colour=red'), context()), 400);
    await problem(
      await list(get('/events?watch=true', { headers: { 'last-event-id': 'nope' } }), context()),
      400,
      'header.Last-Event-ID',
    );
    const getOne = getEventHandler(services);
    await problem(await getOne(get('/events/x', { params: { id: 'x' } }), context()), 400, 'path.id');
    const unknown = '1893456000000-000000-000000';
    await problem(await getOne(get(`/events/${unknown}`, { params: { id: unknown } }), context()), 404);
  });

  test('the watch streams what this instance appends, resuming after Last-Event-ID', async () => {
    const seen = (await appendEvent(services, 'queued', 'vm-before', {}))!;
    const res = await listEventsHandler(services)(
      get('/events?watch=true', { headers: { 'last-event-id': seen.id } }),
      context(),
    );
    assert.equal(res.status, 200);
    assert.match(header(res, 'content-type') ?? '', /^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += value;
      }
    })();
    await appendEvent(services, 'running', 'vm-watched', {});
    // The append wakes the watch at once; it gathers a burst for GATHER_MS of the clock, then reads.
    await clock.runUntil(() => received.includes('vm-watched'));
    assert.match(received, /^retry: \d+/);
    assert.ok(!received.includes('vm-before'), 'nothing up to Last-Event-ID');
    await reader.cancel();
    await reading;
  });

  test('retention removes events older than EVENTS_RETENTION_DAYS by the clock; their ids then answer 410', async () => {
    const all = async () =>
      JSON.parse(
        await text(await listEventsHandler(services)(get('/events?limit=1000'), context())),
      ) as StoredEvent[];
    const old = await all();
    assert.ok(old.length > 0);
    const logged: string[] = [];
    const ctx = new InvocationContext({
      functionName: 'eventsRetention',
      logHandler: (_level, ...args) => logged.push(args.join(' ')),
    });
    await eventsRetentionHandler(services)({}, ctx);
    assert.deepEqual(logged, [], 'nothing is two days old yet');

    clock.advance(2 * DAY_MS + 10_000);
    const fresh = await appendEvent(services, 'deleted', 'vm-fresh', {});
    await eventsRetentionHandler(services)({}, ctx);
    assert.deepEqual(logged, [`Events retention: removed ${old.length} events older than 2 days.`]);
    const oldest = old[0]!.id;
    await problem(
      await getEventHandler(services)(get(`/events/${oldest}`, { params: { id: oldest } }), context()),
      410,
    );
    assert.deepEqual(
      (await all()).map((e) => e.id),
      [fresh!.id],
    );
  });
});

describe('health and OpenAPI handlers', () => {
  const services = () => testServices(storage.connectionString);

  test('health answers ok with the version, and refuses unknown query parameters', async () => {
    const res = await healthHandler(services())(get('/health'), context());
    assert.equal(res.status, 200);
    assert.deepEqual(res.jsonBody, { status: 'ok', version });
    await problem(await healthHandler(services())(get('/health?x=1'), context()), 400);
  });

  test('openapi.json is the OpenAPI document', async () => {
    const res = await openApiHandler(services())(get('/openapi.json'), context());
    assert.equal(res.status, 200);
    const doc = res.jsonBody as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/api/events'] ?? doc.paths['/events'], 'the events route is described');
    await problem(await openApiHandler(services())(get('/openapi.json?x=1'), context()), 400);
  });
});

describe('console handler', () => {
  let webDir: string;
  before(() => {
    webDir = mkdtempSync(join(tmpdir(), 'vmj-web-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'manifest.json'), '{}');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(webDir, 'assets', 'app-1a2b.js'), 'console.log(1)');
  });
  after(() => rmSync(webDir, { recursive: true, force: true }));

  const ui = () => uiHandler(testServices(storage.connectionString), [join(webDir, 'missing'), webDir]);
  const uiGet = (path: string) => get(`/ui/${path}`, { params: { path } });

  test('…/ui redirects to …/ui/ (the page refers to its assets relatively)', async () => {
    const res = await ui()(get('/ui?k=1', { params: {} }), context());
    assert.equal(res.status, 308);
    assert.equal(header(res, 'location'), '/api/ui/?k=1');
    assert.equal(header(res, 'content-security-policy'), UI_CSP);
  });

  test('the page: no cache, strict CSP; an asset: immutable, typed', async () => {
    const page = await ui()(uiGet(''), context());
    assert.equal(page.status, 200);
    assert.equal(header(page, 'cache-control'), 'no-cache, no-store, must-revalidate');
    assert.equal(header(page, 'content-security-policy'), UI_CSP);
    assert.match(await text(page), /<title>console<\/title>/);
    const asset = await ui()(uiGet('assets/app-1a2b.js'), context());
    assert.equal(asset.status, 200);
    assert.equal(header(asset, 'content-type'), 'text/javascript; charset=utf-8');
    assert.equal(header(asset, 'cache-control'), 'public, max-age=31536000, immutable');
  });

  test('anything else is a 404 problem, never a file outside assets/', async () => {
    for (const path of ['assets/missing.js', 'manifest.json', 'assets/../index.html', 'assets/x.exe'])
      await problem(await ui()(uiGet(path), context()), 404);
  });

  test('an unbuilt console is a 500 problem that names no path to the client', async () => {
    const logged: string[] = [];
    const res = await uiHandler(testServices(storage.connectionString), [join(webDir, 'missing')])(
      uiGet(''),
      new InvocationContext({ functionName: 'ui', logHandler: (_l, ...a) => logged.push(a.join(' ')) }),
    );
    await problem(res, 500);
    assert.ok(!(await text(res)).includes(webDir));
    assert.match(logged.join('\n'), /not built/);
  });
});
