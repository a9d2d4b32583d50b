import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../app/embedded/processes';
import { freshDatabase, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { collectLines } from '../support/launch/child-lines';

/**
 * The worker role on its own (`tsx app/main.ts worker`) as a deployment runs it, with every
 * observability switch on: its `/metrics`, `/healthz` and `/readyz` on WORKER_METRICS_PORT, the
 * Temporal SDK's own metrics on TEMPORAL_METRICS_ADDRESS, and tracing to an OTLP endpoint (which
 * bundles the workflow interceptors in). It stops cleanly on SIGTERM.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const taskQueue = `least-worker-role-${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let job: ChildProcess;
let metricsPort: number;
let sdkPort: number;
let collector: http.Server;
const lines: string[] = [];
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

before(async () => {
  db = await freshDatabase();
  metricsPort = await freePort();
  sdkPort = await freePort();
  // A collector that accepts whatever it is sent; this test only needs tracing switched on.
  collector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('{}'));
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: testServices().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: db.url,
    LEAST_POLICY_FILE: 'config/policy.example.yaml',
    LEAST_SANDBOX: 'false',
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: String(metricsPort),
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as { port: number }).port}`,
    WORKER_MAX_CACHED_WORKFLOWS: '50',
  };
  delete env.BOT_HOST;
  job = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['app/main.ts', 'worker'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collectLines(job, lines);
  exited = new Promise((resolve) => job.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 120_000;
  while (!(await answers(`http://127.0.0.1:${metricsPort}/healthz`))) {
    if (job.exitCode !== null || Date.now() > deadline)
      throw new Error(`the worker did not serve /healthz:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (job && job.exitCode === null && job.signalCode === null) process.kill(-job.pid!, 'SIGKILL');
  await new Promise<void>((resolve) => collector?.close(() => resolve()));
  await db?.drop();
});

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function page(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, url);
  return response.text();
}

describe('the worker role with observability on', { timeout: 60_000 }, () => {
  it("serves the worker's series and process metrics on WORKER_METRICS_PORT, and readiness", async () => {
    const text = await page(`http://127.0.0.1:${metricsPort}/metrics`);
    for (const name of [
      'least_requests_total',
      'least_decisions_total',
      'least_approval_wait_seconds',
      'least_grants_total',
      'least_revocations_total',
      'least_revocation_lateness_seconds',
      'least_cloud_errors_total',
      'process_cpu_user_seconds_total',
    ])
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.doesNotMatch(text, /least_chat_requests_total/, 'no bot in this process');
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200);
  });

  it("serves the Temporal SDK's metrics on TEMPORAL_METRICS_ADDRESS, workflow task latencies included", async (t) => {
    // One workflow task for the worker to take (a type it does not know fails the task, which is enough).
    const connection = await Connection.connect({ address: testServices().temporalAddress });
    const handle = await new Client({ connection }).workflow.start('noSuchWorkflow', {
      taskQueue,
      workflowId: `sdk-metrics-${randomBytes(4).toString('hex')}`,
    });
    const deadline = Date.now() + 20_000;
    let text = '';
    try {
      while (Date.now() < deadline) {
        text = await page(`http://127.0.0.1:${sdkPort}/metrics`);
        if (/^temporal_workflow_task_schedule_to_start_latency/m.test(text)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await handle.terminate('test over').catch(() => undefined);
      await connection.close();
    }
    t.diagnostic(
      `SDK series: ${[...new Set(text.match(/^# TYPE temporal_\w+/gm) ?? [])].map((line) => line.slice(7)).join(' ')}`,
    );
    assert.match(text, /^temporal_worker_task_slots_available\{/m);
    assert.match(text, /^temporal_workflow_task_schedule_to_start_latency\w*\{/m);
  });

  it('logs that tracing and the cache size are on, never a secret', () => {
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      logged.some((line) => line.msg === 'tracing on'),
      lines.join('\n'),
    );
    const running = logged.find((line) => line.msg === 'worker running');
    assert.equal(running?.maxCachedWorkflows, 50);
    assert.equal(running?.temporalAuth, 'none');
  });

  it('stops cleanly on SIGTERM', async () => {
    process.kill(-job.pid!, 'SIGTERM');
    const outcome = await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 40_000)),
    ]);
    assert.notEqual(outcome, 'still running', lines.slice(-10).join('\n'));
    const logged = lines.map((line) => JSON.parse(line) as { msg?: string });
    assert.ok(
      logged.some((line) => line.msg === 'stopped'),
      lines.slice(-10).join('\n'),
    );
    assert.ok(!logged.some((line) => line.msg === 'stopping failed'), lines.slice(-10).join('\n'));
    // tsx passes the job's exit code on, except when the job exits before tsx has relayed the group's
    // SIGTERM (a worker with nothing in flight stops within milliseconds): then tsx reports 128 + 15.
    assert.ok(
      outcome !== 'still running' && outcome.signal === null && (outcome.code === 0 || outcome.code === 143),
      JSON.stringify(outcome),
    );
  });
});
