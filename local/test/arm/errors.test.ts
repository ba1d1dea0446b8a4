// Every ARM error the emulator models, as the real SDK clients see it.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';

import { NetworkManagementClient } from '@azure/arm-network';
import type { RestError } from '@azure/core-rest-pipeline';

import {
  createNetwork,
  type Harness,
  LOC,
  rgId,
  sdkOptions,
  startHarness,
  SUB,
  vmParameters,
} from './helpers';

let h: Harness;
let nicId: string;
let subnetId: string;
const RG = 'vmj-errors';

before(async () => {
  h = await startHarness();
  const n = await createNetwork(h, RG);
  nicId = n.nic.id!;
  subnetId = n.vnet.subnets![0]!.id!;
});
after(() => h.dispose());

async function armError(p: Promise<unknown>): Promise<{ status?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const r = e as RestError;
    return { status: r.statusCode, code: r.code, message: r.message };
  }
  assert.fail('expected an ARM error');
}

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${h.arm.endpoint}${path}`, { method, ca: h.arm.caPem, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

const auth = { authorization: 'Bearer t' };

test('a new Basic SKU public IP is refused, and Standard must be Static', async () => {
  const basic = await armError(
    h.network.publicIPAddresses.beginCreateOrUpdateAndWait(RG, 'basic', {
      location: LOC,
      sku: { name: 'Basic' },
    }),
  );
  assert.deepEqual([basic.status, basic.code], [400, 'IPv4BasicSkuPublicIpCountLimitReached']);
  const noSku = await armError(
    h.network.publicIPAddresses.beginCreateOrUpdateAndWait(RG, 'nosku', { location: LOC }),
  );
  assert.equal(noSku.code, 'IPv4BasicSkuPublicIpCountLimitReached', 'the API still defaults to Basic');
  const dyn = await armError(
    h.network.publicIPAddresses.beginCreateOrUpdateAndWait(RG, 'dyn', {
      location: LOC,
      sku: { name: 'Standard' },
      publicIPAllocationMethod: 'Dynamic',
    }),
  );
  assert.deepEqual([dyn.status, dyn.code], [400, 'StandardSkuPublicIPAddressesMustBeStatic']);
});

test('a NIC referencing a missing subnet is refused', async () => {
  const e = await armError(
    h.network.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'nic-x', {
      location: LOC,
      ipConfigurations: [{ name: 'ip', subnet: { id: subnetId.replace(/default$/, 'nope') } }],
    }),
  );
  assert.deepEqual([e.status, e.code], [400, 'InvalidResourceReference']);
  assert.match(e.message, /nope/);
});

test('a NIC serves one VM; a NIC in use cannot be deleted; a subnet in use cannot be dropped', async () => {
  await h.compute.virtualMachines.createOrUpdate(RG, 'vm-a', vmParameters(nicId, { computerName: 'vm-a' }));
  const second = await armError(
    h.compute.virtualMachines.createOrUpdate(RG, 'vm-b', vmParameters(nicId, { computerName: 'vm-b' })),
  );
  assert.deepEqual([second.status, second.code], [400, 'NicInUse']);
  const del = await armError(h.network.networkInterfaces.beginDeleteAndWait(RG, 'vm1-nic'));
  assert.deepEqual([del.status, del.code], [400, 'NicInUse']);
  const sub = await armError(h.network.subnets.beginDeleteAndWait(RG, 'vm1-vnet', 'default'));
  assert.deepEqual([sub.status, sub.code], [400, 'InUseSubnetCannotBeDeleted']);
  const pip = await armError(h.network.publicIPAddresses.beginDeleteAndWait(RG, 'vm1-ip'));
  assert.deepEqual([pip.status, pip.code], [400, 'PublicIPAddressCannotBeDeleted']);
});

test('VM validation: size, name, computer name, customData, SSH, image, missing NIC', async () => {
  const cases: Array<[string, string, object, number, string, RegExp?]> = [
    [
      'unknown size',
      'vm-size',
      { hardwareProfile: { vmSize: 'Standard_Nope' } },
      400,
      'InvalidParameter',
      /VM size/,
    ],
    [
      'restricted size',
      'vm-size2',
      { hardwareProfile: { vmSize: 'Standard_F2s_v2' } },
      409,
      'SkuNotAvailable',
    ],
    ['bad name', 'bad_name-', {}, 400, 'InvalidParameter', /vmName/],
  ];
  for (const [what, name, override, status, code, msg] of cases) {
    const e = await armError(
      h.compute.virtualMachines.createOrUpdate(RG, name, { ...vmParameters(nicId), ...override }),
    );
    assert.deepEqual([e.status, e.code], [status, code], what);
    if (msg) assert.match(e.message, msg, what);
  }
  const base = vmParameters(nicId);
  const withOs = (os: object) => ({ ...base, osProfile: { ...base.osProfile, ...os } });
  const osCases: Array<[string, object, RegExp]> = [
    ['customData not base64', { customData: 'not base64!' }, /Base64/],
    ['customData too long', { customData: 'A'.repeat(87384) }, /87380/],
    ['computer name', { computerName: 'bad_name!' }, /host name/],
    ['reserved admin', { adminUsername: 'root' }, /Admin Username/],
    [
      'ssh key path',
      {
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: {
            publicKeys: [
              {
                path: '/root/.ssh/authorized_keys',
                keyData: base.osProfile.linuxConfiguration.ssh.publicKeys[0]!.keyData,
              },
            ],
          },
        },
      },
      /Destination path/,
    ],
    [
      'bad ssh key',
      {
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: 'ssh-rsa AAAA' }] },
        },
      },
      /keyData/,
    ],
    ['no key, no password', { linuxConfiguration: { disablePasswordAuthentication: true } }, /SSH/],
  ];
  for (const [what, os, msg] of osCases) {
    const e = await armError(h.compute.virtualMachines.createOrUpdate(RG, 'vm-c', withOs(os)));
    assert.deepEqual([e.status, e.code], [400, 'InvalidParameter'], what);
    assert.match(e.message, msg, what);
  }
  const image = await armError(
    h.compute.virtualMachines.createOrUpdate(RG, 'vm-c', {
      ...base,
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'nope', sku: 'x', version: 'latest' },
      },
    }),
  );
  assert.deepEqual([image.status, image.code], [404, 'PlatformImageNotFound']);
  const missingNic = await armError(
    h.compute.virtualMachines.createOrUpdate(RG, 'vm-c', vmParameters(nicId.replace(/vm1-nic$/, 'ghost'))),
  );
  assert.deepEqual([missingNic.status, missingNic.code], [400, 'InvalidResourceReference']);
});

test('not found: resource group, resource', async () => {
  const g = await armError(h.resources.resourceGroups.get('vmj-none'));
  assert.deepEqual([g.status, g.code], [404, 'ResourceGroupNotFound']);
  const r = await armError(h.network.virtualNetworks.get(RG, 'none'));
  assert.deepEqual([r.status, r.code], [404, 'ResourceNotFound']);
  const inMissing = await armError(
    h.network.virtualNetworks.beginCreateOrUpdateAndWait('vmj-none', 'vn', {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
    }),
  );
  assert.deepEqual([inMissing.status, inMissing.code], [404, 'ResourceGroupNotFound']);
});

test('401 InvalidAuthenticationToken without a bearer token (raw and through the SDK)', async () => {
  const res = await raw('GET', `${rgId(RG)}?api-version=2025-04-01`);
  assert.equal(res.status, 401);
  assert.equal(
    (JSON.parse(res.body) as { error: { code: string } }).error.code,
    'InvalidAuthenticationToken',
  );
  const empty = { getToken: () => Promise.resolve({ token: '', expiresOnTimestamp: Date.now() + 60_000 }) };
  const client = new NetworkManagementClient(empty, SUB, sdkOptions(h.arm));
  const e = await armError(client.virtualNetworks.get(RG, 'vm1-vnet'));
  assert.deepEqual([e.status, e.code], [401, 'InvalidAuthenticationToken']);
});

test('unknown or missing api-version, malformed and oversized bodies', async () => {
  const bad = await raw('GET', `${rgId(RG)}?api-version=2099-01-01`, auth);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /InvalidApiVersionParameter.*2025-04-01/);
  const missing = await raw('GET', rgId(RG), auth);
  assert.equal(missing.status, 400);
  assert.match(missing.body, /MissingApiVersionParameter/);
  const path = `${rgId(RG)}/providers/Microsoft.Network/virtualNetworks/vn?api-version=2025-05-01`;
  for (const body of ['{not json', '[1,2]', '\u0000\u0001binary', '"str"']) {
    const r = await raw('PUT', path, { ...auth, 'content-type': 'application/json' }, body);
    assert.equal(r.status, 400, body);
    assert.match(r.body, /InvalidRequestContent/);
  }
  const shape = await raw(
    'PUT',
    path,
    { ...auth, 'content-type': 'application/json' },
    JSON.stringify({ location: LOC, properties: { addressSpace: 'x' } }),
  );
  assert.equal(shape.status, 400);
  assert.match(shape.body, /addressSpace/);
  const big = await raw(
    'PUT',
    path,
    { ...auth, 'content-type': 'application/json' },
    Buffer.alloc(5 * 1024 * 1024, 32),
  );
  assert.equal(big.status, 413);
  const unknownType = await raw(
    'GET',
    `${rgId(RG)}/providers/Microsoft.Foo/bars/x?api-version=2025-05-01`,
    auth,
  );
  assert.equal(unknownType.status, 400);
});

test('a reference to a resource still provisioning is refused', async (t) => {
  const slow = await startHarness({ lroMs: 5000 });
  t.after(() => slow.dispose());
  await slow.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
  const put = await rawOn(
    slow,
    'PUT',
    `${rgId(RG)}/providers/Microsoft.Network/virtualNetworks/vn?api-version=2025-05-01`,
    {
      location: LOC,
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/24' } }],
      },
    },
  );
  assert.equal(put, 201);
  const e = await armError(
    slow.network.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'nic-slow', {
      location: LOC,
      ipConfigurations: [
        {
          name: 'ip',
          subnet: { id: `${rgId(RG)}/providers/Microsoft.Network/virtualNetworks/vn/subnets/default` },
        },
      ],
    }),
  );
  assert.deepEqual([e.status, e.code], [400, 'ReferencedResourceNotProvisioned']);
});

function rawOn(harness: Harness, method: string, path: string, body: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${harness.arm.endpoint}${path}`,
      { method, ca: harness.arm.caPem, headers: { ...auth, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
