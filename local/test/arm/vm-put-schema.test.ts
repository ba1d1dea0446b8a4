// The VM PUT schema on its own (no server): each property's shape and per-value rule at its edges, with
// ARM's status, code, message and target, and the first fault in document order winning.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ArmError } from '../../arm/errors';
import { parseVmPutBody } from '../../arm/resources/vm-put';

const NIC = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are edited freely, as a client could send them
type Props = Record<string, any>;
type Body = { properties: Props };

function valid(): Body {
  return {
    properties: {
      hardwareProfile: { vmSize: 'Standard_B2s' },
      storageProfile: {
        imageReference: {
          publisher: 'Canonical',
          offer: 'ubuntu-24_04-lts',
          sku: 'server',
          version: 'latest',
        },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'StandardSSD_LRS' } },
      },
      osProfile: { computerName: 'vm1', adminUsername: 'azureuser', adminPassword: 'Passw0rd!' },
      networkProfile: { networkInterfaces: [{ id: NIC }] },
    },
  };
}

function edit(change: (p: Props) => void): Body {
  const body = valid();
  change(body.properties);
  return body;
}

function refused(body: unknown): { status: number; code: string; message: string; target?: string } {
  try {
    parseVmPutBody(body);
  } catch (e) {
    assert.ok(e instanceof ArmError, String(e));
    return { status: e.status, code: e.code, message: e.message, ...(e.target ? { target: e.target } : {}) };
  }
  assert.fail('expected the body to be refused');
}

const required = (target: string) => ({
  status: 400,
  code: 'InvalidParameter',
  message: `Required parameter '${target}' is missing (null).`,
  target,
});

const wrongType = (at: string, what: string) => ({
  status: 400,
  code: 'InvalidRequestContent',
  message: `The request content was invalid: '${at}' must be ${what}.`,
});

test('a valid body parses; null is an absent property', () => {
  assert.equal(parseVmPutBody(valid()).properties.hardwareProfile.vmSize, 'Standard_B2s');
  const body = edit((p) => {
    p.storageProfile.osDisk = null;
    p.osProfile.computerName = null;
  });
  assert.equal(parseVmPutBody(body).properties.storageProfile.osDisk, null);
});

test('required properties: missing, null or empty are answered with the property ARM names', () => {
  assert.deepEqual(refused({}), required('properties'));
  assert.deepEqual(refused({ properties: null }), required('properties'));
  for (const hw of [undefined, null, {}, { vmSize: '' }, { vmSize: null }]) {
    assert.deepEqual(
      refused(edit((p) => (p.hardwareProfile = hw))),
      required('hardwareProfile.vmSize'),
      JSON.stringify(hw),
    );
  }
  assert.deepEqual(refused(edit((p) => delete p.storageProfile)), required('storageProfile.imageReference'));
  assert.deepEqual(
    refused(edit((p) => (p.storageProfile.imageReference = null))),
    required('storageProfile.imageReference'),
  );
  assert.deepEqual(refused(edit((p) => delete p.osProfile)), required('osProfile'));
  assert.deepEqual(refused(edit((p) => (p.osProfile.adminUsername = ''))), required('adminUsername'));
  for (const np of [undefined, {}, { networkInterfaces: [] }, { networkInterfaces: null }]) {
    assert.deepEqual(
      refused(edit((p) => (p.networkProfile = np))),
      required('networkProfile'),
      JSON.stringify(np),
    );
  }
  assert.deepEqual(
    refused(edit((p) => p.networkProfile.networkInterfaces.push({ id: '' }))),
    required('networkProfile.networkInterfaces[1].id'),
  );
});

test('a wrong type is InvalidRequestContent naming the property path', () => {
  assert.deepEqual(refused({ properties: 'x' }), wrongType('properties', 'an object'));
  assert.deepEqual(
    refused(edit((p) => (p.storageProfile.osDisk = 'x'))),
    wrongType('properties.storageProfile.osDisk', 'an object'),
  );
  assert.deepEqual(
    refused(edit((p) => (p.storageProfile.osDisk = []))),
    wrongType('properties.storageProfile.osDisk', 'an object'),
  );
  assert.deepEqual(
    refused(edit((p) => (p.storageProfile.imageReference.publisher = 5))),
    wrongType('properties.storageProfile.imageReference.publisher', 'a string'),
  );
  assert.deepEqual(
    refused(edit((p) => (p.networkProfile.networkInterfaces = { id: NIC }))),
    wrongType('properties.networkProfile.networkInterfaces', 'an array'),
  );
  assert.deepEqual(
    refused(edit((p) => (p.networkProfile.networkInterfaces[0].id = 7))),
    wrongType('properties.networkProfile.networkInterfaces[0].id', 'a string'),
  );
  // ARM names these without their full path.
  assert.deepEqual(
    refused(edit((p) => (p.storageProfile.osDisk.managedDisk.storageAccountType = 1))),
    wrongType('osDisk.managedDisk.storageAccountType', 'a string'),
  );
  assert.deepEqual(
    refused(
      edit((p) => (p.osProfile.linuxConfiguration = { ssh: { publicKeys: [{ path: 1, keyData: 'k' }] } })),
    ),
    wrongType('linuxConfiguration.ssh.publicKeys.path', 'a string'),
  );
});

