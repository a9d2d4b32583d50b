import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaultProxy } from '../support/fakes/fault-proxy';
import { chaosPerson, chaosPolicy, leaseEndWithin, startShortLease } from '../support/launch/chaos-leases';
import { testServices } from '../support/launch/services';
import { assertRevokedExactlyOnce } from '../support/checks/lease-outcomes';
import { startStack, type Stack } from '../support/stacks/stack';

/**
 * Grants and revocations through a faulty cloud endpoint land exactly once. The AWS system's endpoint
 * is a fault proxy in front of moto that fails about 30 % of calls: 500/503/429 answers, connections
 * dropped before forwarding, and connections dropped AFTER moto acted (the call landed, the caller saw a
 * reset and retries it). The real workflows and activities run on the dev server, with the AWS SDK's own
 * retries (5 attempts, adaptive) and Temporal's activity retries on top; the outcome is read from moto
 * directly and from the database, not through the proxy.
 */

const LEASES = 12;
const people = Array.from({ length: LEASES }, (_, i) => chaosPerson('faults', i));
let proxy: FaultProxy;
let stack: Stack;

/** A small seeded generator (mulberry32): the same fates in the same order on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

before(async () => {
  proxy = new FaultProxy(testServices().motoUrl, seeded(15));
  await proxy.start();
  stack = await startStack('dev', { policy: chaosPolicy(people, proxy.url) });
  await stack.startWorker();
});

after(async () => {
  await stack?.close();
  await proxy?.stop();
});

describe('grants and revocations through injected 5xx, 429 and dropped connections', () => {
  it('ends every lease revoked, each grant applied once, nothing left in the cloud', async (t) => {
    proxy.configure({ errorRate: 0.15, resetBeforeRate: 0.05, resetAfterRate: 0.1 });
    proxy.stats(true);
    const ids = await Promise.all(
      people.map((person, i) => startShortLease(stack.env.client, stack, person, 4 + (i % 5), 'fault-proxy drill')),
    );
    const finals = await Promise.all(ids.map((id) => leaseEndWithin(stack.env.client, id, 180_000)));
    const faults = proxy.stats();
    proxy.configure({ errorRate: 0, resetBeforeRate: 0, resetAfterRate: 0 });
    t.diagnostic(`proxy: ${JSON.stringify(faults.byAction)} of ${faults.calls} calls`);
    t.diagnostic(`per operation: ${JSON.stringify(faults.byOperation)}`);

    // the faults really happened, including calls that landed and were then reported as failed
    const injected = faults.calls - faults.byAction.passed;
    assert.ok(injected >= faults.calls * 0.15, `only ${injected} of ${faults.calls} calls were faulted`);
    assert.ok(faults.byAction.resetAfter > 0, 'no call landed and then lost its answer');
    assert.ok(
      (faults.byOperation.PutRolePolicy?.passed ?? 0) + (faults.byOperation.PutRolePolicy?.resetAfter ?? 0) >= LEASES,
    );

    await assertRevokedExactlyOnce(stack, ids, finals);
  });
});
