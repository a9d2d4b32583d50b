import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LEAD, REQUESTER, startStack, submitRequest, type Stack } from '../support/stacks/stack';

/**
 * The audit log says who approved before it says the request was approved, even when a reminder
 * timer fires while the approval is still being written (seen under load in CI as
 * `request.approved` recorded before `approval.approved`).
 */

const NUDGED = 'logs-nudged';
let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('dev', {
    policy: (input) => {
      input.entitlements.push({
        id: NUDGED,
        title: 'Read payment logs, approvers nudged every second',
        system: 'aws-prod',
        grant: {
          kind: 'aws-iam-inline-policy',
          statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::payments-logs/*'] }],
        },
        requesters: { everyone: true },
        approvers: { users: [LEAD] },
        approval: { pendingTimeout: '1h', reminderEvery: '1s' },
      });
    },
  });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

/** Holds the decisions table the way a slow database would, so recording a decision waits until released. */
async function holdDecisions(): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

/**
 * Whether a timer fired between the start and the end of recording the decision. Runs record it in a
 * local activity (LEAN_LIFECYCLE_PATCH): from the update's acceptance to the activity's marker, with the
 * workflow task heartbeated meanwhile; runs before that used an activity task.
 */
async function timerFiredWhileRecordingDecision(requestId: string): Promise<boolean> {
  const events = (await stack.env.client.workflow.getHandle(requestId).fetchHistory()).events ?? [];
  const idOf = (value: unknown): number => Number(String(value)); // event ids are Long
  const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)?.eventId;
  const marker = events.find(
    (e) => e.markerRecordedEventAttributes && accepted !== undefined && idOf(e.eventId) > idOf(accepted),
  )?.eventId;
  assert.ok(accepted !== undefined && marker !== undefined, 'recordDecision ran to completion');
  return events.some(
    (e) => e.timerFiredEventAttributes && idOf(e.eventId) > idOf(accepted) && idOf(e.eventId) < idOf(marker),
  );
}

async function remindedOnce(requestId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (stack.messages.some((m) => m.requestId === requestId && m.kind === 'reminder')) break;
    await sleep(100);
  }
  await sleep(200); // the reminder's activity completes and the loop starts its next timer
}

describe('audit order of a decision', () => {
  it('records approval.approved before request.approved when a reminder fires during the recording', async () => {
    const id = await submitRequest(stack, { entitlementId: NUDGED, reason: 'audit order under a slow database' });
    await stack.waitForStatus(id, 'pending');
    await remindedOnce(id); // the workflow is now in its wait-for-a-decision loop, its reminder timer running

    const release = await holdDecisions();
    const deciding = stack.access.decide(id, LEAD, 'approve');
    try {
      // Reminder timers fire while the approval cannot be written, and longer than a workflow task's
      // heartbeat (80% of its 10 s timeout), so the workflow sees them before the recording ends.
      await sleep(10_000);
    } finally {
      await release();
    }
    const decided = await deciding;
    assert.ok(decided.ok, JSON.stringify(decided));
    await stack.waitForStatus(id, 'active');
    assert.ok(await timerFiredWhileRecordingDecision(id), 'the reminder timer fired while the decision was recorded');

    const actions = (await stack.store.auditFor(id)).map((row) => row.action);
    const approval = actions.indexOf('approval.approved');
    const approved = actions.indexOf('request.approved');
    assert.ok(approval >= 0 && approved >= 0, actions.join(', '));
    assert.ok(approval < approved, `approval.approved must come first: ${actions.join(', ')}`);
    assert.ok(actions.indexOf('grant.applied') > approved, actions.join(', '));

    const ended = await stack.access.end(id, REQUESTER, 'done');
    assert.ok(ended.ok && ended.state.status === 'revoked');
  });
});
