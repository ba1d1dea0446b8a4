// Offline checks of infra/bicep (the Bicep compiler cannot run here): syntax through the
// tree-sitter-bicep grammar, then our own rules. Each rule also has a bad snippet it must reject.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  type BicepFile,
  bicepFilesUnder,
  parseBicep,
  propertyAt,
  readBicep,
  resources,
  stringLiteral,
  syntaxProblems,
} from './bicep';
import {
  moduleProblems,
  outputDescriptionProblems,
  paramDescriptionProblems,
  roleAssignmentProblems,
  secretOutputProblems,
  storageProblems,
} from './checks';
import { repoRoot } from './role-coverage';

const bicepDir = join(repoRoot, 'infra', 'bicep');
const files = bicepFilesUnder(bicepDir);

async function allFiles(): Promise<BicepFile[]> {
  return Promise.all(files.map((f) => readBicep(f)));
}

const snippet = (source: string) => parseBicep(source, '<snippet>');

describe('infra/bicep', () => {
  test('has main.bicep and its modules', () => {
    assert.ok(files.includes(join(bicepDir, 'main.bicep')), 'main.bicep is missing');
    assert.ok(files.length >= 5, `expected main.bicep and modules, found ${files.join(', ')}`);
  });

  test('main.bicep targets the subscription scope', async () => {
    const main = await readBicep(join(bicepDir, 'main.bicep'));
    assert.match(main.source, /^targetScope\s*=\s*'subscription'/m);
  });

  test('every file parses without ERROR or MISSING nodes', async () => {
    for (const f of await allFiles()) assert.deepEqual(syntaxProblems(f), [], f.path);
  });

  test('every param is described Required./Optional. to match its default', async () => {
    for (const f of await allFiles()) assert.deepEqual(paramDescriptionProblems(f), [], f.path);
  });

  test('every output is described and none carries a secret', async () => {
    for (const f of await allFiles()) {
      assert.deepEqual(outputDescriptionProblems(f), [], f.path);
      assert.deepEqual(secretOutputProblems(f), [], f.path);
    }
  });

  test('role assignments are guid()-named and declared in loops', async () => {
    const all = await allFiles();
    const count = all
      .flatMap((f) => resources(f))
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments').length;
    assert.ok(count >= 3, `expected storage, monitoring and provisioning role assignments, found ${count}`);
    for (const f of all) assert.deepEqual(roleAssignmentProblems(f), [], f.path);
  });

  test('storage is StorageV2 with shared keys off and TLS 1.2, and queues and tables are declared', async () => {
    const all = await allFiles();
    const types = new Set(all.flatMap((f) => resources(f)).map((r) => r.type));
    assert.ok(types.has('Microsoft.Storage/storageAccounts'));
    assert.ok(types.has('Microsoft.Storage/storageAccounts/queueServices'), 'Durable needs queues');
    assert.ok(types.has('Microsoft.Storage/storageAccounts/tableServices'), 'Durable needs tables');
    for (const f of all) assert.deepEqual(storageProblems(f), [], f.path);
  });

  test('modules exist and receive exactly the params they declare', async () => {
    for (const f of await allFiles()) assert.deepEqual(await moduleProblems(f, readBicep), [], f.path);
  });

  test('the function app is Flex Consumption (FC1, Linux, Node) with identity-based deployment storage', async () => {
    const all = (await allFiles()).flatMap((f) => resources(f));
    const plan = all.find((r) => r.type === 'Microsoft.Web/serverfarms');
    assert.equal(stringLiteral(propertyAt(plan?.body, ['sku', 'name'])), 'FC1');
    assert.equal(stringLiteral(propertyAt(plan?.body, ['sku', 'tier'])), 'FlexConsumption');
    const site = all.find((r) => r.type === 'Microsoft.Web/sites' && !r.existing);
    assert.equal(stringLiteral(propertyAt(site?.body, ['kind'])), 'functionapp,linux');
    const config = propertyAt(site?.body, ['properties', 'functionAppConfig']);
    assert.equal(stringLiteral(propertyAt(config, ['runtime', 'name'])), 'node');
    assert.equal(stringLiteral(propertyAt(config, ['deployment', 'storage', 'type'])), 'blobContainer');
    assert.equal(
      stringLiteral(propertyAt(config, ['deployment', 'storage', 'authentication', 'type'])),
      'UserAssignedIdentity',
    );
    // Memory and scale-out come from parameters, not constants.
    assert.equal(propertyAt(config, ['scaleAndConcurrency', 'instanceMemoryMB'])?.type, 'identifier');
    assert.equal(propertyAt(config, ['scaleAndConcurrency', 'maximumInstanceCount'])?.type, 'identifier');
    assert.equal(stringLiteral(propertyAt(site?.body, ['identity', 'type'])), 'UserAssigned');
  });

  test('the custom role deploys the actions of provisioning-role.json at subscription scope', async () => {
    const role = await readBicep(join(bicepDir, 'modules', 'provisioning-role.bicep'));
    assert.match(role.source, /^targetScope\s*=\s*'subscription'/m);
    assert.match(role.source, /^var role = loadJsonContent\('\.\.\/provisioning-role\.json'\)$/m);
    const def = resources(role).find((r) => r.type === 'Microsoft.Authorization/roleDefinitions');
    const permissions = propertyAt(def?.body, ['properties', 'permissions']);
    const actions = permissions?.namedChildren[0];
    assert.equal(propertyAt(actions ?? undefined, ['actions'])?.text, 'role.actions');
    const scopes = propertyAt(def?.body, ['properties', 'assignableScopes'])?.text.replace(/\s+/g, '');
    assert.equal(scopes, '[subscription().id]');
  });
});

