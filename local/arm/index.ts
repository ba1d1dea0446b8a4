// A local Azure Resource Manager over HTTPS with simulated VMs, for the unchanged Azure SDK clients:
//   const arm = new ArmEmulator({ lroMs: 50 }); await arm.ready;
//   new NetworkManagementClient(cred, sub, { endpoint: arm.endpoint, tlsOptions: { ca: arm.caPem } });
// See local/arm/README.md for what it models and what it does not.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';

import { z } from 'zod';

import { createCertificates } from './certificates';
import type { World } from './context';
import { type FaultRule, faultRuleSchema, Faults } from './faults';
import { type GuestBootHook, type GuestHandle, type GuestInfo, Guests } from './guests';
import { Operations } from './lro';
import { type ArmOperationRecord, Records } from './records';
import { createHandler } from './server';
import { ArmState } from './state';
import { Throttle } from './throttle';

export type { ArmOperationRecord, FaultRule, GuestHandle, GuestInfo };

export interface ArmEmulatorOptions {
  /** Default 0 (a free port); the host is always 127.0.0.1. */
  port?: number;
  /** Where the CA PEM is written (default <dataDir>/arm-ca.pem). */
  caFile?: string;
  /** Default LOCAL_DATA_DIR or .local/. */
  dataDir?: string;
  /** Duration of each long-running operation (default ARM_EMULATOR_LRO_MS or 1500). */
  lroMs?: number;
  /** A Standard static public IP gets its ipAddress after this delay (default: lroMs). */
  publicIpDelayMs?: number;
  /** Initial fault rules (also settable at /_emulator/faults). */
  faults?: FaultRule[];
  /** Per-principal token buckets as ARM's (250 reads / 200 writes / 200 deletes burst). */
  throttle?: boolean;
  /** Simulated guest hook: called when a VM boots; the handle is stopped when it powers off. */
  onGuestBoot?: GuestBootHook;
  /** Errors the emulator swallows to stay up (broken guest hooks…); default console.error. */
  onError?: (e: unknown) => void;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  caFile: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  lroMs: z.number().int().min(0).max(3_600_000).optional(),
  publicIpDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  faults: z.array(faultRuleSchema).optional(),
  throttle: z.boolean().optional(),
});

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

export class ArmEmulator {
  readonly ready: Promise<void>;
  readonly caFile: string;
  private _endpoint = '';
  private _caPem = '';
  private server: Server | undefined;
  private readonly records = new Records();
  private readonly world: World;
  private readonly throttle: Throttle | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private disposed = false;

  constructor(options: ArmEmulatorOptions = {}) {
    optionsSchema.parse({ ...options, onGuestBoot: undefined, onError: undefined });
    const dataDir = resolve(options.dataDir ?? process.env.LOCAL_DATA_DIR ?? '.local');
    this.caFile = resolve(options.caFile ?? join(dataDir, 'arm-ca.pem'));
    const lroMs = options.lroMs ?? envInt('ARM_EMULATOR_LRO_MS') ?? 1500;
    const onError = options.onError ?? ((e: unknown) => console.error('[arm-emulator]', e));
    const faults = new Faults();
    if (options.faults) faults.set(options.faults);
    this.throttle = options.throttle ? new Throttle() : undefined;
    this.world = {
      state: new ArmState(),
      ops: new Operations(lroMs, onError),
      guests: new Guests(options.onGuestBoot, onError),
      faults,
      endpoint: () => this._endpoint,
      publicIpDelayMs: options.publicIpDelayMs ?? lroMs,
      later: (ms, fn) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          fn();
        }, ms);
        this.timers.add(t);
      },
      onError,
    };
    this.ready = this.start(options.port ?? 0);
    this.ready.catch(() => undefined); // surfaced to whoever awaits ready
  }

  /** https://127.0.0.1:PORT (after ready). */
  get endpoint(): string {
    return this._endpoint;
  }

  get caPem(): string {
    return this._caPem;
  }

  operations(): ArmOperationRecord[] {
    return this.records.all();
  }

  private async start(port: number): Promise<void> {
    const certs = await createCertificates();
    this._caPem = certs.caPem;
    await mkdir(dirname(this.caFile), { recursive: true });
    await writeFile(this.caFile, certs.caPem, { mode: 0o644 });
    const handler = createHandler({
      world: this.world,
      records: this.records,
      throttle: this.throttle,
      resetState: () => this.resetState(),
    });
    const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
      void handler(req, res);
    });
    this.server = server;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        ok();
      });
    });
    if (this.disposed) {
      server.close();
      return;
    }
    this._endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async resetState(): Promise<void> {
    this.world.ops.reset();
    this.clearTimers();
    await this.world.guests.stopAll();
    this.world.state.reset();
    this.throttle?.reset();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.ready.catch(() => undefined);
    this.world.ops.dispose();
    this.clearTimers();
    await this.world.guests.stopAll();
    const server = this.server;
    if (server) {
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    }
  }
}
