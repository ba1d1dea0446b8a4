// Test fixture for the local runtime (model: miniflare's test-shared): starts it on free ports with a
// private data folder, captures its logs, and removes everything in dispose().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createServices, type Services } from '../../lib/services';
import type { LogLine } from '../../local/host/logger';
import { LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

export interface TestRuntime {
  rt: LocalRuntime;
  logs: LogLine[];
  /** A Services on the runtime app's own settings (its storage, its ARM emulator), for checks from the test. */
  services: Services;
  url(path: string): string;
  dispose(): Promise<void>;
}

export async function startTestRuntime(opts: LocalRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'vmj-test-'));
  const logs: LogLine[] = [];
  const rt = await LocalRuntime.start({
    storagePorts: 'free',
    ...opts,
    dataDir,
    log: (line) => {
      logs.push(line);
      if (process.env.TEST_LOGS) console.log(`[${line.level}] ${line.functionName ?? ''} ${line.message}`);
    },
  });
  return {
    rt,
    logs,
    services: createServices(rt.settings),
    url: (path) => `${rt.baseUrl}${path}`,
    async dispose() {
      await rt.dispose();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
    } catch (e) {
      last = e instanceof Error ? e : new Error(String(e));
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Condition not met within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`);
}
