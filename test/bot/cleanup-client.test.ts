import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CleanupStore } from '../../activities/store/cleanup/store';
import type { PgStore } from '../../activities/store/pg-store';
import {
  CLEANUP_RESTORE_WORKFLOW,
  CleanupClient,
  cleanupRestoreWorkflowId,
  type CleanupClientDeps,
} from '../../bot/cleanup-client';
import { AuditAction } from '../../domain/audit';
import type { CleanupItem } from '../../domain/cleanup/model';
import { ErrorCode } from '../../domain/errors';
import { policySchema, type Policy } from '../../domain/policy/schema';
import type { CleanupRestoreInput } from '../../workflows/cleanup-messages';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { waitUntil } from '../support/checks/assertions';

/**
 * The client the chat front ends act on cleanup runs through, over a real PostgreSQL and a real
 * Temporal dev server (no worker: nothing here needs the cleanup workflow to run). Who may see a
 * diff or restore is decided here, every refusal is audited, and an allowed restore starts
 * `cleanupRestore` once per run and selection.
 */

const OWNER = 'ada@example.com';
const OTHER_OWNER = 'tom@example.com';
const SYSTEM_OWNER = 'lead2@example.com';
const ADMIN = 'sec@example.com';
const VIEWER = 'viewer@example.com';
const STRANGER = 'mallory@example.com';
const TASK_QUEUE = 'cleanup-client-test-no-worker';

const policy: Policy = policySchema.parse({
  version: 1,
  authorizationSystems: [
    {
      id: 'aws-prod',
      cloud: 'aws',
      title: 'AWS production',
      accountId: '123456789012',
      brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
      identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', identityStoreId: 'd-1' },
      owners: { users: [SYSTEM_OWNER] },
    },
  ],
  admins: { users: [ADMIN] },
  findings: { securityViewers: { users: [VIEWER] } },
  entitlements: [
    {
      id: 'prod-db-readonly',
      title: 'Production database read-only',
      system: 'aws-prod',
      grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
      requesters: { everyone: true },
      approvers: { users: [SYSTEM_OWNER] },
    },
  ],
});

const role = (name: string) => ({ id: `arn:aws:iam::123456789012:role/${name}`, name, kind: 'aws-iam-role' as const });

function narrowed(name: string, owners: string[]): CleanupItem {
  return {
    itemId: `narrow-policy:aws-inline-policy:${role(name).id}#Inline`,
    systemId: 'aws-prod',
    change: 'narrow-policy',
    object: { kind: 'aws-inline-policy', key: `${role(name).id}#Inline`, name: `${name}-inline` },
    identities: [role(name)],
    removeActions: ['iam:PassRole'],
    before: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 's3:GetObject'], Resource: '*' }],
    },
    after: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] },
    actions: 1,
    reason: 'no use of iam:PassRole in 90 days',
    owners,
  };
}

const APP = narrowed('app', [OWNER]);
const CI = narrowed('ci', [OTHER_OWNER]);
// Another identity called "app" in another account: a name alone cannot pick one of them.
const TWIN = {
  ...narrowed('app', [OWNER]),
  itemId: 'narrow-policy:aws-inline-policy:arn:aws:iam::999999999999:role/app#Inline',
  identities: [{ id: 'arn:aws:iam::999999999999:role/app', name: 'app', kind: 'aws-iam-role' as const }],
};

let db: TestDatabase;
let store: PgStore;
let connection: Connection;
let temporal: Client;
let client: CleanupClient;
let runId: string;
let twinRunId: string;

before(async () => {
  ({ db, store } = await freshStore());
  connection = await Connection.connect({ address: testServices().temporalAddress });
  temporal = new Client({ connection });
  const cleanups = new CleanupStore(db.pool);
  const deps: CleanupClientDeps = {
    temporal,
    taskQueue: TASK_QUEUE,
    store: cleanups,
    policy: () => policy,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
  };
  client = new CleanupClient(deps);
  runId = `client-${Date.now().toString(36)}`;
  twinRunId = `${runId}-twins`;
  for (const [id, items] of [
    [runId, [APP, CI]],
    [twinRunId, [APP, TWIN]],
  ] as const) {
    const now = new Date().toISOString();
    await cleanups.saveRun(
      id,
      {
        systemId: 'aws-prod',
        cloud: 'aws',
        mode: 'enforce',
        collectionRunId: 'collect-1',
        window: { from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: now },
        plannedAt: now,
        items: [...items],
        holds: [],
        counts: { identities: 2, items: 2, actions: 2, holds: 0 },
      },
      { trigger: 'schedule' },
    );
    for (const item of items) await cleanups.setOutcome(id, item.itemId, 'removed', 'narrowed');
  }
});

after(async () => {
  await connection?.close();
  await db?.drop();
});

async function audited(action: string, actor: string): Promise<Record<string, unknown>[]> {
  return (await store.auditFor(undefined, 1000))
    .filter((r) => r.action === action && r.actor === actor)
    .map((r) => r.detail);
}

