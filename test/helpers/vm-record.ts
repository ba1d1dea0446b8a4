// A VM record written straight to the `vms` table, for tests that push journals without provisioning
// a VM (the journal's read routes answer 404 for a VM that does not exist).
import type { Services } from '../../lib/services';
import { insertVm } from '../../lib/vms/store';

export async function addVmRecord(services: Services, name: string): Promise<void> {
  const now = new Date().toISOString();
  await insertVm(services, name, () => ({
    name,
    size: null,
    vmSize: 'Standard_B1s',
    cpu: 1,
    memoryGiB: 1,
    diskGiB: 30,
    region: 'westeurope',
    image: 'debian-12',
    sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm0gW5f7Qw1y5o1m3mW6d3mY0gk8vW1x8Yy2dYt0b1c test',
    adminUsername: 'azureuser',
    resourceGroup: `vmj-${name}`,
    status: 'running',
    publicIp: null,
    privateIp: null,
    createdAt: now,
    updatedAt: now,
    provisioning: { step: null, steps: [] },
    seq: 1,
    requestId: '00000000-0000-4000-8000-000000000001',
    operation: 'create',
  }));
}