describe('the checks reject bad Bicep', () => {
  test('syntax errors and missing tokens', async () => {
    assert.notDeepEqual(syntaxProblems(await snippet(`param x string =\nresource r 'A/b@1' = {\n`)), []);
    assert.match(syntaxProblems(await snippet(`var x = {\n  a: 'b'\n`)).join('\n'), /missing|syntax error/);
  });

  test('undescribed, badly prefixed and mislabelled params', async () => {
    const problems = paramDescriptionProblems(
      await snippet(`param a string
@description('The b.')
param b string
@description('Required. Has a default.')
param c string = 'x'
@description('Optional. Has none.')
param d string
@sys.description('Optional. Fine.')
param e int = 1
`),
    );
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems.join('\n'), /param a has no @description/);
    assert.match(problems.join('\n'), /param b: description must start/);
  });

  test('undescribed outputs', async () => {
    const problems = outputDescriptionProblems(
      await snippet(`output a string = 'x'\n@description('')\noutput b int = 1\n`),
    );
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  test('secrets in outputs', async () => {
    const problems = secretOutputProblems(
      await snippet(`@secure()
param adminPassword string
@description('Keys.')
output keys string = st.listKeys().keys[0].value
@description('A password.')
output pw string = adminPassword
@description('Innocent name.')
output ai string = appInsights.properties.ConnectionString
@description('Fine.')
output name string = st.name
`),
    );
    const text = problems.join('\n');
    assert.match(text, /output keys .*list\*\(\)/);
    assert.match(text, /output pw exposes @secure param adminPassword/);
    assert.match(text, /output ai reads property ConnectionString/);
    assert.doesNotMatch(text, /output name/);
  });

  test('role assignments outside loops or not named with guid()', async () => {
    const problems = roleAssignmentProblems(
      await snippet(`resource one 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(st.id, principalId, roleId)
  properties: {}
}
resource many 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for r in roles: {
  name: 'fixed-name'
  properties: {}
}]
resource good 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for r in roles: {
  name: guid(st.id, r.principalId, r.roleId)
  properties: {}
}]
`),
    );
    assert.deepEqual(problems, [
      '<snippet>: role assignment one is not declared in a [for …] loop',
      '<snippet>: role assignment many is not named with guid(scope, principal, role)',
    ]);
  });

  test('storage with shared keys on, old TLS or public blobs', async () => {
    const problems = storageProblems(
      await snippet(`resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st'
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_0'
  }
}
resource old 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: 'old'
}
`),
    );
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems.join('\n'), /allowSharedKeyAccess must be false \(is true\)/);
    assert.match(problems.join('\n'), /minimumTlsVersion must be TLS1_2 \(is TLS1_0\)/);
    assert.match(problems.join('\n'), /allowBlobPublicAccess must be false \(is unset\)/);
  });

  test('modules that are missing, get unknown params or lack required ones', async () => {
    const main = await parseBicep(
      `module gone 'modules/nope.bicep' = {
  name: 'gone'
}
module id 'modules/identity.bicep' = {
  name: 'id'
  params: {
    name: 'x'
    colour: 'blue'
  }
}
`,
      join(bicepDir, 'snippet.bicep'),
    );
    const problems = await moduleProblems(main, readBicep);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems.join('\n'), /modules\/nope\.bicep does not exist/);
    assert.match(problems.join('\n'), /passes unknown param colour/);
    assert.match(problems.join('\n'), /does not pass required param location/);
  });
});
