// The ARM calls for one VM, each small and idempotent (PUTs of a fixed desired state, safe to repeat):
// the resource group, the network (VNet/subnet, NSG, Standard static public IP) in parallel, the NIC,
// the VM (SSH only, customData cloud-init), the VM actions (power, redeploy), the IP read, and deletion of the group.
import type { Services } from '../services';
import { resourceNames, VM_TAG } from '../vms/names';
import type { VmAction } from '../vms/operations';
import type { VmSpec } from '../vms/record';
import { armCall, beginV2, beginV3, type LroStatus } from './lro';

export const ADMIN_USERNAME = 'azureuser';
const VNET_PREFIX = '10.0.0.0/16';
const SUBNET_PREFIX = '10.0.0.0/24';

const tags = (spec: VmSpec) => ({ [VM_TAG]: spec.name });
const target = (spec: VmSpec, name: string) => ({ resourceGroup: spec.resourceGroup, name });

function networkId(services: Services, spec: VmSpec, type: string, name: string): string {
  const sub = services.config.AZURE_SUBSCRIPTION_ID;
  return `/subscriptions/${sub}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.Network/${type}/${name}`;
}

/** Creates or updates the VM's resource group (synchronous in ARM). */
export async function ensureResourceGroup(services: Services, spec: VmSpec): Promise<void> {
  const { resources } = await services.arm();
  await armCall(() =>
    resources.resourceGroups.createOrUpdate(spec.resourceGroup, { location: spec.region, tags: tags(spec) }),
  );
}

export async function beginVirtualNetwork(services: Services, spec: VmSpec): Promise<LroStatus> {
  const { network } = await services.arm();
  const n = resourceNames(spec.name);
  return beginV2('virtualNetwork', { resourceGroup: spec.resourceGroup, name: n.virtualNetwork }, (o) =>
    network.virtualNetworks.beginCreateOrUpdate(
      spec.resourceGroup,
      n.virtualNetwork,
      {
        location: spec.region,
        tags: tags(spec),
        addressSpace: { addressPrefixes: [VNET_PREFIX] },
        subnets: [{ name: n.subnet, addressPrefix: SUBNET_PREFIX }],
      },
      o,
    ),
  );
}

/** Inbound SSH only from VM_SSH_SOURCE_CIDR; with no CIDR set, no inbound rule at all. */
export function securityRules(sshSourceCidr: string | undefined) {
  if (!sshSourceCidr) return [];
  return [
    {
      name: 'allow-ssh',
      protocol: 'Tcp' as const,
      sourceAddressPrefix: sshSourceCidr,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: '22',
      access: 'Allow' as const,
      priority: 1000,
      direction: 'Inbound' as const,
    },
  ];
}

export async function beginNetworkSecurityGroup(services: Services, spec: VmSpec): Promise<LroStatus> {
  const { network } = await services.arm();
  const cidr = services.config.VM_SSH_SOURCE_CIDR;
  return beginV2('networkSecurityGroup', target(spec, resourceNames(spec.name).networkSecurityGroup), (o) =>
    network.networkSecurityGroups.beginCreateOrUpdate(
      spec.resourceGroup,
      resourceNames(spec.name).networkSecurityGroup,
      { location: spec.region, tags: tags(spec), securityRules: securityRules(cidr) },
      o,
    ),
  );
}

export async function beginPublicIp(services: Services, spec: VmSpec): Promise<LroStatus> {
  const { network } = await services.arm();
  return beginV2('publicIp', target(spec, resourceNames(spec.name).publicIp), (o) =>
    network.publicIPAddresses.beginCreateOrUpdate(
      spec.resourceGroup,
      resourceNames(spec.name).publicIp,
      {
        location: spec.region,
        tags: tags(spec),
        sku: { name: 'Standard', tier: 'Regional' },
        publicIPAllocationMethod: 'Static',
        publicIPAddressVersion: 'IPv4',
      },
      o,
    ),
  );
}

