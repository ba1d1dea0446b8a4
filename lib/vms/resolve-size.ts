// Size checks that need ARM: the region must offer VMs to this subscription, and the chosen SKU (a
// preset's, or the smallest that fits cpu/memoryGiB) must be offered there without restrictions.
// The SKU list per region is cached for a few minutes: it changes rarely and is large on Azure.
import { AppError, validationFailed } from '../errors';
import { armErrorInfo } from '../provisioning/arm-errors';
import { armCall } from '../provisioning/lro';
import type { Services } from '../services';
import type { ParsedCreate } from './create-request';
import { type ChosenSize, SIZE_PRESETS, type SizePreset, type SkuInfo, smallestFittingSku } from './sizes';

const TTL_MS = 10 * 60_000;
const SKUS = Symbol('vms.skus');
const skuCache = (services: Services) =>
  services.state(SKUS, () => new Map<string, { at: number; skus: Promise<SkuInfo[]> }>());

async function listSkus(services: Services, region: string): Promise<SkuInfo[]> {
  const { compute } = await services.arm();
  try {
    return await armCall(async () => {
      const out: SkuInfo[] = [];
      for await (const s of compute.resourceSkus.list({ filter: `location eq '${region}'` })) {
        if (s.resourceType === 'virtualMachines') out.push(s);
      }
      return out;
    });
  } catch (e) {
    // A subscription whose Microsoft.Compute provider is not registered (the deploy registers it, see
    // infra/README.md): the app does not register it itself (its role has no register/action), it says so.
    if (armErrorInfo(e).code === 'MissingSubscriptionRegistration') {
      throw new AppError(
        'ProviderNotRegistered',
        503,
        "The VM subscription is not registered to use namespace 'Microsoft.Compute' (MissingSubscriptionRegistration): run 'az provider register --namespace Microsoft.Compute' and 'az provider register --namespace Microsoft.Network' once (the deploy does; see infra/README.md).",
      );
    }
    throw e;
  }
}

function skusIn(services: Services, region: string): Promise<SkuInfo[]> {
  const cache = skuCache(services);
  const now = services.clock.now();
  const hit = cache.get(region);
  if (hit && now - hit.at < TTL_MS) return hit.skus;
  const skus = listSkus(services, region);
  cache.set(region, { at: now, skus });
  skus.catch(() => cache.delete(region));
  return skus;
}

/** The Azure SKU for a create request, or a 400 naming `region`, `size`, `cpu`/`memoryGiB`. */
export async function resolveSize(services: Services, req: ParsedCreate): Promise<ChosenSize> {
  const skus = await skusIn(services, req.region);
  if (skus.length === 0) {
    throw validationFailed([
      { field: 'region', message: `no VM sizes are offered in '${req.region}' to this subscription` },
    ]);
  }
  if (req.size) {
    const preset = SIZE_PRESETS[req.size as SizePreset];
    const offered = smallestFittingSku(
      skus.filter((s) => s.name === preset.vmSize),
      req.region,
      {},
    );
    if (!offered) {
      throw validationFailed([
        {
          field: 'size',
          message: `${preset.vmSize} (${req.size}) is not available in ${req.region}; try another size or region`,
        },
      ]);
    }
    return { vmSize: preset.vmSize, cpu: preset.cpu, memoryGiB: preset.memoryGiB };
  }
  const chosen = smallestFittingSku(skus, req.region, {
    ...(req.cpu !== undefined ? { cpu: req.cpu } : {}),
    ...(req.memoryGiB !== undefined ? { memoryGiB: req.memoryGiB } : {}),
  });
  if (!chosen) {
    const fields = [
      req.cpu !== undefined ? 'cpu' : undefined,
      req.memoryGiB !== undefined ? 'memoryGiB' : undefined,
    ];
    throw validationFailed(
      fields
        .filter((f): f is string => f !== undefined)
        .map((field) => ({ field, message: `no VM size offered in ${req.region} has that much` })),
    );
  }
  return chosen;
}
