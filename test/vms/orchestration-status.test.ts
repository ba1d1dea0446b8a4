// The provisioning orchestrator driven without an engine (test/vms/orchestration-driver.ts): what its
// custom status claims while ARM is still working, and that every event of every record write reaches
// a write that succeeded, whatever the writes' fate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { provisionVm } from '../../lib/provisioning/orchestrator';
import type { ProgressUpdate } from '../../lib/vms/progress';
import { testVmSpec } from '../helpers/vm-record';
import { drive, type FakeTask } from './orchestration-driver';

const spec = { ...testVmSpec('vm1'), resourceGroup: 'rg-vm1' };
const input = { kind: 'create', seq: 1, requestId: 'r1', spec };
const target = { resourceGroup: 'rg-vm1', name: 'x' };
const running = (kind: string, now: Date) => ({
  status: 'running',
  kind,
  target,
  state: '{}',
  retryAfterMs: 1000,
  retryAt: now.getTime() + 1000,
});
const succeeded = (kind: string) => ({ status: 'succeeded', kind });
const addresses = { publicIp: '20.0.0.1', privateIp: '10.0.0.4' };

type Step = { name: string; status: string };
const stepStatus = (status: unknown, name: string) =>
  ((status as { steps?: Step[] } | undefined)?.steps ?? []).find((s) => s.name === name)?.status;

/** A fake ARM: the VM takes `vmPolls` polls; everything else is done when begun. */
function arm(vmPolls: number, failWrites: (w: ProgressUpdate) => boolean = () => false) {
  let polls = 0;
  const written: ProgressUpdate[] = [];
  const write = (w: ProgressUpdate | undefined) => {
    if (!w) return true;
    if (failWrites(w)) return false;
    written.push(w);
    return true;
  };
  const answer = (t: FakeTask & { type: 'activity' }, now: Date): unknown => {
    const i = t.input as Record<string, unknown>;
    switch (t.name) {
      case 'vmArmBegin': {
        const steps = i.steps as string[];
        const operations = steps.map((s) => (s === 'virtualMachine' ? running(s, now) : succeeded(s)));
        const ok = write(i.progress as ProgressUpdate | undefined);
        return {
          operations,
          ...(ok ? {} : { recorded: false }),
          ...(i.inNewGroup ? { group: succeeded('resourceGroup') } : {}),
        };
      }
      case 'vmArmPoll': {
        polls++;
        const done = polls > vmPolls;
        const ops = (i.operations as { kind: string }[]).map((o) =>
          done ? succeeded(o.kind) : running(o.kind, now),
        );
        const a = i.addresses as { finish: ProgressUpdate } | undefined;
        if (!done || !a) return { operations: ops };
        written.push({ ...a.finish, ...addresses });
        return { operations: ops, addresses: { ...addresses, finished: true } };
      }
      case 'vmArmAddresses': {
        const a = i as unknown as { finish: ProgressUpdate };
        written.push({ ...a.finish, ...addresses });
        return { ...addresses, finished: true };
      }
      case 'vmRecordProgress':
        written.push(i as unknown as ProgressUpdate);
        return undefined;
      default:
        throw new Error(`unexpected activity ${t.name}`);
    }
  };
  return { answer, written };
}

describe('provisioning orchestrator (no engine)', () => {
  test('the custom status never claims the VM step before ARM finished it', () => {
    const fake = arm(3);
    const r = drive(provisionVm as never, input, fake.answer);
    assert.deepEqual(r.output, { status: 'running' });
    const polls = r.yielded.filter((y) => y.task.type === 'activity' && y.task.name === 'vmArmPoll');
    assert.equal(polls.length, 4);
    for (const p of polls) {
      assert.equal(stepStatus(p.status, 'virtualMachine'), 'running', 'while ARM creates the VM');
      assert.equal(stepStatus(p.status, 'publicIpAddress'), undefined, 'not started before the VM');
    }
    const last = r.statuses.at(-1);
    assert.equal(stepStatus(last, 'virtualMachine'), 'succeeded');
    assert.equal(stepStatus(last, 'publicIpAddress'), 'succeeded');
    assert.equal((last as { step: unknown }).step, null);
  });

  test('every event reaches a write that succeeded, in order, although merged writes failed', () => {
    // The network's begin write (provisioning, resourceGroup completed) and the NIC's fail once.
    let failed = 0;
    const fake = arm(1, (w) => {
      const keys = (w.events ?? []).map((e) => e.key);
      if (failed < 2 && (keys.includes('provisioning') || keys.includes('step/networkInterface'))) {
        failed++;
        return true;
      }
      return false;
    });
    const r = drive(provisionVm as never, input, fake.answer);
    assert.deepEqual(r.output, { status: 'running' });
    assert.equal(failed, 2);
    const keys = fake.written.flatMap((w) => (w.events ?? []).map((e) => e.key));
    assert.deepEqual(keys, [
      'provisioning',
      'step/resourceGroup',
      'step/virtualNetwork',
      'step/networkSecurityGroup',
      'step/publicIp',
      'step/networkInterface',
      'step/virtualMachine',
      'step/publicIpAddress',
      'ip',
      'running',
    ]);
    const ip = fake.written.flatMap((w) => w.events ?? []).find((e) => e.key === 'ip');
    assert.ok(ip);
  });
});