export async function beginNetworkInterface(services: Services, spec: VmSpec): Promise<LroStatus> {
  const { network } = await services.arm();
  const n = resourceNames(spec.name);
  return beginV2('networkInterface', target(spec, n.networkInterface), (o) =>
    network.networkInterfaces.beginCreateOrUpdate(
      spec.resourceGroup,
      n.networkInterface,
      {
        location: spec.region,
        tags: tags(spec),
        networkSecurityGroup: {
          id: networkId(services, spec, 'networkSecurityGroups', n.networkSecurityGroup),
        },
        ipConfigurations: [
          {
            name: 'ipconfig1',
            primary: true,
            privateIPAllocationMethod: 'Dynamic',
            subnet: {
              id: `${networkId(services, spec, 'virtualNetworks', n.virtualNetwork)}/subnets/${n.subnet}`,
            },
            publicIPAddress: { id: networkId(services, spec, 'publicIPAddresses', n.publicIp) },
          },
        ],
      },
      o,
    ),
  );
}

/** The VM: SSH keys only (no password), OS disk and NIC deleted with it, cloud-init in customData. */
export function virtualMachineParameters(services: Services, spec: VmSpec, customDataBase64: string) {
  const n = resourceNames(spec.name);
  const [publisher, offer, sku, version] = spec.image.split(':');
  return {
    location: spec.region,
    tags: tags(spec),
    hardwareProfile: { vmSize: spec.vmSize },
    storageProfile: {
      imageReference: { publisher, offer, sku, version },
      osDisk: {
        name: n.osDisk,
        createOption: 'FromImage' as const,
        deleteOption: 'Delete' as const,
        diskSizeGB: spec.diskGiB,
        managedDisk: { storageAccountType: 'StandardSSD_LRS' as const },
      },
    },
    osProfile: {
      computerName: n.computerName,
      adminUsername: spec.adminUsername,
      customData: customDataBase64,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: {
          publicKeys: [
            { path: `/home/${spec.adminUsername}/.ssh/authorized_keys`, keyData: spec.sshPublicKey },
          ],
        },
      },
    },
    networkProfile: {
      networkInterfaces: [
        {
          id: networkId(services, spec, 'networkInterfaces', n.networkInterface),
          primary: true,
          deleteOption: 'Delete' as const,
        },
      ],
    },
  };
}

export async function beginVirtualMachine(
  services: Services,
  spec: VmSpec,
  customDataBase64: string,
): Promise<LroStatus> {
  const { compute } = await services.arm();
  return beginV3('virtualMachine', target(spec, spec.name), (o) =>
    compute.virtualMachines.createOrUpdate(
      spec.resourceGroup,
      spec.name,
      virtualMachineParameters(services, spec, customDataBase64),
      o,
    ),
  );
}

/** A VM action (operations.ts): one POST, an LRO. */
export async function beginVmAction(services: Services, spec: VmSpec, op: VmAction): Promise<LroStatus> {
  const { compute } = await services.arm();
  const vms = compute.virtualMachines;
  return beginV3(op, target(spec, spec.name), (o) => vms[op](spec.resourceGroup, spec.name, o));
}

/** Deletes the resource group and everything in it; a group that does not exist is already gone. */
export async function beginDeleteResourceGroup(services: Services, spec: VmSpec): Promise<LroStatus> {
  const { resources } = await services.arm();
  const r = await beginV2('deleteResourceGroup', target(spec, spec.resourceGroup), (o) =>
    resources.resourceGroups.beginDelete(spec.resourceGroup, o),
  );
  return r.status === 'failed' && r.error.code === 'ResourceGroupNotFound'
    ? { status: 'succeeded', kind: r.kind }
    : r;
}

export interface Addresses {
  publicIp: string | null;
  privateIp: string | null;
}

/** The VM's public (once allocated) and private addresses. */
export async function readAddresses(services: Services, spec: VmSpec): Promise<Addresses> {
  const { network } = await services.arm();
  const n = resourceNames(spec.name);
  const [pip, nic] = await Promise.all([
    armCall(() => network.publicIPAddresses.get(spec.resourceGroup, n.publicIp)),
    armCall(() => network.networkInterfaces.get(spec.resourceGroup, n.networkInterface)),
  ]);
  return {
    publicIp: pip.ipAddress ?? null,
    privateIp: nic.ipConfigurations?.[0]?.privateIPAddress ?? null,
  };
}
