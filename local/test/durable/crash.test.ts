// kill -9 of the runtime mid-orchestration, then a new runtime on the same data: the instance resumes
// from its persisted history and activities whose completion was recorded do not run again.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { childPids, startReadyChild } from '../../../test/helpers/child';
import { type Harness, startHarness } from './harness';

async function startChild(dataDir: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const { child, fields } = await startReadyChild('local/test/durable/kill-child.ts', [dataDir]);
  return { child, baseUrl: fields[0]! };
}

function lines(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

/** Resolves once the side file has at least n lines (watching it, no polling loop). */
function waitForLines(dir: string, file: string, n: number): Promise<number[]> {
  return new Promise((resolve) => {
    const check = () => {
      const l = lines(file);
      if (l.length >= n) {
        watcher.close();
        resolve(l);
      }
    };
    const watcher = watch(dir, check);
    check();
  });
}

function waitExit(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      try {
        process.kill(pid, 0);
        setTimeout(check, 50);
      } catch {
        resolve();
      }
    };
    check();
  });
}

describe('durable engine: crash and resume', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'durable-crash-'));
  const sideDir = mkdtempSync(join(tmpdir(), 'durable-side-'));
  let h: Harness | undefined;
  after(async () => {
    await h?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(sideDir, { recursive: true, force: true });
  });

  it('resumes from history after SIGKILL without re-running completed activities', async () => {
    const file = join(sideDir, 'executions.txt');
    writeFileSync(file, '');
    const count = 8;
    const { child, baseUrl } = await startChild(dataDir);
    const azurite = childPids(child.pid!);
    const res = await fetch(`${baseUrl}/api/start/RecordChain/crash-1`, {
      method: 'POST',
      body: JSON.stringify({ file, count, delayMs: 120 }),
    });
    assert.equal(res.status, 202);

    const before = await waitForLines(sideDir, file, 4);
    child.kill('SIGKILL');
    await waitExit(child.pid!);
    // The host died; storage survives (as on Azure). Stop the orphaned Azurite cleanly so that it
    // flushes, then a new runtime starts its own on the same data directory.
    for (const pid of azurite) process.kill(pid, 'SIGTERM');
    await Promise.all(azurite.map(waitExit));
    const killedAt = lines(file).length;
    assert.ok(killedAt < count, 'the orchestration was still running when killed');

    h = await startHarness({ dataDir, keepData: true });
    const status = await h.waitDone('crash-1', 30_000);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, [...Array(count).keys()]);

    const runs = lines(file);
    const times = new Map<number, number>();
    for (const i of runs) times.set(i, (times.get(i) ?? 0) + 1);
    for (let i = 0; i < count; i++) assert.ok((times.get(i) ?? 0) >= 1, `activity ${i} ran`);
    // Only the activity in flight at the kill (or one whose result was not yet committed) may run again.
    const repeated = [...times].filter(([, n]) => n > 1).map(([i]) => i);
    assert.ok(repeated.length <= 2, `repeated: ${repeated.join(',')}`);
    for (const i of repeated)
      assert.ok(i >= before.length - 1, `activity ${i} had completed before the kill and ran again`);
    for (let i = 0; i < before.length - 1; i++) assert.equal(times.get(i), 1, `activity ${i} ran once`);
  });
});
