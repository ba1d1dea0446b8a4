// Network interfaces: every referenced subnet, security group and public IP must exist, be provisioned
// and sit in the NIC's region; a public IP serves one NIC; private addresses are allocated from the
// subnet (or checked when static). The VM using a NIC is derived on read from the VMs' networkProfile.
import type { HandlerContext, World } from '../../context';
import { ArmError, invalidParameter, invalidResourceReference } from '../../errors';
import { type Json, resourceId, type ResourceRecord } from '../../state';
import {
  arr,
  checkNetworkName,
  etag,
  isObject,
  obj,
  parseId,
  refId,
  type ResourceType,
  sameId,
  str,
} from '../common';
import { props, startDelete } from '../lifecycle';
import { contains, ipText, parseCidr, size } from './cidr';
import {
  allIpConfigs,
  ipcPublicIpId,
  ipcSubnetId,
  NIC,
  NSG,
  PIP,
  putNetworkResource,
  resolveRef,
  VM,
  VNET,
} from './envelope';
import { pipUser } from './public-ips';

/** The VM using a NIC, if any (derived from the VMs' networkProfile). */
export function nicUser(ctx: HandlerContext, nicId: string): ResourceRecord | undefined {
  return ctx.world.state
    .ofType(VM)
    .find((vm) =>
      (((props(vm).networkProfile as Json).networkInterfaces as Json[]) ?? []).some((n) =>
        sameId(String(n.id), nicId),
      ),
    );
}

function allocatePrivateIp(ctx: HandlerContext, subnet: Json, nicId: string): string {
  const c = parseCidr(String((subnet.properties as Json).addressPrefix), 'addressPrefix');
  const used = new Set(
    allIpConfigs(ctx)
      .filter(
        (x) => sameId(ipcSubnetId(x.ipc), String(subnet.id)) && !sameId(ctx.world.state.idOf(x.nic), nicId),
      )
      .map((x) => (x.ipc.properties as Json).privateIPAddress),
  );
  for (let i = 4; i < size(c) - 1; i++) {
    const ip = ipText(c.base + i);
    if (!used.has(ip)) return ip;
  }
  throw new ArmError(
    400,
    'SubnetIsFull',
    `Subnet ${String(subnet.name)} with address prefix ${c.text} does not have enough capacity for 1 IP addresses.`,
  );
}

