// The SDK lifecycle check against the standalone emulator (`npm run arm-emulator`, i.e.
// local/cli/arm-emulator.ts, configured by its environment variables): 401, create, IP, deallocate,
// subscription-wide listAll of VMs and NICs (pages of one), cascade delete.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { RestError } from '@azure/core-rest-pipeline';

import { createNetwork, type Harness, repoRoot, staticTokenCredential, SUB, vmParameters } from './helpers';

let proc: ChildProcess | undefined;
let dir = '';
let h: Omit<Harness, 'arm' | 'dispose'>;
let endpoint = '';
let ca = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arm-cli-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'local', 'cli', 'arm-emulator.ts')],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        LOCAL_DATA_DIR: dir,
        ARM_EMULATOR_PORT: '0',
        ARM_EMULATOR_LRO_MS: '50',
        ARM_EMULATOR_PUBLIC_IP_DELAY_MS: '20',
        ARM_EMULATOR_PAGE_SIZE: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  proc = child;
  let out = '';
  endpoint = await new Promise<string>((ok, fail) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /AZURE_ARM_ENDPOINT=(\S+)/.exec(out);
      const f = /AZURE_ARM_CA_FILE=(\S+)/.exec(out);
      if (m && f) {
        void readFile(f[1]!, 'utf8').then((pem) => {
          ca = pem;
          ok(m[1]!);
        }, fail);
      }
    });
    child.once('exit', (code) => fail(new Error(`arm-emulator exited with ${String(code)}: ${out}`)));
  });
  const o = { endpoint, tlsOptions: { ca } };
  const cred = staticTokenCredential('standalone-test');
  h = {
    resources: new ResourceManagementClient(cred, SUB, o),
    network: new NetworkManagementClient(cred, SUB, o),
    compute: new ComputeManagementClient(cred, SUB, o),
  };
});
after(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((ok) => proc!.once('exit', ok));
    proc.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

test('lifecycle through the SDK, then listAll of VMs and NICs across pages', async () => {
  const anonymous = new ResourceManagementClient(
    { getToken: () => Promise.resolve({ token: '', expiresOnTimestamp: Date.now() + 60_000 }) },
    SUB,
    { endpoint, tlsOptions: { ca } },
  );
  await assert.rejects(anonymous.resourceGroups.list().next(), (e: RestError) => e.statusCode === 401);

  for (const [rg, name] of [
    ['vmj-cli1', 'c1'],
    ['vmj-cli2', 'c2'],
  ] as const) {
    const n = await createNetwork(h as Harness, rg, name);
    const vm = await h.compute.virtualMachines.beginCreateOrUpdateAndWait(
      rg,
      name,
      vmParameters(n.nic.id!, { computerName: name, vmSize: 'Standard_B2ls_v2' }),
    );
    assert.equal(vm.provisioningState, 'Succeeded');
    assert.match((await h.network.publicIPAddresses.get(rg, `${name}-ip`)).ipAddress ?? '', /^198\./);
  }
  await h.compute.virtualMachines.beginDeallocateAndWait('vmj-cli1', 'c1');
  const view = await h.compute.virtualMachines.instanceView('vmj-cli1', 'c1');
  assert.ok(view.statuses?.some((s) => s.code === 'PowerState/deallocated'));

  const names = async (it: AsyncIterable<{ name?: string }>) => {
    const out: string[] = [];
    for await (const x of it) out.push(x.name!);
    return out.sort();
  };
  assert.deepEqual(await names(h.compute.virtualMachines.listAll()), ['c1', 'c2']);
  assert.deepEqual(await names(h.network.networkInterfaces.listAll()), ['c1-nic', 'c2-nic']);

  await h.resources.resourceGroups.beginDeleteAndWait('vmj-cli1');
  await h.resources.resourceGroups.beginDeleteAndWait('vmj-cli2');
  assert.deepEqual(await names(h.compute.virtualMachines.listAll()), []);
  assert.deepEqual(await names(h.network.networkInterfaces.listAll()), []);
});
