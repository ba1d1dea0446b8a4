// The body of a virtual machine PUT, checked as ARM checks it. First the schema (`vmPutBody`): the shape
// of every property the emulator reads and the rules that need nothing but the value itself; the first
// fault, in the order the properties appear below, is answered with ARM's code, message and target. Then
// the checks that need more than one value or the world (`parseVm`): the size in the region, the image
// against the size, the SSH key path against the admin user, the password of a new VM, the NICs.
import { z } from 'zod';

import type { HandlerContext } from '../context';
import {
  ArmError,
  conflict,
  invalidParameter,
  invalidRequestContent,
  invalidResourceReference,
} from '../errors';
import type { Json, ResourceRecord } from '../state';
import { isObject, requiredParameter, sameId } from './common';
import { NIC, nicUser } from './network';
import { findVmSize, vmSizes } from './skus';

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

const badCustomData = () =>
  invalidParameter(
    `Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${CUSTOM_DATA_MAX} characters.`,
    'customData',
  );

const isCustomData = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length <= CUSTOM_DATA_MAX &&
  v.length % 4 === 0 &&
  /^[A-Za-z0-9+/]*={0,2}$/.test(v);

/** Decoded customData, or a 400 as ARM gives for anything that is not base64 within the limit. */
function decodeCustomData(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isCustomData(v)) throw badCustomData();
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

