// Starts an in-process ARM emulator (CA in a temp dir, short LROs) and the real SDK clients against it.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';

import { ArmEmulator, type ArmEmulatorOptions } from '../../arm';

/** The repository's root (the standalone emulator and the scripts run from there). */
export const repoRoot = join(__dirname, '..', '..', '..');

/** A credential that always offers the same bearer token (the emulator takes any). */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000, tokenType: 'Bearer' }),
  };
}

export const SUB = '00000000-0000-4000-8000-000000000001';
export const LOC = 'westeurope';

export interface Harness {
  arm: ArmEmulator;
  resources: ResourceManagementClient;
  network: NetworkManagementClient;
  compute: ComputeManagementClient;
  dispose(): Promise<void>;
}

export function sdkOptions(arm: ArmEmulator, extra: Record<string, unknown> = {}) {
  return { endpoint: arm.endpoint, tlsOptions: { ca: arm.caPem }, ...extra };
}

export async function startHarness(
  options: ArmEmulatorOptions = {},
  credential: TokenCredential = staticTokenCredential('local-test-token'),
  clientExtra: Record<string, unknown> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'arm-test-'));
  const arm = new ArmEmulator({
    dataDir: dir,
    lroMs: 50,
    publicIpDelayMs: 20,
    onError: () => undefined,
    ...options,
  });
  await arm.ready;
  const o = sdkOptions(arm, clientExtra);
  return {
    arm,
    resources: new ResourceManagementClient(credential, SUB, o),
    network: new NetworkManagementClient(credential, SUB, o),
    compute: new ComputeManagementClient(credential, SUB, o),
    async dispose() {
      await arm.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} test@local`;
}

export const rgId = (rg: string) => `/subscriptions/${SUB}/resourceGroups/${rg}`;

/** Creates RG, VNet+subnet, NSG, Standard static IP and NIC; returns their ids. */
export async function createNetwork(h: Harness, rg: string, name = 'vm1') {
  await h.resources.resourceGroups.createOrUpdate(rg, { location: LOC, tags: { app: 'vm-journal' } });
  const [vnet, nsg, pip] = await Promise.all([
    h.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, `${name}-vnet`, {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }],
    }),
    h.network.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, `${name}-nsg`, {
      location: LOC,
      securityRules: [
        {
          name: 'ssh',
          priority: 1000,
          direction: 'Inbound',
          access: 'Allow',
          protocol: 'Tcp',
          sourceAddressPrefix: '203.0.113.0/24',
          sourcePortRange: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: '22',
        },
      ],
    }),
    h.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, `${name}-ip`, {
      location: LOC,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
    }),
  ]);
  const nic = await h.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, `${name}-nic`, {
    location: LOC,
    networkSecurityGroup: { id: nsg.id },
    ipConfigurations: [
      {
        name: 'ipconfig1',
        subnet: { id: vnet.subnets![0]!.id },
        publicIPAddress: { id: pip.id, deleteOption: 'Delete' },
      },
    ],
  });
  return { vnet, nsg, pip, nic };
}

export function vmParameters(
  nicId: string,
  overrides: { customData?: string; vmSize?: string; computerName?: string } = {},
) {
  return {
    location: LOC,
    hardwareProfile: { vmSize: overrides.vmSize ?? 'Standard_B2s' },
    storageProfile: {
      imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
      osDisk: {
        createOption: 'FromImage',
        managedDisk: { storageAccountType: 'StandardSSD_LRS' },
        deleteOption: 'Delete',
      },
    },
    osProfile: {
      computerName: overrides.computerName ?? 'vm1',
      adminUsername: 'azureuser',
      customData:
        overrides.customData ?? Buffer.from('#cloud-config\nruncmd: [echo hi]\n').toString('base64'),
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: sshPublicKey() }] },
      },
    },
    networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' as const }] },
  };
}
