// Azure rules the emulator enforces as ARM does, and the app's choices that respect them: sizes that
// boot the image (Hyper-V generation, CPU architecture), per-type name limits, subscription-wide lists
// with nextLink paging, and resource provider registration.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RestError } from '@azure/core-rest-pipeline';

import { NAME_RULES, resourceNames } from '../../lib/vms/names';
import { bootsGen2X64, SIZE_PRESETS, type SkuInfo, smallestFittingSku } from '../../lib/vms/sizes';
import { createNetwork, type Harness, LOC, startHarness, vmParameters } from './helpers';

let h: Harness;
const skus: SkuInfo[] = [];

before(async () => {
  h = await startHarness({ pageSize: 2 });
  for await (const s of h.compute.resourceSkus.list({ filter: `location eq '${LOC}'` })) skus.push(s);
});
after(() => h.dispose());

const cap = (name: string, c: string) =>
  skus.find((s) => s.name === name)?.capabilities?.find((x) => x.name === c)?.value;

async function armError(
  p: Promise<unknown>,
): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RestError, String(e));
    return { statusCode: e.statusCode, code: e.code, message: e.message };
  }
  assert.fail('expected an ARM error');
}

describe('VM sizes and the image they boot', () => {
  test('the SKU list carries the real generation and architecture of each size', () => {
    assert.equal(cap('Standard_A2_v2', 'HyperVGenerations'), 'V1');
    assert.equal(cap('Standard_D2_v3', 'HyperVGenerations'), 'V1');
    assert.equal(cap('Standard_D2ps_v5', 'CpuArchitectureType'), 'Arm64');
    assert.equal(cap('Standard_B2ls_v2', 'HyperVGenerations'), 'V1,V2');
    assert.equal(cap('Standard_DC2as_v5', 'ConfidentialComputingType'), 'SNP');
  });

  test('a Gen1-only size, an Arm64 size or a confidential size refuses the Gen2 x64 Ubuntu image', async () => {
    const n = await createNetwork(h, 'vmj-sizes', 'sz');
    for (const [vmSize, pattern] of [
      ['Standard_A2_v2', /cannot boot Hypervisor Generation '2'/],
      ['Standard_D2_v3', /cannot boot Hypervisor Generation '2'/],
      ['Standard_D2ps_v5', /architecture 'Arm64'/],
      ['Standard_DC2as_v5', /confidential/],
    ] as const) {
      const e = await armError(
        h.compute.virtualMachines.beginCreateOrUpdateAndWait(
          'vmj-sizes',
          'sz',
          vmParameters(n.nic.id!, { vmSize }),
        ),
      );
      assert.equal(e.statusCode, 400, vmSize);
      assert.equal(e.code, 'BadRequest', vmSize);
      assert.match(e.message, pattern);
    }
    const gen1 = vmParameters(n.nic.id!, { vmSize: 'Standard_D2s_v5' });
    gen1.storageProfile.imageReference.sku = 'server-arm64';
    const arm = await armError(h.compute.virtualMachines.beginCreateOrUpdateAndWait('vmj-sizes', 'sz', gen1));
    assert.equal(arm.code, 'BadRequest');
    const ok = await h.compute.virtualMachines.beginCreateOrUpdateAndWait(
      'vmj-sizes',
      'sz',
      vmParameters(n.nic.id!, { vmSize: SIZE_PRESETS.small.vmSize, computerName: 'sz' }),
    );
    assert.equal(ok.provisioningState, 'Succeeded');
    await h.resources.resourceGroups.beginDeleteAndWait('vmj-sizes');
  });

  test('every size chosen by cpu/memoryGiB, and every preset, boots Gen2 x64', () => {
    for (const cpu of [1, 2, 4, 8]) {
      for (const memoryGiB of [0.5, 1, 2, 4, 6, 8, 16, 32]) {
        const chosen = smallestFittingSku(skus, LOC, { cpu, memoryGiB });
        if (!chosen) continue;
        const sku = skus.find((s) => s.name === chosen.vmSize)!;
        assert.ok(bootsGen2X64(sku), `${cpu} vCPU / ${memoryGiB} GiB → ${chosen.vmSize}`);
      }
    }
    assert.equal(smallestFittingSku(skus, LOC, { cpu: 2, memoryGiB: 4 })?.vmSize, 'Standard_B2ls_v2');
    assert.equal(smallestFittingSku(skus, LOC, { cpu: 2, memoryGiB: 1 })?.vmSize, 'Standard_B2ts_v2');
    for (const [preset, p] of Object.entries(SIZE_PRESETS)) {
      const sku = skus.find((s) => s.name === p.vmSize);
      assert.ok(sku && bootsGen2X64(sku), preset);
      assert.equal(cap(p.vmSize, 'vCPUs'), String(p.cpu));
      assert.equal(cap(p.vmSize, 'MemoryGB'), String(p.memoryGiB));
    }
    assert.ok(!SIZE_PRESETS.small.vmSize.match(/^Standard_B\d+m?s$/), 'not B-series v1');
  });
});

