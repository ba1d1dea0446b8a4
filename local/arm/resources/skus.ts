// Microsoft.Compute/skus: the VM sizes offered per region, in the resourceSkus response shape
// (capabilities as name/value strings, restrictions by location or zone), so the app can pick sizes.
import type { ArmResponse, HandlerContext } from '../context';
import { invalidParameter } from '../errors';
import { paged } from '../paging';

export const regions = [
  'westeurope',
  'northeurope',
  'swedencentral',
  'germanywestcentral',
  'francecentral',
  'uksouth',
  'eastus',
  'eastus2',
  'westus2',
  'westus3',
  'centralus',
];

export interface VmSize {
  name: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
  maxDataDisks: number;
  /** Hyper-V generations the size boots, as the capability lists them ('V1', 'V2' or 'V1,V2'). */
  hyperVGenerations: 'V1' | 'V2' | 'V1,V2';
  cpuArchitecture: 'x64' | 'Arm64';
  /** Confidential sizes (ConfidentialComputingType) need a confidential image and security profile. */
  confidential?: 'SNP' | 'TDX';
  /** Regions where the size is not offered to this subscription (restriction NotAvailableForSubscription). */
  restrictedIn?: string[];
}

type Family = Pick<VmSize, 'family' | 'hyperVGenerations' | 'cpuArchitecture' | 'confidential'>;
// Attributes as the resource SKUs API reports them for these families (Av2 and Dv3 boot Gen1 only;
// the p-sizes are Ampere Arm64 and Gen2 only; DCasv5 is AMD SEV-SNP confidential).
const Av2: Family = { family: 'standardAv2Family', hyperVGenerations: 'V1', cpuArchitecture: 'x64' };
const Dv3: Family = { family: 'standardDv3Family', hyperVGenerations: 'V1', cpuArchitecture: 'x64' };
const BS: Family = { family: 'standardBSFamily', hyperVGenerations: 'V1,V2', cpuArchitecture: 'x64' };
const BSv2: Family = { family: 'standardBsv2Family', hyperVGenerations: 'V1,V2', cpuArchitecture: 'x64' };
const BPSv2: Family = { family: 'standardBpsv2Family', hyperVGenerations: 'V2', cpuArchitecture: 'Arm64' };
const DSv5: Family = { family: 'standardDSv5Family', hyperVGenerations: 'V1,V2', cpuArchitecture: 'x64' };
const DPSv5: Family = { family: 'standardDPSv5Family', hyperVGenerations: 'V2', cpuArchitecture: 'Arm64' };
const DCASv5: Family = {
  family: 'standardDCASv5Family',
  hyperVGenerations: 'V2',
  cpuArchitecture: 'x64',
  confidential: 'SNP',
};
const ESv5: Family = { family: 'standardESv5Family', hyperVGenerations: 'V1,V2', cpuArchitecture: 'x64' };
const FSv2: Family = { family: 'standardFSv2Family', hyperVGenerations: 'V1,V2', cpuArchitecture: 'x64' };

const sized = (f: Family, name: string, vCPUs: number, memoryGB: number, maxDataDisks: number): VmSize => ({
  ...f,
  name,
  vCPUs,
  memoryGB,
  maxDataDisks,
});

