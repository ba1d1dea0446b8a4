// Runs the agent script the way its systemd unit does: settings from the EnvironmentFile, stderr
// lines to the journal, Restart=always with RestartSec, and on stop (or when the main process dies)
// every process the agent started is killed, like KillMode=control-group. Each agent run gets its
// own process group, which stands in for the unit's cgroup.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface AgentServiceOptions {
  /** Path of the agent script (run with /bin/sh, as ExecStart does). */
  script: string;
  /** The unit's environment (parsed EnvironmentFile plus overrides). */
  env: Record<string, string>;
  /** RestartSec: delay before restarting after the agent exits (default 5000, as the unit). */
  restartDelayMs?: number;
  /** Each line the agent writes to stderr (`<N>` syslog prefixes kept). */
  onLine?: (line: string, pid: number) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null, pid: number) => void;
}

/** systemd EnvironmentFile syntax: KEY=VALUE lines, # or ; comments, optional quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
      value = value.slice(1, -1);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) env[key] = value;
  }
  return env;
}

const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
};

export class AgentService {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** How many times the agent process was started. */
  starts = 0;

  constructor(private readonly opts: AgentServiceOptions) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(): void {
    this.stopped = false;
    this.spawnOnce();
  }

  private spawnOnce(): void {
    this.restartTimer = undefined;
    if (this.stopped) return;
    const proc = spawn('/bin/sh', [this.opts.script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...this.opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.starts += 1;
    this.proc = proc;
    const pid = proc.pid ?? -1;
    if (proc.stderr) {
      createInterface({ input: proc.stderr }).on('line', (line) => this.opts.onLine?.(line, pid));
    }
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        killGroup(pid, 'SIGKILL'); // whatever the main process left behind (its journalctl follower)
        if (this.proc === proc) this.proc = undefined;
        this.opts.onExit?.(code, signal, pid);
        if (!this.stopped)
          this.restartTimer = setTimeout(() => this.spawnOnce(), this.opts.restartDelayMs ?? 5000);
        resolve();
      });
      proc.on('error', () => resolve());
    });
  }

  /** Kills the agent's main process with `signal` only (a crash); the service restarts it. */
  async crash(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid) return;
    const exited = this.exited;
    process.kill(proc.pid, signal);
    await exited;
  }

  /** Resolves when the agent runs again after a crash (the next start). */
  async waitForStart(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.starts < count || !this.proc) {
      if (Date.now() > deadline) throw new Error(`agent did not start ${count} times within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** systemctl stop: SIGTERM to the whole group, SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const proc = this.proc;
    if (!proc?.pid) return;
    const exited = this.exited;
    killGroup(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(proc.pid!, 'SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
