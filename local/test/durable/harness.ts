// Starts the local runtime on the durable test app (its own Azurite and data dir) and offers small
// helpers to drive orchestrations through the app's HTTP starter and the durable webhooks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DurablePlugin, DurablePluginOptions } from '../../durable';
import { LocalRuntime } from '../../runtime';

export const APP_ENTRY = 'local/test/fixtures/durable-app/index.ts';

export interface Harness {
  rt: LocalRuntime;
  plugin: DurablePlugin;
  dataDir: string;
  start(name: string, input?: unknown, instanceId?: string): Promise<CheckStatus>;
  status(id: string, query?: string): Promise<{ code: number; body: Status }>;
  waitDone(id: string, timeoutMs?: number): Promise<Status>;
  client(
    op: string,
    args: Record<string, unknown>,
  ): Promise<{ code: number; body: { result?: unknown; error?: string } }>;
  webhook(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Response>;
  dispose(): Promise<void>;
}

export interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export async function startHarness(
  opts: { dataDir?: string; keepData?: boolean; durable?: DurablePluginOptions } = {},
): Promise<Harness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'durable-test-'));
  const rt = await LocalRuntime.start({
    appEntry: APP_ENTRY,
    dataDir,
    arm: false,
    ...(opts.durable ? { durable: opts.durable } : {}),
    log: () => undefined,
  });
  const plugin = rt.durable!;
  const h: Harness = {
    rt,
    plugin,
    dataDir,
    async start(name, input, instanceId) {
      const res = await fetch(
        `${rt.baseUrl}/api/start/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`,
        {
          method: 'POST',
          body: input === undefined ? '' : JSON.stringify(input),
        },
      );
      const body = (await res.json()) as CheckStatus & { error?: string };
      if (res.status !== 202)
        throw new Error(`start ${name} answered ${res.status}: ${JSON.stringify(body)}`);
      return body;
    },
    async status(id, query = '') {
      const res = await h.webhook('GET', `instances/${encodeURIComponent(id)}${query}`);
      return { code: res.status, body: (await res.json()) as Status };
    },
    async waitDone(id, timeoutMs = 20_000) {
      const engine = plugin.engine!;
      await Promise.race([
        engine.waitForCompletion(id),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${id} not done in ${timeoutMs} ms`)), timeoutMs).unref(),
        ),
      ]);
      return (await h.status(id)).body;
    },
    async client(op, args) {
      const res = await fetch(`${rt.baseUrl}/api/client`, {
        method: 'POST',
        body: JSON.stringify({ op, ...args }),
      });
      return { code: res.status, body: (await res.json()) as { result?: unknown; error?: string } };
    },
    webhook(method, path, body, headers = {}) {
      return fetch(`${rt.baseUrl}/runtime/webhooks/durabletask/${path}`, { method, body, headers });
    },
    async dispose() {
      await rt.dispose();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
