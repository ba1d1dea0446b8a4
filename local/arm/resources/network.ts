// Microsoft.Network: virtual networks with subnets, network security groups with rules, public IPs
// (Standard + Static gets its address after a delay; new Basic ones are refused as Azure has since 2025)
// and network interfaces (referenced subnet/NSG/IP must exist and be provisioned; one VM per NIC).
// Back-references (subnet → ipConfigurations, NIC → virtualMachine…) are derived on read, never stored.
import { randomUUID } from 'node:crypto';

import type { HandlerContext, World } from '../context';
import { ArmError, invalidParameter, invalidResourceReference, resourceNotFound } from '../errors';
import { type Json, resourceId, type ResourceRecord } from '../state';
import {
  arr,
  checkNetworkName,
  type ChildType,
  etag,
  isObject,
  location,
  obj,
  parseId,
  refId,
  type ResourceType,
  sameId,
  str,
  tags,
} from './common';
import { ensureGroupWritable, props, startDelete, startPut } from './lifecycle';

export const VNET = 'Microsoft.Network/virtualNetworks';
export const SUBNET = 'Microsoft.Network/virtualNetworks/subnets';
export const NSG = 'Microsoft.Network/networkSecurityGroups';
export const PIP = 'Microsoft.Network/publicIPAddresses';
export const NIC = 'Microsoft.Network/networkInterfaces';
const VM = 'Microsoft.Compute/virtualMachines';

// ---------- CIDR arithmetic ----------

interface Cidr {
  base: number;
  bits: number;
  text: string;
}

function parseCidr(text: string, target: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits > 32 || bits < 8) {
    throw invalidParameter(`Address prefix ${text} is not a valid CIDR (a.b.c.d/n, n from 8 to 32).`, target);
  }
  const base =
    (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0) & mask(bits);
  return { base: base >>> 0, bits, text };
}

const mask = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
const size = (c: Cidr) => 2 ** (32 - c.bits);
const contains = (outer: Cidr, inner: Cidr) =>
  inner.bits >= outer.bits && (inner.base & mask(outer.bits)) >>> 0 === outer.base;
const overlaps = (a: Cidr, b: Cidr) => contains(a, b) || contains(b, a);
const ipText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

// ---------- shared ----------

function existingInGroup(ctx: HandlerContext, type: string, name: string): ResourceRecord | undefined {
  return ctx.world.state.find(ctx.subscriptionId, ctx.resourceGroup, type, name);
}

function newRecord(ctx: HandlerContext, type: string, name: string, loc: string, body: Json): ResourceRecord {
  return {
    subscriptionId: ctx.subscriptionId,
    resourceGroup: ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup)!.name,
    type,
    name,
    location: loc,
    body,
    internal: {},
  };
}

