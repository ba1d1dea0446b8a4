// Fixtures for the agent tests: the real ingestion (local runtime + Azurite), a journal directory
// written by systemd-journal-remote, and the real agent script run by AgentService as systemd would.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { rotateIngestToken } from '../../lib/ingest-token';
import { AgentService, parseEnvFile } from '../../local/guest/agent-service';
import { bootEntries, type GuestIdentity, Trickle } from '../../local/guest/entries';
import type { JournalFields } from '../../local/guest/export-format';
import { JournalWriter } from '../../local/guest/journal-writer';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { addVmRecord } from '../helpers/vm-record';

const run = promisify(execFile);
export const AGENT_SCRIPT = join(__dirname, '..', '..', 'infra', 'vm', 'journal-agent.sh');
export const AGENT_ENV = join(__dirname, '..', '..', 'infra', 'vm', 'agent.env');

/** The real app in the local runtime (`t.services` reaches its storage, for rotateIngestToken). */
export async function startIngestion(): Promise<TestRuntime> {
  const t = await startTestRuntime({ appEntry: 'functions/index.ts', env: { TZ: 'UTC' } });
  return t;
}

export interface StoredEntry {
  cursor: string;
  message: string | null;
  fields: Record<string, unknown>;
  binaryFields: string[];
}

/** Every entry stored for `vm`, read back through the query API, page by page. */
export async function storedEntries(t: TestRuntime, vm: string): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  let next: string | null = `/api/vms/${vm}/journal?limit=1000`;
  while (next) {
    const res = await fetch(t.url(next));
    if (res.status !== 200) throw new Error(`query ${next}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { items: StoredEntry[]; nextLink: string | null };
    out.push(...body.items);
    next = body.nextLink;
  }
  return out;
}

/** The cursors of every entry in a journal directory, as journalctl sees them. */
export async function journalCursors(dir: string): Promise<string[]> {
  const { stdout } = await run(
    'journalctl',
    [`--directory=${dir}`, '-q', '-o', 'json', '--output-fields=__NONE'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { __CURSOR: string }).__CURSOR);
}

function readSavedCursor(stateDir: string): string | undefined {
  try {
    return readFileSync(join(stateDir, 'cursor'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

let vmCounter = 0;

export interface AgentRig {
  vm: string;
  dir: string;
  journalDir: string;
  stateDir: string;
  tokenFile: string;
  writer: JournalWriter;
  agent: AgentService;
  logs: string[];
  id: GuestIdentity;
  trickle: Trickle;
  /** Writes `n` trickle entries now. */
  write(n: number, extra?: (i: number) => Partial<JournalFields>): Promise<void>;
  /** Resolves when the stored entries are exactly the journal's (no loss, no duplicate), but for the
   * cursors in `notStored` (entries the server refused). */
  waitInSync(
    timeoutMs?: number,
    alsoStored?: string[],
    notStored?: string[],
  ): Promise<{ stored: number; journal: number }>;
  dispose(): Promise<void>;
}

/** A VM stand-in: its journal, a token, and the agent pointed at `ingestUrl` (default: the runtime). */
export async function makeAgentRig(
  t: TestRuntime,
  opts: {
    ingestUrl?: (vm: string) => string;
    env?: Record<string, string>;
    restartDelayMs?: number;
    boot?: boolean;
  } = {},
): Promise<AgentRig> {
  const vm = `agent-${process.pid}-${++vmCounter}`;
  const dir = mkdtempSync(join(tmpdir(), 'vmj-agent-'));
  const journalDir = join(dir, 'journal');
  const stateDir = join(dir, 'state');
  const runDir = join(dir, 'run');
  for (const d of [journalDir, stateDir, runDir]) mkdirSync(d, { mode: 0o700 });
  const tokenFile = join(dir, 'ingest-token');
  await addVmRecord(t.services, vm); // the journal's read routes answer 404 for an unknown VM
  writeFileSync(tokenFile, `${await rotateIngestToken(t.services, vm)}\n`, { mode: 0o600 });
  const writer = new JournalWriter(journalDir);
  const id: GuestIdentity = {
    bootId: 'b0'.repeat(16),
    machineId: 'a1'.repeat(16),
    hostname: vm,
    bootRealtimeUsec: (Date.now() - 60_000) * 1000,
  };
  if (opts.boot !== false) await writer.write(bootEntries(id, Date.now() * 1000));
  const logs: string[] = [];
  const agent = new AgentService({
    script: AGENT_SCRIPT,
    env: {
      ...parseEnvFile(readFileSync(AGENT_ENV, 'utf8')),
      VMJ_INGEST_URL: opts.ingestUrl?.(vm) ?? t.url(`/api/vms/${vm}/journal`),
      VMJ_TOKEN_FILE: tokenFile,
      VMJ_STATE_DIR: stateDir,
      VMJ_RUNTIME_DIR: runDir,
      VMJ_JOURNALCTL_ARGS: `--directory=${journalDir}`,
      VMJ_FLUSH_DELAY_MS: '100',
      // Short streams (many chunks each, still), so that tests see the cursor saved within a moment.
      VMJ_STREAM_SECONDS: '2',
      VMJ_STREAM_IDLE_MS: '300',
      VMJ_BACKOFF_MIN_MS: '100',
      VMJ_BACKOFF_MAX_MS: '1000',
      VMJ_REQUEST_TIMEOUT_S: '5',
      ...opts.env,
    },
    restartDelayMs: opts.restartDelayMs ?? 200,
    onLine: (line) => {
      logs.push(line);
      if (process.env.TEST_LOGS) console.log(`[agent ${vm}] ${line}`);
    },
  });
  const trickle = new Trickle(id);
  let realtime = Date.now() * 1000;
  const rig: AgentRig = {
    vm,
    dir,
    journalDir,
    stateDir,
    tokenFile,
    writer,
    agent,
    logs,
    id,
    trickle,
    async write(n, extra) {
      const entries: JournalFields[] = [];
      for (let i = 0; i < n; i++) {
        realtime = Math.max(realtime + 1, Date.now() * 1000);
        entries.push({ ...trickle.next(realtime), ...(extra?.(i) ?? {}) } as JournalFields);
      }
      await writer.write(entries);
    },
    async waitInSync(timeoutMs = 30_000, alsoStored: string[] = [], notStored: string[] = []) {
      let last = '';
      try {
        return await eventually(
          async () => {
            const [journal, stored] = await Promise.all([journalCursors(journalDir), storedEntries(t, vm)]);
            const storedCursors = stored.map((e) => e.cursor);
            last = `journal ${journal.length}, stored ${stored.length}, saved cursor ${readSavedCursor(stateDir) === journal.at(-1) ? '= last' : 'behind'}`;
            if (new Set(storedCursors).size !== storedCursors.length) throw new Error(`duplicates: ${last}`);
            const want = new Set([...journal.filter((c) => !notStored.includes(c)), ...alsoStored]);
            const same = storedCursors.length === want.size && storedCursors.every((c) => want.has(c));
            // In sync also means acknowledged: the agent saved the last cursor (it does so after the 2xx, so
            // a test that stops the agent right after the entries are stored would otherwise race it).
            const saved = same ? readSavedCursor(stateDir) : undefined;
            return same && journal.length > 0 && saved === journal.at(-1)
              ? { stored: stored.length, journal: journal.length }
              : undefined;
          },
          timeoutMs,
          200,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message} (${last}); agent log:\n${logs.join('\n')}`, { cause: e });
      }
    },
    async dispose() {
      await agent.stop();
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
