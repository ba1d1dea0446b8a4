// The emulator's CA and its server certificate for 127.0.0.1/localhost, made with the openssl CLI (never
// committed). With a state directory they are kept there and reused at the next start, so that clients
// holding the CA keep working across restarts; without one they are throw-away. The SDK refuses bearer
// tokens over plain HTTP, hence HTTPS.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const CA_DAYS = 3650;
const SERVER_DAYS = 825;
/** A certificate this close to its end is replaced at start. */
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.pem'),
    '-days',
    String(CA_DAYS),
    '-subj',
    '/CN=vm-journal local ARM emulator CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function makeServer(dir: string, caPem: string, caKey: string): Promise<void> {
  const path = (name: string) => join(dir, name);
  await writeFile(path('issuer.pem'), caPem);
  await writeFile(path('issuer.key'), caKey, { mode: 0o600 });
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(
    path('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('issuer.pem'),
    '-CAkey',
    path('issuer.key'),
    '-CAcreateserial',
    '-out',
    path('server.pem'),
    '-days',
    String(SERVER_DAYS),
    '-extfile',
    path('server.ext'),
  ]);
}

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'arm-emulator-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/** A certificate whose key is `keyPem`, valid for a while yet and, when given, signed by `issuer`. */
function usable(certPem: string | undefined, keyPem: string | undefined, issuer?: X509Certificate) {
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    if (issuer && !cert.verify(issuer.publicKey)) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  await writeFile(`${file}.tmp`, text, { mode });
  await rename(`${file}.tmp`, file);
}

/** Throw-away CA and server certificate. */
export async function createCertificates(): Promise<ServerCertificates> {
  return inTempDir(async (dir) => {
    await makeCa(dir);
    const [caPem, caKey] = await Promise.all(['ca.pem', 'ca.key'].map((f) => readFile(join(dir, f), 'utf8')));
    await makeServer(dir, caPem!, caKey!);
    const [certPem, keyPem] = await Promise.all(
      ['server.pem', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
  });
}

/**
 * The CA and server certificate kept in `dir` (ca.pem, ca.key, server.pem, server.key): reused when
 * valid, the server certificate renewed under the same CA when only it is missing or ending, all made
 * anew when the CA itself is missing, broken or ending.
 */
export async function loadOrCreateCertificates(dir: string): Promise<ServerCertificates> {
  const file = (name: string) => join(dir, name);
  let [caPem, caKey, certPem, keyPem] = await Promise.all(
    ['ca.pem', 'ca.key', 'server.pem', 'server.key'].map((f) => readIfExists(file(f))),
  );
  let ca = usable(caPem, caKey);
  if (!ca || !caPem || !caKey) {
    [caPem, caKey] = await inTempDir(async (tmp) => {
      await makeCa(tmp);
      return Promise.all(['ca.pem', 'ca.key'].map((f) => readFile(join(tmp, f), 'utf8')));
    });
    await writeAtomically(file('ca.key'), caKey!, 0o600);
    await writeAtomically(file('ca.pem'), caPem!, 0o644);
    ca = new X509Certificate(caPem!);
  }
  if (!usable(certPem, keyPem, ca)) {
    const issuer = { pem: caPem!, key: caKey! };
    [certPem, keyPem] = await inTempDir(async (tmp) => {
      await makeServer(tmp, issuer.pem, issuer.key);
      return Promise.all(['server.pem', 'server.key'].map((f) => readFile(join(tmp, f), 'utf8')));
    });
    await writeAtomically(file('server.key'), keyPem!, 0o600);
    await writeAtomically(file('server.pem'), certPem!, 0o644);
  }
  return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
}
