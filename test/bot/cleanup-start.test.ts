import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, Connection, defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/client';
import { CleanupStore } from '../../activities/store/cleanup/store';
import type { PgStore } from '../../activities/store/pg-store';
import { chatCleanupRunId, CLEANUP_WORKFLOW, CleanupClient } from '../../bot/cleanup-client';
import { mayStartCleanup } from '../../domain/cleanup/authority';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import type { CleanupInput } from '../../workflows/cleanup-messages';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { CLEANUP_EXTERNAL, CLEANUP_PEOPLE, cleanupPolicy, SYSTEM } from './render/findings-fixtures';

/**
 * Clean up from a finding card, at the client every front end goes through: a real PostgreSQL and a
 * real Temporal dev server, no worker (the run is only started here; test/e2e/cleanup-start-chat.test.ts
 * drives the buttons). Who may start one, what is started, and that a second click joins the first.
 */

const TASK_QUEUE = 'cleanup-start-test-no-worker';
const suffix = randomBytes(4).toString('hex');
const identity = (name: string): string => `arn:aws:iam::123456789012:role/${name}-${suffix}`;

let db: TestDatabase;
let store: PgStore;
let cleanups: CleanupStore;
let connection: Connection;
let temporal: Client;
let client: CleanupClient;
const startedIds: string[] = [];

before(async () => {
  ({ db, store } = await freshStore());
  connection = await Connection.connect({ address: testServices().temporalAddress });
  temporal = new Client({ connection });
  cleanups = new CleanupStore(db.pool);
  client = new CleanupClient({
    temporal,
    taskQueue: TASK_QUEUE,
    store: cleanups,
    policy: cleanupPolicy,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    externalGroups: () => Promise.resolve(CLEANUP_EXTERNAL),
  });
});

after(async () => {
  for (const id of startedIds)
    await temporal.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await connection?.close();
  await db?.drop();
});

async function audited(action: string, actor: string): Promise<Record<string, unknown>[]> {
  return (await store.auditFor(undefined, 1000))
    .filter((r) => r.action === action && r.actor === actor)
    .map((r) => r.detail);
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The input a workflow was started with, from its first history event. */
async function inputOf(workflowId: string): Promise<unknown> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(payload, `${workflowId} was started with an input`);
  return defaultPayloadConverter.fromPayload(payload);
}

describe('who may start a cleanup', () => {
  const policy = cleanupPolicy();

  it("the system's owners (policy group, Slack user group) and Least's admins, in any case", () => {
    for (const person of [CLEANUP_PEOPLE.owner, CLEANUP_PEOPLE.slackOwner, ' SEC@example.com '])
      assert.equal(mayStartCleanup(policy, SYSTEM, person, CLEANUP_EXTERNAL), true, person);
  });

  it('nobody else: an approver, a stranger, anyone on a system the policy does not have', () => {
    for (const person of [CLEANUP_PEOPLE.approver, CLEANUP_PEOPLE.stranger])
      assert.equal(mayStartCleanup(policy, SYSTEM, person, CLEANUP_EXTERNAL), false, person);
    assert.equal(mayStartCleanup(policy, 'gcp-data', CLEANUP_PEOPLE.admin, CLEANUP_EXTERNAL), false);
    assert.equal(mayStartCleanup(policy, SYSTEM, CLEANUP_PEOPLE.slackOwner, {}), false, 'group not resolved');
  });

  it('owners listed as everyone do not make everyone an owner', () => {
    const open = cleanupPolicy();
    open.authorizationSystems[0]!.owners = { users: [], groups: [], slackUserGroups: [], everyone: true };
    assert.equal(mayStartCleanup(open, SYSTEM, CLEANUP_PEOPLE.stranger), false);
    assert.equal(mayStartCleanup(open, SYSTEM, CLEANUP_PEOPLE.admin), true);
  });
});

describe('the run id of a cleanup started from chat', () => {
  const at = new Date('2026-12-01T10:42:31.123Z');

  it('is the system, the minute and a digest of the identity: the same click in a minute is one run', () => {
    const id = chatCleanupRunId(SYSTEM, identity('app'), at);
    assert.match(id, /^cleanup-aws-prod-2026-12-01T10-42-[0-9a-f]{12}$/);
    assert.equal(chatCleanupRunId(SYSTEM, identity('app'), new Date('2026-12-01T10:42:59.999Z')), id);
    assert.notEqual(chatCleanupRunId(SYSTEM, identity('app'), new Date('2026-12-01T10:43:00.000Z')), id);
    assert.notEqual(chatCleanupRunId(SYSTEM, identity('ci'), at), id);
  });

  it('fits a cleanup button (200 characters) whatever the identity id', () => {
    assert.ok(chatCleanupRunId('s'.repeat(63), 'i'.repeat(1024), at).length <= 200);
  });
});

