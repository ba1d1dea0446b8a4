// Response bodies are JSON checked by assertions; `any` keeps the tests readable.
/* eslint-disable @typescript-eslint/no-explicit-any */
// kill -9 of the runtime while a VM is being provisioned, then a new runtime on the same data dir:
// the orchestration resumes from its history (the ARM poller state included) and the VM ends up
// running, with exactly one of each resource in ARM.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { childPids, startReadyChild } from '../helpers/child';
import { eventually } from '../helpers/runtime';
import { sshPublicKey } from './helpers';

interface Child {
  child: ChildProcess;
  baseUrl: string;
  armEndpoint: string;
}

async function startChild(dataDir: string): Promise<Child> {
  const { child, fields } = await startReadyChild('test/vms/kill-child.ts', [dataDir]);
  return { child, baseUrl: fields[0]!, armEndpoint: fields[1]! };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stop(c: Child, signal: NodeJS.Signals): Promise<void> {
  const kids = childPids(c.child.pid!);
  const exited = new Promise<void>((r) =>
    c.child.exitCode !== null ? r() : c.child.once('exit', () => r()),
  );
  c.child.kill(signal);
  await exited;
  // Storage survives a host crash (as on Azure): stop the orphaned Azurite cleanly so that it flushes.
  for (const pid of kids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  await eventually(() => kids.every((pid) => !alive(pid)), 15_000);
}

async function get(c: Child, path: string): Promise<any> {
  const r = await fetch(`${c.baseUrl}${path}`);
  return r.json();
}

function armState(c: Child): Promise<any> {
  return new Promise((ok, fail) => {
    const req = request(
      `${c.armEndpoint}/_emulator/state`,
      { rejectUnauthorized: false } /* the emulator's own CA; only the state is read */,
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => ok(JSON.parse(text)));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

describe('VM provisioning survives a killed runtime', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vms-kill-'));
  const started: Child[] = [];
  after(async () => {
    for (const c of started)
      if (c.child.exitCode === null && c.child.signalCode === null) await stop(c, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGKILL mid-provision, restart on the same data → running', async () => {
    const first = await startChild(dataDir);
    started.push(first);
    const res = await fetch(`${first.baseUrl}/api/vms`, {
      method: 'POST',
      body: JSON.stringify({ name: 'phoenix', sshPublicKey: sshPublicKey() }),
    });
    assert.equal(res.status, 202);
    // Kill once the network is being created (ARM operations in flight, poller states in history).
    await eventually(async () => {
      const vm = await get(first, '/api/vms/phoenix');
      return vm.provisioning.steps.some((s: { name: string }) => s.name === 'virtualNetwork');
    }, 30_000);
    await stop(first, 'SIGKILL');

    const second = await startChild(dataDir);
    started.push(second);
    const vm = await eventually(async () => {
      const v = await get(second, '/api/vms/phoenix');
      if (v.status === 'failed') throw new Error(JSON.stringify(v.provisioning));
      return v.status === 'running' ? v : undefined;
    }, 45_000);
    assert.ok(vm.publicIp);
    assert.ok(vm.privateIp);
    const state = await armState(second);
    const types = state.resources.map((r: { type: string }) => r.type).sort();
    assert.deepEqual(types, [
      'Microsoft.Compute/disks',
      'Microsoft.Compute/virtualMachines',
      'Microsoft.Network/networkInterfaces',
      'Microsoft.Network/networkSecurityGroups',
      'Microsoft.Network/publicIPAddresses',
      'Microsoft.Network/virtualNetworks',
    ]);
    assert.equal(state.resourceGroups.length, 1);
    await stop(second, 'SIGTERM');
  });
});
