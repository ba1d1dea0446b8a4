// Microsoft.Compute: virtual machines (PUT validated as ARM does, provisioningState Creating →
// Succeeded, instance view with PowerState/*, start/powerOff/deallocate/restart/redeploy as LROs, DELETE with the
// deleteOptions of the OS disk, NICs and their public IPs) and the managed OS disks they create.
import { randomBytes, randomUUID } from 'node:crypto';

import type { ArmResponse, HandlerContext, World } from '../context';
import { type ArmErrorBody, conflict, invalidParameter } from '../errors';
import { type Json, resourceId, type ResourceRecord } from '../state';
import type { GuestChange, Task } from '../tasks';
import { location, type ResourceType, tags } from './common';
import { ensureGroupWritable, operationTarget, props, startPut } from './lifecycle';
import { nicAddresses, nicPublicIpsToDelete, PIP } from './network';
import { findVmSize } from './skus';
import { checkImmutable, type ParsedVm, parseVm } from './vm-put';

export const VM = 'Microsoft.Compute/virtualMachines';
export const DISK = 'Microsoft.Compute/disks';

type PowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

const displayPower: Record<PowerState, string> = {
  starting: 'VM starting',
  running: 'VM running',
  stopping: 'VM stopping',
  stopped: 'VM stopped',
  deallocating: 'VM deallocating',
  deallocated: 'VM deallocated',
};

function instanceView(ctx: HandlerContext, vm: ResourceRecord): Json {
  const i = vm.internal;
  const ps = String(props(vm).provisioningState);
  const power = i.power as PowerState | undefined;
  const at = String(i.stateChangedAt);
  return {
    computerName: i.computerName,
    osName: 'ubuntu',
    osVersion: '24.04',
    hyperVGeneration: 'V2',
    vmAgent:
      power === 'running'
        ? {
            vmAgentVersion: '2.13.1.1',
            statuses: [
              {
                code: 'ProvisioningState/succeeded',
                level: 'Info',
                displayStatus: 'Ready',
                message: 'Guest Agent is running',
                time: at,
              },
            ],
          }
        : undefined,
    disks: [
      {
        name: i.diskName,
        statuses: [
          {
            code: 'ProvisioningState/succeeded',
            level: 'Info',
            displayStatus: 'Provisioning succeeded',
            time: i.createdAt,
          },
        ],
      },
    ],
    statuses: [
      {
        code: `ProvisioningState/${ps.toLowerCase()}`,
        level: ps === 'Failed' ? 'Error' : 'Info',
        displayStatus: `Provisioning ${ps === 'Succeeded' ? 'succeeded' : ps === 'Failed' ? 'failed' : ps.toLowerCase()}`,
        ...(i.failure ? { message: (i.failure as ArmErrorBody).message } : {}),
        time: at,
      },
      ...(power ? [{ code: `PowerState/${power}`, level: 'Info', displayStatus: displayPower[power] }] : []),
    ],
  };
}

function present(ctx: HandlerContext, vm: ResourceRecord, expandInstanceView = false): Json {
  return {
    ...vm.body,
    properties: { ...props(vm), ...(expandInstanceView ? { instanceView: instanceView(ctx, vm) } : {}) },
  };
}

export async function bootGuest(world: World, vm: ResourceRecord): Promise<void> {
  const i = vm.internal;
  const primary = (i.nics as ParsedVm['nics']).find((n) => n.primary) ?? (i.nics as ParsedVm['nics'])[0];
  const addr = primary ? nicAddresses(world, primary.id) : { privateIp: null, publicIp: null };
  const guest = await world.guests.boot({
    subscriptionId: vm.subscriptionId,
    resourceGroup: vm.resourceGroup,
    vmName: vm.name,
    vmId: world.state.idOf(vm),
    customData: String(i.customData),
    computerName: String(i.computerName),
    adminUsername: String(i.adminUsername),
    ...addr,
  });
  i.bootId = guest.bootId;
}

function setPower(vm: ResourceRecord, power: PowerState): void {
  vm.internal.power = power;
  vm.internal.stateChangedAt = new Date().toISOString();
}