async function started(workflowId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('Show diff', () => {
  it("the item's owners, the system's owners, security viewers and admins see the documents", async () => {
    for (const person of [OWNER, SYSTEM_OWNER, VIEWER, ADMIN]) {
      const outcome = await client.diff(runId, APP.itemId, person);
      assert.ok(outcome.ok, `${person} sees it`);
      assert.deepEqual(outcome.item.before, APP.before);
      assert.deepEqual(outcome.item.after, APP.after);
    }
  });

  it('anyone else is refused, and the refusal is audited', async () => {
    const outcome = await client.diff(runId, APP.itemId, STRANGER.toUpperCase());
    assert.deepEqual(outcome, {
      ok: false,
      code: ErrorCode.CleanupNotAuthorized,
      message: "Only this change's owners, the system's owners, security viewers and Least's admins may see its diff.",
    });
    assert.deepEqual(await audited(AuditAction.CleanupViewRefused, STRANGER), [
      { run: runId, item: APP.itemId, code: ErrorCode.CleanupNotAuthorized },
    ]);
    // Another owner's change is not theirs either.
    assert.equal((await client.diff(runId, CI.itemId, OWNER)).ok, false);
    const unknown = await client.diff(runId, 'narrow-policy:made-up', OWNER);
    assert.equal(unknown.ok ? undefined : unknown.code, ErrorCode.CleanupUnknown);
  });
});

describe('Restore', () => {
  it('a stranger is refused before anything starts; the refusal is audited', async () => {
    const outcome = await client.restore({ runId, item: APP.itemId }, STRANGER);
    assert.equal(outcome.ok ? undefined : outcome.code, ErrorCode.CleanupNotAuthorized);
    assert.equal(await started(cleanupRestoreWorkflowId(runId, { itemIds: [APP.itemId] })), false);
    assert.ok((await audited(AuditAction.CleanupRestoreRefused, STRANGER)).some((d) => d.item === APP.itemId));
  });

  it('the whole run is for the system owners and admins, not an owner of one of its changes', async () => {
    const outcome = await client.restore({ runId, item: '*' }, OWNER);
    assert.equal(outcome.ok ? undefined : outcome.code, ErrorCode.CleanupNotAuthorized);
    assert.match(outcome.ok ? '' : outcome.message, /whole run/);
    assert.equal(await started(cleanupRestoreWorkflowId(runId, {})), false);
  });

  it('an identity named only by a name two identities share is refused, not guessed', async () => {
    const outcome = await client.restore({ runId: twinRunId, item: 'identity:app' }, ADMIN);
    assert.equal(outcome.ok ? undefined : outcome.code, ErrorCode.CleanupUnknown);
    assert.match(outcome.ok ? '' : outcome.message, /More than one identity/);
  });

  it("an owner's restore starts cleanupRestore once, however often it is clicked, with who asked", async () => {
    const workflowId = cleanupRestoreWorkflowId(runId, { identityId: role('app').id });
    // The button carries the identity's name here; it resolves to the one identity of that name in the run.
    const clicks = [
      client.restore({ runId, item: 'identity:app', reason: 'the batch broke' }, OWNER),
      client.restore({ runId, item: `identity:${role('app').id}` }, OWNER),
    ];
    const settled = Promise.allSettled(clicks);
    await waitUntil(() => started(workflowId), 'the restore workflow started');
    const description = await temporal.workflow.getHandle(workflowId).describe();
    assert.equal(description.type, CLEANUP_RESTORE_WORKFLOW);
    assert.equal(description.taskQueue, TASK_QUEUE);
    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const input = (await temporal.options.loadedDataConverter.payloadConverter.fromPayload(
      history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
    )) as CleanupRestoreInput;
    // The two clicks race: whichever reached Temporal first started it, with its own reason or none.
    const { reason, ...rest } = input;
    assert.deepEqual(rest, { runId, identityId: role('app').id, by: OWNER });
    assert.ok(reason === undefined || reason === 'the batch broke', `the reason of one of the clicks: ${reason}`);
    const runs = async () => {
      const found = [];
      for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(run.runId);
      return found;
    };
    await waitUntil(async () => (await runs()).length > 0, 'the restore is listed');
    assert.deepEqual(await runs(), [description.runId], 'the second click joined the first restore');
    await temporal.workflow.getHandle(workflowId).terminate('test over');
    // Both clicks waited for the one restore (a second start would have failed at once as already started).
    for (const result of await settled) {
      assert.equal(result.status, 'rejected');
      assert.ok(
        (result as PromiseRejectedResult).reason instanceof WorkflowFailedError,
        String((result as PromiseRejectedResult).reason),
      );
    }
  });
});

describe('decisions without a running workflow', () => {
  it('a click on a run whose workflow is gone is refused as unknown, and audited', async () => {
    const outcome = await client.decide({ runId, itemId: APP.itemId, kind: 'remove', decider: OWNER });
    assert.equal(outcome.ok ? undefined : outcome.code, ErrorCode.CleanupUnknown);
    assert.ok(
      (await audited(AuditAction.CleanupDecisionRefused, OWNER)).some(
        (d) => d.code === ErrorCode.CleanupUnknown && d.kind === 'remove',
      ),
    );
    const checked = await client.check({ runId, itemId: APP.itemId, kind: 'keep', decider: OWNER });
    assert.equal(checked.ok ? undefined : checked.code, ErrorCode.CleanupUnknown);
  });
});
