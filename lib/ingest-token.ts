// Per-VM ingest tokens: 256 random bits, base64url. Table `ingesttokens`, one row per VM (PartitionKey =
// VM name, RowKey ''), holding hashes, never a token in use: a leaked table does not leak working tokens.
// A token is looked up by its VM's row, so another VM's token can never match.
//
// Lifecycle (infra/vm/README.md "Ingest token"):
// - Issued once per create operation (`issueIngestToken`, keyed by the command's seq): a retried VM PUT
//   gets the same token, so its customData is byte-identical (ARM refuses to change customData). Until
//   ARM has created the VM the row keeps that token (`issued`) for such retries; then it is dropped.
// - Rotation (`beginTokenRotation`) adds a pending next token; the current one keeps working for the
//   overlap window. The next token is sealed to a key that only the current token derives (X25519),
//   so the server can hand it to the agent (`verifyIngestToken` → nextToken) when the agent
//   authenticates with the current token, and a leaked table still leaks no token. The first request
//   made with the next token promotes it: from then on the old token is refused.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

import { conflict } from './errors';
import type { Services } from './services';

const TABLE = 'ingesttokens';

/** After a rotation, the previous token keeps working until the agent uses the new one, at most this long. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;
/** Tokens the server accepts at all (ours are 43 characters). */
export const MAX_TOKEN_LENGTH = 256;

interface TokenRow {
  partitionKey: string;
  rowKey: string;
  /** SHA-256 (hex) of the current token. */
  hash: string;
  /** The current token's X25519 public key (SPKI DER, base64): what a next token is sealed to. */
  pub?: string;
  /** The create operation (command seq) that issued the first token. */
  createSeq?: number;
  /** The issued token itself, kept only until ARM has created the VM (for retried PUTs). */
  issued?: string;
  /** A rotation waiting for the agent: the next token's hash, public key and sealed value. */
  nextHash?: string;
  nextPub?: string;
  nextSealed?: string;
  /** When the first unconfirmed rotation happened: the old token works until this + ROTATION_OVERLAP_MS. */
  overlapSince?: string;
  rotatedAt: string;
}

const newToken = () => randomBytes(32).toString('base64url');
const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

