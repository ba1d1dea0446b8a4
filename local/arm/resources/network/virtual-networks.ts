// Virtual networks: an address space of CIDR prefixes and the subnets inside it (subnets.ts), replaced as
// a whole by a PUT; a subnet that NICs use cannot be dropped, nor the network deleted while one is used.
import { invalidParameter } from '../../errors';
import type { Json } from '../../state';
import { arr, obj, type ResourceType, sameId } from '../common';
import { props, startDelete } from '../lifecycle';
import { parseCidr } from './cidr';
import { putNetworkResource, VNET } from './envelope';
import {
  checkSubnetsDisjoint,
  inUseSubnet,
  parseSubnet,
  presentVirtualNetwork,
  subnetInUse,
  subnets,
} from './subnets';

export const vnets: ResourceType = {
  type: VNET,
  provider: 'Microsoft.Network',
  present: presentVirtualNetwork,
  put(ctx, name, existing) {
    return putNetworkResource(ctx, name, existing, {
      type: VNET,
      nameLimits: { min: 2, max: 64 },
      build(id) {
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
        return {
          properties: {
            addressSpace: { addressPrefixes: cidrs.map((c) => c.text) },
            subnets,
            virtualNetworkPeerings: [],
            enableDdosProtection: false,
          },
        };
      },
      present: (r) => presentVirtualNetwork(ctx, r),
    });
  },
  delete(ctx, r) {
    for (const s of props(r).subnets as Json[]) {
      const by = subnetInUse(ctx, String(s.id));
      if (by) throw inUseSubnet(String(s.id), by);
    }
    return startDelete(ctx, 'Microsoft.Network', r);
  },
  children: { subnets },
};
