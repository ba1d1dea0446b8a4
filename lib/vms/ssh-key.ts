// SSH public keys as Azure accepts them for Linux VMs: one OpenSSH line, ssh-rsa (≥ 2048 bits) or
// ssh-ed25519, whose base64 blob really holds a key of the named type.
const LINE = /^(ssh-rsa|ssh-ed25519) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/;

function readString(blob: Buffer, off: number): [Buffer, number] | undefined {
  if (off + 4 > blob.length) return undefined;
  const len = blob.readUInt32BE(off);
  if (off + 4 + len > blob.length) return undefined;
  return [blob.subarray(off + 4, off + 4 + len), off + 4 + len];
}

/** Why the key is not acceptable, or undefined when it is. */
export function sshKeyProblem(line: string): string | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return 'must be one OpenSSH public key line: "ssh-ed25519 AAAA… [comment]" or "ssh-rsa AAAA…"';
  const type = m[1]!;
  const blob = Buffer.from(m[2]!, 'base64');
  const head = readString(blob, 0);
  if (!head || head[0].toString() !== type) return `the key data is not an ${type} key`;
  if (type === 'ssh-ed25519')
    return readString(blob, head[1])?.[0].length === 32 ? undefined : 'bad ed25519 key';
  const e = readString(blob, head[1]);
  const n = e && readString(blob, e[1]);
  if (!n) return 'bad RSA key';
  const bits = (n[0].length - (n[0][0] === 0 ? 1 : 0)) * 8;
  return bits >= 2048 ? undefined : 'RSA keys must have at least 2048 bits';
}
