// Waiting for a VM operation from the lifecycle events stream (not by polling the record): the watch
// starts after the newest event id read *before* the request is sent, so no event of this operation can
// be missed, and events of other VMs are skipped. On a TTY a spinner shows the phase and elapsed time;
// each completed step is printed with its duration (plain lines when stderr is not a TTY).
import { pathToFileURL } from 'node:url';

import type * as OraNs from 'ora';
import type { Ora } from 'ora';

import type { Ctx } from './context';
import { useColor } from './output';

export interface CloudEvent {
  id: string;
  type: string;
  subject?: string;
  time?: string;
  data?: unknown;
}

export interface VmData {
  name?: string;
  status?: string;
  publicIp?: string | null;
  privateIp?: string | null;
  adminUsername?: string;
  provisioning?: { step: string | null; error?: { code: string; message: string; step?: string } };
}

/** Before every event id: watching after it replays the log from its start. */
export const BEFORE_ALL_EVENTS = '0000000000000-000000-000000';

/**
 * The id to watch after: the newest event now, or, with an empty log, the start of the log (a watch with
 * no `after` starts at the newest event when it connects, and would miss those appended before that).
 */
export async function latestEventId(ctx: Ctx): Promise<string> {
  const res = await ctx.client.request('GET', '/api/events/range');
  if (res.status === 204) return BEFORE_ALL_EVENTS;
  return ((await res.json()) as { latest: string }).latest;
}

export function elapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

type OraModule = typeof OraNs;

/**
 * ora is ESM-only, and TypeScript turns import() into require() under "module": "commonjs"; require()
 * of an ES module needs Node 20.19 or later, so ora is loaded with a real import() (Node 20.0 and up).
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the one way to keep import() in CommonJS output
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<OraModule>;
let oraModule: Promise<OraModule> | undefined;
const loadOra = () => (oraModule ??= importEsm(pathToFileURL(require.resolve('ora')).href));

export class Progress {
  private readonly started = Date.now();
  private readonly spinner: Ora;
  private readonly timer: NodeJS.Timeout | undefined;
  private phase: string;

  static async start(ctx: Ctx, phase: string): Promise<Progress> {
    return new Progress(ctx, phase, (await loadOra()).default);
  }

  private constructor(
    private readonly ctx: Ctx,
    phase: string,
    ora: OraModule['default'],
  ) {
    this.phase = phase;
    const tty = Boolean(process.stderr.isTTY);
    this.spinner = ora({
      text: phase,
      stream: process.stderr,
      isEnabled: tty,
      discardStdin: false,
      color: useColor(process.stderr) ? 'cyan' : false,
    }).start();
    if (tty) this.timer = setInterval(() => this.render(), 100);
  }

  private render(): void {
    this.spinner.text = `${this.phase} ${this.ctx.err.dim(elapsed(Date.now() - this.started))}`;
  }

  setPhase(phase: string): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (this.spinner.isEnabled) this.render();
    else process.stderr.write(`- ${phase}\n`);
  }

  /** A finished step, printed above the spinner. */
  done(text: string): void {
    this.spinner.stopAndPersist({ symbol: this.ctx.err.green('✔'), text });
    // Without a TTY, start() would print the phase again after every step.
    if (!this.timer) return;
    this.spinner.start();
    this.render();
  }

  succeed(text: string): void {
    this.stop();
    this.spinner.stopAndPersist({
      symbol: this.ctx.err.green('✔'),
      text: `${text} ${this.ctx.err.dim(`(${elapsed(Date.now() - this.started)})`)}`,
    });
  }

  fail(text: string): void {
    this.stop();
    this.spinner.stopAndPersist({ symbol: this.ctx.err.red('✖'), text });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.spinner.stop();
  }
}

/**
 * Feeds the events of one VM (after `after`) to `onEvent` until it returns a result. Returns undefined
 * when Ctrl-C ended the wait.
 */
export async function watchVm<T>(
  ctx: Ctx,
  name: string,
  after: string | undefined,
  onEvent: (e: CloudEvent) => T | undefined,
): Promise<T | undefined> {
  const path = `/api/events?watch=true${after ? `&after=${after}` : ''}`;
  for await (const m of ctx.client.sse(path, { signal: ctx.signal })) {
    if (m.event && m.event !== 'message') continue;
    const e = JSON.parse(m.data) as CloudEvent;
    if (e.subject !== name) continue;
    const result = onEvent(e);
    if (result !== undefined) return result;
  }
  return undefined;
}
