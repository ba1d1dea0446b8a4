// VM sizes: three presets mapped to current general-purpose SKUs, or the smallest SKU offered in the
// region (resource SKUs API, restrictions honoured) with at least the requested vCPUs and memory that
// boots the images the app deploys: Hyper-V generation 2, x64, not a confidential size (Ubuntu 24.04
// `server` is a Gen2 x64 image; Gen1-only sizes such as Av2/Dv3 and Arm64 sizes cannot boot it).
//   small  → Standard_B2ls_v2 (2 vCPU,  4 GiB, burstable B-series v2; B-series v1 retires in 2028)
//   medium → Standard_D2s_v5  (2 vCPU,  8 GiB)
//   large  → Standard_D4s_v5  (4 vCPU, 16 GiB)

export const SIZE_PRESETS = {
  small: { vmSize: 'Standard_B2ls_v2', cpu: 2, memoryGiB: 4 },
  medium: { vmSize: 'Standard_D2s_v5', cpu: 2, memoryGiB: 8 },
  large: { vmSize: 'Standard_D4s_v5', cpu: 4, memoryGiB: 16 },
} as const;

export type SizePreset = keyof typeof SIZE_PRESETS;
export const SIZE_PRESET_NAMES = Object.keys(SIZE_PRESETS) as SizePreset[];

/** The parts of a resourceSkus entry that matter here (the SDK's ResourceSku is structurally wider). */
export interface SkuInfo {
  resourceType?: string;
  name?: string;
  locations?: string[];
  capabilities?: { name?: string; value?: string }[];
  restrictions?: { type?: string; values?: string[]; reasonCode?: string }[];
}

export interface ChosenSize {
  vmSize: string;
  cpu: number;
  memoryGiB: number;
}

const capabilityText = (s: SkuInfo, name: string): string | undefined =>
  s.capabilities?.find((c) => c.name === name)?.value;

const capability = (s: SkuInfo, name: string): number | undefined => {
  const v = capabilityText(s, name);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Restricted in the region (NotAvailableForSubscription or similar) or not listed there. */
function offeredIn(s: SkuInfo, region: string): boolean {
  const r = region.toLowerCase();
  if (!(s.locations ?? []).some((l) => l.toLowerCase() === r)) return false;
  return !(s.restrictions ?? []).some(
    (x) => x.type === 'Location' && (x.values ?? []).some((v) => v.toLowerCase() === r),
  );
}

/**
 * Boots a Gen2 x64 image: `HyperVGenerations` lists V2, `CpuArchitectureType` is x64 (a SKU that does
 * not say is not assumed to), and it is no confidential size (those need a confidential image).
 */
export function bootsGen2X64(s: SkuInfo): boolean {
  const gens = (capabilityText(s, 'HyperVGenerations') ?? '').split(',').map((g) => g.trim().toUpperCase());
  return (
    gens.includes('V2') &&
    capabilityText(s, 'CpuArchitectureType')?.toLowerCase() === 'x64' &&
    capabilityText(s, 'ConfidentialComputingType') === undefined
  );
}

/**
 * The smallest VM SKU (fewest vCPUs, then least memory, then name) offered in the region that has at
 * least `cpu` vCPUs and `memoryGiB` memory and boots a Gen2 x64 image; undefined when none fits.
 */
export function smallestFittingSku(
  skus: Iterable<SkuInfo>,
  region: string,
  want: { cpu?: number; memoryGiB?: number },
): ChosenSize | undefined {
  const candidates: ChosenSize[] = [];
  for (const s of skus) {
    if (s.resourceType !== 'virtualMachines' || !s.name || !offeredIn(s, region) || !bootsGen2X64(s))
      continue;
    const cpu = capability(s, 'vCPUs');
    const memoryGiB = capability(s, 'MemoryGB');
    if (cpu === undefined || memoryGiB === undefined) continue;
    if (cpu < (want.cpu ?? 1) || memoryGiB < (want.memoryGiB ?? 0)) continue;
    candidates.push({ vmSize: s.name, cpu, memoryGiB });
  }
  candidates.sort((a, b) => a.cpu - b.cpu || a.memoryGiB - b.memoryGiB || a.vmSize.localeCompare(b.vmSize));
  return candidates[0];
}
