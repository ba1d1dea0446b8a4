// RFC 9457 problem+json responses, the one place errors become HTTP.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { type AppError, ensureError, type FieldError, isAppError } from '../errors';
import { redactPath } from './redact';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code?: string;
  errors?: FieldError[];
}

export function problem(
  status: number,
  detail: string,
  opts: { instance?: string; code?: string; errors?: FieldError[] } = {},
): Problem {
  return {
    type: opts.code ? `https://vm-journal.dev/problems/${opts.code}` : 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(opts.instance ? { instance: opts.instance } : {}),
    ...(opts.code ? { code: opts.code } : {}),
    ...(opts.errors ? { errors: opts.errors } : {}),
  };
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(p),
  };
}

function appErrorResponse(e: AppError, instance: string): HttpResponseInit {
  return problemResponse(
    problem(e.status, e.message, { instance, code: e.code, errors: e.errors }),
    e.headers,
  );
}

type Handler = (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;

/** Wraps an HTTP handler: AppErrors become their problem+json, anything else a 500 without internals. */
export function withProblems(handler: Handler): Handler {
  return async (req, ctx) => {
    // `instance` echoes the path: never the ingest token of the uploader's route.
    const instance = redactPath(new URL(req.url).pathname);
    try {
      return await handler(req, ctx);
    } catch (thrown) {
      if (isAppError(thrown)) return appErrorResponse(thrown, instance);
      const err = ensureError(thrown);
      ctx.error(`Unhandled error in ${ctx.functionName}: ${err.stack ?? err.message}`);
      return problemResponse(
        problem(500, `An internal error occurred (invocation ${ctx.invocationId}).`, {
          instance,
          code: 'InternalError',
        }),
      );
    }
  };
}
