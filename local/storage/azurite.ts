// Azurite, managed by the runtime: started from node_modules with telemetry off, on the default ports
// when they are free (or reused when an Azurite already listens there), else on free ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, isListening, waitForPort } from '../ports';

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 };

export interface AzuriteOptions {
  /** Where Azurite keeps its data (a subfolder `azurite/` is used). */
  dataDir: string;
  /** `default`: reuse or take 10000-10002 when possible; `free`: always new free ports (tests). */
  ports?: 'default' | 'free';
  inMemory?: boolean;
}

export class Azurite {
  #child: ChildProcess | undefined;
  private constructor(
    readonly ports: { blob: number; queue: number; table: number },
    readonly reused: boolean,
  ) {}

  /** The Azurite process id when this object started it (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get connectionString(): string {
    const host = 'http://127.0.0.1';
    return [
      'DefaultEndpointsProtocol=http',
      `AccountName=${ACCOUNT}`,
      `AccountKey=${KEY}`,
      `BlobEndpoint=${host}:${this.ports.blob}/${ACCOUNT}`,
      `QueueEndpoint=${host}:${this.ports.queue}/${ACCOUNT}`,
      `TableEndpoint=${host}:${this.ports.table}/${ACCOUNT}`,
    ].join(';');
  }

  static async start(opts: AzuriteOptions): Promise<Azurite> {
    if ((opts.ports ?? 'default') === 'default') {
      if (await isAzuriteOnDefaultPorts()) return new Azurite(DEFAULT_PORTS, true);
      const taken = await Promise.all(Object.values(DEFAULT_PORTS).map((p) => isListening(p)));
      if (!taken.some(Boolean)) return Azurite.#spawn(opts, DEFAULT_PORTS);
    }
    // A free port can be taken by another process between freePort() and Azurite's listen (tests run
    // two files at once): then Azurite exits with EADDRINUSE, and new ports are tried.
    for (let attempt = 1; ; attempt++) {
      const ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
      try {
        return await Azurite.#spawn(opts, ports);
      } catch (e) {
        if (attempt >= 3 || !String(e).includes('EADDRINUSE')) throw e;
      }
    }
  }

  static async #spawn(opts: AzuriteOptions, ports: Azurite['ports']): Promise<Azurite> {
    const location = join(opts.dataDir, 'azurite');
    mkdirSync(location, { recursive: true });
    const args = [
      join(__dirname, 'azurite-child.cjs'),
      require.resolve('azurite/dist/src/azurite.js'),
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      ...(opts.inMemory ? ['--inMemoryPersistence'] : ['--location', location]),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(ports.blob),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(ports.queue),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(ports.table),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`Azurite exited with code ${code}: ${stderr}`))),
    );
    const azurite = new Azurite(ports, false);
    azurite.#child = child;
    try {
      await Promise.race([Promise.all(Object.values(ports).map((p) => waitForPort(p, 30_000))), exited]);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    exited.catch(() => undefined);
    return azurite;
  }

  async dispose(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  }
}

/** True when an Azurite (not some other server) answers on the default table port. */
async function isAzuriteOnDefaultPorts(): Promise<boolean> {
  if (!(await isListening(DEFAULT_PORTS.table))) return false;
  try {
    const res = await fetch(`http://127.0.0.1:${DEFAULT_PORTS.table}/${ACCOUNT}/Tables`, {
      signal: AbortSignal.timeout(2000),
    });
    return (res.headers.get('server') ?? '').toLowerCase().includes('azurite');
  } catch {
    return false;
  }
}
