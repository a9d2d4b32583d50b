import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { sleep } from './clock';

/**
 * Where the machine's CPU went during a scenario (from /proc, Linux only), and how the stack's
 * PostgreSQL connections spent it (pg_stat_activity samples). Diagnostics beside the figures, so a
 * reader can tell a slow product from a saturated 2-core machine.
 */

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of one process in seconds, or undefined when it is gone or /proc is missing. */
function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the comm field: state(0) ppid(1) … utime(11) stime(12)
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/** CPU seconds of every postgres process by pid: backends come and go, so deltas are taken per pid. */
function postgresSeconds(): Map<number, number> {
  const byPid = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return byPid;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const seconds = processSeconds(Number(entry));
    if (seconds !== undefined) byPid.set(Number(entry), seconds);
  }
  return byPid;
}

function machineSeconds(): { busy: number; total: number } {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const n = values.map(Number);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const total = n.slice(0, 8).reduce((sum, v) => sum + v, 0);
    return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

export interface CpuSnapshot {
  bench: number;
  temporal: number;
  moto: number;
  postgres: Map<number, number>;
  machineBusy: number;
  at: number;
}

export function cpuSnapshot(pids: { temporal?: number; moto?: number }): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    bench: (own.user + own.system) / 1e6,
    temporal: pids.temporal ? (processSeconds(pids.temporal) ?? 0) : 0,
    moto: pids.moto ? (processSeconds(pids.moto) ?? 0) : 0,
    postgres: postgresSeconds(),
    machineBusy: machineSeconds().busy,
    at: Date.now(),
  };
}

/** "bench 40 s, temporal 30 s, …" over the interval, with the share of all cores' time that was busy. */
export function describeCpu(from: CpuSnapshot, to: CpuSnapshot, cores: number): string {
  const wall = (to.at - from.at) / 1000;
  const parts = {
    'bench node (worker+client)': to.bench - from.bench,
    temporal: to.temporal - from.temporal,
    moto: to.moto - from.moto,
    // processes that exited in between are lost; ones that started count from zero
    postgres: [...to.postgres].reduce((sum, [pid, s]) => sum + Math.max(0, s - (from.postgres.get(pid) ?? 0)), 0),
  };
  const known = Object.values(parts).reduce((a, b) => a + b, 0);
  const busy = to.machineBusy - from.machineBusy;
  const list = Object.entries(parts).map(([name, s]) => `${name} ${s.toFixed(1)}`);
  if (Number.isFinite(busy)) list.push(`other ${Math.max(0, busy - known).toFixed(1)}`);
  const usage = Number.isFinite(busy)
    ? `; machine ${((busy / (wall * cores)) * 100).toFixed(0)}% busy of ${cores} cores`
    : '';
  return `${list.join(', ')} CPU-s in ${wall.toFixed(1)} s wall${usage}`;
}

export interface DbActivity {
  samples: number;
  meanActive: number;
  meanLockWaiting: number;
  maxLockWaiting: number;
  meanIdleInTransaction: number;
}

/** Samples pg_stat_activity for one database on its own connection (not the stack's pool). */
export class DbSampler {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private sums = { samples: 0, active: 0, lock: 0, idleTx: 0, maxLock: 0 };

  constructor(
    private readonly adminUrl: string,
    private readonly database: string,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      const client = new pg.Client({ connectionString: this.adminUrl });
      await client.connect();
      try {
        while (this.running) {
          const row = (
            await client.query<{ active: string; lock: string; idle_tx: string }>(
              `SELECT count(*) FILTER (WHERE state = 'active') AS active,
                      count(*) FILTER (WHERE wait_event_type = 'Lock') AS lock,
                      count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_tx
                 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
              [this.database],
            )
          ).rows[0]!;
          this.sums.samples++;
          this.sums.active += Number(row.active);
          this.sums.lock += Number(row.lock);
          this.sums.idleTx += Number(row.idle_tx);
          this.sums.maxLock = Math.max(this.sums.maxLock, Number(row.lock));
          await sleep(this.intervalMs, this.abort.signal).catch(() => undefined);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<DbActivity> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    const n = Math.max(1, this.sums.samples);
    return {
      samples: this.sums.samples,
      meanActive: this.sums.active / n,
      meanLockWaiting: this.sums.lock / n,
      maxLockWaiting: this.sums.maxLock,
      meanIdleInTransaction: this.sums.idleTx / n,
    };
  }
}
