// Bad create requests through HTTP: every one is a 4xx problem+json naming the bad fields, and none
// leaves anything behind (no record, no event, no command, no ARM call beyond the SKU lookup).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

let t: VmTestRuntime;
const key = sshPublicKey();

before(async () => {
  t = await startVmRuntime();
});
after(async () => {
  await t?.dispose();
});

const rsa1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDGc5K9YbJkMT6lbz8Cm8rR2iQh0o2b7W6fK7ZZWZyZkBv6aW2t7Rjw5xvQGhYx0J8l7b8mC+Z7L1m3tq0T3sMB1hO1cT0+2hV5eA9s8xYxWfR8l0h+Zq0jzQ9vM5cB7bD6n7nQnq3b8Jm7A0vF5b0b4k1m0Y3Vb8Q1Qw== x';

const corpus: Array<{ what: string; body: string; status?: number; fields: string[] }> = [
  { what: 'empty body', body: '', fields: ['body'] },
  { what: 'not JSON', body: 'name=web', fields: ['body'] },
  { what: 'JSON array', body: '[]', fields: ['body'] },
  { what: 'JSON string', body: '"web"', fields: ['body'] },
  { what: 'null', body: 'null', fields: ['body'] },
  { what: 'binary', body: '\u0000\u0001\u00ff{', fields: ['body'] },
  { what: 'missing name', body: JSON.stringify({ sshPublicKey: key }), fields: ['name'] },
  { what: 'name wrong type', body: JSON.stringify({ name: 42, sshPublicKey: key }), fields: ['name'] },
  { what: 'uppercase name', body: JSON.stringify({ name: 'Web1', sshPublicKey: key }), fields: ['name'] },
  { what: 'name with slash', body: JSON.stringify({ name: 'a/b', sshPublicKey: key }), fields: ['name'] },
  {
    what: 'name ends with hyphen',
    body: JSON.stringify({ name: 'web-', sshPublicKey: key }),
    fields: ['name'],
  },
  {
    what: 'name too long',
    body: JSON.stringify({ name: 'a'.repeat(64), sshPublicKey: key }),
    fields: ['name'],
  },
  {
    what: 'unknown size',
    body: JSON.stringify({ name: 'w', size: 'huge', sshPublicKey: key }),
    fields: ['size'],
  },
  {
    what: 'size and cpu',
    body: JSON.stringify({ name: 'w', size: 'small', cpu: 2, sshPublicKey: key }),
    fields: ['size'],
  },
  {
    what: 'cpu not integer',
    body: JSON.stringify({ name: 'w', cpu: 1.5, sshPublicKey: key }),
    fields: ['cpu'],
  },
  {
    what: 'cpu as string',
    body: JSON.stringify({ name: 'w', cpu: '2', sshPublicKey: key }),
    fields: ['cpu'],
  },
  {
    what: 'tiny disk',
    body: JSON.stringify({ name: 'w', diskGiB: 29, sshPublicKey: key }),
    fields: ['diskGiB'],
  },
  {
    what: 'huge disk',
    body: JSON.stringify({ name: 'w', diskGiB: 4096, sshPublicKey: key }),
    fields: ['diskGiB'],
  },
  {
    what: 'disk as string',
    body: JSON.stringify({ name: 'w', diskGiB: '64', sshPublicKey: key }),
    fields: ['diskGiB'],
  },
  { what: 'no ssh key', body: JSON.stringify({ name: 'w' }), fields: ['sshPublicKey'] },
  {
    what: 'bad ssh key',
    body: JSON.stringify({ name: 'w', sshPublicKey: 'ssh-ed25519 AAAA' }),
    fields: ['sshPublicKey'],
  },
  {
    what: 'short RSA key',
    body: JSON.stringify({ name: 'w', sshPublicKey: rsa1024 }),
    fields: ['sshPublicKey'],
  },
  {
    what: 'bad image',
    body: JSON.stringify({ name: 'w', image: 'ubuntu', sshPublicKey: key }),
    fields: ['image'],
  },
  {
    what: 'bad region',
    body: JSON.stringify({ name: 'w', region: 'West Europe', sshPublicKey: key }),
    fields: ['region'],
  },
  {
    what: 'unknown region',
    body: JSON.stringify({ name: 'w', region: 'marsnorth', sshPublicKey: key }),
    fields: ['region'],
  },
  {
    what: 'more cpu than any size',
    body: JSON.stringify({ name: 'w', cpu: 10000, sshPublicKey: key }),
    fields: ['cpu'],
  },
  {
    what: 'unknown field',
    body: JSON.stringify({ name: 'w', sshPublicKey: key, password: 'x' }),
    fields: ['password'],
  },
  {
    what: 'every field bad at once',
    body: JSON.stringify({ name: '-', size: 'xl', diskGiB: 1, region: 7, sshPublicKey: 1, image: [] }),
    fields: ['name', 'size', 'diskGiB', 'region', 'sshPublicKey', 'image'],
  },
  {
    what: 'oversized',
    body: JSON.stringify({ name: 'w', sshPublicKey: key, pad: 'x'.repeat(70_000) }),
    status: 413,
    fields: [],
  },
];

