import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../app/embedded/processes';
import { freshDatabase, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { collectLines } from '../support/launch/child-lines';

/**
 * The main job as an operator runs it: its own process group, against the test Temporal server, on
 * the shipped example policy with the sandbox. What an operator sees: JSON lines only, at the level
 * asked for; health on loopback only; one process-group SIGTERM (and a second one) ends it cleanly.
 */
const ROOT = path.resolve(__dirname, '..', '..');

let db: TestDatabase;
let job: ChildProcess;
let port: number;
const lines: string[] = [];
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

before(async () => {
  db = await freshDatabase();
  port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: testServices().temporalAddress,
    TEMPORAL_TASK_QUEUE: `least-main-${randomBytes(4).toString('hex')}`,
    DATABASE_URL: db.url,
    BOT_PORT: String(port),
    LEAST_POLICY_FILE: 'config/policy.example.yaml',
    LOG_LEVEL: 'warn',
  };
  delete env.BOT_HOST; // the default is what is tested
  delete env.LEAST_SANDBOX;
  job = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['app/main.ts'], {
    cwd: ROOT,
    env,
    detached: true, // a process group of its own, as under Docker or systemd
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collectLines(job, lines);
  exited = new Promise((resolve) => job.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 90_000;
  while (!(await healthy(`http://127.0.0.1:${port}/healthz`))) {
    if (job.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the main job did not serve /healthz:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (job.exitCode === null && job.signalCode === null) process.kill(-job.pid!, 'SIGKILL');
  await db.drop();
});

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

describe('the main job', () => {
  it('serves /healthz on loopback only by default (BOT_HOST)', async () => {
    assert.equal(await healthy(`http://127.0.0.1:${port}/healthz`), true);
    // Another address of this machine: bound to 0.0.0.0 it would answer here too.
    assert.equal(await healthy(`http://127.0.0.2:${port}/healthz`), false);
  });

  it('says loudly that it runs on the sandbox, as a JSON warning', () => {
    const warning = lines
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .find((entry) => /^SANDBOX: /.test(entry.msg));
    assert.ok(warning, lines.join('\n'));
    assert.equal(warning.level, 'warn');
    assert.match(warning.msg, /emulator at http:\/\/127\.0\.0\.1:\d+, nothing real is granted/);
  });

  it('writes JSON lines only, none below LOG_LEVEL', () => {
    assert.ok(lines.length > 0);
    for (const line of lines) {
      let entry: { level?: string };
      try {
        entry = JSON.parse(line) as { level?: string };
      } catch {
        assert.fail(`not a JSON line: ${line.slice(0, 300)}`);
      }
      assert.ok(entry.level === 'warn' || entry.level === 'error', `below LOG_LEVEL=warn: ${line.slice(0, 300)}`);
    }
  });

  it('stops cleanly on a SIGTERM to its process group, a second one included', async () => {
    process.kill(-job.pid!, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (job.exitCode === null) process.kill(-job.pid!, 'SIGTERM');
    const outcome = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not stop in 45 s')), 45_000).unref()),
    ]);
    assert.deepEqual(outcome, { code: 0, signal: null }, lines.slice(-10).join('\n'));
    assert.ok(!lines.some((line) => /IllegalStateError|Not running/.test(line)), lines.join('\n'));
    assert.equal(await healthy(`http://127.0.0.1:${port}/healthz`), false);
  });
});
