import pg from 'pg';
import type { Client } from '@temporalio/client';

/**
 * `/readyz`: the bot is ready when PostgreSQL and Temporal each answer within a short timeout. The
 * answer names each dependency and its state, never an address, a connection string or an error text.
 */
export type CheckState = 'ok' | 'failed' | 'timeout';

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckState>;
}

export interface ReadinessProbe {
  check(): Promise<Readiness>;
  close(): Promise<void>;
}

type Check = () => Promise<unknown>;

export const READINESS_TIMEOUT_MS = 2000;

/** Runs every check at once, each bounded by `timeoutMs`; probes that arrive meanwhile share the run. */
export function readinessOf(
  checks: Record<string, Check>,
  options: { timeoutMs?: number; onChange?: (name: string, state: CheckState, error?: string) => void } = {},
): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const last = new Map<string, CheckState>();
  let running: Promise<Readiness> | undefined;
  const runAll = async (): Promise<Readiness> => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const { state, error } = await bounded(check, timeoutMs);
        if (last.get(name) !== state) options.onChange?.(name, state, error);
        last.set(name, state);
        return [name, state] as const;
      }),
    );
    return { ok: entries.every(([, state]) => state === 'ok'), checks: Object.fromEntries(entries) };
  };
  return () => {
    running ??= runAll().finally(() => {
      running = undefined;
    });
    return running;
  };
}

async function bounded(check: Check, timeoutMs: number): Promise<{ state: CheckState; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([check().then(() => 'ok' as const), timedOut]);
    return { state: outcome };
  } catch (error) {
    return { state: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * PostgreSQL and Temporal as the bot uses them. PostgreSQL is asked through one connection of the
 * probe's own (the store's pool is not reachable from here), made with the same DATABASE_URL.
 */
export function botReadiness(options: {
  databaseUrl: string;
  temporal: Client;
  timeoutMs?: number;
  onChange?: (name: string, state: CheckState, error?: string) => void;
}): ReadinessProbe {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 1,
    connectionTimeoutMillis: timeoutMs,
    idleTimeoutMillis: 30_000,
    query_timeout: timeoutMs,
  });
  // A dropped idle connection is what the next probe reports; it must not crash the process.
  pool.on('error', () => undefined);
  const check = readinessOf(
    {
      postgres: () => pool.query('SELECT 1'),
      temporal: () =>
        options.temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
          options.temporal.workflowService.getSystemInfo({}),
        ),
    },
    { timeoutMs, ...(options.onChange ? { onChange: options.onChange } : {}) },
  );
  return { check, close: () => pool.end() };
}
