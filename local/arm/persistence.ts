// The emulator's state on disk, so that it survives a kill -9 and a restart on the same data dir as a
// real cloud would: `<dataDir>/arm-emulator/state.json` holds resource groups, resources (with their
// internal fields), operations (finished ones answer late polls, running ones resume) and the port.
// Every write is a temp file + rename (never half a file), and writes are group-committed: changes made
// while one write runs, or in the same tick, share the next write. A pid lock file keeps a second live
// emulator off the same directory. Survives a process crash, not a power loss (no fsync).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import type { OperationData } from './lro';
import type { ResourceGroupRecord, ResourceRecord } from './state';

export const STATE_VERSION = 1;

export interface PersistedState {
  version: typeof STATE_VERSION;
  savedAt: string;
  port: number;
  resourceGroups: ResourceGroupRecord[];
  resources: ResourceRecord[];
  operations: OperationData[];
}

export type ArmStateErrorCode = 'ARM_STATE_CORRUPT' | 'ARM_STATE_VERSION' | 'ARM_DATA_DIR_IN_USE';

export class ArmStateError extends Error {
  override name = 'ArmStateError';
  constructor(
    readonly code: ArmStateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const json = z.record(z.string(), z.unknown());
const errorBody: z.ZodType<{ code: string; message: string }> = z.looseObject({
  code: z.string(),
  message: z.string(),
});
const taskSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('put'),
    id: z.string(),
    vm: z.object({ boot: z.boolean(), failure: errorBody.optional() }).optional(),
  }),
  z.object({ kind: z.enum(['delete', 'vmDelete', 'diskDelete']), id: z.string() }),
  z.object({
    kind: z.literal('vmPower'),
    id: z.string(),
    before: z.string(),
    after: z.string(),
    guest: z.enum(['boot', 'stop', 'reboot']),
    failure: errorBody.optional(),
  }),
  z.object({ kind: z.literal('groupDelete'), subscriptionId: z.string(), name: z.string() }),
]);

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  savedAt: z.string(),
  port: z.number().int().min(0).max(65535),
  resourceGroups: z.array(
    z.object({
      subscriptionId: z.string().min(1),
      name: z.string().min(1),
      location: z.string().min(1),
      tags: z.record(z.string(), z.string()).optional(),
      provisioningState: z.enum(['Succeeded', 'Deleting']),
    }),
  ),
  resources: z.array(
    z.object({
      subscriptionId: z.string().min(1),
      resourceGroup: z.string().min(1),
      type: z.string().min(1),
      name: z.string().min(1),
      location: z.string().min(1),
      body: json,
      internal: json,
      busy: z.string().optional(),
      op: z.string().optional(),
    }),
  ),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      provider: z.enum(['Microsoft.Compute', 'Microsoft.Network', 'Microsoft.Resources']),
      subscriptionId: z.string().min(1),
      location: z.string().min(1),
      status: z.enum(['InProgress', 'Succeeded', 'Failed', 'Canceled']),
      startTime: z.string(),
      endTime: z.string().optional(),
      error: errorBody.optional(),
      completesAt: z.number(),
      task: taskSchema,
    }),
  ),
});

/** Parses a state file's text; anything unexpected is an ArmStateError naming the file and the field. */
export function parseState(text: string, file: string): PersistedState {
  const advice = `Fix or delete ${file} to start with an empty emulator.`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ArmStateError(
      'ARM_STATE_CORRUPT',
      `ARM emulator state ${file} is not valid JSON (${(e as Error).message}). ${advice}`,
    );
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== STATE_VERSION) {
    throw new ArmStateError(
      'ARM_STATE_VERSION',
      `ARM emulator state ${file} has version ${version}; this emulator reads version ${STATE_VERSION}. ${advice}`,
    );
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ArmStateError(
      'ARM_STATE_CORRUPT',
      `ARM emulator state ${file} is invalid at '${first?.path.join('.') ?? ''}': ${first?.message ?? 'invalid'}. ${advice}`,
    );
  }
  return parsed.data;
}

/** Directories locked by live emulators of this process (a pid file cannot tell them apart). */
const lockedHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateStore {
  readonly file: string;
  private readonly lockFile: string;
  private locked = false;
  private generation = 0;
  private saved = 0;
  private writing: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly snapshot: () => PersistedState,
    private readonly onError: (e: unknown) => void,
  ) {
    this.file = join(dir, 'state.json');
    this.lockFile = join(dir, 'lock');
  }

  /** Locks the directory and reads the saved state (undefined when there is none yet). */
  async open(): Promise<PersistedState | undefined> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    try {
      // Temp files left by a process killed mid-write are incomplete by definition.
      for (const f of await readdir(this.dir)) {
        if (f.endsWith('.tmp')) await rm(join(this.dir, f), { force: true });
      }
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      return parseState(text, this.file);
    } catch (e) {
      await this.unlock();
      throw e;
    }
  }

  /** Marks the state changed: it is written soon, together with other changes of the same burst. */
  changed(): void {
    if (!this.locked) return; // closed (or never opened): an operation finishing after dispose writes nothing
    this.generation++;
    this.persist().catch((e: unknown) => this.onError(e));
  }

  /** Resolves once every change marked so far is on disk. */
  async persist(): Promise<void> {
    const target = this.generation;
    while (this.saved < target) {
      this.writing ??= this.writeOnce().finally(() => (this.writing = undefined));
      await this.writing;
    }
  }

  /** Writes what is pending and releases the lock. */
  async close(): Promise<void> {
    try {
      if (this.locked) await this.persist();
    } finally {
      await this.unlock();
    }
  }

  private async writeOnce(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // let the rest of the burst join this write
    const generation = this.generation;
    const text = JSON.stringify(this.snapshot());
    const tmp = join(this.dir, `state.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.file);
    this.saved = generation;
  }

  private async lock(): Promise<void> {
    if (lockedHere.has(this.dir)) throw this.inUse(process.pid);
    try {
      const h = await open(this.lockFile, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(this.lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw this.inUse(pid);
      // The owner died (kill -9, crash): take the directory over.
      await writeFile(this.lockFile, String(process.pid));
    }
    lockedHere.add(this.dir);
    this.locked = true;
  }

  private async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    lockedHere.delete(this.dir);
    await rm(this.lockFile, { force: true });
  }

  private inUse(pid: number): ArmStateError {
    return new ArmStateError(
      'ARM_DATA_DIR_IN_USE',
      `Another ARM emulator (pid ${pid}) uses ${this.dir}; give each emulator its own dataDir.`,
    );
  }
}
