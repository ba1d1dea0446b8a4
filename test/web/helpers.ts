// Browser tests of the web console: the local runtime with a function key and simulated guests whose
// journal writers the test can reach, Chromium (Debian's package) driven by playwright-core, and a proxy
// that can cut the browser's connections. Shared with bench/console.ts.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Browser, chromium } from 'playwright-core';

import { createGuestRunner, type GuestInfo, type SimulatedGuest } from '../../local/guest';
import type { JournalFields } from '../../local/guest/export-format';
import { eventually } from '../helpers/runtime';
import { startVmRuntime, type VmTestRuntime } from '../vms/helpers';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT = join(process.cwd(), 'test-output', 'web');
export const FUNCTION_KEY = 'console-test-key';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-sandbox'],
  });
}

export interface ConsoleRuntime {
  t: VmTestRuntime;
  /** The running simulated guest of a VM (its journal writer). */
  guest(vm: string): Promise<{ info: GuestInfo; handle: SimulatedGuest }>;
  /** Writes entries into the guest's journal (the agent ships them), with the guest's boot fields. */
  write(vm: string, entries: Partial<JournalFields>[]): Promise<void>;
  /** The management API with the function key in its header. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  dispose(): Promise<void>;
}

const hex32 = (s: string) =>
  s
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase()
    .padEnd(32, '0')
    .slice(0, 32);

export async function startConsoleRuntime(
  opts: { lroMs?: number; trickleIntervalMs?: number; guestsFor?: (vm: string) => boolean } = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vmj-web-'));
  mkdirSync(OUTPUT, { recursive: true });
  const guests = new Map<string, { info: GuestInfo; handle: SimulatedGuest }>();
  const runner = createGuestRunner({
    dataDir,
    trickleIntervalMs: opts.trickleIntervalMs ?? 1000,
    agentEnv: { VMJ_FLUSH_DELAY_MS: '100' },
    log: () => undefined,
  });
  const t = await startVmRuntime({
    dataDir,
    lroMs: opts.lroMs ?? 300,
    keys: { functionKey: FUNCTION_KEY },
    arm: {
      onGuestBoot: async (info) => {
        if (opts.guestsFor && !opts.guestsFor(info.vmName)) return { stop: async () => {} };
        const handle = (await runner(info)) as SimulatedGuest;
        guests.set(info.vmName, { info, handle });
        return handle;
      },
    },
  });
  const api: ConsoleRuntime['api'] = async (method, path, body) => {
    const res = await fetch(t.url(`/api${path}`), {
      method,
      headers: {
        'x-functions-key': FUNCTION_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
  };
  const guest: ConsoleRuntime['guest'] = (vm) => eventually(() => guests.get(vm), 60_000);
  const write: ConsoleRuntime['write'] = async (vm, entries) => {
    const { info, handle } = await guest(vm);
    const now = Date.now() * 1000;
    await handle.writer.write(
      entries.map((e, i) => ({
        __REALTIME_TIMESTAMP: String(now + i),
        __MONOTONIC_TIMESTAMP: String(1_000_000 + i),
        _BOOT_ID: hex32(info.bootId),
        _MACHINE_ID: hex32(info.vmId),
        _HOSTNAME: info.computerName || info.vmName,
        PRIORITY: '6',
        SYSLOG_IDENTIFIER: 'web-test',
        _PID: '4242',
        _SYSTEMD_UNIT: 'web-test.service',
        MESSAGE: 'web test',
        ...(e as JournalFields),
      })),
    );
  };
  return {
    t,
    guest,
    write,
    api,
    async dispose() {
      await t.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  } satisfies ConsoleRuntime;
}

/** A TCP proxy in front of the runtime whose drop() cuts every open connection (a dropped network). */
export async function startDropProxy(
  target: string,
): Promise<{ url(path: string): string; drop(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port: own } = server.address() as { port: number };
  return {
    url: (path) => `http://127.0.0.1:${own}${path}`,
    drop: () => sockets.forEach((s) => s.destroy()),
    close: () =>
      new Promise<void>((ok) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => ok());
      }),
  };
}
