// The compiled app (dist/, as Azure loads it) through the local host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

describe('health and OpenAPI (compiled app)', () => {
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime();
  });
  after(() => t.dispose());

  it('answers /api/health anonymously', async () => {
    const res = await fetch(t.url('/api/health'));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; version: string };
    assert.equal(body.status, 'ok');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  });

  it('serves an OpenAPI 3.1 document describing every HTTP route the app registers', async () => {
    const res = await fetch(t.url('/api/openapi.json'));
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    for (const route of t.rt.host.routes()) {
      const path = route.path.replace(/^\/api/, '').replace(/\{\*?(\w+)(:[^}]*)?\??\}/g, '{$1}');
      assert.ok(doc.paths[path], `OpenAPI lacks ${path} (${route.name})`);
      for (const m of route.methods)
        assert.ok(doc.paths[path][m.toLowerCase()], `OpenAPI lacks ${m} ${path}`);
    }
  });

  it('rejects unknown query parameters with problem+json naming them', async () => {
    const res = await fetch(t.url('/api/health?verbose=1'));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const p = (await res.json()) as { status: number; errors: { field: string }[] };
    assert.equal(p.status, 400);
    assert.deepEqual(
      p.errors.map((e) => e.field),
      ['query.verbose'],
    );
  });
});