test('array items that are not objects are InvalidParameter (null included)', () => {
  for (const bad of [null, 5, 'x', []]) {
    assert.deepEqual(
      refused(edit((p) => p.networkProfile.networkInterfaces.push(bad))),
      {
        status: 400,
        code: 'InvalidParameter',
        message: "'properties.networkProfile.networkInterfaces[1]' must be an object.",
        target: 'properties.networkProfile.networkInterfaces[1]',
      },
      JSON.stringify(bad),
    );
    assert.deepEqual(
      refused(edit((p) => (p.osProfile.linuxConfiguration = { ssh: { publicKeys: [bad] } }))),
      {
        status: 400,
        code: 'InvalidParameter',
        message: 'Each SSH public key must be an object.',
        target: 'linuxConfiguration.ssh.publicKeys',
      },
      JSON.stringify(bad),
    );
  }
  // A NIC reference's properties that are not an object are ignored, as ARM does.
  const body = edit((p) => (p.networkProfile.networkInterfaces[0].properties = 'x'));
  assert.deepEqual(parseVmPutBody(body).properties.networkProfile.networkInterfaces[0]!.properties, {});
});

test('OS disk size: an integer from 30 to 4095 GB', () => {
  const size = (v: unknown) => edit((p) => (p.storageProfile.osDisk.diskSizeGB = v));
  for (const ok of [30, 4095, null]) assert.ok(parseVmPutBody(size(ok)), String(ok));
  for (const bad of [29, 4096, 30.5, '30', true]) {
    assert.deepEqual(
      refused(size(bad)),
      {
        status: 400,
        code: 'InvalidParameter',
        message: 'The disk size must be an integer from 30 (the image size) to 4095 GB.',
        target: 'osDisk.diskSizeGB',
      },
      String(bad),
    );
  }
});

test('OS disk name, create option, storage account type and delete options', () => {
  const disk = (change: (d: Record<string, unknown>) => void) =>
    edit((p) => change(p.storageProfile.osDisk as Record<string, unknown>));
  assert.ok(parseVmPutBody(disk((d) => (d.name = 'a'.repeat(80)))));
  for (const bad of ['a'.repeat(81), '', 'a.b']) {
    assert.deepEqual(refused(disk((d) => (d.name = bad))).target, 'osDisk.name', bad);
  }
  assert.ok(parseVmPutBody(disk((d) => (d.createOption = 'fromimage'))));
  assert.deepEqual(refused(disk((d) => (d.createOption = 'Attach'))), {
    status: 400,
    code: 'InvalidParameter',
    message: 'Only createOption FromImage is supported, got Attach.',
    target: 'osDisk.createOption',
  });
  assert.deepEqual(refused(disk((d) => (d.managedDisk = { storageAccountType: 'UltraSSD_LRS' }))), {
    status: 400,
    code: 'InvalidParameter',
    message: 'Storage account type UltraSSD_LRS is not valid.',
    target: 'osDisk.managedDisk.storageAccountType',
  });
  assert.deepEqual(refused(disk((d) => (d.deleteOption = 'delete'))), {
    status: 400,
    code: 'InvalidParameter',
    message: 'deleteOption delete is not valid (Delete or Detach).',
    target: 'osDisk.deleteOption',
  });
  assert.deepEqual(
    refused(edit((p) => (p.networkProfile.networkInterfaces[0].properties = { deleteOption: 'Keep' }))),
    {
      status: 400,
      code: 'InvalidParameter',
      message: 'deleteOption Keep is not valid (Delete or Detach).',
      target: 'properties.networkProfile.networkInterfaces[0].properties.deleteOption',
    },
  );
});

test('size, admin user name, computer name and customData rules at their edges', () => {
  assert.match(refused(edit((p) => (p.hardwareProfile.vmSize = 'Standard_Nope'))).message, /VM size/);
  const user = (name: string) => edit((p) => (p.osProfile.adminUsername = name));
  assert.ok(parseVmPutBody(user(`a${'b'.repeat(63)}`)));
  for (const bad of [`a${'b'.repeat(64)}`, 'Root', '1abc', 'a b']) {
    assert.deepEqual(refused(user(bad)).target, 'adminUsername', bad);
  }
  const host = (name: string) => edit((p) => (p.osProfile.computerName = name));
  assert.ok(parseVmPutBody(host('h'.repeat(64))));
  for (const bad of ['h'.repeat(65), 'a_b', '123', '-a', 'a.']) {
    assert.deepEqual(refused(host(bad)).target, 'computerName', bad);
  }
  const data = (v: unknown) => edit((p) => (p.osProfile.customData = v));
  assert.ok(parseVmPutBody(data('A'.repeat(87380))));
  // Of the wrong type too (an update used to ignore that).
  for (const bad of ['A'.repeat(87384), 'abc', 'ab!=', 5, {}]) {
    assert.deepEqual(refused(data(bad)).target, 'customData', JSON.stringify(bad).slice(0, 10));
  }
});

test('the first fault in document order is the one answered', () => {
  const body = edit((p) => {
    p.hardwareProfile.vmSize = 'Standard_Nope';
    p.storageProfile.osDisk.diskSizeGB = 1;
    delete p.osProfile;
  });
  assert.match(refused(body).message, /Standard_Nope/);
  delete body.properties.hardwareProfile;
  assert.deepEqual(refused(body), required('hardwareProfile.vmSize'));
  body.properties.hardwareProfile = { vmSize: 'Standard_B2s' };
  assert.equal(refused(body).target, 'osDisk.diskSizeGB');
});
