// The ARM emulator survives kill -9 and a restart on the same data dir, as a real cloud would: resources,
// operations in flight (resumed SDK pollers complete), CA and port are kept; running guests boot again.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';

import { ComputeManagementClient, restorePoller } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';

import { ArmEmulator, type ArmEmulatorOptions, type GuestInfo } from '../../arm';
import { StateStore } from '../../arm/persistence';
import { LOC, staticTokenCredential, SUB, vmParameters } from './helpers';

const cred = staticTokenCredential('persistence-test-token');
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'arm-persist-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function clients(endpoint: string, caPem: string) {
  const o = { endpoint, tlsOptions: { ca: caPem } };
  return {
    resources: new ResourceManagementClient(cred, SUB, o),
    network: new NetworkManagementClient(cred, SUB, o),
    compute: new ComputeManagementClient(cred, SUB, o),
  };
}

function emulator(options: ArmEmulatorOptions): ArmEmulator {
  const arm = new ArmEmulator({ lroMs: 50, onError: () => undefined, ...options });
  cleanups.push(() => arm.dispose());
  return arm;
}

interface Child {
  proc: ChildProcess;
  endpoint: string;
  caFile: string;
  boots: Array<{ vmId: string; bootId: string }>;
  nextBoot(vmName: string): Promise<string>;
}

/** The emulator in a child process (persistence-child.ts), so that it can be SIGKILLed. */
async function startChild(dataDir: string, lroMs: number): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'persistence-child.ts')], {
    env: { ...process.env, ARM_TEST_DATA_DIR: dataDir, ARM_TEST_LRO_MS: String(lroMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    return Promise.resolve();
  });
  const boots: Child['boots'] = [];
  const waiters: Array<() => void> = [];
  let ready: (v: { endpoint: string; caFile: string }) => void;
  let failed: (e: Error) => void;
  const readyP = new Promise<{ endpoint: string; caFile: string }>((ok, fail) => {
    ready = ok;
    failed = fail;
  });
  proc.once('exit', (code) => failed(new Error(`emulator child exited with ${code}`)));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as {
      ready?: { endpoint: string; caFile: string };
      boot?: Child['boots'][number];
      error?: string;
    };
    if (msg.ready) ready(msg.ready);
    if (msg.error) failed(new Error(msg.error));
    if (msg.boot) {
      boots.push(msg.boot);
      for (const w of waiters.splice(0)) w();
    }
  });
  const { endpoint, caFile } = await readyP;
  const bootOf = (vmName: string) => boots.find((b) => b.vmId.endsWith(`/${vmName}`))?.bootId;
  return {
    proc,
    endpoint,
    caFile,
    boots,
    async nextBoot(vmName) {
      for (;;) {
        const id = bootOf(vmName);
        if (id) return id;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

test('kill -9 mid-provisioning, restart on the same data dir: resumed pollers complete, nothing is lost, guests reboot', async () => {
  const dataDir = await tempDir();
  const child = await startChild(dataDir, 1500);
  const caPem = await readFile(child.caFile, 'utf8');
  const c1 = clients(child.endpoint, caPem);
  const rg = 'rg-persist';

  await c1.resources.resourceGroups.createOrUpdate(rg, { location: LOC, tags: { app: 'vm-journal' } });
  const [, vnet, pip1] = await Promise.all([
    c1.network.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, 'nsg', { location: LOC }),
    c1.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, 'vnet', {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }],
    }),
    c1.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, 'ip1', {
      location: LOC,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
    }),
  ]);
  const subnet = { id: vnet.subnets![0]!.id };
  const [nic1, nic2] = await Promise.all([
    c1.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, 'nic1', {
      location: LOC,
      ipConfigurations: [{ name: 'ipc', subnet, publicIPAddress: { id: pip1.id } }],
    }),
    c1.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, 'nic2', {
      location: LOC,
      ipConfigurations: [{ name: 'ipc', subnet }],
    }),
  ]);
  await c1.compute.virtualMachines.beginCreateOrUpdateAndWait(
    rg,
    'vm1',
    vmParameters(nic1.id!, { computerName: 'vm1' }),
  );
  const firstBoot = await child.nextBoot('vm1');
  const pip1Address = (await c1.network.publicIPAddresses.get(rg, 'ip1')).ipAddress;
  assert.ok(pip1Address);

  // Operations in flight at the kill: a VM create, a public IP create and an NSG delete.
  const vm2Params = vmParameters(nic2.id!, { computerName: 'vm2' });
  // arm-compute 24 is core-lro 3 (a thenable PollerLike, serialize + restorePoller), as lib/provisioning uses it.
  const vm2Poller = c1.compute.virtualMachines.createOrUpdate(rg, 'vm2', vm2Params);
  vm2Poller.catch(() => undefined); // never awaited: the emulator dies under it
  const [, pip2Poller, nsgPoller] = await Promise.all([
    vm2Poller.submitted(),
    c1.network.publicIPAddresses.beginCreateOrUpdate(rg, 'ip2', {
      location: LOC,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
    }),
    c1.network.networkSecurityGroups.beginDelete(rg, 'nsg'),
  ]);
  const saved = { vm2: await vm2Poller.serialize(), pip2: pip2Poller.toString(), nsg: nsgPoller.toString() };
  const before = (await c1.resources.resources.listByResourceGroup(rg).byPage().next()).value as Array<{
    id: string;
  }>;
  child.proc.kill('SIGKILL');
  await new Promise((r) => child.proc.once('exit', r));

  const boots: GuestInfo[] = [];
  const arm = emulator({
    dataDir,
    lroMs: 1500,
    onGuestBoot: (g) => {
      boots.push(g);
      return { stop: () => Promise.resolve() };
    },
  });
  await arm.ready;
  assert.equal(arm.endpoint, child.endpoint, 'the same port again, so the pollers URLs still answer');
  assert.equal(arm.caPem, caPem, 'the same CA, so clients holding it keep working');
  const c2 = clients(arm.endpoint, arm.caPem);

  const vm2 = await restorePoller(c2.compute, saved.vm2, c2.compute.virtualMachines.createOrUpdate);
  assert.equal(vm2.provisioningState, 'Succeeded');
  const pip2 = await c2.network.publicIPAddresses.beginCreateOrUpdateAndWait(
    rg,
    'ip2',
    { location: LOC },
    { resumeFrom: saved.pip2 },
  );
  assert.equal(pip2.provisioningState, 'Succeeded');
  await c2.network.networkSecurityGroups.beginDeleteAndWait(rg, 'nsg', { resumeFrom: saved.nsg });

  const afterIds = (
    (await c2.resources.resources.listByResourceGroup(rg).byPage().next()).value as Array<{ id: string }>
  ).map((r) => r.id);
  const expected = before.map((r) => r.id).filter((id) => !id.endsWith('/networkSecurityGroups/nsg'));
  assert.deepEqual(afterIds.sort(), expected.sort(), 'every resource is still there, the NSG was deleted');
  assert.equal(expected.length, before.length - 1);
  assert.equal((await c2.network.publicIPAddresses.get(rg, 'ip1')).ipAddress, pip1Address);
  assert.ok((await c2.network.publicIPAddresses.get(rg, 'ip2')).ipAddress, 'ip2 got its address');
  const group = await c2.resources.resourceGroups.get(rg);
  assert.deepEqual(group.tags, { app: 'vm-journal' });

  // vm1 was running at the kill: it booted again with a new boot id; vm2 booted when its creation completed.
  const vm1Boot = boots.find((b) => b.vmName === 'vm1');
  assert.ok(vm1Boot, 'the running VM booted again');
  assert.notEqual(vm1Boot.bootId, firstBoot);
  assert.equal(vm1Boot.customData, '#cloud-config\nruncmd: [echo hi]\n');
  assert.ok(boots.some((b) => b.vmName === 'vm2'));
  const view = await c2.compute.virtualMachines.instanceView(rg, 'vm1');
  assert.ok(view.statuses?.some((s) => s.code === 'PowerState/running'));
});

