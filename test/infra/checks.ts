// The offline rules our Bicep must follow. Each check returns human-readable problems (empty = pass),
// so the tests can show that every rule also fails on a bad snippet.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import {
  type BicepFile,
  callsTo,
  declarations,
  declarationValue,
  description,
  identifiersIn,
  objectProperties,
  propertyAt,
  resources,
  stringLiteral,
} from './bicep';

/** Every param has `@description('Required. …')` without a default, or `'Optional. …'` with one. */
export function paramDescriptionProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const p of declarations(file, 'param')) {
    const text = description(p);
    const hasDefault = declarationValue(p) !== undefined;
    const where = `${file.path}: param ${p.name}`;
    if (text === undefined) problems.push(`${where} has no @description`);
    else if (!/^(Required|Optional)\. \S/.test(text))
      problems.push(`${where}: description must start 'Required. ' or 'Optional. '`);
    else if (hasDefault && text.startsWith('Required.'))
      problems.push(`${where} has a default but says 'Required.'`);
    else if (!hasDefault && text.startsWith('Optional.'))
      problems.push(`${where} has no default but says 'Optional.'`);
  }
  return problems;
}

/** Every output has a non-empty description. */
export function outputDescriptionProblems(file: BicepFile): string[] {
  return declarations(file, 'output')
    .filter((o) => !description(o)?.trim())
    .map((o) => `${file.path}: output ${o.name} has no @description`);
}

const secretName = /password|secret|connection_?string|instrumentation_?key|key|token|\bsas/i;

/** Outputs are kept in the deployment history, readable by anyone with read access: no secrets there. */
export function secretOutputProblems(file: BicepFile): string[] {
  const secureParams = new Set(
    declarations(file, 'param')
      .filter((p) => p.decorators.has('secure'))
      .map((p) => p.name),
  );
  const problems: string[] = [];
  for (const o of declarations(file, 'output')) {
    const value = declarationValue(o);
    const where = `${file.path}: output ${o.name}`;
    if (secretName.test(o.name)) problems.push(`${where}: its name suggests a secret`);
    if (o.decorators.has('secure')) problems.push(`${where} is @secure: do not output secrets at all`);
    if (callsTo(value, /(^|\.)list\w*$/).length > 0)
      problems.push(`${where} calls a list*() function (keys, SAS)`);
    for (const id of identifiersIn(value))
      if (secureParams.has(id)) problems.push(`${where} exposes @secure param ${id}`);
    const props = value ? value.descendantsOfType('property_identifier').map((n) => n?.text ?? '') : [];
    for (const prop of props) if (secretName.test(prop)) problems.push(`${where} reads property ${prop}`);
  }
  return problems;
}

/** Role assignments are declared in a loop and named `guid(...)`, never copy-pasted one by one. */
export function roleAssignmentProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const r of resources(file)) {
    if (r.type !== 'Microsoft.Authorization/roleAssignments' || r.existing) continue;
    const where = `${file.path}: role assignment ${r.symbol}`;
    if (!r.loop) problems.push(`${where} is not declared in a [for …] loop`);
    const name = propertyAt(r.body, ['name']);
    const call = name?.type === 'call_expression' ? name.childForFieldName('function')?.text : undefined;
    if (call !== 'guid') problems.push(`${where} is not named with guid(scope, principal, role)`);
  }
  return problems;
}

function literal(node: ReturnType<typeof propertyAt>): string | undefined {
  if (!node) return undefined;
  return node.type === 'string' ? stringLiteral(node) : node.text;
}

/** Storage accounts: StorageV2 (blobs, queues, tables), shared keys off, TLS 1.2 at least, no public blobs. */
export function storageProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const r of resources(file)) {
    if (r.type !== 'Microsoft.Storage/storageAccounts' || r.existing) continue;
    const where = `${file.path}: storage account ${r.symbol}`;
    const expect: [string[], string][] = [
      [['kind'], 'StorageV2'],
      [['properties', 'allowSharedKeyAccess'], 'false'],
      [['properties', 'minimumTlsVersion'], 'TLS1_2'],
      [['properties', 'allowBlobPublicAccess'], 'false'],
    ];
    for (const [path, want] of expect) {
      const got = literal(propertyAt(r.body, path));
      if (got !== want) problems.push(`${where}: ${path.join('.')} must be ${want} (is ${got ?? 'unset'})`);
    }
  }
  return problems;
}

/** The app settings literal of every `Microsoft.Web/sites/config` named appsettings: key → value node. */
export function appSettings(file: BicepFile): Map<string, ReturnType<typeof propertyAt>> {
  const settings = new Map<string, ReturnType<typeof propertyAt>>();
  for (const r of resources(file)) {
    if (
      r.type !== 'Microsoft.Web/sites/config' ||
      stringLiteral(propertyAt(r.body, ['name'])) !== 'appsettings'
    )
      continue;
    for (const [k, v] of objectProperties(propertyAt(r.body, ['properties']))) settings.set(k, v);
  }
  return settings;
}

/** Modules exist, get only params they declare, and get every param they require. */
export async function moduleProblems(
  file: BicepFile,
  read: (path: string) => Promise<BicepFile>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const m of declarations(file, 'module')) {
    const rel = stringLiteral(m.node.namedChildren.find((c) => c?.type === 'string'));
    const where = `${file.path}: module ${m.name}`;
    if (!rel) {
      problems.push(`${where} has no literal path`);
      continue;
    }
    const path = resolve(dirname(file.path), rel);
    if (!existsSync(path)) {
      problems.push(`${where}: ${rel} does not exist`);
      continue;
    }
    const target = await read(path);
    const declared = new Map(
      declarations(target, 'param').map((p) => [p.name, declarationValue(p) !== undefined]),
    );
    const body = m.node.namedChildren.find((c) => c?.type === 'object');
    const given = objectProperties(propertyAt(body, ['params']));
    for (const name of given.keys())
      if (!declared.has(name)) problems.push(`${where} passes unknown param ${name}`);
    for (const [name, hasDefault] of declared) {
      if (!hasDefault && !given.has(name)) problems.push(`${where} does not pass required param ${name}`);
    }
  }
  return problems;
}
