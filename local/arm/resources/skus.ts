// Microsoft.Compute/skus: the VM sizes offered per region, in the resourceSkus response shape
// (capabilities as name/value strings, restrictions by location or zone), so the app can pick sizes.
import type { ArmResponse, HandlerContext } from '../context';
import { invalidParameter } from '../errors';

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
  /** Regions where the size is not offered to this subscription (restriction NotAvailableForSubscription). */
  restrictedIn?: string[];
}

export const vmSizes: VmSize[] = [
  { name: 'Standard_B1s', family: 'standardBSFamily', vCPUs: 1, memoryGB: 1, maxDataDisks: 2 },
  { name: 'Standard_B1ms', family: 'standardBSFamily', vCPUs: 1, memoryGB: 2, maxDataDisks: 2 },
  { name: 'Standard_B2s', family: 'standardBSFamily', vCPUs: 2, memoryGB: 4, maxDataDisks: 4 },
  { name: 'Standard_B2ms', family: 'standardBSFamily', vCPUs: 2, memoryGB: 8, maxDataDisks: 4 },
  { name: 'Standard_B4ms', family: 'standardBSFamily', vCPUs: 4, memoryGB: 16, maxDataDisks: 8 },
  { name: 'Standard_D2s_v5', family: 'standardDSv5Family', vCPUs: 2, memoryGB: 8, maxDataDisks: 4 },
  { name: 'Standard_D4s_v5', family: 'standardDSv5Family', vCPUs: 4, memoryGB: 16, maxDataDisks: 8 },
  { name: 'Standard_D8s_v5', family: 'standardDSv5Family', vCPUs: 8, memoryGB: 32, maxDataDisks: 16 },
  { name: 'Standard_D16s_v5', family: 'standardDSv5Family', vCPUs: 16, memoryGB: 64, maxDataDisks: 32 },
  { name: 'Standard_E2s_v5', family: 'standardESv5Family', vCPUs: 2, memoryGB: 16, maxDataDisks: 4 },
  { name: 'Standard_E4s_v5', family: 'standardESv5Family', vCPUs: 4, memoryGB: 32, maxDataDisks: 8 },
  {
    name: 'Standard_F2s_v2',
    family: 'standardFSv2Family',
    vCPUs: 2,
    memoryGB: 4,
    maxDataDisks: 4,
    restrictedIn: ['westeurope'],
  },
  { name: 'Standard_F4s_v2', family: 'standardFSv2Family', vCPUs: 4, memoryGB: 8, maxDataDisks: 8 },
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
      { name: 'HyperVGenerations', value: 'V1,V2' },
      { name: 'MemoryGB', value: String(size.memoryGB) },
      { name: 'MaxDataDiskCount', value: String(size.maxDataDisks) },
      { name: 'CpuArchitectureType', value: 'x64' },
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
  const value = wanted.flatMap((loc) => vmSizes.map((s) => skuEntry(s, loc)));
  return { status: 200, body: { value } };
}
