// `npm start` as a user runs it: the whole runtime in a child process, healthy quickly, and nothing
// left behind (no process, no listening port) after SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { freePort, isListening } from '../../local/ports';
import { eventually } from '../helpers/runtime';

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vmj-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves /api/health within 30 s and frees every port on SIGINT', async () => {
    const port = await freePort();
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli/start.ts'], {
      env: { ...process.env, PORT: String(port), LOCAL_DATA_DIR: dataDir, LOCAL_STORAGE_PORTS: 'free' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const res = await eventually(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/api/health`);
          // Healthy, and the banner (printed once everything is up) names the storage ports.
          return r.status === 200 && /Press Ctrl\+C/.test(output) && r;
        },
        30_000,
        200,
      );
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started < 30_000);
      const storagePorts = [...output.matchAll(/(?:blob|queue|table):(\d+)/g)].map((m) => Number(m[1]));
      assert.equal(storagePorts.length, 3, output);
      child.kill('SIGINT');
      assert.equal(await exited, 0, output);
      for (const p of [port, ...storagePorts])
        assert.equal(await isListening(p), false, `port ${p} still open`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
