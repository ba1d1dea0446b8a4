// Terminal output: colour only on a TTY and never with NO_COLOR (or TERM=dumb), aligned tables, and
// journalctl's pager: $SYSTEMD_PAGER, else $PAGER, else `less -R` (with LESS=FRSXMK unless set, as
// journalctl), only when stdout is a TTY and never with --no-pager; `cat` or an empty value turn it off.
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export function useColor(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function colors(stream: { isTTY?: boolean } = process.stdout): Colors {
  return pc.createColors(useColor(stream));
}

/** Left-aligned columns separated by two spaces; the header in bold on a TTY. */
export function table(headers: string[], rows: string[][], c: Colors = colors()): string {
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [c.bold(line(headers)), ...rows.map(line)].join('\n') + '\n';
}

/** Where a command writes its main output: stdout, or a pager in front of it. */
export interface Sink {
  write(text: string): void;
  /** True once the reader went away (pager quit, pipe closed): stop producing. */
  readonly closed: boolean;
  end(): Promise<void>;
}

export function pagerCommand(env = process.env): string | undefined {
  const cmd = (env.SYSTEMD_PAGER ?? env.PAGER ?? 'less -R').trim();
  return cmd === '' || cmd === 'cat' ? undefined : cmd;
}

export function openSink(opts: { pager: boolean }): Sink {
  const cmd = opts.pager && process.stdout.isTTY ? pagerCommand() : undefined;
  if (!cmd) return streamSink(process.stdout, () => Promise.resolve());
  const child = spawn(cmd, {
    shell: true,
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, LESS: process.env.LESS ?? 'FRSXMK' },
  });
  // Ctrl-C belongs to the pager while it runs (less uses it to stop a search).
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return streamSink(child.stdin, async () => {
    await exited;
    process.off('SIGINT', ignore);
  });
}

function streamSink(out: Writable, wait: () => Promise<void>): Sink {
  let closed = false;
  out.on('error', () => (closed = true)); // EPIPE: the reader is gone
  return {
    write(text) {
      if (!closed && text) out.write(text);
    },
    get closed() {
      return closed;
    },
    async end() {
      if (out !== process.stdout) out.end();
      else if (out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
      await wait();
    },
  };
}
