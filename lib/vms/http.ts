// Request helpers for the VM routes: a bounded body read, the path name, and list parameters.
import type { HttpRequest } from '@azure/functions';

import { payloadTooLarge, validationFailed } from '../errors';
import { bodyOf, discardBody } from '../http/body';
import { parseLimit } from '../http/query';
import { isVmName, VM_NAME_RULE } from './names';
import { VM_STATUSES, type VmStatus } from './status';

/**
 * The body as UTF-8 text, refusing more than `maxBytes` (413), keeping none of it beyond that. The rest
 * of a refused body is still read and dropped (`discardBody` says why).
 */
export async function readBodyText(req: HttpRequest, maxBytes: number): Promise<string> {
  const tooLarge = payloadTooLarge(`The body exceeds ${maxBytes} bytes.`);
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await discardBody(req);
    throw tooLarge;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyOf(req)) {
    size += chunk.byteLength;
    if (size <= maxBytes) chunks.push(Buffer.from(chunk));
  }
  if (size > maxBytes) throw tooLarge;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw validationFailed([{ field: 'body', message: 'must be UTF-8 JSON text' }]);
  }
}

export function pathName(req: HttpRequest): string {
  const name = req.params.name ?? '';
  if (!isVmName(name)) throw validationFailed([{ field: 'path.name', message: VM_NAME_RULE }]);
  return name;
}

export interface ListParams {
  limit: number;
  status?: VmStatus[];
  cursor?: string;
}

/** `limit` (1–1000, default 100), `status` (one or more, comma-separated), `cursor`. */
export function parseListParams(q: URLSearchParams): ListParams {
  const errors: { field: string; message: string }[] = [];
  const limit = parseLimit(q, errors);
  let status: VmStatus[] | undefined;
  const rawStatus = q.getAll('status').flatMap((s) => s.split(','));
  if (rawStatus.length > 0) {
    const bad = rawStatus.filter((s) => !(VM_STATUSES as readonly string[]).includes(s));
    if (bad.length > 0)
      errors.push({ field: 'query.status', message: `one or more of ${VM_STATUSES.join(', ')}` });
    status = rawStatus as VmStatus[];
  }
  const cursor = q.get('cursor') ?? undefined;
  if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,8192}$/.test(cursor)) {
    errors.push({ field: 'query.cursor', message: 'not a cursor this API returned' });
  }
  if (errors.length > 0) throw validationFailed(errors);
  return { limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
}
