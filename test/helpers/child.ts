// Child-process runtimes for kill -9 tests: a script under tsx that prints `READY <field> …` once it
// listens; resolves with the child and the fields of that line.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export function startReadyChild(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; fields: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY ([^\n]*)\n/.exec(out);
      if (m) resolve({ child, fields: m[1]!.trim().split(/\s+/) });
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
}

/** The direct children of a process (e.g. the Azurite a killed runtime left behind). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
