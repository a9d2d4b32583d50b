import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { CreateUserCommand } from '@aws-sdk/client-identitystore';
import type { Worker } from '@temporalio/worker';
import type { PolicyInput } from '../../domain/policy/schema';
import type { RequestState } from '../../domain/request';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import type { Stack } from '../../test/support/stacks/stack';
import { startShortLease } from '../../test/support/generators/short-lease';
import { now, sleep, throwIfAborted } from './clock';
import type { NoticeBoard } from './observers';
import { runPool, type PoolOutcome } from './pool';

/** Everything a scenario needs: the stack, its one worker, what people are told, and the knobs. */
export interface BenchContext {
  stack: Stack;
  worker: Worker;
  notices: NoticeBoard;
  config: BenchConfig;
  signal: AbortSignal;
  /** The stack's server processes, for scenarios that read where the CPU went during one phase. */
  pids: { temporal?: number; moto?: number };
  log(line: string): void;
}

export const INLINE_ENTITLEMENT = 'payments-logs';
export const IDENTITY_CENTER_ENTITLEMENT = 'prod-read-only';
export type BenchEntitlement = typeof INLINE_ENTITLEMENT | typeof IDENTITY_CENTER_ENTITLEMENT;

export interface BenchConfig {
  approve: {
    requests: number;
    /** Each level is its own run of the scenario, with its own floors. */
    concurrencies: number[];
    entitlements: BenchEntitlement[];
    pollMs: number;
    floorSamples: number;
  };
  expiry: { leases: number; seconds: number; concurrency: number; pollMs: number; windowSeconds: number };
  lifecycle: { requests: number; concurrency: number };
  memory: { leases: number; concurrency: number; durationSeconds: number };
  slack: { commands: number; concurrency: number; approveConcurrency: number; pollMs: number };
  teams: { messages: number; concurrency: number; approveConcurrency: number; pollMs: number };
  warmup: number;
  timeoutSeconds: number;
}

/** A whole number from the environment (BENCH_* sizes), `fallback` when unset; anything else stops the run. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, not "${raw}"`);
  return value;
}

function intList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1))
    throw new Error(`${name} must be a comma list of integers ≥ 1 (e.g. 1,10), not "${raw}"`);
  return values;
}

export function readConfig(): BenchConfig {
  const entitlements = (process.env.BENCH_APPROVE_ENTITLEMENTS ?? INLINE_ENTITLEMENT)
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of entitlements) {
    if (e !== INLINE_ENTITLEMENT && e !== IDENTITY_CENTER_ENTITLEMENT) {
      throw new Error(
        `BENCH_APPROVE_ENTITLEMENTS: "${e}" is not ${INLINE_ENTITLEMENT} or ${IDENTITY_CENTER_ENTITLEMENT}`,
      );
    }
  }
  return {
    approve: {
      requests: envInt('BENCH_REQUESTS', 200),
      concurrencies: intList('BENCH_APPROVE_CONCURRENCY', [1, 10]),
      entitlements: entitlements as BenchEntitlement[],
      pollMs: envInt('BENCH_APPROVE_POLL_MS', 20),
      floorSamples: envInt('BENCH_FLOOR_SAMPLES', 60),
    },
    expiry: {
      leases: envInt('BENCH_EXPIRY_LEASES', 50),
      seconds: envInt('BENCH_EXPIRY_SECONDS', 10),
      concurrency: envInt('BENCH_EXPIRY_CONCURRENCY', 10),
      pollMs: envInt('BENCH_EXPIRY_POLL_MS', 100),
      windowSeconds: envInt('BENCH_EXPIRY_WINDOW_SECONDS', 10),
    },
    lifecycle: { requests: envInt('BENCH_LIFECYCLES', 100), concurrency: envInt('BENCH_LIFECYCLE_CONCURRENCY', 20) },
    memory: {
      leases: envInt('BENCH_LIVE_LEASES', 500),
      concurrency: envInt('BENCH_MEMORY_CONCURRENCY', 20),
      durationSeconds: envInt('BENCH_LIVE_LEASE_SECONDS', 4 * 3600, 60),
    },
    slack: {
      commands: envInt('BENCH_SLACK_COMMANDS', 200),
      concurrency: envInt('BENCH_SLACK_CONCURRENCY', 200),
      approveConcurrency: envInt('BENCH_SLACK_APPROVE_CONCURRENCY', 10),
      pollMs: envInt('BENCH_APPROVE_POLL_MS', 50),
    },
    teams: {
      messages: envInt('BENCH_TEAMS_MESSAGES', 50),
      concurrency: envInt('BENCH_TEAMS_CONCURRENCY', 50),
      approveConcurrency: envInt('BENCH_TEAMS_APPROVE_CONCURRENCY', 10),
      pollMs: envInt('BENCH_APPROVE_POLL_MS', 50),
    },
    warmup: envInt('BENCH_WARMUP', 5, 0),
    timeoutSeconds: envInt('BENCH_TIMEOUT_SECONDS', 480, 30),
  };
}

/**
 * Requesters are distinct people so the one-lease-per-entitlement rule never refuses a request.
 * Inline-policy requesters are mapped to the application role (`principals:` in the policy);
 * Identity Center requesters are directory users found by e-mail.
 */
