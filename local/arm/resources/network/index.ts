// Microsoft.Network: virtual networks with subnets, network security groups with rules, public IPs and
// network interfaces, one module each around the envelope they share (envelope.ts). Back-references
// (subnet → ipConfigurations, NIC → virtualMachine…) are derived on read, never stored.
import type { ResourceType } from '../common';
import { nics } from './interfaces';
import { publicIps } from './public-ips';
import { nsgs } from './security-groups';
import { vnets } from './virtual-networks';

export { NIC, NSG, PIP, SUBNET, VNET } from './envelope';
export { nicAddresses, nicPublicIpsToDelete, nicUser } from './interfaces';
export { schedulePublicIp } from './public-ips';

export const networkTypes: ResourceType[] = [vnets, nsgs, publicIps, nics];
