// Microsoft.Compute: virtual machines (PUT validated as ARM does, provisioningState Creating →
// Succeeded, instance view with PowerState/*, start/powerOff/deallocate/restart/redeploy as LROs, DELETE with the
// deleteOptions of the OS disk, NICs and their public IPs) and the managed OS disks they create.
import { randomBytes, randomUUID } from 'node:crypto';

import type { ArmResponse, HandlerContext, World } from '../context';
import { ArmError, type ArmErrorBody, conflict, invalidParameter, invalidResourceReference } from '../errors';
import { type Json, resourceId, type ResourceRecord } from '../state';
import type { GuestChange, Task } from '../tasks';
import {
  arr,
  isObject,
  location,
  obj,
  requiredParameter,
  type ResourceType,
  sameId,
  str,
  tags,
} from './common';
import { ensureGroupWritable, operationTarget, props, startPut } from './lifecycle';
import { NIC, nicAddresses, nicPublicIpsToDelete, nicUser, PIP } from './network';
import { findVmSize, vmSizes } from './skus';

export const VM = 'Microsoft.Compute/virtualMachines';
export const DISK = 'Microsoft.Compute/disks';

type PowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

/** Platform images the emulator knows (publisher:offer:sku), with the generation and architecture they boot. */
const images: Array<{ urn: string; generation: 'V1' | 'V2'; arch: 'x64' | 'Arm64' }> = [
  { urn: 'Canonical:ubuntu-24_04-lts:server', generation: 'V2', arch: 'x64' },
  { urn: 'Canonical:ubuntu-24_04-lts:server-gen1', generation: 'V1', arch: 'x64' },
  { urn: 'Canonical:ubuntu-24_04-lts:server-arm64', generation: 'V2', arch: 'Arm64' },
  { urn: 'Canonical:ubuntu-24_04-lts:minimal', generation: 'V2', arch: 'x64' },
  { urn: 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts', generation: 'V1', arch: 'x64' },
  { urn: 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2', generation: 'V2', arch: 'x64' },
  { urn: 'Debian:debian-12:12', generation: 'V1', arch: 'x64' },
  { urn: 'Debian:debian-12:12-gen2', generation: 'V2', arch: 'x64' },
];

const reservedUsernames = new Set(
  'administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser adm admin2 aspnet backup console david guest john owner root server sql support support_388945a0 sys test2 test3 user4 user5'.split(
    ' ',
  ),
);

const CUSTOM_DATA_MAX = 87380;

/** Decoded customData, or a 400 as ARM gives for anything that is not base64 within the limit. */
function decodeCustomData(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = () =>
    invalidParameter(
      `Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${CUSTOM_DATA_MAX} characters.`,
      'customData',
    );
  if (
    typeof v !== 'string' ||
    v.length > CUSTOM_DATA_MAX ||
    v.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(v)
  ) {
    throw bad();
  }
  return Buffer.from(v, 'base64').toString('utf8');
}

/** An OpenSSH public key line Azure accepts: ssh-rsa (≥ 2048 bits) or ssh-ed25519. */
function validSshKey(line: string): boolean {
  const m = /^(ssh-rsa|ssh-ed25519) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/.exec(line.trim());
  if (!m) return false;
  const blob = Buffer.from(m[2]!, 'base64');
  const read = (off: number): [Buffer, number] | undefined => {
    if (off + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(off);
    if (off + 4 + len > blob.length) return undefined;
    return [blob.subarray(off + 4, off + 4 + len), off + 4 + len];
  };
  const type = read(0);
  if (!type || type[0].toString() !== m[1]) return false;
  if (m[1] === 'ssh-ed25519') return read(type[1])?.[0].length === 32;
  const e = read(type[1]);
  const n = e && read(e[1]);
  if (!n) return false;
  const modulus = n[0][0] === 0 ? n[0].subarray(1) : n[0];
  return modulus.length * 8 >= 2048;
}

function checkPassword(pw: string): void {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^a-zA-Z\d]/].filter((r) => r.test(pw)).length;
  if (pw.length < 6 || pw.length > 72 || classes < 3) {
    throw invalidParameter(
      'The supplied password must be between 6-72 characters long and must satisfy at least 3 of password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters are not allowed',
      'adminPassword',
    );
  }
}

interface ParsedVm {
  vmSize: string;
  image: { publisher: string; offer: string; sku: string; version: string };
  osDisk: {
    name?: string;
    deleteOption: 'Delete' | 'Detach';
    storageAccountType: string;
    diskSizeGB: number;
  };
  computerName: string;
  adminUsername: string;
  customData: string;
  customDataRaw?: string;
  disablePasswordAuthentication: boolean;
  publicKeys: Array<{ path: string; keyData: string }>;
  nics: Array<{ id: string; primary: boolean; deleteOption: 'Delete' | 'Detach' }>;
}

function parseVm(
  ctx: HandlerContext,
  name: string,
  loc: string,
  vmId: string,
  existing?: ResourceRecord,
): ParsedVm {
  const p = obj(ctx.body, 'properties', 'properties');
  if (!p) throw requiredParameter('properties');
  // Size: offered in the region, and not restricted for this subscription.
  const hw = obj(p, 'hardwareProfile', 'properties.hardwareProfile');
  const vmSize = hw && str(hw, 'vmSize', 'properties.hardwareProfile.vmSize');
  if (!vmSize) throw requiredParameter('hardwareProfile.vmSize');
  const size = findVmSize(vmSize);
  if (!size) {
    throw invalidParameter(
      `The value ${vmSize} provided for the VM size is not valid. The valid sizes in the current region are: ${vmSizes.map((s) => s.name).join(',')}.`,
      'vmSize',
    );
  }
  if (size.restrictedIn?.includes(loc)) {
    throw new ArmError(
      409,
      'SkuNotAvailable',
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size.name}' is currently not available in location '${loc}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    );
  }
  // Image and OS disk.
  const storage = obj(p, 'storageProfile', 'properties.storageProfile');
  const ref = storage && obj(storage, 'imageReference', 'properties.storageProfile.imageReference');
  if (!ref) throw requiredParameter('storageProfile.imageReference');
  const field = (k: string) => str(ref, k, `properties.storageProfile.imageReference.${k}`) ?? '';
  const image = {
    publisher: field('publisher'),
    offer: field('offer'),
    sku: field('sku'),
    version: field('version') || 'latest',
  };
  const urn = `${image.publisher}:${image.offer}:${image.sku}`;
  const known = images.find((i) => i.urn.toLowerCase() === urn.toLowerCase());
  if (!known || !/^(latest|\d+\.\d+\.\d+)$/.test(image.version)) {
    throw new ArmError(
      404,
      'PlatformImageNotFound',
      `The platform image '${urn}:${image.version}' is not available. Verify that all fields in the storage profile are correct. For more details about storage profile information, please visit https://aka.ms/storageprofile`,
    );
  }
  // The size must boot the image's Hyper-V generation and CPU architecture (ARM answers 400 BadRequest).
  if (!size.hyperVGenerations.split(',').includes(known.generation)) {
    const gen = known.generation.slice(1);
    throw new ArmError(
      400,
      'BadRequest',
      `The selected VM size '${size.name}' cannot boot Hypervisor Generation '${gen}'. If this was a Create operation please check that the Hypervisor Generation of the Image matches the Hypervisor Generation of the selected VM Size. If this was an Update operation please select a Hypervisor Generation '${gen}' VM Size. For more information, see https://aka.ms/azuregen2vm`,
    );
  }
  if (size.cpuArchitecture !== known.arch) {
    throw new ArmError(
      400,
      'BadRequest',
      `The selected VM size '${size.name}' has CPU architecture '${size.cpuArchitecture}', which cannot boot the image '${urn}' of architecture '${known.arch}'. Select a VM size with CPU architecture '${known.arch}'.`,
    );
  }
  if (size.confidential) {
    throw new ArmError(
      400,
      'BadRequest',
      `The VM size '${size.name}' is a confidential VM size: it needs securityProfile.securityType 'ConfidentialVM' and a confidential VM image.`,
      'securityProfile.securityType',
    );
  }
  const os = (storage && obj(storage, 'osDisk', 'properties.storageProfile.osDisk')) ?? {};
  const createOption =
    str(os, 'createOption', 'properties.storageProfile.osDisk.createOption') ?? 'FromImage';
  if (createOption.toLowerCase() !== 'fromimage') {
    throw invalidParameter(
      `Only createOption FromImage is supported, got ${createOption}.`,
      'osDisk.createOption',
    );
  }
  const diskSizeGB = os.diskSizeGB ?? 30;
  if (
    typeof diskSizeGB !== 'number' ||
    !Number.isInteger(diskSizeGB) ||
    diskSizeGB < 30 ||
    diskSizeGB > 4095
  ) {
    throw invalidParameter(
      'The disk size must be an integer from 30 (the image size) to 4095 GB.',
      'osDisk.diskSizeGB',
    );
  }
  const osDeleteOption = str(os, 'deleteOption', 'properties.storageProfile.osDisk.deleteOption') ?? 'Detach';
  if (!['Delete', 'Detach'].includes(osDeleteOption)) {
    throw invalidParameter(
      `deleteOption ${osDeleteOption} is not valid (Delete or Detach).`,
      'osDisk.deleteOption',
    );
  }
  const md = obj(os, 'managedDisk', 'properties.storageProfile.osDisk.managedDisk') ?? {};
  const storageAccountType =
    str(md, 'storageAccountType', 'osDisk.managedDisk.storageAccountType') ?? 'Premium_LRS';
  if (
    !['Standard_LRS', 'StandardSSD_LRS', 'Premium_LRS', 'StandardSSD_ZRS', 'Premium_ZRS'].includes(
      storageAccountType,
    )
  ) {
    throw invalidParameter(
      `Storage account type ${storageAccountType} is not valid.`,
      'osDisk.managedDisk.storageAccountType',
    );
  }
  // A named OS disk follows the disks rule: 1–80 alphanumerics, '_' and '-'.
  const diskName = str(os, 'name', 'properties.storageProfile.osDisk.name');
  if (diskName !== undefined && !/^[\w-]{1,80}$/.test(diskName)) {
    throw invalidParameter(
      `The entity name 'osDisk.name' is invalid according to its validation rule: ^[\\w-]{1,80}$.`,
      'osDisk.name',
    );
  }
  // OS profile: computer name, admin user, SSH keys, customData.
  const osProfile = obj(p, 'osProfile', 'properties.osProfile');
  if (!osProfile) throw requiredParameter('osProfile');
  const computerName = str(osProfile, 'computerName', 'properties.osProfile.computerName') ?? name;
  if (
    computerName.length > 64 ||
    /[`~!@#$%^&*()=+_[\]{}\\|;:'",<>/?\s]/.test(computerName) ||
    /^\d+$/.test(computerName) ||
    computerName.startsWith('-') ||
    computerName.endsWith('.')
  ) {
    throw invalidParameter(
      'Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : \' " , < > / ?.',
      'computerName',
    );
  }
  const adminUsername = str(osProfile, 'adminUsername', 'properties.osProfile.adminUsername');
  if (!adminUsername) throw requiredParameter('adminUsername');
  if (
    reservedUsernames.has(adminUsername.toLowerCase()) ||
    !/^[a-z_][a-z0-9_-]{0,63}$/i.test(adminUsername)
  ) {
    throw invalidParameter('The Admin Username specified is not allowed.', 'adminUsername');
  }
  const customDataRaw = osProfile.customData;
  const customData = existing
    ? (existing.internal.customData as string)
    : (decodeCustomData(customDataRaw) ?? '');
  const linux = obj(osProfile, 'linuxConfiguration', 'properties.osProfile.linuxConfiguration') ?? {};
  const disablePasswordAuthentication = linux.disablePasswordAuthentication === true;
  const ssh = obj(linux, 'ssh', 'properties.osProfile.linuxConfiguration.ssh');
  const rawKeys =
    (ssh && arr(ssh, 'publicKeys', 'properties.osProfile.linuxConfiguration.ssh.publicKeys')) ?? [];
  const publicKeys = rawKeys.map((k) => {
    if (!isObject(k))
      throw invalidParameter('Each SSH public key must be an object.', 'linuxConfiguration.ssh.publicKeys');
    const path = str(k, 'path', 'linuxConfiguration.ssh.publicKeys.path') ?? '';
    const keyData = str(k, 'keyData', 'linuxConfiguration.ssh.publicKeys.keyData') ?? '';
    if (path !== `/home/${adminUsername}/.ssh/authorized_keys`) {
      throw invalidParameter(
        `Destination path for SSH public keys is currently limited to its default value /home/${adminUsername}/.ssh/authorized_keys due to a known issue in Linux provisioning agent.`,
        'linuxConfiguration.ssh.publicKeys.path',
      );
    }
    if (!validSshKey(keyData)) {
      throw invalidParameter(
        'The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.',
        'linuxConfiguration.ssh.publicKeys.keyData',
      );
    }
    return { path, keyData };
  });
  const adminPassword = str(osProfile, 'adminPassword', 'properties.osProfile.adminPassword');
  if (disablePasswordAuthentication) {
    if (publicKeys.length === 0) {
      throw invalidParameter(
        'Authentication using either SSH or by user name and password must be enabled in Linux profile.',
        'linuxConfiguration',
      );
    }
  } else if (!existing) {
    if (!adminPassword) throw requiredParameter('adminPassword');
    checkPassword(adminPassword);
  }
  // Network: every NIC exists, sits in the VM's region and serves no other VM.
  const np = obj(p, 'networkProfile', 'properties.networkProfile');
  const rawNics = (np && arr(np, 'networkInterfaces', 'properties.networkProfile.networkInterfaces')) ?? [];
  if (rawNics.length === 0) throw requiredParameter('networkProfile');
  const nics = rawNics.map((n, i) => {
    const path = `properties.networkProfile.networkInterfaces[${i}]`;
    if (!isObject(n)) throw invalidParameter(`'${path}' must be an object.`, path);
    const id = str(n, 'id', `${path}.id`);
    if (!id) throw requiredParameter(`networkProfile.networkInterfaces[${i}].id`);
    const nic = ctx.world.state.get(id);
    if (!nic || nic.type !== NIC || nic.busy === 'delete') {
      throw invalidResourceReference(
        `Resource ${id} referenced by resource ${vmId} was not found.`,
        'networkInterfaces',
      );
    }
    if (nic.location !== loc) {
      throw invalidParameter(
        `The network interface ${id} is in location '${nic.location}' but the virtual machine is in location '${loc}'. They must be in the same location.`,
        'networkInterfaces',
      );
    }
    const user = nicUser(ctx, id);
    if (user && !sameId(ctx.world.state.idOf(user), vmId)) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${id} is used by existing resource ${ctx.world.state.idOf(user)}. In order to use it with this resource, please remove it from the existing resource.`,
      );
    }
    ctx.link('Microsoft.Network/networkInterfaces/join/action');
    const np2 = isObject(n.properties) ? n.properties : {};
    const deleteOption = str(np2, 'deleteOption', `${path}.properties.deleteOption`) ?? 'Detach';
    if (!['Delete', 'Detach'].includes(deleteOption)) {
      throw invalidParameter(
        `deleteOption ${deleteOption} is not valid (Delete or Detach).`,
        `${path}.properties.deleteOption`,
      );
    }
    return {
      id: ctx.world.state.idOf(nic),
      primary: np2.primary === true || rawNics.length === 1,
      deleteOption: deleteOption as 'Delete' | 'Detach',
    };
  });
  return {
    vmSize: size.name,
    image,
    osDisk: {
      name: diskName,
      deleteOption: osDeleteOption as 'Delete' | 'Detach',
      storageAccountType,
      diskSizeGB,
    },
    computerName,
    adminUsername,
    customData,
    ...(typeof customDataRaw === 'string' ? { customDataRaw } : {}),
    disablePasswordAuthentication,
    publicKeys,
    nics,
  };
}