test('after a clean stop and restart a running VM runs again with its guest booted; deletions persist too', async () => {
  const dataDir = await tempDir();
  const first = emulator({ dataDir });
  await first.ready;
  const c = clients(first.endpoint, first.caPem);
  const rg = 'rg-run';
  await c.resources.resourceGroups.createOrUpdate(rg, { location: LOC });
  const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, 'vnet', {
    location: LOC,
    addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
    subnets: [{ name: 'default', addressPrefix: '10.1.0.0/24' }],
  });
  const nic = await c.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, 'nic', {
    location: LOC,
    ipConfigurations: [{ name: 'ipc', subnet: { id: vnet.subnets![0]!.id } }],
  });
  await c.compute.virtualMachines.beginCreateOrUpdateAndWait(rg, 'vm', vmParameters(nic.id!));
  await first.dispose(); // a clean stop keeps everything too

  const boots: GuestInfo[] = [];
  const second = emulator({
    dataDir,
    onGuestBoot: (g) => {
      boots.push(g);
      return { stop: () => Promise.resolve() };
    },
  });
  await second.ready;
  assert.equal(boots.length, 1);
  assert.equal(boots[0]!.vmName, 'vm');
  assert.equal(boots[0]!.privateIp, '10.1.0.4');
  const c2 = clients(second.endpoint, second.caPem);
  const view = await c2.compute.virtualMachines.instanceView(rg, 'vm');
  assert.ok(view.statuses?.some((s) => s.code === 'PowerState/running'));
  // Deleting the group after the restart cascades as before, and that is persisted as well.
  await c2.resources.resourceGroups.beginDeleteAndWait(rg);
  await second.dispose();
  const third = emulator({ dataDir });
  await third.ready;
  assert.equal(
    await clients(third.endpoint, third.caPem)
      .resources.resourceGroups.checkExistence(rg)
      .then((r) => r.body),
    false,
  );
});

