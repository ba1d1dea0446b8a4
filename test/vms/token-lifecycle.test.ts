// The ingest token through the real path (API → orchestration → ARM emulator → simulated guest running
// the real agent): a VM PUT whose answer is lost is retried with the same customData; a failed create
// and a delete remove the token; a rotation, even while the VM provisions, reaches the agent, which
// switches without a refusal, after which the old token is refused; the uploader's token is never echoed.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Services } from '../../lib/services';
import { eventually } from '../helpers/runtime';
import { testServices } from '../helpers/services';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

/** The app's Services on the runtime's storage (for the tokens it mints). */
let services: Services;

const VM_TYPE = 'Microsoft.Compute/virtualMachines';

describe('ingest token lifecycle, end to end', () => {
  let t: VmTestRuntime;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vmj-token-'));
    t = await startVmRuntime({
      dataDir,
      guests: {
        trickleIntervalMs: 200,
        // Short streams: the agent reads a rotated token at the end of a stream.
        agentEnv: {
          VMJ_FLUSH_DELAY_MS: '200',
          VMJ_STREAM_SECONDS: '1',
          VMJ_BACKOFF_MIN_MS: '200',
          VMJ_BACKOFF_MAX_MS: '1000',
        },
      },
    });
    services = testServices(t.rt.storageConnectionString);
  });
  after(async () => {
    await t?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const create = async (name: string) => {
    const r = await t.api('POST', '/api/vms', { name, size: 'small', sshPublicKey: sshPublicKey() });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  };
  /** The token file of the VM's simulated guest (what its agent sends). */
  const guestToken = (name: string) =>
    eventually(() => {
      const dir = readdirSync(join(dataDir, 'guests')).find((d) => d.startsWith(`${name}-`));
      return dir && readFileSync(join(dataDir, 'guests', dir, 'etc', 'ingest-token'), 'utf8').trim();
    }, 30_000);
  /** Resolves once the guest's agent has written `token` to its token file. */
  const eventuallyToken = (name: string, token: string) =>
    eventually(async () => (await guestToken(name)) === token, 60_000, 100);
  const ingest = (name: string, token: string) =>
    fetch(t.url(`/api/vms/${name}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: '',
    });
  const tokenRow = async (name: string) =>
    (await services.table('ingesttokens')).getEntity(name, '').then(
      (r) => r,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return undefined;
        throw e;
      },
    );
  const entryCount = async (name: string) =>
    ((await t.api('GET', `/api/vms/${name}/journal?limit=1000`)).body.items as unknown[]).length;
  const setFaults = async (rules: unknown[]) =>
    assert.equal((await t.emulator('PUT', '/_emulator/faults', rules)).status, 200);

  it('a VM PUT that ARM accepted but whose answer was lost is sent again unchanged: the VM runs and ships', async () => {
    // Every attempt of the first begin activity (the SDK's own retries included) loses its answer.
    await setFaults([{ kind: 'responseLost', resourceType: VM_TYPE, count: 4 }]);
    await create('tok-lost');
    await t.waitForStatus('tok-lost', 'running', 90_000);
    await setFaults([]);
    const puts = t.rt
      .arm!.operations()
      .filter((o) => o.method === 'PUT' && !o.linked && o.path.endsWith('/virtualMachines/tok-lost'));
    assert.ok(puts.length >= 2, `the VM PUT was retried (${puts.length})`);
    assert.ok(
      puts.every((o) => o.status < 300),
      `no PUT was refused: ${puts.map((o) => o.status).join(',')}`,
    );
    const token = await guestToken('tok-lost');
    assert.equal((await ingest('tok-lost', token)).status, 200, "the guest's token works");
    await eventually(async () => (await entryCount('tok-lost')) > 0, 60_000, 250);
  });

  it('a failed create removes its token', async () => {
    await setFaults([{ kind: 'allocationFailed', resourceType: VM_TYPE, count: 1 }]);
    await create('tok-failed');
    await t.waitForStatus('tok-failed', 'failed', 60_000).catch(() => undefined);
    const vm = await t.api('GET', '/api/vms/tok-failed');
    assert.equal(vm.body.status, 'failed');
    await setFaults([]);
    assert.equal(await tokenRow('tok-failed'), undefined);
    const rotate = await t.api('POST', '/api/vms/tok-failed/ingest-token');
    assert.equal(rotate.status, 409);
    assert.match(rotate.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('a rotation while the VM provisions is not overwritten: the agent takes it up', async () => {
    await create('tok-early');
    // Until the VM step has issued the first token there is nothing to rotate (409); then it works.
    const rotated = await eventually(
      async () => {
        const r = await t.api('POST', '/api/vms/tok-early/ingest-token');
        if (r.status === 409) return undefined;
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body;
      },
      60_000,
      25,
    );
    await t.waitForStatus('tok-early', 'running', 60_000);
    // The guest booted with the issued token (customData never changes); its agent is handed the
    // rotated one with its first answer and switches, never refused.
    await eventuallyToken('tok-early', rotated.token);
    assert.equal((await ingest('tok-early', rotated.token)).status, 200, 'the rotated token works');
    const lines = t.logs.map((l) => l.message).filter((m) => m.includes('guest tok-early'));
    assert.ok(!lines.some((m) => /HTTP 401/.test(m)), 'the agent was never refused');
  });

  it('rotation end to end: the agent switches without a refusal, then the old token is refused', async () => {
    await create('tok-rotate');
    await t.waitForStatus('tok-rotate', 'running', 60_000);
    const old = await guestToken('tok-rotate');
    await eventually(async () => (await entryCount('tok-rotate')) > 0, 60_000, 250);

    const r = await t.api('POST', '/api/vms/tok-rotate/ingest-token');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const { token, uploadUrl, previousValidUntil } = r.body;
    assert.notEqual(token, old);
    assert.ok(uploadUrl.endsWith(`/api/ingest/tok-rotate/${token}`));
    assert.ok(Date.parse(previousValidUntil) > Date.now());

    await eventuallyToken('tok-rotate', token);
    const switchedAt = Date.now();
    await eventually(async () => (await ingest('tok-rotate', old)).status === 401, 30_000, 100);
    // The agent keeps shipping with the new token: entries written after the switch arrive.
    await eventually(
      async () => {
        const q = await t.api('GET', '/api/vms/tok-rotate/journal?limit=1&order=desc');
        const last = q.body.items[0];
        return last && last.realtimeUsec / 1000 > switchedAt;
      },
      30_000,
      250,
    );
    const lines = t.logs.map((l) => l.message).filter((m) => m.includes('guest tok-rotate'));
    assert.ok(lines.some((m) => m.includes('received a rotated ingest token')));
    assert.ok(!lines.some((m) => /HTTP 401/.test(m)), 'the agent was never refused');
  });

  it('DELETE removes the token', async () => {
    await create('tok-delete');
    await t.waitForStatus('tok-delete', 'running', 60_000);
    const token = await guestToken('tok-delete');
    assert.ok(await tokenRow('tok-delete'));
    assert.equal((await t.api('DELETE', '/api/vms/tok-delete')).status, 202);
    await t.waitForStatus('tok-delete', 'deleted', 60_000);
    assert.equal(await tokenRow('tok-delete'), undefined);
    assert.equal((await ingest('tok-delete', token)).status, 401);
  });

  it("the uploader route's token is neither echoed in problem+json nor logged", async () => {
    const secret = 'S3cretT0kenThatMustNotLeak_0123456789abcdef';
    const res = await fetch(t.url(`/api/ingest/tok-rotate/${secret}/upload`), {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.fdo.journal' },
      body: '',
    });
    assert.equal(res.status, 401);
    const text = await res.text();
    assert.equal(JSON.parse(text).instance, '/api/ingest/tok-rotate/***');
    assert.ok(!text.includes(secret));
    assert.ok(!t.logs.some((l) => l.message.includes(secret)), 'no log line carries the token');
  });
});
