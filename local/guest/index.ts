// Simulated guests for the ARM emulator: when a VM boots, its cloud-init payload's journal agent runs
// for real against a journal of the VM's own. Real journal files (Debian's systemd-journal-remote),
// realistic boot entries, then a steady trickle; the agent's own log lines go into that journal too,
// as journald would record them. Power off stops the agent; the next boot gets a new boot id.
// Without the Debian tools the guest says so once and ships nothing (it never fakes a journal).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { GuestHandle, GuestInfo } from '../arm/guests';
import { AgentService, parseEnvFile } from './agent-service';
import { agentFromCustomData } from './cloud-init';
import { agentLogEntry, bootEntries, type GuestIdentity, Trickle } from './entries';
import { JournalWriter } from './journal-writer';
import { missingGuestTools } from './tools';

export type { GuestHandle, GuestInfo };

export interface GuestRunnerOptions {
  /** Each VM gets <dataDir>/guests/<vmName>-<vmId>/ (journal, agent files, state). */
  dataDir: string;
  /** Milliseconds between trickle entries (default 2000; 0 = no trickle). */
  trickleIntervalMs?: number;
  /** RestartSec for the agent (default 5000, as the unit). */
  restartDelayMs?: number;
  /** Extra agent settings, e.g. { VMJ_FLUSH_DELAY_MS: '200' } (applied after the env file). */
  agentEnv?: Record<string, string>;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  journalRemote?: string;
}

/** A running simulated guest, for tests that want to look inside. */
export interface SimulatedGuest extends GuestHandle {
  readonly root: string;
  readonly journalDir: string;
  readonly agent: AgentService;
  readonly writer: JournalWriter;
}

const NOOP: GuestHandle = { stop: async () => {} };

const hex32 = (s: string) =>
  s
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase()
    .padEnd(32, '0')
    .slice(0, 32);

export function createGuestRunner(options: GuestRunnerOptions): (guest: GuestInfo) => Promise<GuestHandle> {
  const log = options.log ?? ((level, message) => console[level === 'info' ? 'log' : level](message));
  let missingTools: string[] | undefined;
  let reported = false;

  return async (guest) => {
    missingTools ??= missingGuestTools(options.journalRemote);
    if (missingTools.length > 0) {
      if (!reported) log('warn', `simulated guests ship no journal: missing ${missingTools.join(', ')}`);
      reported = true;
      return NOOP;
    }
    const payload = agentFromCustomData(guest.customData);
    if ('missing' in payload) {
      log('warn', `guest ${guest.vmName}: no journal agent to run (${payload.missing})`);
      return NOOP;
    }
    return startGuest(guest, payload, options, log);
  };
}

async function startGuest(
  guest: GuestInfo,
  payload: { script: string; envFile: string; token: string },
  options: GuestRunnerOptions,
  log: NonNullable<GuestRunnerOptions['log']>,
): Promise<SimulatedGuest> {
  const root = join(options.dataDir, 'guests', `${guest.vmName}-${hex32(guest.vmId).slice(0, 8)}`);
  const dirs = {
    journal: join(root, 'journal'),
    etc: join(root, 'etc'),
    state: join(root, 'var-lib'),
    run: join(root, 'run'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  const script = join(dirs.etc, 'journal-agent.sh');
  const tokenFile = join(dirs.etc, 'ingest-token');
  writeFileSync(script, payload.script, { mode: 0o755 });
  writeFileSync(join(dirs.etc, 'agent.env'), payload.envFile);
  writeFileSync(tokenFile, `${payload.token}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);

  const id: GuestIdentity = {
    bootId: hex32(guest.bootId),
    machineId: hex32(guest.vmId),
    hostname: guest.computerName || guest.vmName,
    bootRealtimeUsec: (Date.now() - 12_000) * 1000,
  };
  const writer = new JournalWriter(dirs.journal, {
    journalRemote: options.journalRemote,
    onError: (m) => log('error', `guest ${guest.vmName}: ${m}`),
  });
  const nowUsec = () => Date.now() * 1000;
  await writer.write(bootEntries(id, nowUsec(), guest.privateIp ?? undefined));

  const env = {
    ...parseEnvFile(payload.envFile),
    VMJ_TOKEN_FILE: tokenFile,
    VMJ_STATE_DIR: dirs.state,
    VMJ_RUNTIME_DIR: dirs.run,
    VMJ_JOURNALCTL_ARGS: `--directory=${dirs.journal}`,
    ...options.agentEnv,
  };
  const agent = new AgentService({
    script,
    env,
    restartDelayMs: options.restartDelayMs,
    onLine: (line, pid) => {
      log(
        /^<[0-3]>/.test(line) ? 'error' : /^<4>/.test(line) ? 'warn' : 'info',
        `guest ${guest.vmName}: ${line}`,
      );
      if (running) void writer.write([agentLogEntry(id, nowUsec(), line, pid)]);
    },
  });
  let running = true;
  agent.start();

  const trickle = new Trickle(id);
  const interval = options.trickleIntervalMs ?? 2000;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (running) void writer.write([trickle.next(nowUsec())]);
        }, interval)
      : undefined;
  timer?.unref();
  log('info', `guest ${guest.vmName} booted (boot ${id.bootId}); journal in ${dirs.journal}`);

  return {
    root,
    journalDir: dirs.journal,
    agent,
    writer,
    async stop() {
      if (timer) clearInterval(timer);
      await agent.stop();
      running = false;
      await writer.close();
      log('info', `guest ${guest.vmName} stopped (boot ${id.bootId})`);
    },
  };
}
