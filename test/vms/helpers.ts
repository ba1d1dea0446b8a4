// Response bodies are JSON checked by assertions; `any` keeps the tests readable.
/* eslint-disable @typescript-eslint/no-explicit-any */
// Integration fixture for the VM feature: the compiled app on the local runtime (Azurite, Durable
// engine, ARM emulator with short LROs), and small clients for the API and the emulator's admin API.
import { request } from 'node:https';

import type { LocalRuntimeOptions } from '../../local/runtime';
import { sshPublicKey } from '../arm/helpers';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime';

export { sshPublicKey };

export interface VmTestRuntime extends TestRuntime {
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; body: T }>;
  emulator<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  waitForStatus(name: string, status: string | string[], timeoutMs?: number): Promise<any>;
}

export async function startVmRuntime(
  opts: LocalRuntimeOptions & { lroMs?: number; publicIpDelayMs?: number } = {},
): Promise<VmTestRuntime> {
  const { lroMs = 150, publicIpDelayMs = 100, ...rest } = opts;
  const t = await startTestRuntime({
    ...rest,
    arm: { lroMs, publicIpDelayMs, onError: () => undefined, ...(rest.arm || {}) },
    env: { COMMAND_QUEUE_NAME: 'vm-commands', ...rest.env },
  });
  const arm = t.rt.arm!;
  const api: VmTestRuntime['api'] = async (method, path, body) => {
    const res = await fetch(t.url(path), {
      method,
      ...(body !== undefined
        ? {
            body: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }
        : {}),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  const emulator: VmTestRuntime['emulator'] = (method, path, body) =>
    new Promise((ok, fail) => {
      const req = request(
        `${arm.endpoint}${path}`,
        { method, ca: arm.caPem, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => ok({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', fail);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const waitForStatus: VmTestRuntime['waitForStatus'] = (name, status, timeoutMs = 30_000) => {
    const wanted = Array.isArray(status) ? status : [status];
    return eventually(async () => {
      const r = await api('GET', `/api/vms/${name}`);
      if (r.status === 200 && (r.body.status === 'failed' || wanted.includes(r.body.status))) {
        if (!wanted.includes(r.body.status))
          throw new Error(`VM ${name} failed: ${JSON.stringify(r.body.provisioning)}`);
        return r.body;
      }
      return undefined;
    }, timeoutMs);
  };
  return { ...t, api, emulator, waitForStatus };
}
