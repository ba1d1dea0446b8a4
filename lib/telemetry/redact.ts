// What a span may say about a URL path: the ingest token of /api/ingest/{name}/{token}/… is masked
// (systemd-journal-upload can only put it in the path). Queries are never recorded (`code` is the
// function key).
const INGEST_PATH = /(\/ingest\/[^/]+\/)[^/]+/i;

export const REDACTED = 'REDACTED';

export function redactPath(path: string): string {
  return path.replace(INGEST_PATH, `$1${REDACTED}`);
}