export function requester(scenario: string, index: number): string {
  return `bench-${scenario}-${String(index).padStart(4, '0')}@example.com`;
}

/** Each concurrency level of the approve scenario asks with its own people. */
export function approveRequester(concurrency: number, index: number, inline = true): string {
  return requester(`${inline ? 'approve' : 'ic'}${concurrency}`, index);
}

export function inlineRequesters(config: BenchConfig): string[] {
  const people: string[] = [];
  for (let i = 0; i < config.warmup; i++) people.push(requester('warmup', i));
  if (config.approve.entitlements.includes(INLINE_ENTITLEMENT))
    for (const concurrency of config.approve.concurrencies)
      for (let i = 0; i < config.approve.requests; i++) people.push(approveRequester(concurrency, i));
  for (let i = 0; i < config.expiry.leases; i++) people.push(requester('expiry', i));
  for (let i = 0; i < config.lifecycle.requests; i++) people.push(requester('life', i));
  for (let i = 0; i < config.memory.leases; i++) people.push(requester('live', i));
  for (let i = 0; i < config.slack.commands; i++) people.push(requester('slack', i));
  for (let i = 0; i < config.teams.messages; i++) people.push(requester('teams', i));
  return people;
}

/** The stack policy with every generated inline requester mapped to the application role. */
export function withBenchPrincipals(people: string[]): (input: PolicyInput) => void {
  return (input) => {
    const principals: NonNullable<PolicyInput['principals']> = { ...(input.principals ?? {}) };
    for (const person of people) principals[person] = { 'aws-prod': { awsIamRole: APP_ROLE } };
    input.principals = principals;
  };
}

/** Identity Store users for Identity Center requesters, made in moto through the real SDK; returns e-mail → user id. */
export async function createDirectoryUsers(
  stack: Stack,
  emails: string[],
  concurrency: number,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const outcome = await runPool(emails.length, concurrency, signal, async (i) => {
    const email = emails[i]!;
    const local = email.split('@')[0]!;
    const created = await stack.aws.identityStore.send(
      new CreateUserCommand({
        IdentityStoreId: stack.account.identityStoreId,
        UserName: local,
        DisplayName: local,
        Name: { GivenName: 'Bench', FamilyName: local },
        Emails: [{ Value: email, Type: 'work', Primary: true }],
      }),
    );
    ids.set(email, created.UserId!);
  });
  if (outcome.errors.length)
    throw new Error(`could not create ${outcome.errors.length} directory users: ${String(outcome.errors[0]!.error)}`);
  return ids;
}

/** An auto-approved lease of any length on the bench's stack (test/support/generators/short-lease.ts). */
export async function startAutoApproved(
  ctx: BenchContext,
  person: string,
  entitlementId: BenchEntitlement,
  durationSeconds: number,
  reason: string,
): Promise<string> {
  return startShortLease(ctx.stack.env.client, ctx.stack, {
    requester: person,
    entitlementId,
    seconds: durationSeconds,
    reason,
  });
}

/** Ends leases the way a holder does ("I'm done"), bounded; each end returns once revoked and verified. */
export async function endAll(
  ctx: BenchContext,
  leases: { requestId: string; requester: string }[],
  concurrency: number,
): Promise<PoolOutcome<RequestState> & { seconds: number }> {
  const started = now();
  const outcome = await runPool(leases.length, concurrency, ctx.signal, async (i) => {
    const lease = leases[i]!;
    const ended = await ctx.stack.access.end(lease.requestId, lease.requester, "I'm done (benchmark)");
    if (!ended.ok) throw new Error(`end ${lease.requestId}: ${ended.code} ${ended.message}`);
    if (ended.state.status !== 'revoked') throw new Error(`end ${lease.requestId}: status ${ended.state.status}`);
    return ended.state;
  });
  return { ...outcome, seconds: (now() - started) / 1000 };
}

/** Waits until the worker has nothing in flight (or `maxMs` passes), then a little longer. */
export async function settle(ctx: BenchContext, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    throwIfAborted(ctx.signal);
    const status = ctx.worker.getStatus();
    if (status.numInFlightActivities === 0 && status.numInFlightWorkflowActivations === 0) break;
    await sleep(100, ctx.signal);
  }
  await sleep(500, ctx.signal);
}

let gcFunction: (() => void) | null | undefined;

/** A full GC of the main isolate when V8 allows it (the flag is set at run time; tsx cannot pass --expose-gc). */
export function collectGarbage(): boolean {
  if (gcFunction === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    } catch {
      gcFunction = null;
    }
  }
  if (!gcFunction) return false;
  gcFunction();
  gcFunction();
  return true;
}
