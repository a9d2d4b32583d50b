import { WorkflowFailedError, type Client } from '@temporalio/client';
import { inlinePolicyName } from '../../domain/lease';
import type { Policy } from '../../domain/policy/schema';
import type { RequestState } from '../../domain/request';
import { leasePoliciesInCloud, startShortLease } from '../../test/support/launch/chaos-leases';
import type { Stack } from '../../test/support/stacks/stack';
import { now, sleep, withTimeout } from './clock';
import { envInt } from './context';
import { CloudObserver } from './observers';
import { runPool } from './pool';

/**
 * One fault drill's leases: start them (bounded concurrency), watch from outside when moto loses each
 * lease's inline policy, and collect each workflow's end. The disruption (kills, faults, cuts, restarts)
 * runs beside it, owned by the caller.
 */

export type ChaosPart = 'a' | 'b' | 'c' | 'd';

export interface ChaosConfig {
  parts: ChaosPart[];
  kill: { leases: number; minSeconds: number; maxSeconds: number; killMinSeconds: number; killMaxSeconds: number };
  faults: { leases: number; percent: number };
  database: { leases: number; downSeconds: number };
  temporal: { leases: number; downSeconds: number };
  /** Lease length for parts b–d. */
  short: { minSeconds: number; maxSeconds: number };
  startConcurrency: number;
  pollMs: number;
  /** How long past its expiry a lease may take to be revoked before the drill counts it as lost. */
  graceSeconds: number;
}

export function readChaosConfig(): ChaosConfig {
  const raw = (process.env.BENCH_CHAOS_PARTS ?? 'a,b,c,d').split(',').map((part) => part.trim());
  for (const part of raw)
    if (!['a', 'b', 'c', 'd'].includes(part)) throw new Error(`BENCH_CHAOS_PARTS: "${part}" is not one of a,b,c,d`);
  const config: ChaosConfig = {
    parts: raw as ChaosPart[],
    kill: {
      leases: envInt('BENCH_CHAOS_LEASES', 100),
      minSeconds: envInt('BENCH_CHAOS_MIN_SECONDS', 60),
      maxSeconds: envInt('BENCH_CHAOS_MAX_SECONDS', 120),
      killMinSeconds: envInt('BENCH_CHAOS_KILL_MIN_SECONDS', 5),
      killMaxSeconds: envInt('BENCH_CHAOS_KILL_MAX_SECONDS', 20),
    },
    faults: { leases: envInt('BENCH_CHAOS_FAULT_LEASES', 60), percent: envInt('BENCH_CHAOS_FAULT_PERCENT', 30, 0) },
    database: { leases: envInt('BENCH_CHAOS_DB_LEASES', 40), downSeconds: envInt('BENCH_CHAOS_DB_DOWN_SECONDS', 10) },
    temporal: {
      leases: envInt('BENCH_CHAOS_TEMPORAL_LEASES', 40),
      downSeconds: envInt('BENCH_CHAOS_TEMPORAL_DOWN_SECONDS', 5),
    },
    short: {
      minSeconds: envInt('BENCH_CHAOS_SHORT_MIN_SECONDS', 20),
      maxSeconds: envInt('BENCH_CHAOS_SHORT_MAX_SECONDS', 40),
    },
    startConcurrency: envInt('BENCH_CHAOS_START_CONCURRENCY', 10),
    pollMs: envInt('BENCH_CHAOS_POLL_MS', 250),
    graceSeconds: envInt('BENCH_CHAOS_GRACE_SECONDS', 240),
  };
  if (config.kill.minSeconds > config.kill.maxSeconds || config.short.minSeconds > config.short.maxSeconds)
    throw new Error('BENCH_CHAOS_*_MIN_SECONDS must not exceed the matching MAX_SECONDS');
  if (config.kill.killMinSeconds > config.kill.killMaxSeconds)
    throw new Error('BENCH_CHAOS_KILL_MIN_SECONDS must not exceed BENCH_CHAOS_KILL_MAX_SECONDS');
  return config;
}

/** Every lease inline policy on the application role, all pages (a single ListRolePolicies stops at 100). */
export function leasePolicyObserver(stack: Stack, pollMs: number): CloudObserver {
  return new CloudObserver('ListRolePolicies (all pages)', () => leasePoliciesInCloud(stack.aws.iam), pollMs);
}

