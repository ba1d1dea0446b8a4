// Per-VM ingest tokens: 256 random bits, base64url, shown once. Only the SHA-256 hash is stored (table
// `ingesttokens`, PartitionKey = VM name, RowKey ''), so a leaked table does not leak tokens. A token
// is looked up by its VM's row, so another VM's token can never match. Rotating replaces the hash:
// the old token stops working at once (no cache).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { tableClient } from './storage';

const TABLE = 'ingesttokens';

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Creates or replaces the VM's ingest token and returns it (the only time it is visible). */
export async function rotateIngestToken(vmName: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const table = await tableClient(TABLE);
  await table.upsertEntity(
    {
      partitionKey: vmName,
      rowKey: '',
      hash: hashOf(token).toString('hex'),
      rotatedAt: new Date().toISOString(),
    },
    'Replace',
  );
  return token;
}

/** True when `token` is the VM's current ingest token (constant-time comparison of the hashes). */
export async function verifyIngestToken(vmName: string, token: string): Promise<boolean> {
  if (!token || token.length > 256) return false;
  const table = await tableClient(TABLE);
  let stored: string | undefined;
  try {
    stored = (await table.getEntity<{ hash: string }>(vmName, '')).hash;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
  const expected = Buffer.from(stored ?? '', 'hex');
  const actual = hashOf(token);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Removes the VM's token (when the VM is deleted). */
export async function deleteIngestToken(vmName: string): Promise<void> {
  const table = await tableClient(TABLE);
  await table.deleteEntity(vmName, '').catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 404) throw e;
  });
}
