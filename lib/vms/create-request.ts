// The create request (POST /api/vms): parsed with a schema that names every bad field at once. Checks
// that need ARM (region offered, SKU available there) are in resolve-size.ts.
import { z } from 'zod';

import { type FieldError, validationFailed } from '../errors';
import { derivedNameProblems, VM_NAME_PATTERN, VM_NAME_RULE } from './names';
import { SIZE_PRESET_NAMES } from './sizes';
import { sshKeyProblem } from './ssh-key';

export const DEFAULT_IMAGE = 'Canonical:ubuntu-24_04-lts:server:latest';
export const DEFAULT_DISK_GIB = 30;
export const MIN_DISK_GIB = 30;
export const MAX_DISK_GIB = 4095;
/** Create bodies are small; anything larger is refused with 413 before parsing. */
export const MAX_CREATE_BODY_BYTES = 64 * 1024;

const IMAGE_PATTERN =
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63}){2}:(latest|\d+\.\d+\.\d+)$/;

export const createRequestSchema = z
  .strictObject({
    name: z
      .string({ error: 'required, a string' })
      .regex(VM_NAME_PATTERN, VM_NAME_RULE)
      .superRefine((v, ctx) => {
        // Every Azure name derived from it (VNet, NIC, disk, host name…) must be valid for its type.
        if (!VM_NAME_PATTERN.test(v)) return;
        for (const message of derivedNameProblems(v)) ctx.addIssue({ code: 'custom', message });
      }),
    size: z.enum(SIZE_PRESET_NAMES, { error: `must be one of ${SIZE_PRESET_NAMES.join(', ')}` }).optional(),
    cpu: z.number({ error: 'must be a number' }).int('must be an integer').min(1).max(416).optional(),
    memoryGiB: z.number({ error: 'must be a number' }).positive().max(12_288).optional(),
    diskGiB: z
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(MIN_DISK_GIB, `must be at least ${MIN_DISK_GIB} (the image size)`)
      .max(MAX_DISK_GIB, `must be at most ${MAX_DISK_GIB}`)
      .optional(),
    region: z
      .string({ error: 'must be a string' })
      .regex(/^[a-z][a-z0-9]{1,39}$/, 'an Azure region name such as westeurope')
      .optional(),
    sshPublicKey: z
      .string({ error: 'must be a string' })
      .max(16_384)
      .superRefine((v, ctx) => {
        const p = sshKeyProblem(v);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .optional(),
    image: z
      .string({ error: 'must be a string' })
      .regex(IMAGE_PATTERN, 'must be publisher:offer:sku:version (version "latest" or x.y.z)')
      .optional(),
  })
  .superRefine((b, ctx) => {
    if (b.size !== undefined && (b.cpu !== undefined || b.memoryGiB !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['size'],
        message: 'give either size or cpu/memoryGiB, not both',
      });
    }
  });

export type CreateRequest = z.output<typeof createRequestSchema>;

export interface ParsedCreate {
  name: string;
  size: string | null;
  cpu?: number;
  memoryGiB?: number;
  diskGiB: number;
  region: string;
  sshPublicKey: string;
  image: string;
}

function zodErrors(e: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const i of e.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ field: k, message: 'unknown field' });
    } else {
      out.push({ field: i.path.map(String).join('.') || 'body', message: i.message });
    }
  }
  return out;
}

/** Parses the JSON body text; throws a 400 naming every bad field. */
export function parseCreateRequest(
  text: string,
  defaults: { region: string; sshPublicKey?: string },
): ParsedCreate {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw validationFailed([{ field: 'body', message: 'must be a JSON object' }]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw validationFailed([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const result = createRequestSchema.safeParse(raw);
  const errors = result.success ? [] : zodErrors(result.error);
  const body = result.success ? result.data : undefined;
  const key = (raw as { sshPublicKey?: unknown }).sshPublicKey;
  if (key === undefined && !defaults.sshPublicKey) {
    errors.push({ field: 'sshPublicKey', message: 'required (no default key is configured)' });
  }
  if (errors.length > 0 || !body) throw validationFailed(errors);
  return {
    name: body.name,
    size: body.size ?? (body.cpu === undefined && body.memoryGiB === undefined ? 'small' : null),
    ...(body.cpu !== undefined ? { cpu: body.cpu } : {}),
    ...(body.memoryGiB !== undefined ? { memoryGiB: body.memoryGiB } : {}),
    diskGiB: body.diskGiB ?? DEFAULT_DISK_GIB,
    region: body.region ?? defaults.region,
    sshPublicKey: (body.sshPublicKey ?? defaults.sshPublicKey ?? '').trim(),
    image: body.image ?? DEFAULT_IMAGE,
  };
}
