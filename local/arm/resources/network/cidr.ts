// IPv4 CIDR arithmetic for address spaces, subnets and private address allocation.
import { invalidParameter } from '../../errors';

export interface Cidr {
  base: number;
  bits: number;
  text: string;
}

export function parseCidr(text: string, target: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits > 32 || bits < 8) {
    throw invalidParameter(`Address prefix ${text} is not a valid CIDR (a.b.c.d/n, n from 8 to 32).`, target);
  }
  const base =
    (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0) & mask(bits);
  return { base: base >>> 0, bits, text };
}

export const mask = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
export const size = (c: Cidr) => 2 ** (32 - c.bits);
export const contains = (outer: Cidr, inner: Cidr) =>
  inner.bits >= outer.bits && (inner.base & mask(outer.bits)) >>> 0 === outer.base;
export const overlaps = (a: Cidr, b: Cidr) => contains(a, b) || contains(b, a);
export const ipText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
