// A small read-only model of Bicep source, built on the tree-sitter-bicep WASM grammar (the Bicep
// compiler is a .NET tool we cannot install here). Enough to find declarations, decorators, resource
// bodies and literal values for the offline infrastructure checks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Language, type Node, Parser, type Tree } from 'web-tree-sitter';

const grammarPath = require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const p = new Parser();
    p.setLanguage(await Language.load(grammarPath));
    return p;
  })();
  return parser;
}

export interface BicepFile {
  path: string;
  source: string;
  tree: Tree;
}

/** Parses Bicep source; `path` only labels problems. */
export async function parseBicep(source: string, path = '<inline>'): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return { path, source, tree };
}

export async function readBicep(path: string): Promise<BicepFile> {
  return parseBicep(readFileSync(path, 'utf8'), path);
}

/** Every .bicep file under a folder, sorted. */
export function bicepFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => join(dir, f))
    .sort();
}

function* descendants(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) if (child) yield* descendants(child);
}

/** ERROR and MISSING nodes, as `path:line:col message`. */
export function syntaxProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const n of descendants(file.tree.rootNode)) {
    if (!n.isError && !n.isMissing) continue;
    const at = `${file.path}:${n.startPosition.row + 1}:${n.startPosition.column + 1}`;
    problems.push(
      n.isMissing
        ? `${at} missing ${n.type}`
        : `${at} syntax error near ${JSON.stringify(n.text.slice(0, 40))}`,
    );
  }
  return problems;
}

export type DeclarationKind = 'param' | 'var' | 'output' | 'resource' | 'module';

const nodeTypes: Record<DeclarationKind, string> = {
  param: 'parameter_declaration',
  var: 'variable_declaration',
  output: 'output_declaration',
  resource: 'resource_declaration',
  module: 'module_declaration',
};

export interface Declaration {
  kind: DeclarationKind;
  name: string;
  node: Node;
  /** Decorators by name (`sys.` prefix dropped), each with its argument nodes. */
  decorators: Map<string, Node[]>;
}

function decoratorsBefore(node: Node): Map<string, Node[]> {
  const found = new Map<string, Node[]>();
  const prev = node.previousNamedSibling;
  if (prev?.type !== 'decorators') return found;
  for (const d of prev.namedChildren) {
    const call = d?.namedChildren[0];
    if (!call) continue;
    const callee = call.type === 'call_expression' ? call.childForFieldName('function') : call;
    const name = (callee?.text ?? '').replace(/^sys\./, '');
    const args = call.namedChildren.find((c) => c?.type === 'arguments');
    found.set(name, args ? args.namedChildren.filter((c): c is Node => c !== null) : []);
  }
  return found;
}

/** Top-level declarations of one kind, in source order. */
export function declarations(file: BicepFile, kind: DeclarationKind): Declaration[] {
  return file.tree.rootNode.namedChildren
    .filter((n): n is Node => n?.type === nodeTypes[kind])
    .map((node) => ({
      kind,
      name: node.namedChildren.find((c) => c?.type === 'identifier')?.text ?? '',
      node,
      decorators: decoratorsBefore(node),
    }));
}

/** The value of a plain string literal (escapes resolved), or undefined for anything else. */
export function stringLiteral(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  let out = '';
  for (const part of node.namedChildren) {
    if (!part) continue;
    if (part.type === 'string_content') out += part.text;
    else if (part.type === 'escape_sequence') out += part.text === '\\n' ? '\n' : part.text.slice(1);
    else return undefined; // interpolation: not a literal
  }
  return out;
}

/** The description decorator's text, when it is a literal string. */
export function description(decl: Declaration): string | undefined {
  return stringLiteral(decl.decorators.get('description')?.[0]);
}

/** The value expression of a param, var or output declaration (after `=`). */
export function declarationValue(decl: Declaration): Node | undefined {
  const children = decl.node.children;
  const eq = children.findIndex((c) => c?.type === '=');
  return eq >= 0 ? (children.slice(eq + 1).find((c) => c?.isNamed) ?? undefined) : undefined;
}

