// Function keys, enforced as Azure does when a key is configured: `function` level accepts the function
// key or the master key (header `x-functions-key` or query `code`), `admin` only the master key.
// With no key configured the host is open, as Core Tools is.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface FunctionKeys {
  functionKey?: string;
  masterKey?: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isAuthorized(
  authLevel: unknown,
  keys: FunctionKeys,
  req: IncomingMessage,
  url: URL,
): boolean {
  const level = typeof authLevel === 'string' ? authLevel.toLowerCase() : 'function';
  if (level === 'anonymous') return true;
  if (!keys.functionKey && !keys.masterKey) return true;
  const header = req.headers['x-functions-key'];
  const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  if (presented === '') return false;
  if (keys.masterKey && same(presented, keys.masterKey)) return true;
  return level === 'function' && keys.functionKey !== undefined && same(presented, keys.functionKey);
}
