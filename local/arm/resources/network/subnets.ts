// Subnets: a child resource stored inside its virtual network. Prefixes are checked as CIDRs (inside the
// network's address space, disjoint, at most /29); a subnet that NICs use cannot be dropped; the IP
// configurations using a subnet are derived on read.
import type { HandlerContext } from '../../context';
import { ArmError, invalidParameter, resourceNotFound } from '../../errors';
import type { Json, ResourceRecord } from '../../state';
import { arr, checkNetworkName, type ChildType, etag, isObject, obj, refId, sameId, str } from '../common';
import { ensureGroupWritable, props, startPut } from '../lifecycle';
import { type Cidr, contains, overlaps, parseCidr } from './cidr';
import { allIpConfigs, checkNotBusy, ipcSubnetId, NSG, resolveRef, SUBNET } from './envelope';

export function parseSubnet(
  ctx: HandlerContext,
  vnetId: string,
  raw: unknown,
  path: string,
  space: Cidr[],
  name?: string,
): Json {
  if (!isObject(raw)) throw invalidParameter(`'${path}' must be an object.`, path);
  const subnetName = name ?? str(raw, 'name', `${path}.name`);
  if (!subnetName) throw invalidParameter(`Subnet name is required.`, `${path}.name`);
  checkNetworkName(subnetName);
  const p = obj(raw, 'properties', `${path}.properties`) ?? {};
  const prefixes = [
    str(p, 'addressPrefix', `${path}.properties.addressPrefix`),
    ...((arr(p, 'addressPrefixes', `${path}.properties.addressPrefixes`) ?? []) as string[]),
  ].filter((x): x is string => typeof x === 'string');
  if (prefixes.length === 0) {
    throw invalidParameter(
      `Subnet ${subnetName} must have an addressPrefix.`,
      `${path}.properties.addressPrefix`,
    );
  }
  const id = `${vnetId}/subnets/${subnetName}`;
  for (const text of prefixes) {
    const c = parseCidr(text, `${path}.properties.addressPrefix`);
    if (c.bits > 29)
      throw invalidParameter(
        `Subnet ${subnetName} prefix ${text} is smaller than /29.`,
        `${path}.properties.addressPrefix`,
      );
    if (!space.some((s) => contains(s, c))) {
      throw new ArmError(
        400,
        'NetcfgSubnetRangeOutsideVnet',
        `Subnet '${subnetName}' is not valid because its IP address range is outside the IP address range of virtual network.`,
      );
    }
  }
  const nsgId = refId(p, 'networkSecurityGroup', `${path}.properties.networkSecurityGroup`);
  if (nsgId) {
    resolveRef(ctx, nsgId, id, NSG);
    ctx.link('Microsoft.Network/networkSecurityGroups/join/action');
  }
  return {
    id,
    name: subnetName,
    type: SUBNET,
    etag: etag(),
    properties: {
      addressPrefix: prefixes[0],
      ...(prefixes.length > 1 ? { addressPrefixes: prefixes } : {}),
      ...(nsgId ? { networkSecurityGroup: { id: nsgId } } : {}),
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
    },
  };
}

export function checkSubnetsDisjoint(subnets: Json[]): void {
  const cidrs = subnets.map((s) => ({
    name: s.name as string,
    c: parseCidr(String((s.properties as Json).addressPrefix), 'addressPrefix'),
  }));
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      if (overlaps(cidrs[i]!.c, cidrs[j]!.c)) {
        throw new ArmError(
          400,
          'NetcfgSubnetRangesOverlap',
          `Subnet '${cidrs[j]!.name}' is not valid because its IP address range overlaps with that of an existing subnet '${cidrs[i]!.name}' in virtual network.`,
        );
      }
    }
    if (cidrs.slice(0, i).some((o) => o.name.toLowerCase() === cidrs[i]!.name.toLowerCase())) {
      throw invalidParameter(`Subnet name ${cidrs[i]!.name} is used more than once.`, 'properties.subnets');
    }
  }
}

