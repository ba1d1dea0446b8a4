// `npm start`: builds the app if its sources changed, starts the whole local runtime (Azurite, the ARM
// emulator, the Functions host with its Durable engine) and stops every child and port on SIGINT/SIGTERM.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { LocalRuntime } from '../runtime';

const root = join(__dirname, '..', '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (name.endsWith('.ts')) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

function buildIfNeeded(): void {
  const entry = join(root, 'dist', 'functions', 'index.js');
  const sources = Math.max(newestSource(join(root, 'functions')), newestSource(join(root, 'lib')));
  if (existsSync(entry) && statSync(entry).mtimeMs >= sources) return;
  console.log('Building the app (tsc)…');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

async function main(): Promise<void> {
  const started = performance.now();
  buildIfNeeded();
  const port = Number(process.env.PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a TCP port (got ${process.env.PORT}).`);
  const runtime = await LocalRuntime.start({
    appDir: root,
    port,
    storagePorts: process.env.LOCAL_STORAGE_PORTS === 'free' ? 'free' : 'default',
    keys: { functionKey: process.env.LOCAL_FUNCTION_KEY, masterKey: process.env.LOCAL_MASTER_KEY },
    // LOCAL_ARM_EMULATOR=off talks to the ARM endpoint in the settings (real Azure) instead.
    arm: process.env.LOCAL_ARM_EMULATOR === 'off' ? false : {},
    guests: true,
  });
  const { ports, reused } = runtime.azurite;
  console.log(
    `\nvm-journal is running locally (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log(`  API       ${runtime.baseUrl}/api   (try: curl ${runtime.baseUrl}/api/health)`);
  console.log(`  OpenAPI   ${runtime.baseUrl}/api/openapi.json`);
  console.log(
    `  Storage   Azurite blob:${ports.blob} queue:${ports.queue} table:${ports.table}${reused ? ' (reused)' : ''}`,
  );
  for (const r of runtime.host.routes())
    console.log(`  ${r.methods.join(',').padEnd(18)} ${r.path}  (${r.name})`);
  console.log('Press Ctrl+C to stop.\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    runtime.dispose().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
