// The deploy's provider registration (infra/scripts/register-providers.mjs, azd's preprovision hook)
// against an emulator whose subscription has Microsoft.Compute and Microsoft.Network unregistered.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { repoRoot } from '../infra/role-coverage';
import { type Harness, startHarness, SUB } from './helpers';

let h: Harness;
before(async () => {
  h = await startHarness({ unregisteredProviders: ['Microsoft.Compute', 'Microsoft.Network'], lroMs: 200 });
});
after(() => h.dispose());

const run = (env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [join(repoRoot, 'infra', 'scripts', 'register-providers.mjs')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
  });

test('registers both providers in the VM subscription and waits until they are Registered', async () => {
  const { stdout } = await run({
    VM_SUBSCRIPTION_ID: SUB,
    AZURE_ARM_ENDPOINT: h.arm.endpoint,
    AZURE_ARM_CA_FILE: h.arm.caFile,
    AZURE_ARM_STATIC_TOKEN: 'deployer',
  });
  assert.match(stdout, /Microsoft\.Compute: NotRegistered, registering/);
  assert.match(stdout, /Microsoft\.Network: Registered/);
  for (const ns of ['Microsoft.Compute', 'Microsoft.Network']) {
    assert.equal((await h.resources.providers.get(ns)).registrationState, 'Registered', ns);
  }
  // A second run finds them registered and registers nothing.
  const again = await run({
    VM_SUBSCRIPTION_ID: SUB,
    AZURE_ARM_ENDPOINT: h.arm.endpoint,
    AZURE_ARM_CA_FILE: h.arm.caFile,
    AZURE_ARM_STATIC_TOKEN: 'deployer',
  });
  assert.doesNotMatch(again.stdout, /registering/);
  const registers = h.arm.operations().filter((o) => /\/register\/action$/.test(o.rbacAction ?? ''));
  assert.equal(registers.length, 2);
});

test('without a subscription it fails with a clear message', async () => {
  await assert.rejects(run({}), (e: { stderr: string }) =>
    /VM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID/.test(e.stderr),
  );
});
