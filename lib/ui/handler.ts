// GET /api/ui/{*path}: the web console (web/, bundled into dist/web by web/build.mjs at build time).
// The page has no cache (it names the current hashed assets); assets are immutable for a year. Every
// response carries a strict Content-Security-Policy: journal text is attacker-controlled, and the page
// renders it as text only, but the policy also forbids inline script and any other origin.
// Anonymous: the page holds no data; the API calls it makes carry the function key the user enters.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { notFound } from '../errors';
import { withProblems } from '../http/problem';
import type { Services } from '../services';
import { UI_SECURITY_HEADERS, uiAssetType } from './headers';

/** dist/web next to the compiled app (dist/lib/ui), or under dist when run from source by tsx. */
export const WEB_DIRS: readonly string[] = [
  resolve(__dirname, '..', '..', 'web'),
  resolve(__dirname, '..', '..', 'dist', 'web'),
];

const WEB_DIR = Symbol('ui.webDir');

/** The first of `dirs` with a built console, found once per app (a failure is retried next time). */
function findWebDir(services: Services, dirs: readonly string[]): Promise<string> {
  const found = services.state(WEB_DIR, () => ({ dir: undefined as Promise<string> | undefined }));
  found.dir ??= (async () => {
    for (const dir of dirs) {
      try {
        await readFile(join(dir, 'manifest.json'));
        return dir;
      } catch {
        /* try the next */
      }
    }
    throw new Error(
      `The web console is not built (no manifest.json in ${dirs.join(' or ')}); run npm run build.`,
    );
  })();
  found.dir.catch(() => (found.dir = undefined));
  return found.dir;
}

const ASSET = /^assets\/[A-Za-z0-9._-]+$/;

/** The console's handler; `webDirs` are where to look for the built console (tests give their own). */
export const uiHandler = (
  services: Services,
  webDirs: readonly string[] = WEB_DIRS,
): ((req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>) =>
  withProblems(async (req) => {
    const path = req.params.path ?? '';
    const url = new URL(req.url);
    if (path === '' && !url.pathname.endsWith('/'))
      // The page refers to its assets relatively (assets/…): it must be served from …/ui/.
      return { status: 308, headers: { ...UI_SECURITY_HEADERS, location: `${url.pathname}/${url.search}` } };
    const dir = await findWebDir(services, webDirs);
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
  });
