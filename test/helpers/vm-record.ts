// A VM record written straight to the `vms` table, for tests that need a VM without provisioning one
// (the journal's read routes answer 404 for a VM that does not exist; the route handlers' tests).
import type { Services } from '../../lib/services';
import type { VmRecord } from '../../lib/vms/record';
import { insertVm } from '../../lib/vms/store';

/** What a create request resolved to, for a VM named `name` (a small Ubuntu VM in westeurope). */
export function testVmSpec(name: string) {
  return {
    name,
    size: 'small',
    vmSize: 'Standard_B2ls_v2',
    cpu: 2,
    memoryGiB: 4,
    diskGiB: 30,
    region: 'westeurope',
    image: 'Canonical:ubuntu-24_04-lts:server:latest',
    sshPublicKey: 'ssh-ed25519 AAAA',
    adminUsername: 'azureuser',
    resourceGroup: `vmj-${name}`,
  };
}

export async function addVmRecord(
  services: Services,
  name: string,
  status: VmRecord['status'] = 'running',
): Promise<void> {
  const now = new Date().toISOString();
  await insertVm(services, name, () => ({
    ...testVmSpec(name),
    status,
    publicIp: status === 'running' ? '20.0.0.1' : null,
    privateIp: status === 'running' ? '10.0.0.4' : null,
    createdAt: now,
    updatedAt: now,
    provisioning: { step: null, steps: [] },
    seq: 1,
    requestId: '00000000-0000-4000-8000-000000000001',
    operation: 'create',
  }));
}
