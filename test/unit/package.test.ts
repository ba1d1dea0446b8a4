// `npm run package`: the deployment zip holds the build, host.json, package.json and the production
// dependencies only, and the app loads from it with nothing but the zip's node_modules.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parse } from 'yaml';

import { buildPackage, productionDependencyDirs } from '../../scripts/package';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  devDependencies: Record<string, string>;
};

/** Package folders under node_modules (scoped ones as `@scope/name`). */
function installed(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : [n]));
}

describe('deployment package', () => {
  let out: string;
  let app: string;
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'package-test-'));
    // The build `npm test` just made (rebuilding would pull dist/ from under tests running beside).
    const zip = buildPackage({ outputDir: join(out, 'pkg'), rebuild: false, log: () => undefined });
    app = join(out, 'unzipped');
    execFileSync('unzip', ['-q', zip, '-d', app]);
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('holds the build, host.json and a package.json with nothing to install or build', () => {
    assert.deepEqual(readdirSync(app).sort(), ['dist', 'host.json', 'node_modules', 'package.json']);
    assert.ok(existsSync(join(app, pkg.main)));
    const deployed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(deployed.main, pkg.main);
    assert.equal(deployed.devDependencies, undefined);
    assert.equal(deployed.scripts, undefined);
    assert.equal(deployed.workspaces, undefined);
  });

  it('has no devDependency, only packages of the production tree', () => {
    const names = installed(join(app, 'node_modules'));
    const prodNames = new Set(
      productionDependencyDirs(root).map((d) => {
        const parts = d.split(/[\\/]/);
        return parts[1]!.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
      }),
    );
    assert.ok(prodNames.size > 0);
    // A devDependency may also be needed at run time by a production package (@types/node is a
    // dependency of some OpenTelemetry instrumentations' @types): only then is it in the zip.
    for (const dev of Object.keys(pkg.devDependencies))
      assert.ok(!names.includes(dev) || prodNames.has(dev), `devDependency ${dev} is in the zip`);
    for (const name of names) assert.ok(prodNames.has(name), `${name} is not a production dependency`);
    for (const heavy of ['typescript', 'azurite', 'eslint', 'tsx', 'prettier', '@vm-journal/local'])
      assert.ok(!names.includes(heavy), heavy);
  });

  it('is what azd deploys: the staged folder, built here', () => {
    const azure = parse(readFileSync(join(root, 'azure.yaml'), 'utf8')) as {
      services: { api: { dist: string; remoteBuild: boolean } };
    };
    assert.equal(azure.services.api.dist, '.local/package/app');
    assert.equal(azure.services.api.remoteBuild, false);
    assert.equal(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
        .scripts.package,
      'node --import tsx scripts/package.ts',
    );
  });

  it('loads dist/functions/index.js with only the zip’s node_modules', () => {
    const script = `
      require(${JSON.stringify(`./${pkg.main}`)});
      const outside = Object.keys(require.cache).filter((f) => !f.startsWith(process.cwd() + require('node:path').sep));
      if (outside.length) throw new Error('loaded from outside the package: ' + outside.join(', '));
      console.log('modules=' + Object.keys(require.cache).length);`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AZURE_SUBSCRIPTION_ID: '00000000-0000-4000-8000-000000000000',
      PUBLIC_BASE_URL: 'https://vmj.example.net',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    };
    const stdout = execFileSync(process.execPath, ['-e', script], { cwd: app, env, encoding: 'utf8' });
    assert.match(stdout, /modules=\d{3,}/);
  });
});
