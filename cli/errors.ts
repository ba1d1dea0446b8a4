// The three ways a command fails, each with its exit code: bad usage (2, like commander's own errors),
// a problem+json answer from the API (1) and a request that never got an answer (1).

/** Bad flags or arguments, found before anything is sent. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** An RFC 9457 problem the API answered with (or any non-2xx answer). Exit code 1. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** One line: title, detail, and the fields a validation error names. */
  oneLine(): string {
    let s = this.detail ? `${this.title}: ${this.detail}` : this.title;
    if (this.errors.length) s += ` (${this.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})`;
    return `${s} [HTTP ${this.status}]`;
  }
}

/** The request never got an answer (refused, reset, DNS, TLS); names the URL it tried. Exit code 1. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url}: ${describeCause(cause)}`);
  }
}

function describeCause(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (c?.code)
    return c.message && !c.message.includes(c.code) ? `${c.code} ${c.message}` : c.message || c.code;
  return e instanceof Error ? e.message : String(e);
}