export const nics: ResourceType = {
  type: NIC,
  provider: 'Microsoft.Network',
  present(ctx, r) {
    const vm = nicUser(ctx, ctx.world.state.idOf(r));
    return {
      ...r.body,
      properties: { ...props(r), ...(vm ? { virtualMachine: { id: ctx.world.state.idOf(vm) } } : {}) },
    };
  },
  put(ctx, name, existing) {
    return putNetworkResource(ctx, name, existing, {
      type: NIC,
      build(id, loc) {
        const p = obj(ctx.body, 'properties', 'properties') ?? {};
        const rawConfigs = arr(p, 'ipConfigurations', 'properties.ipConfigurations') ?? [];
        if (rawConfigs.length === 0) {
          throw new ArmError(
            400,
            'NetworkInterfaceMustHaveAtLeastOneIpConfiguration',
            `Network interface ${id} must have at least one IP configuration.`,
            'properties.ipConfigurations',
          );
        }
        const nsgId = refId(p, 'networkSecurityGroup', 'properties.networkSecurityGroup');
        if (nsgId) {
          const nsg = resolveRef(ctx, nsgId, id, NSG);
          if (nsg.location !== loc)
            throw invalidResourceReference(
              `Network security group ${nsgId} is in location ${nsg.location}, the network interface in ${loc}.`,
            );
          ctx.link('Microsoft.Network/networkSecurityGroups/join/action');
        }
        const oldConfigs = existing ? (props(existing).ipConfigurations as Json[]) : [];
        const ipConfigurations = rawConfigs.map((raw, i) => {
          const path = `properties.ipConfigurations[${i}]`;
          if (!isObject(raw)) throw invalidParameter(`'${path}' must be an object.`, path);
          const ipcName = str(raw, 'name', `${path}.name`) ?? `ipconfig${i + 1}`;
          checkNetworkName(ipcName);
          const ip = obj(raw, 'properties', `${path}.properties`) ?? {};
          const subnetId = refId(ip, 'subnet', `${path}.properties.subnet`);
          if (!subnetId)
            throw invalidParameter(
              `IP configuration ${ipcName} must reference a subnet.`,
              `${path}.properties.subnet`,
            );
          const sp = parseId(subnetId);
          const vnet =
            sp?.child?.type.toLowerCase() === 'subnets'
              ? resolveRef(ctx, resourceId(sp.subscriptionId, sp.resourceGroup, sp.type, sp.name), id, VNET)
              : undefined;
          const subnet = vnet && (props(vnet).subnets as Json[]).find((s) => sameId(String(s.id), subnetId));
          if (!vnet || !subnet) {
            throw invalidResourceReference(
              `Resource ${subnetId} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
            );
          }
          if (vnet.location !== loc) {
            throw invalidResourceReference(
              `Subnet ${subnetId} is in location ${vnet.location}, the network interface in ${loc}.`,
            );
          }
          ctx.link('Microsoft.Network/virtualNetworks/subnets/join/action');
          const pipRef = obj(ip, 'publicIPAddress', `${path}.properties.publicIPAddress`);
          const pipId = refId(ip, 'publicIPAddress', `${path}.properties.publicIPAddress`);
          if (pipId) {
            const pip = resolveRef(ctx, pipId, id, PIP);
            if (pip.location !== loc)
              throw invalidResourceReference(
                `Public IP ${pipId} is in location ${pip.location}, the network interface in ${loc}.`,
              );
            const user = pipUser(ctx, pipId);
            if (user && !sameId(ctx.world.state.idOf(user.nic), id)) {
              throw new ArmError(
                400,
                'PublicIPAddressInUse',
                `Resource ${pipId} is referenced by resource ${user.id}, and cannot be referenced by ${id}/ipConfigurations/${ipcName}.`,
              );
            }
            ctx.link('Microsoft.Network/publicIPAddresses/join/action');
          }
          const pipDelete =
            pipRef && isObject(pipRef.properties)
              ? str(
                  pipRef.properties,
                  'deleteOption',
                  `${path}.properties.publicIPAddress.properties.deleteOption`,
                )
              : undefined;
          if (pipDelete && !['Delete', 'Detach'].includes(pipDelete)) {
            throw invalidParameter(
              `deleteOption ${pipDelete} is not valid (Delete or Detach).`,
              `${path}.properties.publicIPAddress.properties.deleteOption`,
            );
          }
          const method =
            str(ip, 'privateIPAllocationMethod', `${path}.properties.privateIPAllocationMethod`) ?? 'Dynamic';
          const ipcId = `${id}/ipConfigurations/${ipcName}`;
          const old = oldConfigs.find((o) => sameId(String(o.id), ipcId) && sameId(ipcSubnetId(o), subnetId));
          let privateIp: string;
          if (method.toLowerCase() === 'static') {
            privateIp = str(ip, 'privateIPAddress', `${path}.properties.privateIPAddress`) ?? '';
            const c = parseCidr(String((subnet.properties as Json).addressPrefix), 'addressPrefix');
            const taken = allIpConfigs(ctx).some(
              (x) =>
                !sameId(ctx.world.state.idOf(x.nic), id) &&
                (x.ipc.properties as Json).privateIPAddress === privateIp,
            );
            if (!contains(c, parseCidr(`${privateIp}/32`, `${path}.properties.privateIPAddress`)) || taken) {
              throw new ArmError(
                400,
                'PrivateIPAddressNotInSubnet',
                `Private static IP address ${privateIp} does not belong to the range of subnet prefix ${c.text} or is taken.`,
                `${path}.properties.privateIPAddress`,
              );
            }
          } else if (method.toLowerCase() === 'dynamic') {
            privateIp =
              (old && String((old.properties as Json).privateIPAddress)) ??
              allocatePrivateIp(ctx, subnet, id);
          } else {
            throw invalidParameter(
              `privateIPAllocationMethod ${method} is not valid.`,
              `${path}.properties.privateIPAllocationMethod`,
            );
          }
          return {
            id: ipcId,
            name: ipcName,
            type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
            etag: etag(),
            properties: {
              provisioningState: 'Succeeded',
              privateIPAddress: privateIp,
              privateIPAllocationMethod: method.toLowerCase() === 'static' ? 'Static' : 'Dynamic',
              subnet: { id: subnetId },
              ...(pipId
                ? {
                    publicIPAddress: {
                      id: pipId,
                      ...(pipDelete ? { properties: { deleteOption: pipDelete } } : {}),
                    },
                  }
                : {}),
              primary: i === 0,
              privateIPAddressVersion: 'IPv4',
            },
          };
        });
        return {
          properties: {
            ipConfigurations,
            ...(nsgId ? { networkSecurityGroup: { id: nsgId } } : {}),
            enableAcceleratedNetworking: p.enableAcceleratedNetworking === true,
            enableIPForwarding: p.enableIPForwarding === true,
            dnsSettings: { dnsServers: [], appliedDnsServers: [] },
            macAddress: existing ? props(existing).macAddress : '',
            nicType: 'Standard',
          },
        };
      },
      present: (r) => nics.present(ctx, r),
    });
  },
  delete(ctx, r) {
    const vm = nicUser(ctx, ctx.world.state.idOf(r));
    if (vm) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${ctx.world.state.idOf(r)} is used by existing resource ${ctx.world.state.idOf(vm)}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
      );
    }
    return startDelete(ctx, 'Microsoft.Network', r);
  },
};

/** The first private and public address of a NIC (for guests and instance views). */
export function nicAddresses(
  world: World,
  nicId: string,
): { privateIp: string | null; publicIp: string | null } {
  const nic = world.state.get(nicId);
  const ipc = nic ? (props(nic).ipConfigurations as Json[])[0] : undefined;
  if (!ipc) return { privateIp: null, publicIp: null };
  const pipId = ipcPublicIpId(ipc);
  const pip = pipId ? world.state.get(pipId) : undefined;
  return {
    privateIp: ((ipc.properties as Json).privateIPAddress as string) ?? null,
    publicIp: pip ? ((props(pip).ipAddress as string | undefined) ?? null) : null,
  };
}

/** Public IPs a NIC marks deleteOption: Delete (deleted with the VM that deletes the NIC). */
export function nicPublicIpsToDelete(nic: ResourceRecord): string[] {
  return (props(nic).ipConfigurations as Json[])
    .map((ipc) => (ipc.properties as Json).publicIPAddress as Json | undefined)
    .filter((p): p is Json => (p?.properties as Json | undefined)?.deleteOption === 'Delete')
    .map((p) => String(p.id));
}
