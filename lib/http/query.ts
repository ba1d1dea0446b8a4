// Query-string checks shared by every route: a parameter the route does not know is a 400 naming it,
// never silently ignored. `code` (the function key) is always allowed.
import { type FieldError, validationFailed } from '../errors';

const ALWAYS_ALLOWED = new Set(['code']);

export function rejectUnknownQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const known = new Set(allowed);
  const errors: FieldError[] = [];
  for (const name of new Set(query.keys())) {
    if (!known.has(name) && !ALWAYS_ALLOWED.has(name)) {
      errors.push({
        field: `query.${name}`,
        message: `unknown query parameter; allowed: ${[...known].join(', ') || 'none'}`,
      });
    }
  }
  if (errors.length > 0) throw validationFailed(errors);
}

/** Page sizes of every list route (docs/api.md: default 100, max 1000). */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Reads `limit`; a bad value is added to `errors` (the caller reports every bad field at once). */
export function parseLimit(q: URLSearchParams, errors: FieldError[], fallback = DEFAULT_LIMIT): number {
  const raw = q.get('limit');
  if (raw === null) return fallback;
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    errors.push({ field: 'query.limit', message: `an integer from 1 to ${MAX_LIMIT}` });
    return fallback;
  }
  return limit;
}
