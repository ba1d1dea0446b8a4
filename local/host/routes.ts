// HTTP route templates as the Functions host (ASP.NET Core routing) parses them: literal segments,
// `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all `{*rest}`, and inline constraints
// such as `{id:int}`, `{n:alpha}`, `{s:length(3,8)}`, `{x:regex(^a+$)}`. Literals match case-insensitively.

type Constraint = (value: string) => boolean;

interface ParamSegment {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}
type Segment = { kind: 'literal'; text: string } | ParamSegment;

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Higher sorts first: literals beat constrained parameters beat plain ones beat catch-alls. */
  precedence: number;
}

const num = (v: string) => /^-?\d+$/.test(v);
const CONSTRAINTS: Record<string, (args: string[]) => Constraint> = {
  int: () => (v) => num(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: () => (v) => num(v),
  bool: () => (v) => /^(true|false)$/i.test(v),
  alpha: () => (v) => /^[a-z]+$/i.test(v),
  guid: () => (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
  decimal: () => (v) => /^-?\d+(\.\d+)?$/.test(v),
  double: () => (v) => !Number.isNaN(Number(v)) && v.trim() !== '',
  float: () => (v) => !Number.isNaN(Number(v)) && v.trim() !== '',
  datetime: () => (v) => !Number.isNaN(Date.parse(v)),
  minlength:
    ([n]) =>
    (v) =>
      v.length >= Number(n),
  maxlength:
    ([n]) =>
    (v) =>
      v.length <= Number(n),
  length:
    ([a, b]) =>
    (v) =>
      b === undefined ? v.length === Number(a) : v.length >= Number(a) && v.length <= Number(b),
  min:
    ([n]) =>
    (v) =>
      num(v) && Number(v) >= Number(n),
  max:
    ([n]) =>
    (v) =>
      num(v) && Number(v) <= Number(n),
  range:
    ([a, b]) =>
    (v) =>
      num(v) && Number(v) >= Number(a) && Number(v) <= Number(b),
  regex: ([re]) => {
    const rx = new RegExp(re ?? '', 'i');
    return (v) => rx.test(v);
  },
};

function parseConstraint(spec: string, template: string): Constraint {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(spec);
  const make = m ? CONSTRAINTS[m[1]!.toLowerCase()] : undefined;
  if (!m || !make) throw new Error(`Unsupported route constraint "${spec}" in route "${template}".`);
  const args = m[1]!.toLowerCase() === 'regex' ? [m[2] ?? ''] : (m[2]?.split(',').map((s) => s.trim()) ?? []);
  return make(args);
}

/** Splits `a:int:regex(x:y)` at the colons that are not inside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] = [];
  let precedence = 0;
  const raw = trimmed === '' ? [] : trimmed.split('/');
  raw.forEach((part, index) => {
    const m = /^\{(.+)\}$/s.exec(part);
    if (!m) {
      if (part.includes('{')) throw new Error(`Unsupported route segment "${part}" in route "${template}".`);
      segments.push({ kind: 'literal', text: part.toLowerCase() });
      precedence += 4 * 10 ** (raw.length - index);
      return;
    }
    const [first = '', ...constraintSpecs] = splitConstraints(m[1]!);
    let nameSpec = first;
    let defaultValue: string | undefined;
    const eq = nameSpec.indexOf('=');
    if (eq >= 0) {
      defaultValue = nameSpec.slice(eq + 1);
      nameSpec = nameSpec.slice(0, eq);
    }
    let optional = defaultValue !== undefined;
    const last = constraintSpecs.length > 0 ? constraintSpecs.length - 1 : -1;
    if (last >= 0 && constraintSpecs[last]!.endsWith('?')) {
      constraintSpecs[last] = constraintSpecs[last]!.slice(0, -1);
      optional = true;
    } else if (nameSpec.endsWith('?')) {
      nameSpec = nameSpec.slice(0, -1);
      optional = true;
    }
    const catchAll = nameSpec.startsWith('*');
    const name = nameSpec.replace(/^\*+/, '');
    if (!/^\w+$/.test(name)) throw new Error(`Bad parameter name "${name}" in route "${template}".`);
    if (catchAll && index !== raw.length - 1) {
      throw new Error(`A catch-all parameter must be the last segment of route "${template}".`);
    }
    const constraints = constraintSpecs.filter((s) => s !== '').map((s) => parseConstraint(s, template));
    segments.push({
      kind: 'param',
      name,
      optional: optional || catchAll,
      catchAll,
      defaultValue,
      constraints,
    });
    precedence += (catchAll ? 1 : constraints.length > 0 ? 3 : 2) * 10 ** (raw.length - index);
  });
  return { template, segments, precedence };
}

/** Matches a path (after the route prefix, without query) and returns the route parameters, or undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((p, i, a) => !(p === '' && a.length === 1));
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.kind === 'literal') {
      if (parts[i] === undefined || decodeSegment(parts[i]!)?.toLowerCase() !== seg.text) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(decodeSegment);
      if (rest.some((r) => r === undefined)) return undefined;
      const value = rest.join('/');
      if (value !== '') params[seg.name] = value;
      else if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined || part === '') {
      if (!seg.optional) return undefined;
      if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      continue;
    }
    const value = decodeSegment(part);
    if (value === undefined || !seg.constraints.every((c) => c(value))) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