function sameHash(storedHex: string | undefined, token: string): boolean {
  const expected = Buffer.from(storedHex ?? '', 'hex');
  const actual = hashOf(token);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

// X25519 keys derived from a token: the private key only from the token itself (HKDF, a different
// function than the stored hash), so the table's public key cannot open what is sealed to it.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const privateKeyOf = (token: string): KeyObject =>
  createPrivateKey({
    key: Buffer.concat([
      PKCS8_X25519,
      Buffer.from(hkdfSync('sha256', token, 'vm-journal', 'ingest-token x25519', 32)),
    ]),
    format: 'der',
    type: 'pkcs8',
  });
const publicKeyOf = (token: string): string =>
  createPublicKey(privateKeyOf(token)).export({ format: 'der', type: 'spki' }).toString('base64');

const sealKey = (shared: Buffer, ephemeral: Buffer) =>
  Buffer.from(hkdfSync('sha256', shared, ephemeral, 'ingest-token next', 32));

/** Seals `token` to a public key: ephemeral X25519, HKDF, AES-256-GCM; base64 of eph|iv|tag|ciphertext. */
function seal(token: string, pubB64: string): string {
  const eph = generateKeyPairSync('x25519');
  const ephDer = eph.publicKey.export({ format: 'der', type: 'spki' });
  const publicKey = createPublicKey({ key: Buffer.from(pubB64, 'base64'), format: 'der', type: 'spki' });
  const key = sealKey(diffieHellman({ privateKey: eph.privateKey, publicKey }), ephDer);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([ephDer, iv, cipher.getAuthTag(), ct]).toString('base64');
}

/** Opens what `seal` made, with the token whose public key it was sealed to (undefined if it cannot). */
function unseal(sealed: string, token: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64');
    const ephDer = raw.subarray(0, 44);
    const publicKey = createPublicKey({ key: ephDer, format: 'der', type: 'spki' });
    const key = sealKey(diffieHellman({ privateKey: privateKeyOf(token), publicKey }), ephDer);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(44, 56));
    decipher.setAuthTag(raw.subarray(56, 72));
    return Buffer.concat([decipher.update(raw.subarray(72)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

const status = (e: unknown) => (e as { statusCode?: number }).statusCode;

async function readRow(
  services: Services,
  vmName: string,
): Promise<(TokenRow & { etag: string }) | undefined> {
  const table = await services.table(TABLE);
  try {
    return await table.getEntity<TokenRow>(vmName, '');
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

/** Writes `row` only if the stored row is still `etag` (false when another writer came first). */
async function replaceIf(services: Services, row: TokenRow, etag: string): Promise<boolean> {
  const table = await services.table(TABLE);
  try {
    await table.updateEntity(row, 'Replace', { etag });
    return true;
  } catch (e) {
    if (status(e) === 412 || status(e) === 404) return false;
    throw e;
  }
}

/** Reads, changes and writes the VM's row with optimistic concurrency (re-reads after a conflict). */
async function updateRow<T>(
  services: Services,
  vmName: string,
  change: (row: (TokenRow & { etag: string }) | undefined) => { row?: TokenRow; result: T },
): Promise<T> {
  const table = await services.table(TABLE);
  for (let attempt = 0; ; attempt++) {
    const current = await readRow(services, vmName);
    const { row, result } = change(current);
    if (!row) return result;
    if (!current) {
      try {
        await table.createEntity(row);
        return result;
      } catch (e) {
        if (status(e) !== 409 || attempt >= 8) throw e;
        continue;
      }
    }
    if (await replaceIf(services, row, current.etag)) return result;
    if (attempt >= 8) throw new Error(`the ingest token of ${vmName} kept changing`);
  }
}

const plain = (row: TokenRow & { etag?: string }): TokenRow => {
  const { etag: _etag, timestamp: _ts, ...rest } = row as TokenRow & { etag?: string; timestamp?: string };
  return rest;
};

/**
 * The token for the VM's create operation `createSeq`: minted on the first call and returned again by
 * every later call for the same operation (a retried VM PUT must carry the same customData). A row of an
 * earlier VM of the same name is replaced.
 */
export async function issueIngestToken(
  services: Services,
  vmName: string,
  createSeq: number,
): Promise<string> {
  return updateRow(services, vmName, (row) => {
    if (row && row.createSeq === createSeq) {
      if (!row.issued) throw new Error(`the ingest token of ${vmName} was issued and already handed over`);
      return { result: row.issued };
    }
    const token = newToken();
    return {
      row: {
        partitionKey: vmName,
        rowKey: '',
        hash: hashOf(token).toString('hex'),
        pub: publicKeyOf(token),
        createSeq,
        issued: token,
        rotatedAt: new Date(services.clock.now()).toISOString(),
      },
      result: token,
    };
  });
}

/** ARM has the VM (its customData can no longer be sent again): the row keeps only hashes from now on. */
export async function dropIssuedToken(services: Services, vmName: string): Promise<void> {
  await updateRow(services, vmName, (row) => {
    if (!row?.issued) return { result: undefined };
    const { issued: _issued, ...rest } = plain(row);
    return { row: rest, result: undefined };
  });
}

export interface Rotated {
  token: string;
  /** The previous token works until the agent first uses the new one, at the latest until then. */
  previousValidUntil: string;
}

/**
 * A new token for the VM, returned once. The current token keeps working until the agent has used the
 * new one (it learns it from an ingest response), at most ROTATION_OVERLAP_MS after the first rotation
 * it has not confirmed. Rotating again before that replaces the pending token (the newest wins).
 */
export async function beginTokenRotation(services: Services, vmName: string): Promise<Rotated> {
  const now = new Date(services.clock.now());
  return updateRow(services, vmName, (row) => {
    if (!row)
      throw conflict(`The VM '${vmName}' has no ingest token yet: retry once provisioning has begun the VM.`);
    const token = newToken();
    const base = plain(row);
    const overlapSince = row.nextHash && row.overlapSince ? row.overlapSince : now.toISOString();
    const rotated: TokenRow = row.pub
      ? {
          ...base,
          nextHash: hashOf(token).toString('hex'),
          nextPub: publicKeyOf(token),
          nextSealed: seal(token, row.pub),
          overlapSince,
          rotatedAt: now.toISOString(),
        }
      : // A row from before sealed rotation (no public key): nothing to seal to, the new token applies
        // at once (and the operator installs it, see infra/vm/README.md).
        {
          ...base,
          hash: hashOf(token).toString('hex'),
          pub: publicKeyOf(token),
          rotatedAt: now.toISOString(),
        };
    const until = row.pub ? new Date(Date.parse(overlapSince) + ROTATION_OVERLAP_MS) : now;
    return { row: rotated, result: { token, previousValidUntil: until.toISOString() } };
  });
}

/**
 * Replaces the VM's token at once, with no overlap: the previous and any pending token stop working now.
 * For tests, benchmarks and tools that install the new token on the machine themselves.
 */
export async function rotateIngestToken(services: Services, vmName: string): Promise<string> {
  const token = newToken();
  await updateRow(services, vmName, (row) => {
    const { nextHash: _h, nextPub: _p, nextSealed: _s, overlapSince: _o, ...rest } = row ? plain(row) : {};
    return {
      row: {
        ...rest,
        partitionKey: vmName,
        rowKey: '',
        hash: hashOf(token).toString('hex'),
        pub: publicKeyOf(token),
        rotatedAt: new Date(services.clock.now()).toISOString(),
      },
      result: undefined,
    };
  });
  return token;
}

export type Verified =
  | { ok: false }
  | {
      ok: true;
      /** A rotated token the caller should use from its next request (only to the current token's holder). */
      nextToken?: string;
    };

/** True when `token` is a token the VM's agent may use now (see authenticateIngestToken). */
export async function verifyIngestToken(services: Services, vmName: string, token: string): Promise<boolean> {
  return (await authenticateIngestToken(services, vmName, token)).ok;
}

/** Checks `token` against the VM's row (constant-time hash comparisons); see the lifecycle above. */
export async function authenticateIngestToken(
  services: Services,
  vmName: string,
  token: string,
): Promise<Verified> {
  if (!token || token.length > MAX_TOKEN_LENGTH) return { ok: false };
  const now = services.clock.now();
  const row = await readRow(services, vmName);
  if (!row) return { ok: false };
  if (sameHash(row.hash, token)) {
    if (!row.nextHash) {
      // A row from before sealed rotation gets its public key the first time its token is seen.
      if (!row.pub) await replaceIf(services, { ...plain(row), pub: publicKeyOf(token) }, row.etag);
      return { ok: true };
    }
    if (row.overlapSince && now - Date.parse(row.overlapSince) > ROTATION_OVERLAP_MS) return { ok: false };
    const nextToken = row.nextSealed ? unseal(row.nextSealed, token) : undefined;
    return nextToken ? { ok: true, nextToken } : { ok: true };
  }
  if (row.nextHash && sameHash(row.nextHash, token)) {
    // The agent has switched: the next token becomes the current one, the old one stops working.
    await updateRow(services, vmName, (fresh) => {
      if (!fresh?.nextHash || !sameHash(fresh.nextHash, token)) return { result: undefined };
      const { nextHash: _next, nextPub, nextSealed: _sealed, overlapSince: _since, ...rest } = plain(fresh);
      return {
        row: { ...rest, hash: fresh.nextHash, ...(nextPub ? { pub: nextPub } : {}) },
        result: undefined,
      };
    });
    return { ok: true };
  }
  return { ok: false };
}

/** Removes the VM's token (the VM was deleted, or its create failed). */
export async function deleteIngestToken(services: Services, vmName: string): Promise<void> {
  const table = await services.table(TABLE);
  await table.deleteEntity(vmName, '').catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 404) throw e;
  });
}
