// The stock uploader's route carries the VM's ingest token in its path (/api/ingest/{name}/{token}/upload):
// anything the app logs or echoes of a request path goes through redactPath first.

const INGEST_PATH = /^(\/api\/ingest\/[^/?#]*)\/[^?#]*/i;

/** The path with everything after an ingest route's VM name replaced: /api/ingest/{name}/*** */
export function redactPath(path: string): string {
  return path.replace(INGEST_PATH, '$1/***');
}

/** A URL (absolute, or a request target such as /api/x?y) with its path redacted; the query is dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url, 'http://redacted.invalid');
    const path = redactPath(u.pathname);
    return url.startsWith('/') ? path : `${u.origin}${path}`;
  } catch {
    return redactPath(url.split(/[?#]/)[0] ?? '');
  }
}
