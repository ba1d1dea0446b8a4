// Simulated guests: createGuestRunner() boots a VM from its cloud-init payload, runs the real agent
// against a journal of its own (boot entries, then a trickle) and the journal becomes queryable by unit;
// stop() stops the agent; the next boot has a new boot id and the same cursor state.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { renderCloudInit } from '../../lib/agent/cloud-init';
import { rotateIngestToken } from '../../lib/ingest-token';
import { createGuestRunner, type GuestInfo, type SimulatedGuest } from '../../local/guest';
import { eventually, type TestRuntime } from '../helpers/runtime';
import { addVmRecord } from '../helpers/vm-record';
import { startIngestion, storedEntries } from './helpers';

const run = promisify(execFile);

describe('simulated guest', () => {
  let t: TestRuntime;
  let dataDir: string;
  before(async () => {
    t = await startIngestion();
    dataDir = mkdtempSync(join(tmpdir(), 'vmj-guest-'));
  });
  after(async () => {
    await t?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the agent from customData; the journal is queryable by unit; power cycles keep the cursor', async () => {
    const vmName = `guest-${process.pid}`;
    await addVmRecord(t.services, vmName); // the journal's read routes answer 404 for an unknown VM
    const customData = renderCloudInit({
      vmName,
      ingestUrl: t.url(`/api/vms/${vmName}/journal`),
      token: await rotateIngestToken(t.services, vmName),
    });
    const logs: string[] = [];
    const runner = createGuestRunner({
      dataDir,
      trickleIntervalMs: 100,
      restartDelayMs: 200,
      agentEnv: { VMJ_FLUSH_DELAY_MS: '100' },
      log: (_l, m) => logs.push(m),
    });
    const info: GuestInfo = {
      subscriptionId: '00000000-0000-4000-8000-000000000000',
      resourceGroup: 'vmj-rg',
      vmName,
      vmId: '6f1c2e9a-7b3d-4e5f-9a1b-2c3d4e5f6a7b',
      bootId: 'a'.repeat(32),
      customData,
      computerName: vmName,
      adminUsername: 'azureuser',
      publicIp: '203.0.113.10',
      privateIp: '10.0.0.4',
    };
    const g1 = (await runner(info)) as SimulatedGuest;
    const ssh = await eventually(async () => {
      const res = await fetch(t.url(`/api/vms/${vmName}/journal?unit=ssh.service&limit=1000`));
      const items = ((await res.json()) as { items: { message: string }[] }).items;
      return items.length >= 2 ? items : undefined;
    }, 20_000);
    assert.ok(ssh.some((e) => e.message === 'Server listening on 0.0.0.0 port 22.'));
    await g1.stop();
    assert.equal(g1.agent.pid, undefined);

    const g2 = (await runner({ ...info, bootId: 'b'.repeat(32) })) as SimulatedGuest;
    await eventually(async () => {
      const res = await fetch(t.url(`/api/vms/${vmName}/boots`));
      return ((await res.json()) as { items: unknown[] }).items.length === 2;
    }, 20_000);
    await g2.stop();
    // Every entry of the first boot is stored once: what it had not sent before power-off went out
    // from the saved cursor during the second boot. Nothing is stored twice.
    const { stdout } = await run('journalctl', [
      `--directory=${g2.journalDir}`,
      '-q',
      '-o',
      'json',
      '--output-fields=_X',
    ]);
    const journal = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { __CURSOR: string }).__CURSOR);
    const boot1 = journal.filter((c) => c.includes(`;b=${'a'.repeat(32)};`));
    const stored = (await storedEntries(t, vmName)).map((e) => e.cursor);
    assert.equal(new Set(stored).size, stored.length);
    assert.ok(stored.every((c) => journal.includes(c)));
    assert.ok(boot1.length > 43 && boot1.every((c) => stored.includes(c)), `boot 1: ${boot1.length} entries`);
  });
});