export function subnetInUse(ctx: HandlerContext, subnetId: string): string | undefined {
  return allIpConfigs(ctx).find((x) => sameId(ipcSubnetId(x.ipc), subnetId))?.id;
}

export function inUseSubnet(subnetId: string, by: string): ArmError {
  return new ArmError(
    400,
    'InUseSubnetCannotBeDeleted',
    `Subnet ${subnetId.split('/').pop()} is in use by ${by} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`,
  );
}

function presentSubnet(ctx: HandlerContext, s: Json, state: string): Json {
  const users = allIpConfigs(ctx).filter((x) => sameId(ipcSubnetId(x.ipc), String(s.id)));
  return {
    ...s,
    properties: {
      provisioningState: state,
      ...(s.properties as Json),
      ...(users.length ? { ipConfigurations: users.map((u) => ({ id: u.id })) } : {}),
    },
  };
}

/** A virtual network as GET shows it: each subnet with the provisioning state and users derived. */
export function presentVirtualNetwork(ctx: HandlerContext, r: ResourceRecord): Json {
  const p = props(r);
  const state = String(p.provisioningState);
  return {
    ...r.body,
    properties: { ...p, subnets: (p.subnets as Json[]).map((s) => presentSubnet(ctx, s, state)) },
  };
}

export const subnets: ChildType = {
  type: SUBNET,
  list(ctx, vnet) {
    const state = String(props(vnet).provisioningState);
    return {
      status: 200,
      body: { value: (props(vnet).subnets as Json[]).map((s) => presentSubnet(ctx, s, state)) },
    };
  },
  get(ctx, vnet, name) {
    const s = (props(vnet).subnets as Json[]).find(
      (x) => String(x.name).toLowerCase() === name.toLowerCase(),
    );
    if (!s) throw resourceNotFound(SUBNET, `${vnet.name}/${name}`, vnet.resourceGroup);
    return { status: 200, body: presentSubnet(ctx, s, String(props(vnet).provisioningState)) };
  },
  put(ctx, vnet, name) {
    ensureGroupWritable(ctx);
    const vnetId = ctx.world.state.idOf(vnet);
    checkNotBusy(vnet, vnetId);
    const space = (props(vnet).addressSpace as Json).addressPrefixes as string[];
    const subnet = parseSubnet(
      ctx,
      vnetId,
      ctx.body,
      'subnet',
      space.map((t) => parseCidr(t, 'addressSpace')),
      name,
    );
    const list = (props(vnet).subnets as Json[]).filter(
      (s) => String(s.name).toLowerCase() !== name.toLowerCase(),
    );
    const created = list.length === (props(vnet).subnets as Json[]).length;
    checkSubnetsDisjoint([...list, subnet]);
    props(vnet).subnets = [...list, subnet];
    const res = startPut(ctx, {
      provider: 'Microsoft.Network',
      record: vnet,
      created,
      runningState: 'Updating',
      present: (r) => presentVirtualNetwork(ctx, r),
    });
    return { ...res, body: presentSubnet(ctx, subnet, 'Updating') };
  },
  delete(ctx, vnet, name) {
    const list = props(vnet).subnets as Json[];
    const s = list.find((x) => String(x.name).toLowerCase() === name.toLowerCase());
    if (!s) return { status: 204 };
    const by = subnetInUse(ctx, String(s.id));
    if (by) throw inUseSubnet(String(s.id), by);
    checkNotBusy(vnet, ctx.world.state.idOf(vnet));
    props(vnet).subnets = list.filter((x) => x !== s);
    const res = startPut(ctx, {
      provider: 'Microsoft.Network',
      record: vnet,
      created: false,
      runningState: 'Updating',
      present: (r) => presentVirtualNetwork(ctx, r),
    });
    return {
      status: 202,
      headers: {
        ...res.headers,
        Location: res.headers!['Azure-AsyncOperation']!.replace('/operations/', '/operationResults/'),
      },
    };
  },
};