function propertyKey(prop: Node): string | undefined {
  const key = prop.namedChildren[0];
  if (!key) return undefined;
  return key.type === 'string' ? stringLiteral(key) : key.text;
}

/** The properties of an object node, by key (nested resource declarations are skipped). */
export function objectProperties(obj: Node | null | undefined): Map<string, Node> {
  const props = new Map<string, Node>();
  if (obj?.type !== 'object') return props;
  for (const prop of obj.namedChildren) {
    if (prop?.type !== 'object_property') continue;
    const key = propertyKey(prop);
    const value = prop.namedChildren[1];
    if (key !== undefined && value && prop.namedChildren[0]?.type !== 'resource_declaration')
      props.set(key, value);
  }
  return props;
}

/** Follows a path of keys through nested object literals. */
export function propertyAt(obj: Node | null | undefined, path: string[]): Node | undefined {
  let node: Node | undefined = obj ?? undefined;
  for (const key of path) {
    node = objectProperties(node).get(key);
    if (!node) return undefined;
  }
  return node;
}

export interface ResourceDecl {
  symbol: string;
  /** Full type without the API version, parents included for nested resources: `Microsoft.Web/sites/config`. */
  type: string;
  existing: boolean;
  /** Declared with a `[for ...]` loop. */
  loop: boolean;
  /** The resource body object (inside a loop or condition, the object they produce). */
  body: Node | undefined;
  node: Node;
}

function resourceBody(value: Node | undefined): Node | undefined {
  if (!value) return undefined;
  if (value.type === 'object') return value;
  if (value.type === 'for_statement') return value.childForFieldName('body') ?? undefined;
  if (value.type === 'if_statement')
    return value.namedChildren.find((c) => c?.type === 'object') ?? undefined;
  if (value.type === 'array')
    return resourceBody(value.namedChildren.find((c) => c?.type === 'for_statement') ?? undefined);
  return undefined;
}

function collectResources(node: Node, parentType: string | undefined, out: ResourceDecl[]): void {
  const typeNode = node.namedChildren.find((c) => c?.type === 'string');
  const rawType = (stringLiteral(typeNode) ?? '').replace(/@.*$/, '');
  const type = parentType && !rawType.includes('/') ? `${parentType}/${rawType}` : rawType;
  const valueNode = node.namedChildren.filter((c): c is Node => c !== null).at(-1);
  const body = resourceBody(valueNode);
  out.push({
    symbol: node.namedChildren.find((c) => c?.type === 'identifier')?.text ?? '',
    type,
    existing: node.children.some((c) => c?.type === 'existing'),
    loop:
      valueNode?.type === 'for_statement' ||
      (valueNode?.type === 'array' && resourceBody(valueNode) !== undefined),
    body,
    node,
  });
  for (const prop of body?.namedChildren ?? []) {
    const nested = prop?.namedChildren[0];
    if (nested?.type === 'resource_declaration') collectResources(nested, type, out);
  }
}

/** Every resource declaration, nested ones included. */
export function resources(file: BicepFile): ResourceDecl[] {
  const out: ResourceDecl[] = [];
  for (const decl of declarations(file, 'resource')) collectResources(decl.node, undefined, out);
  return out;
}

/** Every call expression to `name(...)` below a node. */
export function callsTo(node: Node | undefined, name: RegExp): Node[] {
  if (!node) return [];
  return [...descendants(node)].filter(
    (n) => n.type === 'call_expression' && name.test(n.childForFieldName('function')?.text ?? ''),
  );
}

/** Identifiers referenced below a node. */
export function identifiersIn(node: Node | undefined): Set<string> {
  const ids = new Set<string>();
  if (node) for (const n of descendants(node)) if (n.type === 'identifier') ids.add(n.text);
  return ids;
}
