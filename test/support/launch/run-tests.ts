/**
 * `npm test`: starts the real servers once (Temporal dev server, moto, PostgreSQL check), then runs
 * every test file under node's test runner with their addresses in the environment.
 * `npm test -- test/domain` narrows the run to files or folders; when every selected file is pure
 * (see PURE_FOLDERS) no server is started or checked at all.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureTools, INSTALL_HINT } from '../../../app/embedded/binaries';
import { startTemporalDevServer } from '../../../app/embedded/temporal';
import type { RunningServer } from '../../../app/embedded/processes';
import { startMoto } from '../fakes/moto';
import { checkPostgres } from './database';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Folders whose tests call no server: pure domain rules and pure renderers. */
const PURE_FOLDERS = ['test/domain', 'test/bot/render'].map((folder) => path.join(ROOT, folder) + path.sep);

function needsServers(file: string): boolean {
  return !PURE_FOLDERS.some((folder) => file.startsWith(folder));
}

/** Runs the files with these servers' addresses; a file that needs one not given fails loudly (services.ts). */
function runNodeTests(files: string[], services: Record<string, string>): Promise<number> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LEAST_TEST_')));
  const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...env, ...services } });
  return new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

function testFiles(targets: string[]): string[] {
  const roots = targets.length ? targets.map((t) => path.resolve(t)) : [path.join(ROOT, 'test')];
  const found: string[] = [];
  const walk = (entry: string): void => {
    if (statSync(entry).isDirectory()) {
      for (const child of readdirSync(entry).sort()) if (child !== 'node_modules') walk(path.join(entry, child));
    } else if (entry.endsWith('.test.ts')) {
      found.push(entry);
    }
  };
  roots.forEach(walk);
  return found;
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  if (files.length === 0) throw new Error('no test files matched');
  if (!files.some(needsServers)) {
    console.log(`test services: none needed; ${files.length} files`);
    return runNodeTests(files, {});
  }
  const adminUrl = process.env.LEAST_TEST_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const tools = ensureTools(['temporal', 'temporal-test-server', 'moto_server'], (line) => console.log(line));
  await checkPostgres(adminUrl);

  const servers: RunningServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const [temporal, moto] = await Promise.all([
      startTemporalDevServer({ dynamicConfig: ['limit.historyCount.suggestContinueAsNew=400'] }),
      startMoto(),
    ]);
    servers.push(temporal, moto);
    console.log(`test services: temporal ${temporal.url}, moto ${moto.url}, postgres ok; ${files.length} files`);
    return await runNodeTests(files, {
      LEAST_TEST_TEMPORAL_ADDRESS: temporal.url,
      LEAST_TEST_MOTO_URL: moto.url,
      LEAST_TEST_DATABASE_ADMIN_URL: adminUrl,
      LEAST_TEST_TIME_SKIPPING_SERVER: tools['temporal-test-server'],
    });
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`\nTests could not start: ${error.message}\n${error.message.includes('binary') ? '' : INSTALL_HINT}`);
    process.exit(1);
  },
);
