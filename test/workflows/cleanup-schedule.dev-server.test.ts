import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { LEAD, startStack, type Stack } from '../support/stacks/stack';
import { cloudTrailCoverage, writeSnapshot } from '../support/checks/findings-snapshot';
import { cleanupScheduleId, ensureCleanupSchedules } from '../../app/schedules';
import type { Policy, PolicyInput } from '../../domain/policy/schema';
import type { CleanupRunState } from '../../domain/cleanup/run';

/**
 * The cleanup's Temporal Schedule on the dev server: one per system with a `cleanup` block, as the
 * policy says; triggered, it starts a run whose id is the schedule's plus its time, which plans from the
 * current inventory and finishes (nothing unused here); a system without the block loses its schedule.
 */

const DAY = 86_400_000;
const iso = (daysAgo: number): string => new Date(Date.now() - daysAgo * DAY).toISOString();
let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('dev', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD] };
      system.cleanup = { schedule: { every: '7d', offset: '10h' }, notice: '1d' };
    },
  });
  // a snapshot with nothing to clean up: one role that used all it holds
  const role = `arn:aws:iam::${ACCOUNT_ID}:role/scheduled-busy`;
  await writeSnapshot(stack.store, {
    runId: `schedule-${Date.now()}`,
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: [
      {
        systemId: SYSTEM_ID,
        id: role,
        kind: 'aws-iam-role',
        name: 'scheduled-busy',
        nature: 'workload',
        tags: {},
        createdAt: iso(400),
      },
    ],
    documents: [],
    paths: [],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

describe('cleanup schedules', () => {
  it('creates one per system with a cleanup block, starts a run when triggered, and deletes it with the block', async () => {
    const client = stack.env.client;
    assert.deepEqual(await ensureCleanupSchedules(client, stack.taskQueue, stack.policy), [
      cleanupScheduleId(SYSTEM_ID),
    ]);
    const schedule = client.schedule.getHandle(cleanupScheduleId(SYSTEM_ID));
    const described = await schedule.describe();
    assert.deepEqual(described.spec.intervals, [{ every: 7 * DAY, offset: 10 * 3_600_000 }]);
    assert.equal(described.policies.overlap, 'SKIP');

    await schedule.trigger();
    let workflowId: string | undefined;
    const deadline = Date.now() + 15_000;
    while (!workflowId && Date.now() < deadline) {
      const { info } = await schedule.describe();
      workflowId = (info.recentActions[0]?.action ?? info.runningActions[0])?.workflow.workflowId;
      if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!workflowId) throw new Error('the triggered schedule started no workflow');
    assert.ok(workflowId.startsWith(cleanupScheduleId(SYSTEM_ID)), `started ${workflowId}`);
    const final = (await client.workflow.getHandle(workflowId).result()) as CleanupRunState;
    assert.equal(final.phase, 'done');
    assert.equal(final.runId, workflowId, "the run's id is its workflow's");
    const run = await stack.store.cleanup.run(workflowId);
    assert.equal(run?.trigger, 'schedule');
    assert.equal(run?.status, 'finished');

    const without: Policy = {
      ...stack.policy,
      authorizationSystems: stack.policy.authorizationSystems.map(({ cleanup: _cleanup, ...system }) => system),
    };
    const until = Date.now() + 10_000;
    for (;;) {
      assert.deepEqual(await ensureCleanupSchedules(client, stack.taskQueue, without), []);
      const gone = await schedule.describe().then(
        () => false,
        (error: unknown) => error instanceof ScheduleNotFoundError,
      );
      if (gone) break;
      assert.ok(Date.now() < until, 'the schedule of a system no longer cleaned up was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});