function checkNotBusy(r: ResourceRecord, id: string): void {
  if (r.busy) {
    throw new ArmError(
      409,
      'AnotherOperationInProgress',
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${id}.`,
    );
  }
}

/** A reference must point at an existing resource in Succeeded state. */
function resolveRef(
  ctx: HandlerContext,
  refIdText: string,
  referencedBy: string,
  wantType: string,
): ResourceRecord {
  const p = parseId(refIdText);
  const notFound = () =>
    invalidResourceReference(
      `Resource ${refIdText} referenced by resource ${referencedBy} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    );
  if (!p || p.type.toLowerCase() !== wantType.toLowerCase()) throw notFound();
  const r = ctx.world.state.find(p.subscriptionId, p.resourceGroup, p.type, p.name);
  if (!r || r.busy === 'delete') throw notFound();
  if (props(r).provisioningState !== 'Succeeded') {
    throw new ArmError(
      400,
      'ReferencedResourceNotProvisioned',
      `Cannot proceed with operation because resource ${ctx.world.state.idOf(r)} used by resource ${referencedBy} is not in Succeeded state. Resource is in ${String(props(r).provisioningState)} state and the last operation that updated/is updating the resource is Put${r.type.split('/')[1]}Operation.`,
    );
  }
  return r;
}

/** Every NIC IP configuration in the world, with its NIC. */
function allIpConfigs(ctx: HandlerContext): Array<{ nic: ResourceRecord; ipc: Json; id: string }> {
  return ctx.world.state
    .ofType(NIC)
    .flatMap((nic) =>
      ((props(nic).ipConfigurations as Json[]) ?? []).map((ipc) => ({ nic, ipc, id: String(ipc.id) })),
    );
}

const ipcSubnetId = (ipc: Json) =>
  ((ipc.properties as Json).subnet as Json | undefined)?.id as string | undefined;
const ipcPublicIpId = (ipc: Json) =>
  ((ipc.properties as Json).publicIPAddress as Json | undefined)?.id as string | undefined;

// ---------- virtual networks and subnets ----------

function parseSubnet(
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

function checkSubnetsDisjoint(subnets: Json[]): void {
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

function subnetInUse(ctx: HandlerContext, subnetId: string): string | undefined {
  return allIpConfigs(ctx).find((x) => sameId(ipcSubnetId(x.ipc), subnetId))?.id;
}

function inUseSubnet(subnetId: string, by: string): ArmError {
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

const vnets: ResourceType = {
  type: VNET,
  provider: 'Microsoft.Network',
  present(ctx, r) {
    const p = props(r);
    const state = String(p.provisioningState);
    return {
      ...r.body,
      properties: { ...p, subnets: (p.subnets as Json[]).map((s) => presentSubnet(ctx, s, state)) },
    };
  },
  put(ctx, name, existing) {
    checkNetworkName(name, { min: 2, max: 64 });
    ensureGroupWritable(ctx);
    const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, VNET, name);
    if (existing) checkNotBusy(existing, id);
    const loc = location(ctx.body, VNET);
    const p = obj(ctx.body, 'properties', 'properties') ?? {};
    const space = obj(p, 'addressSpace', 'properties.addressSpace');
    const prefixes = space
      ? (arr(space, 'addressPrefixes', 'properties.addressSpace.addressPrefixes') ?? [])
      : [];
    if (prefixes.length === 0) {
      throw invalidParameter(
        'The virtual network must have at least one address prefix.',
        'properties.addressSpace.addressPrefixes',
      );
    }
    const cidrs = prefixes.map((x, i) => {
      if (typeof x !== 'string')
        throw invalidParameter(
          'Address prefixes must be strings.',
          `properties.addressSpace.addressPrefixes[${i}]`,
        );
      return parseCidr(x, `properties.addressSpace.addressPrefixes[${i}]`);
    });
    const subnets = (arr(p, 'subnets', 'properties.subnets') ?? []).map((s, i) =>
      parseSubnet(ctx, id, s, `properties.subnets[${i}]`, cidrs),
    );
    checkSubnetsDisjoint(subnets);
    // A PUT replaces the subnet list: dropping a subnet that NICs use is refused, as Azure does.
    for (const old of (existing ? (props(existing).subnets as Json[]) : []) ?? []) {
      if (subnets.some((s) => sameId(String(s.id), String(old.id)))) continue;
      const by = subnetInUse(ctx, String(old.id));
      if (by) throw inUseSubnet(String(old.id), by);
    }
    const record = existing ?? newRecord(ctx, VNET, name, loc, {});
    record.body = {
      id,
      name,
      type: VNET,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      etag: etag(),
      properties: {
        provisioningState: 'Updating',
        resourceGuid: (existing && props(existing).resourceGuid) ?? randomUUID(),
        addressSpace: { addressPrefixes: cidrs.map((c) => c.text) },
        subnets,
        virtualNetworkPeerings: [],
        enableDdosProtection: false,
      },
    };
    return startPut(ctx, {
      provider: 'Microsoft.Network',
      record,
      created: !existing,
      runningState: 'Updating',
      present: (r) => vnets.present(ctx, r),
    });
  },
  delete(ctx, r) {
    for (const s of props(r).subnets as Json[]) {
      const by = subnetInUse(ctx, String(s.id));
      if (by) throw inUseSubnet(String(s.id), by);
    }
    return startDelete(ctx, 'Microsoft.Network', r);
  },
  children: {},
};

const subnets: ChildType = {
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
      present: (r) => vnets.present(ctx, r),
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
      present: (r) => vnets.present(ctx, r),
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
vnets.children = { subnets };

// ---------- network security groups ----------

const defaultRules = (nsgId: string): Json[] =>
  [
    ['AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
    ['AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'],
    ['DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'],
    ['AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
    ['AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'],
    ['DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'],
  ].map(([name, priority, direction, access, src, dst]) => ({
    id: `${nsgId}/defaultSecurityRules/${String(name)}`,
    name,
    type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
    properties: {
      provisioningState: 'Succeeded',
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: src,
      destinationAddressPrefix: dst,
      access,
      priority,
      direction,
    },
  }));

function parseRule(nsgId: string, raw: unknown, path: string): Json {
  if (!isObject(raw)) throw invalidParameter(`'${path}' must be an object.`, path);
  const name = str(raw, 'name', `${path}.name`);
  if (!name) throw invalidParameter('Security rule name is required.', `${path}.name`);
  checkNetworkName(name);
  const p = obj(raw, 'properties', `${path}.properties`) ?? {};
  const priority = p.priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw new ArmError(
      400,
      'SecurityRuleInvalidPriority',
      `Security rule ${name} has invalid priority ${String(priority)}. Value provided: ${String(priority)} Allowed range 100-4096.`,
      `${path}.properties.priority`,
    );
  }
  const oneOf = (key: string, allowed: string[]) => {
    const v = str(p, key, `${path}.properties.${key}`);
    const hit = allowed.find((a) => a.toLowerCase() === v?.toLowerCase());
    if (!hit) {
      throw new ArmError(
        400,
        'SecurityRuleParameterContainsUnsupportedValue',
        `Security rule parameter ${key} for rule with Id ${nsgId}/securityRules/${name} cannot specify ${String(v)}. Allowed: ${allowed.join(', ')}.`,
        `${path}.properties.${key}`,
      );
    }
    return hit;
  };
  const protocol = oneOf('protocol', ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']);
  const access = oneOf('access', ['Allow', 'Deny']);
  const direction = oneOf('direction', ['Inbound', 'Outbound']);
  const either = (single: string, plural: string) => {
    const one = str(p, single, `${path}.properties.${single}`);
    const many = arr(p, plural, `${path}.properties.${plural}`) as string[] | undefined;
    if (!one && !many?.length) {
      throw invalidParameter(
        `Security rule ${name} must have ${single} or ${plural}.`,
        `${path}.properties.${single}`,
      );
    }
    for (const v of [one, ...(many ?? [])]) {
      if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 256)) {
        throw invalidParameter(
          `Security rule ${name} has an invalid ${plural} value.`,
          `${path}.properties.${plural}`,
        );
      }
    }
    return one ? { [single]: one } : { [plural]: many };
  };
  return {
    id: `${nsgId}/securityRules/${name}`,
    name,
    type: 'Microsoft.Network/networkSecurityGroups/securityRules',
    etag: etag(),
    properties: {
      provisioningState: 'Succeeded',
      protocol,
      ...either('sourcePortRange', 'sourcePortRanges'),
      ...either('destinationPortRange', 'destinationPortRanges'),
      ...either('sourceAddressPrefix', 'sourceAddressPrefixes'),
      ...either('destinationAddressPrefix', 'destinationAddressPrefixes'),
      access,
      priority,
      direction,
      ...(typeof p.description === 'string' ? { description: p.description.slice(0, 140) } : {}),
    },
  };
}

function nsgUsers(ctx: HandlerContext, nsgId: string): { nics: string[]; subnets: string[] } {
  const nics = ctx.world.state
    .ofType(NIC)
    .filter((n) =>
      sameId(((props(n).networkSecurityGroup as Json | undefined)?.id as string) ?? undefined, nsgId),
    )
    .map((n) => ctx.world.state.idOf(n));
  const subs = ctx.world.state
    .ofType(VNET)
    .flatMap((v) => props(v).subnets as Json[])
    .filter((s) =>
      sameId(((s.properties as Json).networkSecurityGroup as Json | undefined)?.id as string, nsgId),
    )
    .map((s) => String(s.id));
  return { nics, subnets: subs };
}

const nsgs: ResourceType = {
  type: NSG,
  provider: 'Microsoft.Network',
  present(ctx, r) {
    const users = nsgUsers(ctx, ctx.world.state.idOf(r));
    return {
      ...r.body,
      properties: {
        ...props(r),
        ...(users.nics.length ? { networkInterfaces: users.nics.map((id) => ({ id })) } : {}),
        ...(users.subnets.length ? { subnets: users.subnets.map((id) => ({ id })) } : {}),
      },
    };
  },
  put(ctx, name, existing) {
    checkNetworkName(name);
    ensureGroupWritable(ctx);
    const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, NSG, name);
    if (existing) checkNotBusy(existing, id);
    const loc = location(ctx.body, NSG);
    const p = obj(ctx.body, 'properties', 'properties') ?? {};
    const rules = (arr(p, 'securityRules', 'properties.securityRules') ?? []).map((x, i) =>
      parseRule(id, x, `properties.securityRules[${i}]`),
    );
    for (let i = 0; i < rules.length; i++) {
      const a = rules[i]!.properties as Json;
      for (const other of rules.slice(0, i)) {
        const b = other.properties as Json;
        if (a.priority === b.priority && a.direction === b.direction) {
          throw new ArmError(
            400,
            'SecurityRuleConflict',
            `Security rule ${String(other.name)} conflicts with rule ${String(rules[i]!.name)}. Rules cannot have the same Priority and Direction.`,
          );
        }
      }
    }
    const record = existing ?? newRecord(ctx, NSG, name, loc, {});
    record.body = {
      id,
      name,
      type: NSG,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      etag: etag(),
      properties: {
        provisioningState: 'Updating',
        resourceGuid: (existing && props(existing).resourceGuid) ?? randomUUID(),
        securityRules: rules,
        defaultSecurityRules: defaultRules(id),
      },
    };
    return startPut(ctx, {
      provider: 'Microsoft.Network',
      record,
      created: !existing,
      runningState: 'Updating',
      present: (r) => nsgs.present(ctx, r),
    });
  },
  delete(ctx, r) {
    const users = nsgUsers(ctx, ctx.world.state.idOf(r));
    const by = [...users.nics, ...users.subnets][0];
    if (by) {
      throw new ArmError(
        400,
        'InUseNetworkSecurityGroupCannotBeDeleted',
        `Network security group ${ctx.world.state.idOf(r)} cannot be deleted because it is in use by the following resources: ${by}. In order to delete the Network security group, remove the association with the resource(s).`,
      );
    }
    return startDelete(ctx, 'Microsoft.Network', r);
  },
};

// ---------- public IP addresses ----------

let nextPublicIp = 0;

/** Addresses from 198.18.0.0/15 (reserved for benchmarking, never routed), unique per process. */
function allocatePublicIp(world: World): string {
  const used = new Set(world.state.ofType(PIP).map((p) => props(p).ipAddress));
  for (;;) {
    const ip = ipText(((198 << 24) | (18 << 16)) + 1 + (nextPublicIp++ % 131000));
    if (!used.has(ip)) return ip;
  }
}

/** Gives a Standard static IP its address when `internal.ipDueAt` comes (also after a restart). */
export function schedulePublicIp(world: World, record: ResourceRecord): void {
  const due = Number(record.internal.ipDueAt);
  world.later(Math.max(0, due - Date.now()), () => {
    if (world.state.get(world.state.idOf(record)) !== record || props(record).ipAddress) return;
    props(record).ipAddress = allocatePublicIp(world);
    record.internal.ipDueAt = undefined;
    world.changed();
  });
}

function pipUser(ctx: HandlerContext, pipId: string) {
  return allIpConfigs(ctx).find((x) => sameId(ipcPublicIpId(x.ipc), pipId));
}

const publicIps: ResourceType = {
  type: PIP,
  provider: 'Microsoft.Network',
  present(ctx, r) {
    const user = pipUser(ctx, ctx.world.state.idOf(r));
    return { ...r.body, properties: { ...props(r), ...(user ? { ipConfiguration: { id: user.id } } : {}) } };
  },
  put(ctx, name, existing) {
    checkNetworkName(name);
    ensureGroupWritable(ctx);
    const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, PIP, name);
    if (existing) checkNotBusy(existing, id);
    const loc = location(ctx.body, PIP);
    const sku = obj(ctx.body, 'sku', 'sku');
    const skuName = (sku && str(sku, 'name', 'sku.name')) ?? 'Basic'; // the API's default is still Basic
    const p = obj(ctx.body, 'properties', 'properties') ?? {};
    const version = str(p, 'publicIPAddressVersion', 'properties.publicIPAddressVersion') ?? 'IPv4';
    if (!['IPv4', 'IPv6'].includes(version)) {
      throw invalidParameter(
        `publicIPAddressVersion ${version} is not valid.`,
        'properties.publicIPAddressVersion',
      );
    }
    if (skuName.toLowerCase() === 'basic') {
      if (!existing) {
        throw new ArmError(
          400,
          'IPv4BasicSkuPublicIpCountLimitReached',
          `Cannot create more than 0 IPv4 Basic SKU public IP addresses for this subscription in this region.`,
        );
      }
    } else if (skuName.toLowerCase() !== 'standard') {
      throw invalidParameter(`Public IP SKU ${skuName} is not valid. Valid: Standard.`, 'sku.name');
    }
    const method = str(p, 'publicIPAllocationMethod', 'properties.publicIPAllocationMethod') ?? 'Dynamic';
    if (!['static', 'dynamic'].includes(method.toLowerCase())) {
      throw invalidParameter(
        `publicIPAllocationMethod ${method} is not valid.`,
        'properties.publicIPAllocationMethod',
      );
    }
    if (skuName.toLowerCase() === 'standard' && method.toLowerCase() !== 'static') {
      throw new ArmError(
        400,
        'StandardSkuPublicIPAddressesMustBeStatic',
        `Standard sku publicIp ${id} must have AllocationMethod set to Static.`,
      );
    }
    const dns = obj(p, 'dnsSettings', 'properties.dnsSettings');
    const label = dns && str(dns, 'domainNameLabel', 'properties.dnsSettings.domainNameLabel');
    if (label !== undefined && !/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(label)) {
      throw new ArmError(
        400,
        'InvalidDomainNameLabel',
        `The domain name label ${label} is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.`,
        'properties.dnsSettings.domainNameLabel',
      );
    }
    const idle = p.idleTimeoutInMinutes ?? 4;
    if (typeof idle !== 'number' || !Number.isInteger(idle) || idle < 4 || idle > 30) {
      throw invalidParameter(
        'idleTimeoutInMinutes must be an integer from 4 to 30.',
        'properties.idleTimeoutInMinutes',
      );
    }
    const record = existing ?? newRecord(ctx, PIP, name, loc, {});
    const keptIp = existing ? props(existing).ipAddress : undefined;
    record.body = {
      id,
      name,
      type: PIP,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      ...(Array.isArray(ctx.body.zones) ? { zones: ctx.body.zones } : {}),
      sku: { name: 'Standard', tier: 'Regional' },
      etag: etag(),
      properties: {
        provisioningState: 'Updating',
        resourceGuid: (existing && props(existing).resourceGuid) ?? randomUUID(),
        publicIPAddressVersion: version,
        publicIPAllocationMethod: 'Static',
        idleTimeoutInMinutes: idle,
        ...(keptIp ? { ipAddress: keptIp } : {}),
        ...(label
          ? { dnsSettings: { domainNameLabel: label, fqdn: `${label}.${loc}.cloudapp.azure.com` } }
          : {}),
        ipTags: [],
      },
    };
    if (!keptIp) {
      record.internal.ipDueAt = Date.now() + ctx.world.publicIpDelayMs;
      schedulePublicIp(ctx.world, record);
    }
    return startPut(ctx, {
      provider: 'Microsoft.Network',
      record,
      created: !existing,
      runningState: 'Updating',
      present: (r) => publicIps.present(ctx, r),
    });
  },
  delete(ctx, r) {
    const user = pipUser(ctx, ctx.world.state.idOf(r));
    if (user) {
      throw new ArmError(
        400,
        'PublicIPAddressCannotBeDeleted',
        `Public IP address ${ctx.world.state.idOf(r)} can not be deleted since it is still allocated to resource ${user.id}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.`,
      );
    }
    return startDelete(ctx, 'Microsoft.Network', r);
  },
};

// ---------- network interfaces ----------

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

const nics: ResourceType = {
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
    checkNetworkName(name);
    ensureGroupWritable(ctx);
    const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, NIC, name);
    if (existing) checkNotBusy(existing, id);
    const loc = location(ctx.body, NIC);
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
          (old && String((old.properties as Json).privateIPAddress)) ?? allocatePrivateIp(ctx, subnet, id);
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
    const record = existing ?? newRecord(ctx, NIC, name, loc, {});
    record.body = {
      id,
      name,
      type: NIC,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      etag: etag(),
      properties: {
        provisioningState: 'Updating',
        resourceGuid: (existing && props(existing).resourceGuid) ?? randomUUID(),
        ipConfigurations,
        ...(nsgId ? { networkSecurityGroup: { id: nsgId } } : {}),
        enableAcceleratedNetworking: p.enableAcceleratedNetworking === true,
        enableIPForwarding: p.enableIPForwarding === true,
        dnsSettings: { dnsServers: [], appliedDnsServers: [] },
        macAddress: existing ? props(existing).macAddress : '',
        nicType: 'Standard',
      },
    };
    return startPut(ctx, {
      provider: 'Microsoft.Network',
      record,
      created: !existing,
      runningState: 'Updating',
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

export const networkTypes: ResourceType[] = [vnets, nsgs, publicIps, nics];

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

export { existingInGroup };
