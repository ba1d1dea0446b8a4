import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { parseConfig, requiredSettingNames, settingNames } from '../../lib/config';
import { version } from '../../lib/version';
import { queueSettings } from '../../local/host/host-json';
import { QueueListener } from '../../local/host/queue-trigger';

const valid = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  AZURE_SUBSCRIPTION_ID: '6b1f5c2e-3d4a-4b5c-9d8e-7f6a5b4c3d2e',
  PUBLIC_BASE_URL: 'https://vmj.example.net',
};

describe('config', () => {
  it('parses, applies defaults and freezes', () => {
    const c = parseConfig(valid);
    assert.equal(c.JOURNAL_RETENTION_DAYS, 30);
    assert.equal(c.COMMAND_QUEUE_NAME, 'vm-commands');
    assert.ok(Object.isFrozen(c));
  });

  it('names every missing or bad setting', () => {
    assert.throws(
      () => parseConfig({}),
      (e: Error) => {
        assert.equal(e.name, 'ConfigError');
        for (const name of ['AZURE_SUBSCRIPTION_ID', 'PUBLIC_BASE_URL', 'AzureWebJobsStorage'])
          assert.match(e.message, new RegExp(name));
        return true;
      },
    );
    assert.throws(() => parseConfig({ ...valid, JOURNAL_RETENTION_DAYS: 'soon' }), /JOURNAL_RETENTION_DAYS/);
    assert.throws(
      () => parseConfig({ ...valid, AZURE_SUBSCRIPTION_ID: 'not-a-guid' }),
      /AZURE_SUBSCRIPTION_ID/,
    );
    assert.throws(() => parseConfig({ ...valid, COMMAND_QUEUE_NAME: 'Bad_Queue' }), /COMMAND_QUEUE_NAME/);
  });

  it('caps COMMAND_QUEUE_NAME at 56 characters so that `<name>-poison` is a valid queue name (≤ 63)', () => {
    const at = 'q'.repeat(56);
    assert.equal(parseConfig({ ...valid, COMMAND_QUEUE_NAME: at }).COMMAND_QUEUE_NAME, at);
    assert.ok(`${at}-poison`.length <= 63);
    assert.throws(() => parseConfig({ ...valid, COMMAND_QUEUE_NAME: `${at}q` }), /COMMAND_QUEUE_NAME.*56/s);
    // The local host's queue trigger refuses such a queue at start (Azure fails at the first poison).
    const listener = (queueName: string) =>
      new QueueListener(
        {
          name: 'vmCommands',
          bindings: {},
          triggerName: 'message',
          trigger: { type: 'queueTrigger', direction: 'in', queueName, connection: 'VMJ_TEST_STORAGE' },
        },
        queueSettings({ version: '2.0' }),
        () => Promise.reject(new Error('not invoked')),
        () => undefined,
        { VMJ_TEST_STORAGE: 'UseDevelopmentStorage=true' },
      );
    assert.equal(listener(at).queueName, at);
    assert.throws(() => listener(`${at}q`), /longer than 56 characters.*-poison/);
  });

  it('accepts identity-based storage instead of a connection string', () => {
    const { AzureWebJobsStorage: _, ...rest } = valid;
    assert.equal(
      parseConfig({ ...rest, AzureWebJobsStorage__accountName: 'vmjstore' }).AzureWebJobsStorage,
      undefined,
    );
  });

  it('lists required settings', () => {
    assert.deepEqual([...requiredSettingNames].sort(), ['AZURE_SUBSCRIPTION_ID', 'PUBLIC_BASE_URL']);
    assert.ok(settingNames.includes('JOURNAL_RETENTION_DAYS'));
  });

  it('keeps lib/version.ts equal to package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    assert.equal(version, pkg.version);
  });

  it('lists every app setting in local.settings.sample.json', () => {
    const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as {
      Values: Record<string, string>;
    };
    for (const name of settingNames.filter((n) => !n.startsWith('AzureWebJobsStorage__'))) {
      assert.ok(name in sample.Values, `${name} missing from local.settings.sample.json`);
    }
    assert.doesNotThrow(() => parseConfig(sample.Values));
    // Nothing else but what the Functions host itself needs: worker indexing (the v4 programming
    // model) is on by default since host 4.25, so no AzureWebJobsFeatureFlags.
    const hostSettings = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'];
    const extra = Object.keys(sample.Values).filter(
      (n) => !hostSettings.includes(n) && !(settingNames as string[]).includes(n),
    );
    assert.deepEqual(extra, [], 'settings in local.settings.sample.json that nothing reads');
  });
});
