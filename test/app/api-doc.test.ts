// docs/api.md is the human-readable contract; it must name exactly the routes of the OpenAPI document
// and every parameter they take, so that neither drifts from the other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { openApiDocument } from '../../lib/openapi';

const doc = readFileSync(join(__dirname, '../../docs/api.md'), 'utf8');
const methods = ['get', 'post', 'put', 'patch', 'delete'];

interface Operation {
  parameters?: { name: string; in: string }[];
}

function openApiRoutes(): Map<string, Operation> {
  const routes = new Map<string, Operation>();
  const paths = openApiDocument().paths as Record<string, Record<string, Operation>>;
  for (const [path, ops] of Object.entries(paths))
    for (const m of methods) if (ops[m]) routes.set(`${m.toUpperCase()} /api${path}`, ops[m]);
  return routes;
}

/** Routes named in the first cell of a table row: | `GET /api/vms` | … (query strings dropped). */
function documentedRoutes(): Set<string> {
  const found = new Set<string>();
  for (const m of doc.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/api\/[^`?\s]*)[^`]*` \|/gm))
    found.add(`${m[1]} ${m[2]}`);
  return found;
}

describe('docs/api.md', () => {
  it('documents every route of the OpenAPI document, and no other', () => {
    const spec = [...openApiRoutes().keys()].sort();
    const documented = [...documentedRoutes()].sort();
    assert.deepEqual(documented, spec);
  });

  it('names every query and header parameter of every route', () => {
    for (const [route, op] of openApiRoutes())
      for (const p of op.parameters ?? [])
        if (p.in !== 'path')
          assert.ok(doc.includes(`\`${p.name}`), `docs/api.md lacks ${p.in} ${p.name} of ${route}`);
  });

  it('links only to files inside the repository', () => {
    for (const m of doc.matchAll(/\]\(([^)#\s]+)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      assert.ok(!link.startsWith('..'), `docs/api.md links outside the repository: ${link}`);
    }
  });
});
