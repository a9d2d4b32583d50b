import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Policy } from '../../../domain/policy/schema';
import { workflowBundle } from '../stacks/stack';

/**
 * The parent side of a fault drill's worker (test/support/launch/chaos-worker.ts): starts it in a
 * process of its own, SIGKILLs it the way an OOM killer or a lost node would (no shutdown, no drain),
 * and starts it again. Knows when each incarnation was ready, for revocation lateness after a restart.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ChaosWorkerSettings {
  temporalAddress: string;
  taskQueue: string;
  databaseUrl: string;
  policy: Policy;
  /** Cached workflows in the worker (default: the SDK's); small values make evictions part of the drill. */
  maxCachedWorkflows?: number;
}

export class ChaosWorker {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'least-chaos-'));
  private bundlePath: string | undefined;
  /** Epoch ms each incarnation printed `ready` (polling), in order. */
  readonly readyTimes: number[] = [];
  /** Epoch ms of each SIGKILL, in order. */
  readonly killTimes: number[] = [];
  /** The last lines the current or last incarnation wrote, for failure messages. */
  output = '';

  constructor(private readonly settings: ChaosWorkerSettings) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts an incarnation and resolves once it polls; the first call bundles the workflows once. */
  async start(timeoutMs = 90_000): Promise<number> {
    if (this.running) throw new Error('the drill worker is already running');
    if (!this.bundlePath) {
      this.bundlePath = path.join(this.dir, 'workflows.js');
      writeFileSync(this.bundlePath, (await workflowBundle()).code);
    }
    // node itself with tsx's loader, not the tsx launcher: that one runs the worker in a child of its own,
    // which a SIGKILL of the launcher would leave running
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/launch/chaos-worker.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.settings.temporalAddress,
        TEMPORAL_TASK_QUEUE: this.settings.taskQueue,
        DATABASE_URL: this.settings.databaseUrl,
        LEAST_TEST_POLICY_JSON: JSON.stringify(this.settings.policy),
        LEAST_CHAOS_BUNDLE_PATH: this.bundlePath,
        ...(this.settings.maxCachedWorkflows
          ? { LEAST_CHAOS_MAX_CACHED: String(this.settings.maxCachedWorkflows) }
          : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-8000);
    };
    const readyAt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`drill worker not ready in ${timeoutMs / 1000} s:\n${this.output}`));
      }, timeoutMs);
      const read = (chunk: Buffer): void => {
        keep(chunk);
        if (/^ready$/m.test(this.output)) {
          clearTimeout(timer);
          child.stdout!.off('data', read);
          child.stdout!.on('data', keep);
          resolve(Date.now());
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', keep);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`drill worker exited (${code ?? signal}) before ready:\n${this.output}`));
      });
    });
    this.readyTimes.push(readyAt);
    return readyAt;
  }

  /** SIGKILL: no shutdown hook runs; in-flight activities and cached workflows die with the process. */
  async kill(): Promise<number> {
    const child = this.child;
    if (!child || !this.running) throw new Error('the drill worker is not running');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const at = Date.now();
    child.kill('SIGKILL');
    await exited;
    this.killTimes.push(at);
    return at;
  }

  /** The last time a worker became ready at or before `at` (epoch ms); undefined if none was yet. */
  readyBefore(at: number): number | undefined {
    let found: number | undefined;
    for (const ready of this.readyTimes) if (ready <= at) found = ready;
    return found;
  }

  /** Stops the running incarnation (SIGTERM, then SIGKILL after 10 s) and removes the bundle. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.running) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
