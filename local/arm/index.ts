// A local Azure Resource Manager over HTTPS with simulated VMs, for the unchanged Azure SDK clients:
//   const arm = new ArmEmulator({ lroMs: 50 }); await arm.ready;
//   new NetworkManagementClient(cred, sub, { endpoint: arm.endpoint, tlsOptions: { ca: arm.caPem } });
// See local/arm/README.md for what it models and what it does not.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';

import { z } from 'zod';

import { createCertificates, loadOrCreateCertificates } from './certificates';
import type { World } from './context';
import { type FaultRule, faultRuleSchema, Faults } from './faults';
import { type GuestBootHook, type GuestHandle, type GuestInfo, Guests } from './guests';
import { Operations } from './lro';
import {
  ArmStateError,
  type ArmStateErrorCode,
  type PersistedState,
  STATE_VERSION,
  StateStore,
} from './persistence';
import { Providers } from './providers';
import { type ArmOperationRecord, Records } from './records';
import { bootGuest, VM } from './resources/compute';
import { PIP, schedulePublicIp } from './resources/network';
import { createHandler } from './server';
import { ArmState } from './state';
import { runTask } from './tasks';
import { Throttle } from './throttle';

export type { ArmOperationRecord, ArmStateErrorCode, FaultRule, GuestHandle, GuestInfo };
export { ArmStateError };

export interface ArmEmulatorOptions {
  /**
   * The host is always 127.0.0.1. Default 0: with persistence the port of the last run when it is free
   * (so resumed pollers' URLs still answer), else a free port.
   */
  port?: number;
  /** Where the CA PEM is written (default <dataDir>/arm-ca.pem). */
  caFile?: string;
  /** Default LOCAL_DATA_DIR or .local/. */
  dataDir?: string;
  /**
   * Keep state, CA and port under <dataDir>/arm-emulator/ and take them back at start (survives kill -9).
   * Default: ARM_EMULATOR_PERSIST (0/1), else true when a dataDir is given (option or LOCAL_DATA_DIR).
   */
  persist?: boolean;
  /** Duration of each long-running operation (default ARM_EMULATOR_LRO_MS or 1500). */
  lroMs?: number;
  /** A Standard static public IP gets its ipAddress after this delay (default: lroMs). */
  publicIpDelayMs?: number;
  /** Initial fault rules (also settable at /_emulator/faults). */
  faults?: FaultRule[];
  /** Per-principal token buckets as ARM's (250 reads / 200 writes / 200 deletes burst). */
  throttle?: boolean;
  /**
   * Provider namespaces (Microsoft.Compute, Microsoft.Network) that start unregistered, as on a fresh
   * subscription (default ARM_EMULATOR_UNREGISTERED_PROVIDERS, comma-separated, else none).
   */
  unregisteredProviders?: string[];
  /** Items per page of list responses (default ARM_EMULATOR_PAGE_SIZE or 100). */
  pageSize?: number;
  /** Simulated guest hook: called when a VM boots; the handle is stopped when it powers off. */
  onGuestBoot?: GuestBootHook;
  /** Errors the emulator swallows to stay up (broken guest hooks…); default console.error. */
  onError?: (e: unknown) => void;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  caFile: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  persist: z.boolean().optional(),
  lroMs: z.number().int().min(0).max(3_600_000).optional(),
  publicIpDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  faults: z.array(faultRuleSchema).optional(),
  throttle: z.boolean().optional(),
  unregisteredProviders: z.array(z.string().min(1)).optional(),
  pageSize: z.number().int().min(1).max(1000).optional(),
});

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

