/**
 * CPU of the current process split by thread kind, from /proc/self/task/<tid>/stat (Linux): which part of
 * a worker's CPU is its main thread (activities: AWS SDK, pg, notices), the workflow thread (the SDK
 * running and replaying workflow code), the Rust core (gRPC, task polling, history), V8's platform threads
 * (GC, compilation) and libuv's pool. Threads that ended between two readings are missing from the later
 * one, so a split is a lower bound per kind; the process total (`process.cpuUsage`) stays the reference.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_KINDS = ['main', 'workflow', 'rust-core', 'v8', 'libuv', 'other'] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];

let ticks: number | undefined;
function ticksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Thread names as Node, V8, libuv and the Temporal core set them (15 characters at most). */
function kindOf(name: string, isMain: boolean): ThreadKind {
  if (isMain) return 'main';
  if (name === 'WorkerThread') return 'workflow';
  if (name.startsWith('tokio') || name.startsWith('temporal') || name.startsWith('workflow-proces')) return 'rust-core';
  if (name.startsWith('V8') || name === 'DelayedTaskSche') return 'v8';
  if (name.startsWith('libuv')) return 'libuv';
  return 'other';
}

/** CPU milliseconds so far per thread kind (all zero where /proc is unavailable). */
export function threadCpuMs(): Record<ThreadKind, number> {
  const out = Object.fromEntries(THREAD_KINDS.map((k) => [k, 0])) as Record<ThreadKind, number>;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  const perTick = 1000 / ticksPerSecond();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(open + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields after the name: state is [0], utime [11], stime [12]
      const ms = (Number(fields[11]) + Number(fields[12])) * perTick;
      out[kindOf(name, Number(tid) === process.pid)] += ms;
    } catch {
      // the thread ended while we read
    }
  }
  return out;
}
