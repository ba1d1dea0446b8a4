// `npm run package`: the deployment zip — the compiled output (the top folder of package.json `main`,
// rebuilt from scratch), host.json, package.json without its scripts and devDependencies, and only the
// production dependencies (the installed tree `npm ls --omit=dev` reports). azd runs this script and
// deploys the staged folder (azure.yaml `dist`); the zip is the same content for other deploy tools.
// Usage: npm run package  →  .local/package/app/ and .local/package/vm-journal.zip (size printed)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const root = resolve(__dirname, '..');

interface PackageJson {
  name: string;
  main: string;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [k: string]: unknown;
}

export interface PackageOptions {
  /** Where the staged folder (`app/`) and the zip go. Default `.local/package`. */
  outputDir?: string;
  /** Rebuild the compiled output from scratch first (default). Tests package the build they run on. */
  rebuild?: boolean;
  log?: (line: string) => void;
}

/** Folders of the production dependency tree, relative to the project (`node_modules/...`). */
export function productionDependencyDirs(projectDir: string): string[] {
  // --workspaces=false: the local/ workspace (the stand-ins, a devDependency) is not deployed, but npm
  // counts a workspace's own dependencies as production ones.
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable', '--workspaces=false'], {
    cwd: projectDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && resolve(line) !== resolve(projectDir))
    .map((line) => relative(projectDir, line))
    .filter((rel) => rel.startsWith(`node_modules${sep}`));
}

/** Builds the staged folder and the zip; returns the zip's path. */
export function buildPackage(opts: PackageOptions = {}): string {
  const packageDir = resolve(opts.outputDir ?? join(root, '.local', 'package'));
  const stageDir = join(packageDir, 'app');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const outDir = pkg.main.split('/')[0]!;
  if (!outDir || outDir === pkg.main)
    throw new Error(`package.json main "${pkg.main}" is not in a build folder`);

  if (opts.rebuild ?? true) {
    // A clean build: no stale output of deleted sources in the package.
    rmSync(join(root, outDir), { recursive: true, force: true });
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(join(root, pkg.main))) throw new Error(`the build did not produce ${pkg.main}`);

  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  cpSync(join(root, outDir), join(stageDir, outDir), { recursive: true });
  cpSync(join(root, 'host.json'), join(stageDir, 'host.json'));
  // The deployed package.json: nothing to install or build there.
  const { scripts: _scripts, devDependencies: _dev, workspaces: _workspaces, ...deployed } = pkg;
  writeFileSync(join(stageDir, 'package.json'), `${JSON.stringify(deployed, null, 2)}\n`);

  const deps = productionDependencyDirs(root);
  for (const dir of deps) {
    // Nested node_modules are listed on their own when they belong to the production tree.
    cpSync(join(root, dir), join(stageDir, dir), {
      recursive: true,
      filter: (src) => !relative(join(root, dir), src).split(sep).includes('node_modules'),
    });
  }

  const zip = join(packageDir, `${pkg.name}.zip`);
  execFileSync('zip', ['-q', '-r', '-X', zip, '.'], { cwd: stageDir });
  (opts.log ?? console.log)(
    `package: ${relative(root, zip)} ${(statSync(zip).size / 1024 / 1024).toFixed(1)} MiB (${deps.length} production packages; staged in ${relative(root, stageDir) || stageDir})`,
  );
  return zip;
}

if (require.main === module) buildPackage();
