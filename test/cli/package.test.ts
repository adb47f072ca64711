/**
 * The npm package as a user gets it: `npm pack` of the built tree, the tarball installed with its
 * dependencies, then the installed CLI and the library entry used from there.
 *
 * The install uses a lockfile made from ours and `npm ci --offline`: a lockfile names every tarball by
 * integrity, which `npm ci` already put in the npm cache, so no registry metadata and no network is needed
 * (a plain `npm install TARBALL --offline` needs the registry's package documents, which the cache may lack).
 * It never rebuilds or deletes dist/: the tests themselves run from there (hence --ignore-scripts).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../helpers.js';

const ROOT = process.cwd();
const NPM_SKIP = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0 ? false : 'npm is not on PATH';
const BUILT_SKIP = existsSync(path.join(ROOT, 'dist/src/index.js')) ? false : 'dist/ is not built';

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${String(r.stderr)}\n${String(r.stdout)}`);
  return { stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface LockEntry {
  dev?: boolean;
  [k: string]: unknown;
}

/** The registry's tarball URL of the lockfile entry at `key` (…node_modules/NAME or @SCOPE/NAME). */
function registryTarball(key: string, entry: LockEntry): string {
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${String(entry.version)}.tgz`;
}

/** A project depending only on the tarball, with a lockfile pinning our production dependencies. */
function writeProject(dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const spec = `file:${path.relative(dir, tarball)}`;
  const project = { name: 'chainsnap-package-probe', private: true, type: 'module', dependencies: { chainsnap: spec } };
  const packages: Record<string, unknown> = { '': project };
  // Our lockfile names no tarball URLs (npm's omit-lockfile-registry-resolved), so npm would have to ask
  // the registry for each package's document; with the URL it finds the tarball in its cache by integrity.
  for (const [key, entry] of Object.entries(lock.packages)) if (key !== '' && !entry.dev) packages[key] = { resolved: registryTarball(key, entry), ...entry };
  packages['node_modules/chainsnap'] = {
    version: pkg.version,
    resolved: spec,
    license: pkg.license,
    dependencies: pkg.dependencies,
    bin: pkg.bin,
    engines: pkg.engines,
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(project));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: project.name, lockfileVersion: 3, requires: true, packages }));
}

test('the packed tarball installs and its CLI and library work', { skip: NPM_SKIP || BUILT_SKIP, timeout: 180_000 }, async (t) => {
  const dir = scratchDir('chainsnap-package-');
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: npmEnv }).stdout) as [
    { filename: string; files: { path: string }[] },
  ];
  const files = packed[0].files.map((f) => f.path);
  for (const f of ['LICENSE', 'README.md', 'bin/chainsnap.js', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'snapshots/regtest-h200.dat']) {
    assert.ok(files.includes(f), `the tarball holds ${f}`);
  }
  assert.ok(files.some((f) => f.startsWith('docs/')), 'the tarball holds docs/');
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'no tests or sources');

  const app = path.join(dir, 'app');
  mkdirSync(app);
  writeProject(app, path.join(dir, packed[0].filename));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, env: npmEnv });
  const installed = path.join(app, 'node_modules/chainsnap');
  const cli = path.join(app, 'node_modules/.bin/chainsnap');

  await t.test('chainsnap --help', () => {
    const r = run(cli, ['--help'], { cwd: dir });
    assert.match(r.stdout, /^chainsnap <command>/m);
  });

  await t.test('chainsnap snapshot verify of the shipped snapshot', () => {
    const r = run(cli, ['snapshot', 'verify', path.join(installed, 'snapshots/regtest-h200.dat'), '--threads', '1'], { cwd: dir });
    assert.match(r.stdout, /OK: matches the assumeutxo parameters/);
  });

  await t.test("import('chainsnap') gives the library entry", () => {
    writeFileSync(
      path.join(app, 'probe.js'),
      "import { getChainParams, ChainstateManager, verifySnapshot, RpcClient } from 'chainsnap';\n" +
        'console.log(getChainParams("regtest").genesisHash, typeof ChainstateManager, typeof verifySnapshot, typeof RpcClient);\n',
    );
    const r = run(process.execPath, ['probe.js'], { cwd: app });
    assert.equal(r.stdout.trim(), '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206 function function function');
  });

  await t.test('the type declarations resolve from the package entry', () => {
    writeFileSync(
      path.join(app, 'typed.ts'),
      "import { getChainParams, verifySnapshot, type VerifyResult } from 'chainsnap';\n" +
        "const result: Promise<VerifyResult> = verifySnapshot('x.dat');\n" +
        "const genesis: string = getChainParams('regtest').genesisHash;\n" +
        'export { result, genesis };\n',
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const types = path.join(ROOT, 'node_modules/@types');
    run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--typeRoots', types, '--types', 'node', 'typed.ts'], {
      cwd: app,
    });
  });
});

test('the launcher of an unbuilt checkout says in one line to build', () => {
  const dir = scratchDir('chainsnap-unbuilt-');
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.join(ROOT, 'bin/chainsnap.js'), path.join(dir, 'bin/chainsnap.js'));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  const r = spawnSync(process.execPath, [path.join(dir, 'bin/chainsnap.js'), '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'chainsnap: not built yet: run `npm run build` in the chainsnap directory first\n');
});
