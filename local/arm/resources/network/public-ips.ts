// Public IP addresses: Standard + Static only (new Basic ones are refused, as Azure has since 2025); the
// address comes after a delay, as Azure allocates it. The IP configuration using one is derived on read.
import type { HandlerContext, World } from '../../context';
import { ArmError, invalidParameter } from '../../errors';
import type { ResourceRecord } from '../../state';
import { obj, type ResourceType, sameId, str } from '../common';
import { props, startDelete } from '../lifecycle';
import { ipText } from './cidr';
import { allIpConfigs, ipcPublicIpId, PIP, putNetworkResource } from './envelope';

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

export function pipUser(ctx: HandlerContext, pipId: string) {
  return allIpConfigs(ctx).find((x) => sameId(ipcPublicIpId(x.ipc), pipId));
}

export const publicIps: ResourceType = {
  type: PIP,
  provider: 'Microsoft.Network',
  present(ctx, r) {
    const user = pipUser(ctx, ctx.world.state.idOf(r));
    return { ...r.body, properties: { ...props(r), ...(user ? { ipConfiguration: { id: user.id } } : {}) } };
  },
  put(ctx, name, existing) {
    return putNetworkResource(ctx, name, existing, {
      type: PIP,
      build(id, loc) {
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
        const keptIp = existing ? props(existing).ipAddress : undefined;
        return {
          topLevel: {
            ...(Array.isArray(ctx.body.zones) ? { zones: ctx.body.zones } : {}),
            sku: { name: 'Standard', tier: 'Regional' },
          },
          properties: {
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
      },
      stored(record) {
        // A new address comes after a delay; an update keeps the one it has.
        if (!props(record).ipAddress) {
          record.internal.ipDueAt = Date.now() + ctx.world.publicIpDelayMs;
          schedulePublicIp(ctx.world, record);
        }
      },
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
