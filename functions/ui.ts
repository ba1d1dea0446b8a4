// GET /api/ui/{*path}: the web console (web/, bundled into dist/web by web/build.mjs at build time).
// The page has no cache (it names the current hashed assets); assets are immutable for a year. Every
// response carries a strict Content-Security-Policy: journal text is attacker-controlled, and the page
// renders it as text only, but the policy also forbids inline script and any other origin.
// Anonymous: the page holds no data; the API calls it makes carry the function key the user enters.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { notFound } from '../lib/errors';
import { withProblems } from '../lib/http/problem';
import { UI_SECURITY_HEADERS, uiAssetType } from '../lib/ui/headers';

/** dist/web next to the compiled app (dist/functions), or under dist when run from source by tsx. */
const WEB_DIRS = [resolve(__dirname, '..', 'web'), resolve(__dirname, '..', 'dist', 'web')];

let webDir: Promise<string> | undefined;
function findWebDir(): Promise<string> {
  webDir ??= (async () => {
    for (const dir of WEB_DIRS) {
      try {
        await readFile(join(dir, 'manifest.json'));
        return dir;
      } catch {
        /* try the next */
      }
    }
    throw new Error(
      `The web console is not built (no manifest.json in ${WEB_DIRS.join(' or ')}); run npm run build.`,
    );
  })();
  webDir.catch(() => (webDir = undefined));
  return webDir;
}

const ASSET = /^assets\/[A-Za-z0-9._-]+$/;

export async function serveUi(req: HttpRequest): Promise<HttpResponseInit> {
  const path = req.params.path ?? '';
  const url = new URL(req.url);
  if (path === '' && !url.pathname.endsWith('/'))
    // The page refers to its assets relatively (assets/…): it must be served from …/ui/.
    return { status: 308, headers: { ...UI_SECURITY_HEADERS, location: `${url.pathname}/${url.search}` } };
  const dir = await findWebDir();
  if (path === '' || path === 'index.html') {
    return {
      status: 200,
      headers: {
        ...UI_SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache, no-store, must-revalidate',
      },
      body: await readFile(join(dir, 'index.html')),
    };
  }
  const type = uiAssetType(path);
  if (!ASSET.test(path) || !type) throw notFound(`No console file ${path}.`);
  let body: Buffer;
  try {
    body = await readFile(join(dir, path));
  } catch {
    throw notFound(`No console file ${path}.`);
  }
  return {
    status: 200,
    headers: {
      ...UI_SECURITY_HEADERS,
      'content-type': type,
      'cache-control': 'public, max-age=31536000, immutable',
    },
    body,
  };
}

app.http('ui', {
  methods: ['GET'],
  route: 'ui/{*path}',
  authLevel: 'anonymous',
  handler: withProblems(serveUi),
});