function envFlag(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (v !== '0' && v !== '1') throw new Error(`${name} must be 0 or 1, got '${v}'`);
  return v === '1';
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
  private readonly store: StateStore | undefined;
  private port = 0;
  private disposed = false;

  constructor(options: ArmEmulatorOptions = {}) {
    optionsSchema.parse({ ...options, onGuestBoot: undefined, onError: undefined });
    const givenDir = options.dataDir ?? (process.env.LOCAL_DATA_DIR || undefined);
    const dataDir = resolve(givenDir ?? '.local');
    this.caFile = resolve(options.caFile ?? join(dataDir, 'arm-ca.pem'));
    const lroMs = options.lroMs ?? envInt('ARM_EMULATOR_LRO_MS') ?? 1500;
    const onError = options.onError ?? ((e: unknown) => console.error('[arm-emulator]', e));
    const faults = new Faults();
    if (options.faults) faults.set(options.faults);
    this.throttle = options.throttle ? new Throttle() : undefined;
    this.store =
      (options.persist ?? envFlag('ARM_EMULATOR_PERSIST') ?? givenDir !== undefined)
        ? new StateStore(join(dataDir, 'arm-emulator'), () => this.toData(), onError)
        : undefined;
    this.world = {
      state: new ArmState(),
      ops: new Operations(
        lroMs,
        (task, opId) => runTask(this.world, task, opId),
        onError,
        () => this.world.changed(),
      ),
      guests: new Guests(options.onGuestBoot, onError),
      faults,
      providers: new Providers(
        options.unregisteredProviders ??
          (process.env.ARM_EMULATOR_UNREGISTERED_PROVIDERS ?? '')
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean),
        (ms, fn) => this.world.later(ms, fn),
        lroMs,
      ),
      pageSize: options.pageSize ?? envInt('ARM_EMULATOR_PAGE_SIZE') ?? 100,
      endpoint: () => this._endpoint,
      publicIpDelayMs: options.publicIpDelayMs ?? lroMs,
      later: (ms, fn) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          fn();
        }, ms);
        this.timers.add(t);
      },
      changed: () => this.store?.changed(),
      persist: () => this.store?.persist() ?? Promise.resolve(),
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

  /** Where state, CA and server key are kept (undefined without persistence). */
  get stateDir(): string | undefined {
    return this.store?.dir;
  }

  private async start(port: number): Promise<void> {
    try {
      await this.startServing(port);
    } catch (e) {
      await this.store?.close();
      throw e;
    }
  }

  private async startServing(port: number): Promise<void> {
    const saved = await this.store?.open();
    const certs = this.store ? await loadOrCreateCertificates(this.store.dir) : await createCertificates();
    this._caPem = certs.caPem;
    await mkdir(dirname(this.caFile), { recursive: true });
    await writeFile(this.caFile, certs.caPem, { mode: 0o644 });
    const toBoot = saved ? this.restore(saved) : [];
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
    const listen = (p: number) =>
      new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(p, '127.0.0.1', () => {
          server.off('error', fail);
          ok();
        });
      });
    const lastPort = port === 0 ? (saved?.port ?? 0) : 0;
    try {
      await listen(lastPort || port);
    } catch (e) {
      if (!lastPort || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      await listen(0); // the last port is taken: a new one (resumed pollers of the old one will fail)
    }
    if (this.disposed) {
      server.close();
      return;
    }
    this.port = (server.address() as AddressInfo).port;
    this._endpoint = `https://127.0.0.1:${this.port}`;
    // Guests of VMs that were running boot again, with a new boot id, as after a host crash.
    for (const vm of toBoot) {
      const id = this.world.state.idOf(vm);
      if (this.world.state.get(id) !== vm || vm.internal.power !== 'running' || this.world.guests.get(id))
        continue;
      await bootGuest(this.world, vm);
    }
    this.world.changed();
    await this.world.persist();
  }

  /** Takes back saved state; returns the VMs to boot (those running and not being deleted). */
  private restore(saved: PersistedState) {
    const { state, ops } = this.world;
    for (const g of saved.resourceGroups) state.putGroup(g);
    for (const r of saved.resources) state.put(r);
    const toBoot = saved.resources.filter(
      (r) => r.type === VM && r.internal.power === 'running' && r.busy !== 'delete',
    );
    for (const pip of state.ofType(PIP)) {
      if (pip.internal.ipDueAt !== undefined) schedulePublicIp(this.world, pip);
    }
    // Operations in flight resume their remaining time (those already due complete at once).
    ops.restore(saved.operations);
    return toBoot;
  }

  private toData(): PersistedState {
    return {
      version: STATE_VERSION,
      savedAt: new Date().toISOString(),
      port: this.port,
      resourceGroups: [...this.world.state.groups.values()],
      resources: [...this.world.state.resources.values()],
      operations: this.world.ops.toData(),
    };
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
    this.world.providers.reset();
    this.throttle?.reset();
    this.world.changed();
    await this.world.persist();
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
    await this.store?.close(); // what is running stays recorded as running: the next start resumes it
  }
}