/** Properties that ARM refuses to change after creation. */
function checkImmutable(existing: ResourceRecord, v: ParsedVm): void {
  const i = existing.internal;
  const pairs: Array<[string, unknown, unknown]> = [
    ['osProfile.computerName', i.computerName, v.computerName],
    ['osProfile.adminUsername', i.adminUsername, v.adminUsername],
    [
      'osProfile.linuxConfiguration.disablePasswordAuthentication',
      i.disablePasswordAuthentication,
      v.disablePasswordAuthentication,
    ],
    ['storageProfile.imageReference', JSON.stringify(i.image), JSON.stringify(v.image)],
  ];
  for (const [path, before, after] of pairs) {
    if (before !== after) {
      throw conflict(
        'PropertyChangeNotAllowed',
        `Changing property '${path}' is not allowed.`,
        path.split('.').pop(),
      );
    }
  }
  // customData can never change after the VM is created (omitting it keeps it): a retried create PUT
  // must carry the very same bytes. ARM's answer names the property without its path.
  const raw = (((existing.body.properties as Json).osProfile as Json) ?? {}) && v.customDataRaw;
  if (raw !== undefined && decodeCustomData(raw) !== i.customData) {
    throw conflict(
      'PropertyChangeNotAllowed',
      "Changing property 'customData' is not allowed.",
      'customData',
    );
  }
}

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
