// A small set of error classes with stable codes (user errors map to 4xx, everything else to 500).
// Check errors by `code`/`name`, not instanceof, as core-rest-pipeline does across packages.

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, errors?: FieldError[]) =>
  new AppError('BadRequest', 400, message, errors);
export const validationFailed = (errors: FieldError[]) =>
  new AppError('ValidationFailed', 400, errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
export const unauthorized = (message = 'Missing or invalid credentials.') =>
  new AppError('Unauthorized', 401, message, undefined, { 'WWW-Authenticate': 'Bearer' });
export const notFound = (message: string) => new AppError('NotFound', 404, message);
export const conflict = (message: string) => new AppError('Conflict', 409, message);
export const gone = (message: string) => new AppError('Gone', 410, message);
export const payloadTooLarge = (message: string) => new AppError('PayloadTooLarge', 413, message);
export const unsupportedMediaType = (message: string) => new AppError('UnsupportedMediaType', 415, message);

export function isAppError(e: unknown): e is AppError {
  return e instanceof Error && e.name === 'AppError' && typeof (e as AppError).status === 'number';
}

/** Turns anything thrown into an Error before handling it. */
export function ensureError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}