describe('CleanupClient.start', () => {
  it('a stranger is refused, told why, audited, and nothing is started', async () => {
    const at = new Date();
    const who = identity('refused');
    const outcome = await client.start({ systemId: SYSTEM, identityId: who }, CLEANUP_PEOPLE.stranger, at);
    assert.deepEqual(outcome, {
      ok: false,
      code: ErrorCode.CleanupNotAuthorized,
      message: "Only the owners of aws-prod and Least's admins may start a cleanup there.",
    });
    assert.deepEqual(await audited(AuditAction.CleanupStartRefused, CLEANUP_PEOPLE.stranger), [
      { system: SYSTEM, identity: who, code: ErrorCode.CleanupNotAuthorized },
    ]);
    assert.equal(await exists(chatCleanupRunId(SYSTEM, who, at)), false);
  });

  it('a system the policy does not have is refused and audited', async () => {
    const outcome = await client.start({ systemId: 'gone', identityId: identity('x') }, CLEANUP_PEOPLE.admin);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.code, ErrorCode.CleanupUnknown);
    assert.equal(
      (await audited(AuditAction.CleanupStartRefused, CLEANUP_PEOPLE.admin)).filter((d) => d.system === 'gone').length,
      1,
    );
  });

  it('an owner starts the `cleanup` workflow for the identity with the CLI’s input; a second click joins it', async () => {
    const at = new Date();
    const who = identity('app');
    const first = await client.start({ systemId: SYSTEM, identityId: who }, CLEANUP_PEOPLE.slackOwner, at);
    const runId = chatCleanupRunId(SYSTEM, who, at);
    startedIds.push(runId);
    assert.deepEqual(first, { ok: true, runId, joined: false });
    const described = await temporal.workflow.getHandle(runId).describe();
    assert.equal(described.type, CLEANUP_WORKFLOW);
    assert.equal(described.taskQueue, TASK_QUEUE);
    assert.equal(described.status.name, 'RUNNING');
    const expected: CleanupInput = {
      systemId: SYSTEM,
      trigger: 'manual',
      requestedBy: CLEANUP_PEOPLE.slackOwner,
      identityId: who,
    };
    assert.deepEqual(await inputOf(runId), expected);

    const second = await client.start({ systemId: SYSTEM, identityId: who }, CLEANUP_PEOPLE.admin, at);
    assert.deepEqual(second, { ok: true, runId, joined: true });
    assert.equal((await temporal.workflow.getHandle(runId).describe()).runId, described.runId, 'one execution');
    assert.deepEqual(await audited(AuditAction.CleanupStarted, CLEANUP_PEOPLE.slackOwner), [
      { system: SYSTEM, identity: who, run: runId, joined: false },
    ]);
    assert.deepEqual(
      (await audited(AuditAction.CleanupStarted, CLEANUP_PEOPLE.admin)).filter((d) => d.identity === who),
      [{ system: SYSTEM, identity: who, run: runId, joined: true }],
    );
    // The same double click across a minute's edge.
    const later = await client.start(
      { systemId: SYSTEM, identityId: who },
      CLEANUP_PEOPLE.owner,
      new Date(at.getTime() + 60_000),
    );
    assert.deepEqual(later, { ok: true, runId, joined: true });
  });

  it('a run already cleaning up the identity is joined in a later minute; a dead one is not', async () => {
    const who = identity('reports');
    const earlier = new Date(Date.now() - 3_600_000);
    const running = chatCleanupRunId(SYSTEM, who, earlier);
    await temporal.workflow.start(CLEANUP_WORKFLOW, {
      workflowId: running,
      taskQueue: TASK_QUEUE,
      args: [{ systemId: SYSTEM, trigger: 'manual', identityId: who }],
    });
    startedIds.push(running);
    await recorded(running, who);
    const joined = await client.start({ systemId: SYSTEM, identityId: who }, CLEANUP_PEOPLE.owner);
    assert.deepEqual(joined, { ok: true, runId: running, joined: true });

    // Its record still says planned, but the workflow was terminated: a new run starts.
    await temporal.workflow.getHandle(running).terminate('gone');
    const now = new Date();
    const fresh = await client.start({ systemId: SYSTEM, identityId: who }, CLEANUP_PEOPLE.owner, now);
    startedIds.push(chatCleanupRunId(SYSTEM, who, now));
    assert.deepEqual(fresh, { ok: true, runId: chatCleanupRunId(SYSTEM, who, now), joined: false });
  });
});

/** A run's record as the planner leaves it, for one identity. */
async function recorded(runId: string, identityId: string): Promise<void> {
  const now = new Date().toISOString();
  await cleanups.saveRun(
    runId,
    {
      systemId: SYSTEM,
      cloud: 'aws',
      mode: 'report',
      collectionRunId: 'collect-1',
      window: { from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: now },
      plannedAt: now,
      items: [],
      holds: [],
      counts: { identities: 1, items: 0, actions: 0, holds: 0 },
    },
    { trigger: 'manual', identityId },
  );
}