test('a corrupt or unreadable state file stops the start with a clear error and is left as it was', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"version":1,"resources":[', /ARM_STATE_CORRUPT|not valid JSON/],
    [
      'a field of the wrong type',
      JSON.stringify({
        version: 1,
        savedAt: 'x',
        port: 0,
        resourceGroups: [],
        resources: [{ subscriptionId: SUB, resourceGroup: 'rg', type: 'T', name: 5, location: LOC }],
        operations: [],
      }),
      /invalid at 'resources\.0\.name'/,
    ],
    ['an empty file', '', /not valid JSON/],
    ['a newer version', JSON.stringify({ version: 99 }), /version 99/],
  ];
  for (const [what, text, message] of cases) {
    const dataDir = await tempDir();
    const file = join(dataDir, 'arm-emulator', 'state.json');
    await mkdir(join(dataDir, 'arm-emulator'));
    await writeFile(file, text);
    const arm = emulator({ dataDir });
    await assert.rejects(arm.ready, (e: Error & { code?: string }) => {
      assert.match(e.code ?? '', /^ARM_STATE_(CORRUPT|VERSION)$/, what);
      assert.match(e.message, message, what);
      assert.ok(e.message.includes(file), `${what}: the message names the file`);
      return true;
    });
    await arm.dispose();
    assert.equal(await readFile(file, 'utf8'), text, `${what}: the file is not overwritten`);
    // Deleting the file is the way out: the next start is empty and works.
    await rm(file);
    const fresh = emulator({ dataDir });
    await fresh.ready;
    await fresh.dispose();
  }
});

test('data dirs are never shared: a second live emulator on the same dir is refused, different dirs are independent', async () => {
  const [a, b] = [await tempDir(), await tempDir()];
  const one = emulator({ dataDir: a });
  const other = emulator({ dataDir: b });
  await Promise.all([one.ready, other.ready]);
  assert.notEqual(one.caPem, other.caPem);
  const twin = emulator({ dataDir: a });
  await assert.rejects(twin.ready, { code: 'ARM_DATA_DIR_IN_USE' });
  await clients(one.endpoint, one.caPem).resources.resourceGroups.createOrUpdate('only-in-a', {
    location: LOC,
  });
  const inB = await clients(other.endpoint, other.caPem).resources.resourceGroups.checkExistence('only-in-a');
  assert.equal(inB.body, false);
  assert.equal(one.stateDir, join(a, 'arm-emulator'));
  assert.deepEqual((await readdir(b, { recursive: true })).sort(), [
    'arm-ca.pem',
    'arm-emulator',
    join('arm-emulator', 'ca.key'),
    join('arm-emulator', 'ca.pem'),
    join('arm-emulator', 'lock'),
    join('arm-emulator', 'server.key'),
    join('arm-emulator', 'server.pem'),
    join('arm-emulator', 'state.json'),
  ]);
});

test('persist: false keeps nothing; a taken last port gives a new one', async () => {
  const dataDir = await tempDir();
  const volatile = emulator({ dataDir, persist: false });
  await volatile.ready;
  assert.equal(volatile.stateDir, undefined);
  await volatile.dispose();
  assert.deepEqual(await readdir(dataDir), ['arm-ca.pem']);

  const first = emulator({ dataDir });
  await first.ready;
  const port = Number(new URL(first.endpoint).port);
  await first.dispose();
  const squatter = createServer();
  await new Promise<void>((ok) => squatter.listen(port, '127.0.0.1', ok));
  cleanups.push(() => new Promise((ok) => squatter.close(ok)));
  const second = emulator({ dataDir });
  await second.ready;
  assert.notEqual(second.endpoint, first.endpoint);
  assert.equal(second.caPem, first.caPem);
});

test('bursts of changes are written once, atomically', async () => {
  const dir = await tempDir();
  let snapshots = 0;
  const store = new StateStore(
    dir,
    () => {
      snapshots++;
      return { version: 1, savedAt: '', port: snapshots, resourceGroups: [], resources: [], operations: [] };
    },
    (e) => assert.fail(String(e)),
  );
  assert.equal(await store.open(), undefined);
  for (let i = 0; i < 100; i++) store.changed();
  await store.persist();
  assert.equal(snapshots, 1, '100 changes in one tick cost one write');
  store.changed();
  await Promise.all([store.persist(), store.persist()]);
  assert.equal(snapshots, 2);
  await store.persist(); // nothing pending: no write
  assert.equal(snapshots, 2);
  assert.deepEqual((await readdir(dir)).sort(), ['lock', 'state.json']);
  assert.equal((JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { port: number }).port, 2);
  await store.close();
  assert.deepEqual(await readdir(dir), ['state.json']);
});
