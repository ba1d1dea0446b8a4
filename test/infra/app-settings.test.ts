// The function app's settings on Azure must match what lib/config.ts reads: every required setting
// set, every other setting either set or deliberately left to its default, no unknown names.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { requiredSettingNames, settingNames } from '../../lib/config';
import { parseBicep, readBicep, stringLiteral } from './bicep';
import { appSettings } from './checks';
import { repoRoot } from './role-coverage';

const functionAppBicep = join(repoRoot, 'infra', 'bicep', 'modules', 'function-app.bicep');

/** Settings lib/config.ts knows that Azure deliberately does not set, and why. */
const notSetOnAzure: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string needs shared keys, which are off; identity settings are used',
  AzureWebJobsStorage__tableServiceUri: 'derived from AzureWebJobsStorage__accountName',
  AzureWebJobsStorage__queueServiceUri: 'derived from AzureWebJobsStorage__accountName',
  AzureWebJobsStorage__blobServiceUri: 'derived from AzureWebJobsStorage__accountName',
  AZURE_ARM_ENDPOINT: 'the default is public Azure',
  AZURE_ARM_CA_FILE: 'local ARM emulator only',
  AZURE_ARM_STATIC_TOKEN: 'local ARM emulator only; Azure uses the managed identity',
};

/** Settings the platform reads (not lib/config.ts). */
const platformSettings = new Set([
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'languageWorkers__node__arguments',
]);
const identityStorageSettings = new Set(['AzureWebJobsStorage__credential']);

/** Problems with a set of app setting names, relative to lib/config.ts. */
function settingProblems(names: Set<string>): string[] {
  const known = new Set<string>(settingNames);
  const problems: string[] = [];
  for (const name of requiredSettingNames)
    if (!names.has(name)) problems.push(`required setting ${name} is not set`);
  for (const name of settingNames) {
    if (!names.has(name) && !(name in notSetOnAzure))
      problems.push(`setting ${name} is neither set nor listed as not set on Azure`);
    if (names.has(name) && name in notSetOnAzure)
      problems.push(`setting ${name} must not be set on Azure: ${notSetOnAzure[name]}`);
  }
  for (const name of names) {
    if (!known.has(name) && !platformSettings.has(name) && !identityStorageSettings.has(name)) {
      problems.push(`setting ${name} is not read by lib/config.ts (typo?)`);
    }
  }
  return problems;
}

describe('function app settings', () => {
  test('lib/config.ts has required settings to check', () => {
    assert.ok(requiredSettingNames.includes('AZURE_SUBSCRIPTION_ID'));
    assert.ok(requiredSettingNames.includes('PUBLIC_BASE_URL'));
  });

  test('match lib/config.ts: every required setting set, no unknown names', async () => {
    const settings = appSettings(await readBicep(functionAppBicep));
    assert.deepEqual(settingProblems(new Set(settings.keys())), []);
  });

  test('storage is identity-based through the user-assigned identity', async () => {
    const settings = appSettings(await readBicep(functionAppBicep));
    assert.equal(stringLiteral(settings.get('AzureWebJobsStorage__credential')), 'managedidentity');
    assert.equal(settings.get('AzureWebJobsStorage__accountName')?.text, 'storageAccountName');
    assert.equal(settings.get('AzureWebJobsStorage__clientId')?.text, 'identityClientId');
    assert.equal(settings.get('AZURE_CLIENT_ID')?.text, 'identityClientId');
  });

  test('SSH CIDR and default key come from parameters', async () => {
    const settings = appSettings(await readBicep(functionAppBicep));
    assert.equal(settings.get('VM_SSH_SOURCE_CIDR')?.type, 'identifier');
    assert.equal(settings.get('VM_DEFAULT_SSH_PUBLIC_KEY')?.type, 'identifier');
  });

  test("the Node.js worker's heap is capped at half the instance memory", async () => {
    const settings = appSettings(await readBicep(functionAppBicep));
    assert.equal(
      settings.get('languageWorkers__node__arguments')?.text,
      "'--max-old-space-size=${instanceMemoryMB / 2}'",
    );
  });

  test('no settings that Flex Consumption rejects', async () => {
    const names = [...appSettings(await readBicep(functionAppBicep)).keys()];
    for (const banned of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
    ]) {
      assert.ok(!names.includes(banned), banned);
    }
  });

  test('the check fails when a required setting is missing, a local-only one is set, or a name is unknown', async () => {
    const bad = await parseBicep(`resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'app'
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      AZURE_SUBSCRIPTION_ID: sub
      AZURE_ARM_STATIC_TOKEN: 'x'
      PUBLC_BASE_URL: 'https://typo'
    }
  }
}
`);
    const problems = settingProblems(new Set(appSettings(bad).keys())).join('\n');
    assert.match(problems, /required setting PUBLIC_BASE_URL is not set/);
    assert.match(problems, /AZURE_ARM_STATIC_TOKEN must not be set on Azure/);
    assert.match(problems, /PUBLC_BASE_URL is not read by lib\/config\.ts/);
    assert.match(problems, /VM_DEFAULT_REGION is neither set nor listed/);
  });
});
