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
