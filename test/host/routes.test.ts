import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileRoute, matchRoute } from '../../local/host/routes';

const match = (template: string, path: string) => matchRoute(compileRoute(template), path);

describe('route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    assert.deepEqual(match('vms/{name}/journal', 'VMS/web%2D1/Journal'), { name: 'web-1' });
    assert.equal(match('vms/{name}', 'vms/a/b'), undefined);
    assert.equal(match('vms/{name}', 'vms'), undefined);
  });

  it('supports optional parameters, defaults and catch-alls', () => {
    assert.deepEqual(match('logs/{unit?}', 'logs'), {});
    assert.deepEqual(match('logs/{unit?}', 'logs/ssh.service'), { unit: 'ssh.service' });
    assert.deepEqual(match('page/{n=1}', 'page'), { n: '1' });
    assert.deepEqual(match('files/{*path}', 'files/a/b/c.txt'), { path: 'a/b/c.txt' });
  });

  it('applies inline constraints', () => {
    assert.deepEqual(match('items/{id:int}', 'items/-12'), { id: '-12' });
    assert.equal(match('items/{id:int}', 'items/1.5'), undefined);
    assert.equal(match('a/{x:alpha}', 'a/abc1'), undefined);
    assert.deepEqual(match('a/{x:length(2,3)}', 'a/abc'), { x: 'abc' });
    assert.equal(match('a/{x:length(2,3)}', 'a/abcd'), undefined);
    assert.deepEqual(match('a/{x:regex(^v\\d+$)}', 'a/v12'), { x: 'v12' });
    assert.equal(match('a/{x:min(5)}', 'a/4'), undefined);
    assert.deepEqual(match('a/{x:guid}', 'a/0f8fad5b-d9cb-469f-a165-70867728950e'), {
      x: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
  });

  it('gives literals precedence over parameters and parameters over catch-alls', () => {
    const a = compileRoute('vms/{name}');
    const b = compileRoute('vms/ingest');
    const c = compileRoute('{*all}');
    assert.ok(b.precedence > a.precedence && a.precedence > c.precedence);
  });

  it('rejects malformed templates and bad percent-encoding', () => {
    assert.throws(() => compileRoute('a/{x:nosuch}'), /Unsupported route constraint/);
    assert.throws(() => compileRoute('a/x{y}'), /Unsupported route segment/);
    assert.throws(() => compileRoute('{*all}/more'), /catch-all/);
    assert.equal(match('vms/{name}', 'vms/%E0%A4%A'), undefined);
  });
});
