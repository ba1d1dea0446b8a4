// Network security groups: security rules checked as Azure does (priority 100–4096, allowed protocol,
// access and direction values, no two rules with one priority and direction) and the default rules
// every group carries. The NICs and subnets using a group are derived on read.
import type { HandlerContext } from '../../context';
import { ArmError, invalidParameter } from '../../errors';
import type { Json } from '../../state';
import { arr, checkNetworkName, etag, isObject, obj, type ResourceType, sameId, str } from '../common';
import { props, startDelete } from '../lifecycle';
import { NIC, NSG, putNetworkResource, VNET } from './envelope';

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

export const nsgs: ResourceType = {
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
    return putNetworkResource(ctx, name, existing, {
      type: NSG,
      build(id) {
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
        return { properties: { securityRules: rules, defaultSecurityRules: defaultRules(id) } };
      },
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