describe('resource names', () => {
  const vnet = (name: string) =>
    h.network.virtualNetworks.beginCreateOrUpdateAndWait('vmj-names', name, {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
    });

  test('a VNet name is 2–64 characters, other network names up to 80, with ARM error codes', async () => {
    await h.resources.resourceGroups.createOrUpdate('vmj-names', { location: LOC });
    assert.equal((await vnet('v'.repeat(64))).provisioningState, 'Succeeded');
    for (const bad of ['v'.repeat(65), 'x', 'ends-with-', '-starts', 'has space']) {
      const e = await armError(vnet(bad));
      assert.equal(e.statusCode, 400, bad);
      assert.equal(e.code, 'InvalidResourceName', bad);
    }
    const nsg = (name: string) =>
      h.network.networkSecurityGroups.beginCreateOrUpdateAndWait('vmj-names', name, { location: LOC });
    assert.equal((await nsg('n'.repeat(80))).provisioningState, 'Succeeded');
    assert.equal((await armError(nsg('n'.repeat(81)))).code, 'InvalidResourceName');
    const ip = (name: string) =>
      h.network.publicIPAddresses.beginCreateOrUpdateAndWait('vmj-names', name, {
        location: LOC,
        sku: { name: 'Standard' },
        publicIPAllocationMethod: 'Static',
      });
    assert.equal((await armError(ip('p'.repeat(81)))).code, 'InvalidResourceName');
    await h.resources.resourceGroups.beginDeleteAndWait('vmj-names');
  });

  test('an OS disk name outside 1–80 alphanumerics, _ and - is refused', async () => {
    const n = await createNetwork(h, 'vmj-disk', 'dk');
    for (const name of ['d'.repeat(81), 'has.period']) {
      const p = vmParameters(n.nic.id!, { vmSize: 'Standard_D2s_v5', computerName: 'dk' });
      const e = await armError(
        h.compute.virtualMachines.beginCreateOrUpdateAndWait('vmj-disk', 'dk', {
          ...p,
          storageProfile: { ...p.storageProfile, osDisk: { ...p.storageProfile.osDisk, name } },
        }),
      );
      assert.equal(e.code, 'InvalidParameter', name);
      assert.match(e.message, /osDisk\.name/);
    }
    await h.resources.resourceGroups.beginDeleteAndWait('vmj-disk');
  });

  test('the names derived from the longest VM name fit every type, and ARM takes them', async () => {
    const vmName = `a${'b'.repeat(61)}c`;
    const names = resourceNames(vmName);
    for (const [k, rule] of Object.entries(NAME_RULES)) {
      const v = names[k as keyof typeof names];
      assert.ok(v.length <= rule.max && rule.chars.test(v), `${k}: ${v}`);
    }
    assert.equal(resourceNames('web1').virtualNetwork, 'web1-vnet', 'short names keep their plain form');
    assert.notEqual(
      resourceNames(vmName).virtualNetwork,
      resourceNames(`${vmName.slice(0, -1)}d`).virtualNetwork,
    );
    const v = await h.resources.resourceGroups.createOrUpdate('vmj-long', { location: LOC });
    assert.ok(v.id);
    const created = await vnet2('vmj-long', names.virtualNetwork);
    assert.equal(created.provisioningState, 'Succeeded');
    await h.resources.resourceGroups.beginDeleteAndWait('vmj-long');
  });
  const vnet2 = (rg: string, name: string) =>
    h.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
    });
});

describe('subscription-wide and group lists page with nextLink', () => {
  test('listAll and list by group return every item across pages', async () => {
    const groups = ['vmj-l1', 'vmj-l2', 'vmj-l3'];
    for (const [i, rg] of groups.entries()) {
      const n = await createNetwork(h, rg, `l${i}`);
      await h.compute.virtualMachines.beginCreateOrUpdateAndWait(
        rg,
        `l${i}`,
        vmParameters(n.nic.id!, { vmSize: 'Standard_D2s_v5', computerName: `l${i}` }),
      );
    }
    const all = async <T extends { name?: string }>(it: AsyncIterable<T>) => {
      const out: string[] = [];
      for await (const x of it) out.push(x.name!);
      return out.sort();
    };
    assert.deepEqual(await all(h.compute.virtualMachines.listAll()), ['l0', 'l1', 'l2']);
    assert.deepEqual(await all(h.network.networkInterfaces.listAll()), ['l0-nic', 'l1-nic', 'l2-nic']);
    assert.deepEqual(await all(h.network.virtualNetworks.listAll()), ['l0-vnet', 'l1-vnet', 'l2-vnet']);
    assert.deepEqual(await all(h.network.publicIPAddresses.listAll()), ['l0-ip', 'l1-ip', 'l2-ip']);
    assert.deepEqual(await all(h.network.networkSecurityGroups.listAll()), ['l0-nsg', 'l1-nsg', 'l2-nsg']);
    assert.equal((await all(h.compute.disks.list())).length, 3);
    const rgs = await all(h.resources.resourceGroups.list());
    assert.ok(groups.every((g) => rgs.includes(g)));
    assert.equal((await all(h.resources.resources.listByResourceGroup('vmj-l1'))).length, 6);
    assert.equal((await all(h.resources.resources.list())).length, 18, 'az resource list: 3 groups × 6');
    // The pages were really split: more list GETs than lists.
    const gets = h.arm.operations().filter((o) => o.method === 'GET' && /virtualMachines$/.test(o.path));
    assert.equal(gets.length, 2, 'three VMs in pages of two');
    for (const rg of groups) await h.resources.resourceGroups.beginDeleteAndWait(rg);
  });
});
