// azd wiring: main.parameters.json feeds main.bicep from the azd environment, azure.yaml points at the
// Bicep and at the function app by its azd-service-name tag, abbreviations.json has every prefix used.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { type BicepFile, declarations, declarationValue, readBicep, stringLiteral } from './bicep';
import { repoRoot } from './role-coverage';

const bicepDir = join(repoRoot, 'infra', 'bicep');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

const azdValue = /^\$\{([A-Z][A-Z0-9_]*)(=[^}]*)?\}$/;

/** Problems of an azd parameters file against the template it feeds. */
function parameterFileProblems(main: BicepFile, file: unknown): string[] {
  const params = new Map(declarations(main, 'param').map((p) => [p.name, declarationValue(p) !== undefined]));
  const given = (file as { parameters?: Record<string, { value?: unknown }> }).parameters ?? {};
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(given)) {
    if (!params.has(name)) problems.push(`${name} is not a param of main.bicep`);
    if (typeof entry.value !== 'string' || !azdValue.test(entry.value)) {
      problems.push(`${name} must be an azd reference \${VAR} or \${VAR=default}`);
    }
  }
  for (const [name, hasDefault] of params)
    if (!hasDefault && !(name in given)) problems.push(`${name} is required but not given`);
  return problems;
}

describe('azd', () => {
  test('main.parameters.json gives every required param from the azd environment', async () => {
    const main = await readBicep(join(bicepDir, 'main.bicep'));
    assert.deepEqual(parameterFileProblems(main, readJson(join(bicepDir, 'main.parameters.json'))), []);
  });

  test('the SSH CIDR and default key use the app setting names as azd variables', () => {
    const file = readJson(join(bicepDir, 'main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    assert.equal(file.parameters.vmSshSourceCidr?.value, '${VM_SSH_SOURCE_CIDR=}');
    assert.equal(file.parameters.vmDefaultSshPublicKey?.value, '${VM_DEFAULT_SSH_PUBLIC_KEY=}');
  });

  test('the parameters check fails on unknown, literal and missing params', async () => {
    const main = await readBicep(join(bicepDir, 'main.bicep'));
    const problems = parameterFileProblems(main, {
      parameters: { location: { value: 'westeurope' }, colour: { value: '${COLOUR}' } },
    }).join('\n');
    assert.match(problems, /location must be an azd reference/);
    assert.match(problems, /colour is not a param/);
    assert.match(problems, /environmentName is required but not given/);
  });

  test('azure.yaml deploys the api service to the function app main.bicep creates', async () => {
    const yaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');
    assert.match(yaml, /^infra:\n {2}provider: bicep\n {2}path: infra\/bicep\n {2}module: main$/m);
    assert.match(yaml, /^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    const app = await readBicep(join(bicepDir, 'modules', 'function-app.bicep'));
    assert.match(app.source, /tags: union\(tags, \{ 'azd-service-name': 'api' \}\)/);
  });

  test('the function app runs Node 22 by default and never the end-of-life Node 20', async () => {
    const file = readJson(join(bicepDir, 'main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    assert.equal(file.parameters.nodeVersion?.value, '${FUNCTIONS_NODE_VERSION=22}');
    for (const path of [join(bicepDir, 'main.bicep'), join(bicepDir, 'modules', 'function-app.bicep')]) {
      const param = declarations(await readBicep(path), 'param').find((p) => p.name === 'nodeVersion');
      assert.ok(param, `${path} has a nodeVersion param`);
      assert.equal(stringLiteral(declarationValue(param)), '22', path);
      const allowed = (param.decorators.get('allowed')?.[0]?.namedChildren ?? []).map((n) => n?.text);
      assert.ok(allowed.includes("'22'") && !allowed.includes("'20'"), `${path} allows ${allowed.join(' ')}`);
    }
    // The code itself still runs on Node 20 (the test machines), so `engines` stays at >= 20.
    const pkg = readJson(join(repoRoot, 'package.json')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '>=20');
  });

  test('abbreviations.json has every prefix main.bicep uses', async () => {
    const abbrs = readJson(join(bicepDir, 'abbreviations.json')) as Record<string, string>;
    const main = await readBicep(join(bicepDir, 'main.bicep'));
    const used = [...main.source.matchAll(/\babbrs\.(\w+)/g)].map((m) => m[1] ?? '');
    assert.ok(used.length >= 5);
    for (const key of used) assert.equal(typeof abbrs[key], 'string', `abbreviations.json lacks ${key}`);
  });
});
