// Writes real journal files: entries go, in Journal Export Format, to the stdin of Debian's
// systemd-journal-remote, which appends them to <dir>/system-NNNN.journal as journald would.
// rotate() closes the current file (as journald's rotation does) and the next write starts a new one.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { exportEntry, type JournalFields } from './export-format';
import { JOURNAL_REMOTE } from './tools';

export interface JournalWriterOptions {
  journalRemote?: string;
  onError?: (message: string) => void;
}

export class JournalWriter {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private stderr = '';
  private seq: number;

  constructor(
    readonly dir: string,
    private readonly opts: JournalWriterOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    const numbers = readdirSync(dir)
      .map((f) => /^system-(\d+)\.journal$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    this.seq = numbers.length ? Math.max(...numbers) : 0;
  }

  /** The journal file being written, if any. */
  currentFile: string | undefined;

  private open(): ChildProcess {
    if (this.proc) return this.proc;
    this.seq += 1;
    this.currentFile = join(this.dir, `system-${String(this.seq).padStart(4, '0')}.journal`);
    const proc = spawn(this.opts.journalRemote ?? JOURNAL_REMOTE, [`--output=${this.currentFile}`, '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    this.stderr = '';
    proc.stderr?.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-2000)));
    proc.stdin?.on('error', () => {}); // reported through the exit status below
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        if (code !== 0 && signal !== 'SIGTERM')
          this.opts.onError?.(`systemd-journal-remote exited ${code ?? signal}: ${this.stderr.trim()}`);
        resolve();
      });
      proc.on('error', (e) => {
        this.opts.onError?.(`systemd-journal-remote: ${e.message}`);
        resolve();
      });
    });
    this.proc = proc;
    return proc;
  }

  /** Appends entries; resolves once the pipe has taken them (journal-remote writes them right away). */
  async write(entries: JournalFields[]): Promise<void> {
    if (entries.length === 0) return;
    const stdin = this.open().stdin!;
    const ok = stdin.write(Buffer.concat(entries.map(exportEntry)));
    if (!ok) await new Promise<void>((resolve) => stdin.once('drain', resolve));
  }

  /** Closes the current file: journal-remote reads to the end, writes everything and exits. */
  async rotate(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    proc.stdin?.end();
    await this.exited;
  }

  close(): Promise<void> {
    return this.rotate();
  }
}
