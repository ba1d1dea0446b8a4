// DELETE removes everything created for the VM, its journal included (through the real path: HTTP →
// queue → delete orchestration → its activities): the journal's routes then answer 404, and a new VM
// that reuses the name starts with an empty journal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

describe('DELETE and the journal', () => {
  let t: VmTestRuntime;
  const key = sshPublicKey();
  before(async () => {
    t = await startVmRuntime();
  });
  after(async () => {
    await t?.dispose();
  });

  const push = async (name: string, n: number) => {
    const token = (await t.api('POST', `/api/vms/${name}/ingest-token`)).body.token as string;
    const now = Date.now() * 1000;
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        __CURSOR: `s=d;i=${i + 1}`,
        __REALTIME_TIMESTAMP: String(now - (n - i) * 1_000_000),
        _SYSTEMD_UNIT: `u${i % 2}.service`,
        MESSAGE: `line ${i}`,
      }),
    );
    const res = await fetch(t.url(`/api/vms/${name}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    assert.equal(res.status, 200);
  };

  it('deletes the journal with the VM; a new VM of the same name starts empty', async () => {
    assert.equal((await t.api('POST', '/api/vms', { name: 'gone1', sshPublicKey: key })).status, 202);
    await t.waitForStatus('gone1', 'running');
    await push('gone1', 40);
    assert.equal((await t.api('GET', '/api/vms/gone1/journal?limit=1000')).body.items.length, 40);
    assert.equal((await t.api('GET', '/api/vms/gone1/units')).body.items.length, 2);

    assert.equal((await t.api('DELETE', '/api/vms/gone1')).status, 202);
    await t.waitForStatus('gone1', 'deleted');
    for (const path of ['journal', 'units', 'boots'])
      assert.equal((await t.api('GET', `/api/vms/gone1/${path}`)).status, 404, path);

    assert.equal((await t.api('POST', '/api/vms', { name: 'gone1', sshPublicKey: key })).status, 202);
    await t.waitForStatus('gone1', 'running');
    assert.deepEqual((await t.api('GET', '/api/vms/gone1/journal')).body.items, []);
    assert.deepEqual((await t.api('GET', '/api/vms/gone1/units')).body.items, []);
    assert.deepEqual((await t.api('GET', '/api/vms/gone1/boots')).body.items, []);
    await push('gone1', 3);
    const units = (await t.api('GET', '/api/vms/gone1/units')).body.items as { count: number }[];
    assert.equal(
      units.reduce((n, u) => n + u.count, 0),
      3,
    );
  });
});