describe('POST /api/vms with bad input', () => {
  for (const c of corpus) {
    test(c.what, async () => {
      const r = await t.api('POST', '/api/vms', c.body);
      assert.equal(r.status, c.status ?? 400, JSON.stringify(r.body));
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const named = (r.body.errors ?? []).map((e: { field: string }) => e.field);
      for (const f of c.fields)
        assert.ok(named.includes(f), `${f} named in ${JSON.stringify(r.body.errors)}`);
    });
  }

  test('bad query and path parameters are named', async () => {
    const list = await t.api('GET', '/api/vms?limit=0&status=sleeping&colour=red');
    assert.equal(list.status, 400);
    const get = await t.api('GET', '/api/vms/Not_A_Name');
    assert.equal(get.status, 400);
    assert.equal(get.body.errors[0].field, 'path.name');
    assert.equal((await t.api('GET', '/api/vms?cursor=!!')).status, 400);
    assert.equal((await t.api('GET', '/api/vms/absent')).status, 404);
  });

  test('nothing was recorded', async () => {
    const list = await t.api('GET', '/api/vms');
    assert.deepEqual(list.body, { items: [], nextLink: null });
    assert.equal((await t.api('GET', '/api/events/range')).status, 204);
    const ops = (await t.emulator('GET', '/_emulator/operations')).body.value;
    assert.ok(
      ops.every((o: { method: string }) => o.method === 'GET'),
      'only SKU reads reached ARM',
    );
    assert.deepEqual((await t.emulator('GET', '/_emulator/state')).body.resourceGroups, []);
  });

  test('cpu/memoryGiB choose the smallest fitting size; lists page with nextLink', async () => {
    const r = await t.api('POST', '/api/vms', { name: 'fit1', cpu: 2, memoryGiB: 6, sshPublicKey: key });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.vmSize, 'Standard_B2ms');
    const r2 = await t.api('POST', '/api/vms', { name: 'fit2', cpu: 2, memoryGiB: 1, sshPublicKey: key });
    assert.equal(
      r2.body.vmSize,
      'Standard_B2ts_v2',
      'B2pts_v2 (2/1) is Arm64 and cannot boot the x64 image; B2ts_v2 (2/1) can',
    );
    const r3 = await t.api('POST', '/api/vms', { name: 'fit3', cpu: 2, memoryGiB: 4, sshPublicKey: key });
    assert.equal(
      r3.body.vmSize,
      'Standard_B2ls_v2',
      'A2_v2 (2/4) boots Gen1 only; F2s_v2 (2/4) is restricted in westeurope',
    );
    const page1 = await t.api('GET', '/api/vms?limit=1');
    assert.equal(page1.body.items.length, 1);
    assert.ok(page1.body.nextLink);
    const page2 = await t.api('GET', page1.body.nextLink);
    assert.equal(page2.body.items.length, 1);
    assert.notEqual(page2.body.items[0].name, page1.body.items[0].name);
    await t.waitForStatus('fit1', 'running');
    await t.waitForStatus('fit2', 'running');
    await t.waitForStatus('fit3', 'running');
  });

  test('the longest VM name gets Azure names that fit each type and reaches running', async () => {
    const name = `l${'o'.repeat(61)}g`;
    const r = await t.api('POST', '/api/vms', { name, sshPublicKey: key });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await t.waitForStatus(name, 'running');
    const state = (await t.emulator('GET', '/_emulator/state')).body;
    const vnet = state.resources.find(
      (x: { type: string; name: string }) =>
        x.type === 'Microsoft.Network/virtualNetworks' && x.name.startsWith('looo'),
    );
    assert.ok(vnet.name.length <= 64, vnet.name);
    assert.equal((await t.api('DELETE', `/api/vms/${name}`)).status, 202);
    await t.waitForStatus(name, 'deleted');
  });
});