export interface DrillLease {
  id: string;
  /** Epoch ms of the lease's expiresAt, from the workflow's result. */
  expiresAt?: number;
  /** Epoch ms the outside observer first saw the inline policy gone. */
  goneAt?: number;
  final?: RequestState;
  error?: string;
}

export interface DrillTarget {
  temporal: Client;
  taskQueue: string;
  policy: Policy;
  observer: CloudObserver;
}

/** Durations spread evenly over [min, max] seconds, so expiries (and their revocations) spread too. */
export function spreadSeconds(count: number, min: number, max: number): number[] {
  return Array.from({ length: count }, (_, i) => min + (count > 1 ? Math.round(((max - min) * i) / (count - 1)) : 0));
}

/** Starts one lease per person; returns their ids in start order (failed starts are reported, not fatal). */
export async function startDrillLeases(
  target: DrillTarget,
  people: string[],
  seconds: number[],
  concurrency: number,
  signal: AbortSignal,
): Promise<{ leases: DrillLease[]; startErrors: number }> {
  const leases: DrillLease[] = [];
  const outcome = await runPool(people.length, concurrency, signal, async (i) => {
    const id = await startShortLease(target.temporal, target, people[i]!, seconds[i]!, 'benchmark: chaos');
    target.observer.watch(inlinePolicyName(id));
    leases.push({ id });
  });
  return { leases, startErrors: outcome.errors.length };
}

/**
 * Waits for every lease to be seen gone and its workflow to end (each bounded by its expiry plus
 * `graceSeconds`), filling in goneAt, expiresAt and final. A lease still present when its bound
 * passes keeps its error: that is a lost or late revocation, and the report says so.
 */
export async function awaitDrillLeases(
  target: DrillTarget,
  leases: DrillLease[],
  maxSeconds: number,
  graceSeconds: number,
  signal: AbortSignal,
): Promise<void> {
  const boundMs = (maxSeconds + graceSeconds) * 1000;
  await runPool(leases.length, leases.length, signal, async (i) => {
    const lease = leases[i]!;
    try {
      lease.goneAt = await target.observer.waitGone(inlinePolicyName(lease.id), boundMs);
      lease.final = await workflowEnd(target.temporal, lease.id, graceSeconds * 1000);
      if (lease.final.expiresAt) lease.expiresAt = Date.parse(lease.final.expiresAt);
      if (lease.final.status !== 'revoked') lease.error = `ended ${lease.final.status}`;
    } catch (error) {
      lease.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  });
}

/** The workflow's result; a long poll broken by a server restart is asked again until the bound. */
async function workflowEnd(temporal: Client, id: string, boundMs: number): Promise<RequestState> {
  const deadline = now() + boundMs;
  for (;;) {
    try {
      return (await withTimeout(
        temporal.workflow.getHandle(id).result(),
        Math.max(1000, deadline - now()),
        `lease ${id}`,
      )) as RequestState;
    } catch (error) {
      if (error instanceof WorkflowFailedError || now() >= deadline - 1000) throw error;
      await sleep(1000);
    }
  }
}

/**
 * Lateness after the worker could act: gone − max(expiresAt, the last time a worker became ready
 * before the policy was gone), never below 0. With no restarts it is plain expiry → gone lateness.
 */
export function latenessAfterReady(leases: DrillLease[], readyTimes: number[]): number[] {
  const out: number[] = [];
  for (const lease of leases) {
    if (lease.goneAt === undefined || lease.expiresAt === undefined) continue;
    let ready = 0;
    for (const at of readyTimes) if (at <= lease.goneAt) ready = at;
    out.push(Math.max(0, lease.goneAt - Math.max(lease.expiresAt, ready)));
  }
  return out;
}

/** Plain expiry → gone lateness (ms), for leases whose both ends were seen. */
export function goneLateness(leases: DrillLease[]): number[] {
  return leases
    .filter((lease) => lease.goneAt !== undefined && lease.expiresAt !== undefined)
    .map((lease) => lease.goneAt! - lease.expiresAt!);
}

/** Random whole milliseconds in [minSeconds, maxSeconds] seconds. */
export function randomMs(minSeconds: number, maxSeconds: number): number {
  return Math.round((minSeconds + Math.random() * (maxSeconds - minSeconds)) * 1000);
}

/** Sleeps until `until` (epoch ms) or the abort. */
export async function sleepUntil(until: number, signal: AbortSignal): Promise<void> {
  const wait = until - now();
  if (wait > 0) await sleep(wait, signal);
}
