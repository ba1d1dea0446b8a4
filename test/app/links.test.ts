// Every relative link in the repository's Markdown resolves inside it: a user who clones the project has
// every file a doc points at, and every #anchor names a heading of its target. No doc points outside the
// repository (a sibling folder such as ../shared, or an absolute path on the author's machine).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { describe, it } from 'node:test';

const root = normalize(join(__dirname, '../..'));

/** Files git tracks, plus new ones not ignored (so the test also holds before a commit). */
function repoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  });
  // A tracked file deleted in the work tree is not there for a link to reach.
  return out.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
}

const files = repoFiles();
const fileSet = new Set(files);
const dirSet = new Set(
  files.flatMap((f) =>
    f
      .split('/')
      .slice(0, -1)
      .map((_, i, a) => a.slice(0, i + 1).join('/')),
  ),
);
const markdown = files.filter((f) => f.endsWith('.md'));

/** The text with fenced code blocks blanked (line numbers kept). */
function withoutFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '));
}

/** The text outside fenced code blocks and inline code spans, with line numbers kept. */
function prose(text: string): string {
  return withoutFences(text).replace(/(`+)[^`\n][\s\S]*?\1/g, (span) => span.replace(/[^\n]/g, ' '));
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
function links(text: string): Link[] {
  const found: Link[] = [];
  const body = prose(text);
  const lineOf = (index: number) => body.slice(0, index).split('\n').length;
  for (const m of body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
    found.push({ line: lineOf(m.index), target: m[1]! });
  for (const m of body.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm))
    found.push({ line: lineOf(m.index), target: m[1]! });
  return found;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered -1, -2… */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of withoutFences(text).matchAll(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const slug = m[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) && !/^file:/i.test(target);

interface Problem {
  where: string;
  target: string;
  why: string;
}

function check(): Problem[] {
  const problems: Problem[] = [];
  for (const file of markdown) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const { line, target } of links(text)) {
      const where = `${file}:${line}`;
      if (isExternal(target)) continue;
      if (/^file:/i.test(target) || target.startsWith('/') || /^[a-z]:[\\/]/i.test(target)) {
        problems.push({ where, target, why: 'absolute local path' });
        continue;
      }
      const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
      const path = decodeURIComponent(rawPath);
      const resolved =
        path === '' ? file : posix.normalize(posix.join(dirname(file), path)).replace(/\/$/, '');
      if (resolved === '..' || resolved.startsWith('../')) {
        problems.push({ where, target, why: 'outside the repository' });
        continue;
      }
      const isFile = fileSet.has(resolved);
      if (!isFile && !dirSet.has(resolved) && resolved !== '.') {
        problems.push({ where, target, why: `no such file in the repository (${resolved})` });
        continue;
      }
      if (anchor !== undefined && isFile && resolved.endsWith('.md')) {
        const headings = anchors(readFileSync(join(root, resolved), 'utf8'));
        if (!headings.has(decodeURIComponent(anchor).toLowerCase()))
          problems.push({ where, target, why: `no heading #${anchor} in ${resolved}` });
      }
    }
  }
  return problems;
}

describe('links in the Markdown docs', () => {
  it('finds the docs and their links (the checker itself works)', () => {
    assert.ok(markdown.includes('README.md'), 'README.md is listed');
    const sample = links('[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d]: w.md#h "t"\n![e](img.png)');
    assert.deepEqual(
      sample.map((l) => l.target),
      ['x.md', 'img.png', 'w.md#h'],
    );
    assert.ok(anchors('## Web console sign-in with Entra ID\n## `npm start` (local)').has('npm-start-local'));
    assert.ok(anchors('## Web console sign-in with Entra ID').has('web-console-sign-in-with-entra-id'));
  });

  it('resolve to files inside the repository, and their anchors to headings', () => {
    const problems = check();
    assert.deepEqual(
      problems.map((p) => `${p.where}: ${p.target}: ${p.why}`),
      [],
    );
  });

  it('never point at the design inputs outside the repository', () => {
    for (const file of markdown) {
      const text = readFileSync(join(root, file), 'utf8');
      assert.doesNotMatch(
        text,
        /(\.\.\/)+shared\/|\/work\/shared/,
        `${file} refers to a path outside the repository`,
      );
    }
  });
});