/** A fault rule that makes this VM operation fail with AllocationFailed after it was accepted. */
function allocationFault(ctx: HandlerContext): ArmErrorBody | undefined {
  const rule = ctx.world.faults.take(
    { method: ctx.method, resourceType: VM },
    (k) => k === 'allocationFailed',
  );
  if (!rule) return undefined;
  return {
    code: 'AllocationFailed',
    message:
      'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance',
  };
}

function checkVmNotBusy(vm: ResourceRecord, what: string): void {
  if (vm.busy) {
    throw conflict(
      'OperationNotAllowed',
      `Operation '${what}' is not allowed on VM '${vm.name}' since the VM is ${vm.busy === 'delete' ? 'being deleted' : `in the middle of operation '${vm.busy}'`}. Retry after it completes.`,
    );
  }
}

export async function completeVmPower(
  world: World,
  t: Extract<Task, { kind: 'vmPower' }>,
  opId: string,
): Promise<ArmErrorBody | void> {
  const vm = operationTarget(world, t.id, opId);
  if (!vm) return;
  vm.busy = undefined;
  vm.op = undefined;
  if (t.failure) {
    setPower(vm, t.before as PowerState);
    return t.failure;
  }
  if (t.guest !== 'boot') await world.guests.stop(t.id);
  setPower(vm, t.after as PowerState);
  if (t.guest !== 'stop') await bootGuest(world, vm);
}

function powerAction(
  name: string,
  during: PowerState,
  after: PowerState,
  guest: GuestChange,
  allowed?: (vm: ResourceRecord) => string | undefined,
) {
  return {
    name,
    run(ctx: HandlerContext, vm: ResourceRecord): ArmResponse {
      const id = ctx.world.state.idOf(vm);
      checkVmNotBusy(vm, name);
      const refusal = allowed?.(vm);
      if (refusal) throw conflict('OperationNotAllowed', refusal);
      const failure = guest !== 'stop' ? allocationFault(ctx) : undefined;
      const before = vm.internal.power as PowerState;
      setPower(vm, during);
      vm.busy = name;
      const op = ctx.world.ops.start({
        provider: 'Microsoft.Compute',
        subscriptionId: vm.subscriptionId,
        location: vm.location,
        task: { kind: 'vmPower', id, before, after, guest, ...(failure ? { failure } : {}) },
      });
      vm.op = op.id;
      return { status: 202, headers: ctx.world.ops.headers(ctx.world.endpoint(), op, 'action') };
    },
  };
}

/** The end of a VM PUT: the new VM runs and its guest boots, or the accepted operation fails. */
export async function completeVmPut(
  world: World,
  r: ResourceRecord,
  vm: { boot: boolean; failure?: ArmErrorBody },
): Promise<ArmErrorBody | void> {
  if (vm.failure) {
    r.internal.failure = vm.failure;
    setPower(r, 'stopped');
    return vm.failure;
  }
  r.internal.failure = undefined;
  if (vm.boot) {
    setPower(r, 'running');
    await bootGuest(world, r);
  }
}

/** The end of a VM DELETE: the guest stops; OS disk, NICs and their public IPs go as deleteOption says. */
export async function completeVmDelete(world: World, id: string, opId: string): Promise<void> {
  const { state, guests } = world;
  const vm = operationTarget(world, id, opId);
  if (!vm) return;
  const i = vm.internal;
  const diskId = resourceId(vm.subscriptionId, vm.resourceGroup, DISK, String(i.diskName));
  const nics = (i.nics as ParsedVm['nics']).filter((n) => n.deleteOption === 'Delete');
  await guests.stop(id);
  state.delete(id);
  const disk = state.get(diskId);
  if (disk) {
    if (i.diskDeleteOption === 'Delete') state.delete(diskId);
    else {
      disk.body.managedBy = undefined;
      (disk.body.properties as Json).diskState = 'Unattached';
    }
  }
  for (const n of nics) {
    const nic = state.get(n.id);
    if (!nic) continue;
    for (const pipId of nicPublicIpsToDelete(nic)) {
      const pip = state.get(pipId);
      if (pip?.type === PIP) state.delete(pipId);
    }
    state.delete(n.id);
  }
}

export function completeDiskDelete(world: World, id: string, opId: string): void {
  if (operationTarget(world, id, opId)) world.state.delete(id);
}

