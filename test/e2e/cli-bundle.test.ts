import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshDatabase, type TestDatabase } from '../support/launch/database';
import { leastInProcess } from '../support/generators/least-cli';

/**
 * The `least` command as built into one file by app/cli/bundle.cjs (what `npm ci` builds) and chosen by
 * app/cli/least.cjs: the bundle answers as the sources do (a scan, by value; migrations found beside the
 * store), it is run only while every source it was built from is unchanged, and an edited source falls
 * back to the sources themselves. Built into a folder of its own (LEAST_CLI_BUNDLE_DIR), so the
 * checkout's own bundle is never touched.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'app', 'cli', 'least.cjs');
const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'findings-account.json');

let dir: string;
let db: TestDatabase;

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: ROOT,
      env: { ...process.env, LEAST_CLI_BUNDLE_DIR: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The scan report without the time it was made at, which differs from run to run. */
function report(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === 'at' ? undefined : value));
}

interface Manifest {
  format: number;
  bundle: [number, number];
  inputs: Record<string, [number, number]>;
}

const manifestFile = (): string => path.join(dir, 'cli.manifest.json');
const readManifest = (): Manifest => JSON.parse(readFileSync(manifestFile(), 'utf8')) as Manifest;

/** Every source as the build found it, so the launcher runs the bundle (a file edited meanwhile would not). */
function assertFresh(): void {
  const changed = Object.entries(readManifest().inputs).filter(([source, [size, mtimeMs]]) => {
    const stat = statSync(path.join(ROOT, source), { throwIfNoEntry: false });
    return stat?.size !== size || stat.mtimeMs !== mtimeMs;
  });
  assert.deepEqual(changed, [], 'sources changed since the bundle was built: the launcher would not run it');
}

before(async () => {
  // inside the checkout, as the real one is: the bundle finds its packages in node_modules
  mkdirSync(path.join(ROOT, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, 'node_modules', '.cache', 'least-cli-bundle-test-'));
  const built = spawnSync(process.execPath, [path.join(ROOT, 'app', 'cli', 'bundle.cjs')], {
    cwd: ROOT,
    env: { ...process.env, LEAST_CLI_BUNDLE_DIR: dir, LEAST_BUNDLE_STRICT: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(built.status, 0, `the bundle did not build: ${built.stderr}`);
  db = await freshDatabase();
});

after(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the least command bundle', () => {
  it('lists every source it was built from, the scan and the store among them', () => {
    const inputs = Object.keys(readManifest().inputs);
    for (const source of ['app/cli.ts', 'activities/findings/scan.ts', 'activities/store/migrate.ts'])
      assert.ok(inputs.includes(source), `${source} is not in the manifest`);
  });

  it('scans an account exactly as the sources do', async () => {
    assertFresh();
    const bundled = await run(['findings', 'scan', FIXTURE, '--json']);
    assertFresh();
    assert.equal(bundled.code, 0, bundled.stderr);
    const sources = await leastInProcess('findings', 'scan', FIXTURE, '--json');
    assert.equal(sources.code, 0);
    assert.deepEqual(report(bundled.stdout), report(sources.out));
  });

  it('finds the migrations beside the store from the bundle', async () => {
    assertFresh();
    const migrated = await run(['migrate'], { DATABASE_URL: db.url });
    assertFresh();
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
    const { rows } = await db.pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    assert.ok(rows.length > 0, 'no migration was applied');
    assert.equal(rows[0]!.name, '001_initial.sql');
  });

  it('is what runs while its sources are unchanged, and is passed over once one changes', async () => {
    // a stand-in bundle that says where it came from, recorded as the build's own
    const bundle = path.join(dir, 'cli.cjs');
    const real = readFileSync(bundle);
    const manifest = readManifest();
    try {
      writeFileSync(bundle, "exports.main = () => console.log('answered by the bundle');\n");
      const stat = statSync(bundle);
      writeFileSync(manifestFile(), JSON.stringify({ ...manifest, bundle: [stat.size, stat.mtimeMs] }));
      assert.equal((await run(['help'])).stdout.trim(), 'answered by the bundle');

      // one source as if edited since the build: the sources run, not the bundle
      const [source, [size, mtimeMs]] = Object.entries(manifest.inputs)[0]!;
      const edited = { ...manifest.inputs, [source]: [size, mtimeMs - 1000] };
      writeFileSync(manifestFile(), JSON.stringify({ ...manifest, bundle: [stat.size, stat.mtimeMs], inputs: edited }));
      const fallen = await run(['help']);
      assert.equal(fallen.code, 0);
      assert.match(fallen.stdout, /least — time-limited cloud access/);

      // and LEAST_CLI_BUNDLE=0 passes over even a fresh one
      writeFileSync(manifestFile(), JSON.stringify({ ...manifest, bundle: [stat.size, stat.mtimeMs] }));
      assert.match((await run(['help'], { LEAST_CLI_BUNDLE: '0' })).stdout, /least — time-limited cloud access/);
    } finally {
      writeFileSync(bundle, real);
      const stat = statSync(bundle);
      writeFileSync(manifestFile(), JSON.stringify({ ...manifest, bundle: [stat.size, stat.mtimeMs] }));
    }
  });
});
