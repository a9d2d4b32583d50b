import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditAction } from '../../domain/audit';
import { ChaosWorker } from '../support/launch/chaos-process';
import {
  chaosPerson,
  chaosPolicy,
  leaseEndWithin,
  leasePoliciesInCloud,
  startShortLease,
} from '../support/launch/chaos-leases';
import { testServices } from '../support/launch/services';
import { assertRevokedExactlyOnce } from '../support/checks/lease-outcomes';
import { startStack, type Stack } from '../support/stacks/stack';

/**
 * The small chaos drill: the only worker, in a process of its own, is SIGKILLed twice while 20 short
 * leases run (once while their grants land, once while they expire) and started again each time. Every
 * lease must still end revoked and verified, nothing may stay in moto, no grant may be applied twice,
 * and the audit chain must verify.
 */

const LEASES = 20;
const people = Array.from({ length: LEASES }, (_, i) => chaosPerson('kill', i));
let stack: Stack;
let worker: ChaosWorker;

before(async () => {
  stack = await startStack('dev', { policy: chaosPolicy(people) });
  worker = new ChaosWorker({
    temporalAddress: testServices().temporalAddress,
    taskQueue: stack.taskQueue,
    databaseUrl: stack.db.url,
    policy: stack.policy,
  });
  await worker.start();
});

after(async () => {
  await worker?.stop();
  await stack?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds to wait: random-ish, so kills land at different points of the leases' work on each run. */
const jitter = (fromMs: number, spanMs: number): number => fromMs + Math.floor(Math.random() * spanMs);

async function grantsApplied(ids: string[]): Promise<number> {
  const counted = await stack.db.pool.query<{ n: string }>(
    'SELECT count(DISTINCT request_id) AS n FROM audit_log WHERE action = $1 AND request_id = ANY($2)',
    [AuditAction.GrantApplied, ids],
  );
  return Number(counted.rows[0]?.n ?? 0);
}

describe('worker SIGKILLed twice during 20 short leases', () => {
  it('revokes every lease once, leaves nothing in the cloud, and the audit chain verifies', async (t) => {
    const startedAt = Date.now();
    // 20–34 s leases, started at once so their grants are in flight together; expiries spread over ~15 s
    const ids = await Promise.all(
      people.map((person, i) => startShortLease(stack.env.client, stack, person, 20 + ((i * 7) % 15), 'chaos drill')),
    );

    // kill 1: while the grants land — as soon as the first is recorded, the others are mid-way
    const grantDeadline = Date.now() + 60_000;
    while ((await grantsApplied(ids)) === 0 && Date.now() < grantDeadline) await sleep(20);
    const appliedAtKill = await grantsApplied(ids);
    await worker.kill();
    await worker.start();
    while ((await grantsApplied(ids)) < LEASES && Date.now() < grantDeadline) await sleep(200);
    assert.equal(await grantsApplied(ids), LEASES, `grants not all applied: ${worker.output}`);
    assert.equal((await leasePoliciesInCloud(stack.aws.iam)).size, LEASES);
    t.diagnostic(`grants recorded when the worker was killed the first time: ${appliedAtKill} of ${LEASES}`);

    // kill 2: somewhere in the expiry window, where revocations may be in flight
    const firstExpiry = startedAt + 20_000;
    await sleep(Math.max(0, firstExpiry - Date.now()) + jitter(0, 10_000));
    await worker.kill();
    await worker.start();
    t.diagnostic(
      `kills at +${worker.killTimes.map((at) => ((at - startedAt) / 1000).toFixed(1)).join(' s, +')} s; ` +
        `restarts ready after ${worker.killTimes.map((at, i) => ((worker.readyTimes[i + 1]! - at) / 1000).toFixed(1)).join(' s, ')} s`,
    );

    // bounded well past a workflow task's 10 s timeout: a step that died with the worker runs again only then
    const finals = await Promise.all(ids.map((id) => leaseEndWithin(stack.env.client, id, 300_000)));
    t.diagnostic(`all ${LEASES} workflows closed at +${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    await assertRevokedExactlyOnce(stack, ids, finals);
  });
});