const virtualMachines: ResourceType = {
  type: VM,
  provider: 'Microsoft.Compute',
  present: (ctx, r) => present(ctx, r, /instanceView/i.test(ctx.url.searchParams.get('$expand') ?? '')),
  put(ctx, name, existing) {
    if (!/^[^_\W][\w.-]{0,63}$/.test(name) || /[-.]$/.test(name)) {
      throw invalidParameter(
        `The entity name 'vmName' is invalid according to its validation rule: ^[^_\\W][\\w-._]{0,79}(?<![-.])$.`,
        'vmName',
      );
    }
    ensureGroupWritable(ctx);
    const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, VM, name);
    if (existing) checkVmNotBusy(existing, 'update');
    const loc = location(ctx.body, VM);
    if (existing && existing.location !== loc) {
      throw conflict('PropertyChangeNotAllowed', "Changing property 'location' is not allowed.", 'location');
    }
    const v = parseVm(ctx, name, loc, id, existing);
    if (existing) checkImmutable(existing, v);
    const rg = existing?.resourceGroup ?? ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup)!.name;
    // Quota is checked synchronously, as ARM does, before anything is accepted.
    const quota = ctx.world.faults.take(
      { method: ctx.method, resourceType: VM },
      (k) => k === 'quotaExceeded',
    );
    if (quota) {
      const size = findVmSize(v.vmSize)!;
      throw conflict(
        'QuotaExceeded',
        `Operation could not be completed as it results in exceeding approved ${size.family} Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${loc}, Current Limit: 10, Current Usage: 10, Additional Required: ${size.vCPUs}, (Minimum) New Limit Required: ${10 + size.vCPUs}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP.`,
      );
    }
    const failure = allocationFault(ctx);
    const now = new Date().toISOString();
    const diskName = existing
      ? String(existing.internal.diskName)
      : (v.osDisk.name ?? `${name}_OsDisk_1_${randomBytes(16).toString('hex')}`);
    const diskId = resourceId(ctx.subscriptionId, rg, DISK, diskName);
    const record: ResourceRecord = existing ?? {
      subscriptionId: ctx.subscriptionId,
      resourceGroup: rg,
      type: VM,
      name,
      location: loc,
      body: {},
      internal: { createdAt: now, vmId: randomUUID() },
    };
    Object.assign(record.internal, {
      computerName: v.computerName,
      adminUsername: v.adminUsername,
      customData: v.customData,
      disablePasswordAuthentication: v.disablePasswordAuthentication,
      image: v.image,
      nics: v.nics,
      diskName,
      diskDeleteOption: v.osDisk.deleteOption,
    });
    record.body = {
      id,
      name,
      type: VM,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      ...(Array.isArray(ctx.body.zones) ? { zones: ctx.body.zones } : {}),
      properties: {
        hardwareProfile: { vmSize: v.vmSize },
        provisioningState: existing ? 'Updating' : 'Creating',
        vmId: record.internal.vmId,
        storageProfile: {
          imageReference: {
            ...v.image,
            exactVersion: v.image.version === 'latest' ? '1.0.20260101' : v.image.version,
          },
          osDisk: {
            osType: 'Linux',
            name: diskName,
            createOption: 'FromImage',
            caching: 'ReadWrite',
            managedDisk: { storageAccountType: v.osDisk.storageAccountType, id: diskId },
            deleteOption: v.osDisk.deleteOption,
            diskSizeGB: v.osDisk.diskSizeGB,
          },
          dataDisks: [],
        },
        // customData and adminPassword are write-only: ARM never returns them.
        osProfile: {
          computerName: v.computerName,
          adminUsername: v.adminUsername,
          linuxConfiguration: {
            disablePasswordAuthentication: v.disablePasswordAuthentication,
            ...(v.publicKeys.length ? { ssh: { publicKeys: v.publicKeys } } : {}),
            provisionVMAgent: true,
            patchSettings: { patchMode: 'ImageDefault', assessmentMode: 'ImageDefault' },
          },
          secrets: [],
          allowExtensionOperations: true,
          requireGuestProvisionSignal: true,
        },
        networkProfile: {
          networkInterfaces: v.nics.map((n) => ({
            id: n.id,
            properties: { primary: n.primary, deleteOption: n.deleteOption },
          })),
        },
        timeCreated: record.internal.createdAt,
      },
    };
    if (!existing) {
      setPower(record, 'starting');
      ctx.world.state.put({
        subscriptionId: ctx.subscriptionId,
        resourceGroup: rg,
        type: DISK,
        name: diskName,
        location: loc,
        body: {
          id: diskId,
          name: diskName,
          type: DISK,
          location: loc,
          managedBy: id,
          sku: {
            name: v.osDisk.storageAccountType,
            tier: v.osDisk.storageAccountType.startsWith('Premium') ? 'Premium' : 'Standard',
          },
          properties: {
            osType: 'Linux',
            hyperVGeneration: 'V2',
            creationData: { createOption: 'FromImage' },
            diskSizeGB: v.osDisk.diskSizeGB,
            diskState: 'Attached',
            provisioningState: 'Succeeded',
            timeCreated: now,
            uniqueId: randomUUID(),
          },
        },
        internal: {},
      });
    }
    return startPut(ctx, {
      provider: 'Microsoft.Compute',
      record,
      created: !existing,
      runningState: existing ? 'Updating' : 'Creating',
      present: (r) => present(ctx, r),
      vm: { boot: !existing, ...(failure ? { failure } : {}) },
    });
  },
  delete(ctx, vm) {
    const { state, ops } = ctx.world;
    const id = state.idOf(vm);
    const i = vm.internal;
    if (i.diskDeleteOption === 'Delete') ctx.link('Microsoft.Compute/disks/delete');
    const nics = (i.nics as ParsedVm['nics']).filter((n) => n.deleteOption === 'Delete');
    if (nics.length) ctx.link('Microsoft.Network/networkInterfaces/delete');
    if (nics.some((n) => state.get(n.id) && nicPublicIpsToDelete(state.get(n.id)!).length)) {
      ctx.link('Microsoft.Network/publicIPAddresses/delete');
    }
    props(vm).provisioningState = 'Deleting';
    vm.busy = 'delete';
    const op = ops.start({
      provider: 'Microsoft.Compute',
      subscriptionId: vm.subscriptionId,
      location: vm.location,
      task: { kind: 'vmDelete', id },
    });
    vm.op = op.id;
    return { status: 202, headers: ops.headers(ctx.world.endpoint(), op, 'delete') };
  },
  actions: {
    start: powerAction('start', 'starting', 'running', 'boot'),
    poweroff: powerAction('powerOff', 'stopping', 'stopped', 'stop'),
    deallocate: powerAction('deallocate', 'deallocating', 'deallocated', 'stop'),
    restart: powerAction('restart', 'starting', 'running', 'reboot', (vm) =>
      vm.internal.power === 'running'
        ? undefined
        : `Operation 'restart' is not allowed on VM '${vm.name}' since the VM is ${String(vm.internal.power)}.`,
    ),
    // Shut down, moved to another host, powered on: the guest boots again, whatever its power state.
    redeploy: powerAction('redeploy', 'starting', 'running', 'reboot'),
  },
  views: {
    instanceview: { name: 'instanceView', get: (ctx, vm) => ({ status: 200, body: instanceView(ctx, vm) }) },
  },
};

const disks: ResourceType = {
  type: DISK,
  provider: 'Microsoft.Compute',
  present: (_ctx, r) => r.body,
  delete(ctx, disk) {
    if (disk.body.managedBy) {
      throw conflict(
        'OperationNotAllowed',
        `Disk ${disk.name} is attached to VM ${disk.body.managedBy as string}.`,
      );
    }
    const op = ctx.world.ops.start({
      provider: 'Microsoft.Compute',
      subscriptionId: disk.subscriptionId,
      location: disk.location,
      task: { kind: 'diskDelete', id: ctx.world.state.idOf(disk) },
    });
    disk.busy = 'delete';
    disk.op = op.id;
    return { status: 202, headers: ctx.world.ops.headers(ctx.world.endpoint(), op, 'delete') };
  },
};

export const computeTypes: ResourceType[] = [virtualMachines, disks];
export type { PowerState };