const validComputerName = (name: string) =>
  name.length <= 64 &&
  !/[`~!@#$%^&*()=+_[\]{}\\|;:'",<>/?\s]/.test(name) &&
  !/^\d+$/.test(name) &&
  !name.startsWith('-') &&
  !name.endsWith('.');

const badComputerName = () =>
  invalidParameter(
    'Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : \' " , < > / ?.',
    'computerName',
  );

// ---------- the schema's vocabulary: every issue carries the ARM error it is answered with ----------

/** The ARM error for an issue at a property path (`properties.networkProfile.networkInterfaces[0]`). */
type ArmFault = (at: string) => ArmError;

function fault(ctx: z.RefinementCtx, arm: ArmFault): void {
  ctx.addIssue({ code: 'custom', message: 'ARM fault', params: { arm } });
}

const absent = (v: unknown): boolean => v === undefined || v === null;
const blank = (v: unknown): boolean => absent(v) || v === '';

/** A property the request must carry: `missing(v)` values are answered with `error`. */
const required = <T extends z.ZodType>(schema: T, error: ArmFault, missing = absent) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (missing(v)) fault(ctx, error);
    })
    .pipe(schema);

/** A property whose wrong type ARM answers otherwise than with the generic InvalidRequestContent. */
const shaped = <T extends z.ZodType>(is: (v: unknown) => boolean, error: ArmFault, schema: T) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (!absent(v) && !is(v)) fault(ctx, error);
    })
    .pipe(schema);

/** An array item (null is no absent property here) whose wrong type ARM answers with `error`. */
const item = <T extends z.ZodType>(is: (v: unknown) => boolean, error: ArmFault, schema: T) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (!is(v)) fault(ctx, error);
    })
    .pipe(schema);

/** A rule on a present value of the right type. */
const rule =
  <T>(ok: (v: T) => boolean, error: (v: T, at: string) => ArmError) =>
  (v: T, ctx: z.RefinementCtx) => {
    if (!absent(v) && !ok(v)) fault(ctx, (at) => error(v, at));
  };

const oneOfDeleteOptions = (target: (at: string) => string) =>
  rule<string>(
    (v) => ['Delete', 'Detach'].includes(v),
    (v, at) => invalidParameter(`deleteOption ${v} is not valid (Delete or Detach).`, target(at)),
  );

const wrongType = (at: string, what: string) =>
  invalidRequestContent(`The request content was invalid: '${at}' must be ${what}.`);

const storageAccountTypes = [
  'Standard_LRS',
  'StandardSSD_LRS',
  'Premium_LRS',
  'StandardSSD_ZRS',
  'Premium_ZRS',
];

// ---------- the schema ----------

const hardwareProfile = z.object({
  // Offered in some region (the region's own restrictions are checked with the location).
  vmSize: required(
    z.string().superRefine(
      rule(
        (v) => findVmSize(v) !== undefined,
        (v) =>
          invalidParameter(
            `The value ${v} provided for the VM size is not valid. The valid sizes in the current region are: ${vmSizes.map((s) => s.name).join(',')}.`,
            'vmSize',
          ),
      ),
    ),
    () => requiredParameter('hardwareProfile.vmSize'),
    blank,
  ),
});

const osDisk = z.object({
  createOption: z
    .string()
    .superRefine(
      rule(
        (v) => v.toLowerCase() === 'fromimage',
        (v) => invalidParameter(`Only createOption FromImage is supported, got ${v}.`, 'osDisk.createOption'),
      ),
    )
    .nullish(),
  diskSizeGB: z
    .unknown()
    .optional()
    .superRefine(
      rule(
        (v) => typeof v === 'number' && Number.isInteger(v) && v >= 30 && v <= 4095,
        () =>
          invalidParameter(
            'The disk size must be an integer from 30 (the image size) to 4095 GB.',
            'osDisk.diskSizeGB',
          ),
      ),
    )
    .transform((v) => (v ?? undefined) as number | undefined),
  deleteOption: z
    .string()
    .superRefine(oneOfDeleteOptions(() => 'osDisk.deleteOption'))
    .nullish(),
  managedDisk: z
    .object({
      storageAccountType: shaped(
        (v) => typeof v === 'string',
        () => wrongType('osDisk.managedDisk.storageAccountType', 'a string'),
        z
          .string()
          .superRefine(
            rule(
              (v) => storageAccountTypes.includes(v),
              (v) =>
                invalidParameter(
                  `Storage account type ${v} is not valid.`,
                  'osDisk.managedDisk.storageAccountType',
                ),
            ),
          )
          .nullish(),
      ),
    })
    .nullish(),
  // A named OS disk follows the disks rule: 1–80 alphanumerics, '_' and '-'.
  name: z
    .string()
    .superRefine(
      rule(
        (v) => /^[\w-]{1,80}$/.test(v),
        () =>
          invalidParameter(
            `The entity name 'osDisk.name' is invalid according to its validation rule: ^[\\w-]{1,80}$.`,
            'osDisk.name',
          ),
      ),
    )
    .nullish(),
});

const storageProfile = z.object({
  imageReference: required(
    z.object({
      publisher: z.string().nullish(),
      offer: z.string().nullish(),
      sku: z.string().nullish(),
      version: z.string().nullish(),
    }),
    () => requiredParameter('storageProfile.imageReference'),
  ),
  osDisk: osDisk.nullish(),
});

// Path and key data are checked against the admin user and for the key's kind with the other values.
const sshPublicKey = item(
  isObject,
  () => invalidParameter('Each SSH public key must be an object.', 'linuxConfiguration.ssh.publicKeys'),
  z.object({
    path: shaped(
      (v) => typeof v === 'string',
      () => wrongType('linuxConfiguration.ssh.publicKeys.path', 'a string'),
      z.string().nullish(),
    ),
    keyData: shaped(
      (v) => typeof v === 'string',
      () => wrongType('linuxConfiguration.ssh.publicKeys.keyData', 'a string'),
      z.string().nullish(),
    ),
  }),
);

const osProfile = z.object({
  // Checked here when given; the VM name it defaults to is checked with the other values.
  computerName: z.string().superRefine(rule(validComputerName, badComputerName)).nullish(),
  adminUsername: required(
    z.string().superRefine(
      rule(
        (v) => !reservedUsernames.has(v.toLowerCase()) && /^[a-z_][a-z0-9_-]{0,63}$/i.test(v),
        () => invalidParameter('The Admin Username specified is not allowed.', 'adminUsername'),
      ),
    ),
    () => requiredParameter('adminUsername'),
    blank,
  ),
  customData: z.unknown().optional().superRefine(rule(isCustomData, badCustomData)),
  linuxConfiguration: z
    .object({
      disablePasswordAuthentication: z.unknown().optional(),
      ssh: z.object({ publicKeys: z.array(sshPublicKey).nullish() }).nullish(),
    })
    .nullish(),
  adminPassword: z.string().nullish(),
});

const networkInterfaceReference = item(
  isObject,
  (at) => invalidParameter(`'${at}' must be an object.`, at),
  z.object({
    id: required(z.string(), (at) => requiredParameter(at.replace(/^properties\./, '')), blank),
    // ARM ignores properties that are not an object here.
    properties: z
      .unknown()
      .optional()
      .transform((v) => (isObject(v) ? v : {}))
      .pipe(
        z.object({
          primary: z.unknown().optional(),
          deleteOption: z
            .string()
            .superRefine(oneOfDeleteOptions((at) => at))
            .nullish(),
        }),
      ),
  }),
);

const networkProfile = z.object({
  networkInterfaces: required(
    z.array(networkInterfaceReference),
    () => requiredParameter('networkProfile'),
    (v) => absent(v) || (Array.isArray(v) && v.length === 0),
  ),
});

const vmPutBody = z.object({
  properties: required(
    z.object({
      hardwareProfile: required(hardwareProfile, () => requiredParameter('hardwareProfile.vmSize')),
      storageProfile: required(storageProfile, () => requiredParameter('storageProfile.imageReference')),
      osProfile: required(osProfile, () => requiredParameter('osProfile')),
      networkProfile: required(networkProfile, () => requiredParameter('networkProfile')),
    }),
    () => requiredParameter('properties'),
  ),
});

export type VmPutBody = z.infer<typeof vmPutBody>;

/** `properties.networkProfile.networkInterfaces[0].id`, as ARM names a property. */
function propertyPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

const article: Record<string, string> = { object: 'an object', array: 'an array' };

/** The ARM error for a fault the schema finds in a VM PUT body. */
function armErrorOf(issue: z.core.$ZodIssue): ArmError {
  const at = propertyPath(issue.path);
  const arm = (issue as { params?: { arm?: ArmFault } }).params?.arm;
  if (arm) return arm(at);
  const expected = issue.code === 'invalid_type' ? issue.expected : 'valid';
  return wrongType(at, article[expected] ?? `a ${expected}`);
}

/** The body of a VM PUT with its shape and per-property rules checked, or the ARM error for its first fault. */
export function parseVmPutBody(body: unknown): VmPutBody {
  const parsed = vmPutBody.safeParse(body);
  if (!parsed.success) throw armErrorOf(parsed.error.issues[0]!);
  return parsed.data;
}

// ---------- the checks that need more than one value ----------

export interface ParsedVm {
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

export function parseVm(
  ctx: HandlerContext,
  name: string,
  loc: string,
  vmId: string,
  existing?: ResourceRecord,
): ParsedVm {
  const p = parseVmPutBody(ctx.body).properties;
  // Size: not restricted for this subscription in the region.
  const size = findVmSize(p.hardwareProfile.vmSize)!;
  if (size.restrictedIn?.includes(loc)) {
    throw new ArmError(
      409,
      'SkuNotAvailable',
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size.name}' is currently not available in location '${loc}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    );
  }
  // Image: known, and bootable by the size's Hyper-V generation and CPU architecture (ARM: 400 BadRequest).
  const ref = p.storageProfile.imageReference;
  const image = {
    publisher: ref.publisher ?? '',
    offer: ref.offer ?? '',
    sku: ref.sku ?? '',
    version: ref.version || 'latest',
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
  const os = p.storageProfile.osDisk;
  // OS profile: the computer name the VM name gives, SSH keys for the admin user, a new VM's password.
  const { osProfile } = p;
  const computerName = osProfile.computerName ?? name;
  if (!validComputerName(computerName)) throw badComputerName();
  const { adminUsername } = osProfile;
  const customDataRaw = osProfile.customData;
  const customData = existing
    ? (existing.internal.customData as string)
    : (decodeCustomData(customDataRaw) ?? '');
  const disablePasswordAuthentication = osProfile.linuxConfiguration?.disablePasswordAuthentication === true;
  const publicKeys = (osProfile.linuxConfiguration?.ssh?.publicKeys ?? []).map((k) => {
    const path = k.path ?? '';
    const keyData = k.keyData ?? '';
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
  if (disablePasswordAuthentication) {
    if (publicKeys.length === 0) {
      throw invalidParameter(
        'Authentication using either SSH or by user name and password must be enabled in Linux profile.',
        'linuxConfiguration',
      );
    }
  } else if (!existing) {
    if (!osProfile.adminPassword) throw requiredParameter('adminPassword');
    checkPassword(osProfile.adminPassword);
  }
  // Network: every NIC exists, sits in the VM's region and serves no other VM.
  const rawNics = p.networkProfile.networkInterfaces;
  const nics = rawNics.map((n) => {
    const nic = ctx.world.state.get(n.id);
    if (!nic || nic.type !== NIC || nic.busy === 'delete') {
      throw invalidResourceReference(
        `Resource ${n.id} referenced by resource ${vmId} was not found.`,
        'networkInterfaces',
      );
    }
    if (nic.location !== loc) {
      throw invalidParameter(
        `The network interface ${n.id} is in location '${nic.location}' but the virtual machine is in location '${loc}'. They must be in the same location.`,
        'networkInterfaces',
      );
    }
    const user = nicUser(ctx, n.id);
    if (user && !sameId(ctx.world.state.idOf(user), vmId)) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${n.id} is used by existing resource ${ctx.world.state.idOf(user)}. In order to use it with this resource, please remove it from the existing resource.`,
      );
    }
    ctx.link('Microsoft.Network/networkInterfaces/join/action');
    return {
      id: ctx.world.state.idOf(nic),
      primary: n.properties.primary === true || rawNics.length === 1,
      deleteOption: (n.properties.deleteOption ?? 'Detach') as 'Delete' | 'Detach',
    };
  });
  return {
    vmSize: size.name,
    image,
    osDisk: {
      name: os?.name ?? undefined,
      deleteOption: (os?.deleteOption ?? 'Detach') as 'Delete' | 'Detach',
      storageAccountType: os?.managedDisk?.storageAccountType ?? 'Premium_LRS',
      diskSizeGB: os?.diskSizeGB ?? 30,
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
export function checkImmutable(existing: ResourceRecord, v: ParsedVm): void {
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