export const vmSizes: VmSize[] = [
  sized(Av2, 'Standard_A1_v2', 1, 2, 2),
  sized(Av2, 'Standard_A2_v2', 2, 4, 4),
  sized(Av2, 'Standard_A4_v2', 4, 8, 8),
  sized(BS, 'Standard_B1s', 1, 1, 2),
  sized(BS, 'Standard_B1ms', 1, 2, 2),
  sized(BS, 'Standard_B2s', 2, 4, 4),
  sized(BS, 'Standard_B2ms', 2, 8, 4),
  sized(BS, 'Standard_B4ms', 4, 16, 8),
  sized(BSv2, 'Standard_B2ts_v2', 2, 1, 4),
  sized(BSv2, 'Standard_B2ls_v2', 2, 4, 4),
  sized(BSv2, 'Standard_B2s_v2', 2, 8, 4),
  sized(BSv2, 'Standard_B4ls_v2', 4, 8, 8),
  sized(BSv2, 'Standard_B4s_v2', 4, 16, 8),
  sized(BPSv2, 'Standard_B2pts_v2', 2, 1, 4),
  sized(BPSv2, 'Standard_B2pls_v2', 2, 4, 4),
  sized(BPSv2, 'Standard_B2ps_v2', 2, 8, 4),
  sized(Dv3, 'Standard_D2_v3', 2, 8, 4),
  sized(Dv3, 'Standard_D4_v3', 4, 16, 8),
  sized(DSv5, 'Standard_D2s_v5', 2, 8, 4),
  sized(DSv5, 'Standard_D4s_v5', 4, 16, 8),
  sized(DSv5, 'Standard_D8s_v5', 8, 32, 16),
  sized(DSv5, 'Standard_D16s_v5', 16, 64, 32),
  sized(DPSv5, 'Standard_D2ps_v5', 2, 8, 4),
  sized(DPSv5, 'Standard_D4ps_v5', 4, 16, 8),
  sized(DCASv5, 'Standard_DC2as_v5', 2, 8, 4),
  sized(DCASv5, 'Standard_DC4as_v5', 4, 16, 8),
  sized(ESv5, 'Standard_E2s_v5', 2, 16, 4),
  sized(ESv5, 'Standard_E4s_v5', 4, 32, 8),
  { ...sized(FSv2, 'Standard_F2s_v2', 2, 4, 4), restrictedIn: ['westeurope'] },
  sized(FSv2, 'Standard_F4s_v2', 4, 8, 8),
];

export const findVmSize = (name: string) => vmSizes.find((s) => s.name.toLowerCase() === name.toLowerCase());

function skuEntry(size: VmSize, location: string) {
  const restricted = size.restrictedIn?.includes(location) ?? false;
  return {
    resourceType: 'virtualMachines',
    name: size.name,
    tier: 'Standard',
    size: size.name.replace(/^Standard_/, ''),
    family: size.family,
    locations: [location],
    locationInfo: [{ location, zones: ['1', '2', '3'], zoneDetails: [] }],
    capabilities: [
      { name: 'MaxResourceVolumeMB', value: '0' },
      { name: 'OSVhdSizeMB', value: '1047552' },
      { name: 'vCPUs', value: String(size.vCPUs) },
      { name: 'MemoryPreservingMaintenanceSupported', value: 'True' },
      { name: 'HyperVGenerations', value: size.hyperVGenerations },
      { name: 'MemoryGB', value: String(size.memoryGB) },
      { name: 'MaxDataDiskCount', value: String(size.maxDataDisks) },
      { name: 'CpuArchitectureType', value: size.cpuArchitecture },
      ...(size.confidential ? [{ name: 'ConfidentialComputingType', value: size.confidential }] : []),
      { name: 'LowPriorityCapable', value: 'True' },
      { name: 'PremiumIO', value: 'True' },
      { name: 'VMDeploymentTypes', value: 'IaaS' },
      { name: 'vCPUsAvailable', value: String(size.vCPUs) },
      { name: 'vCPUsPerCore', value: size.vCPUs > 1 ? '2' : '1' },
      { name: 'EncryptionAtHostSupported', value: 'True' },
      { name: 'AcceleratedNetworkingEnabled', value: size.vCPUs >= 2 ? 'True' : 'False' },
      { name: 'MaxNetworkInterfaces', value: String(Math.max(2, size.vCPUs)) },
    ],
    restrictions: restricted
      ? [
          {
            type: 'Location',
            values: [location],
            restrictionInfo: { locations: [location] },
            reasonCode: 'NotAvailableForSubscription',
          },
        ]
      : [],
  };
}

/** GET /subscriptions/S/providers/Microsoft.Compute/skus[?$filter=location eq 'x']. */
export function listSkus(ctx: HandlerContext): ArmResponse {
  const filter = ctx.url.searchParams.get('$filter');
  let wanted = regions;
  if (filter) {
    const m = /^\s*location\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (!m)
      throw invalidParameter(
        `The filter '${filter}' is not supported. Supported: location eq '<location>'.`,
        '$filter',
      );
    const loc = m[1]!.toLowerCase().replaceAll(' ', '');
    wanted = regions.includes(loc) ? [loc] : [];
  }
  return paged(
    ctx,
    wanted.flatMap((loc) => vmSizes.map((s) => skuEntry(s, loc))),
  );
}
