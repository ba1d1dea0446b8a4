#!/usr/bin/env node
// Runs every test file (test/**/*.test.ts, and local/test/**/*.test.ts of the local/ workspace) with
// Node's test runner and tsx, after a build (tsc and the web console bundle), since the integration tests
// load the compiled app from dist/ exactly as Azure does.
// Usage: node test/run.mjs [path-substring ...]   (e.g. `npm test -- journal`)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.test.ts')) yield relative(root, path);
  }
}

const files = [...walk(join(root, 'test')), ...walk(join(root, 'local', 'test'))]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
// The web console's bundle (dist/web), as `npm run build` makes it.
const web = spawnSync(process.execPath, [join(root, 'web', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (web.status !== 0) process.exit(web.status ?? 1);

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
