import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import YAML from 'yaml';
import type { AwsInlinePolicySnapshot, AwsPolicyAttachmentSnapshot } from '../../activities/cleanup/aws';
import { canonicalJson } from '../../activities/inventory/documents';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { StoredCleanupItem } from '../../activities/store/cleanup/store';
import { AuditAction } from '../../domain/audit';
import type { CleanupRunState } from '../../domain/cleanup/run';
import type { ActionCatalogue, GrantPath, Identity } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupRestoreResult } from '../../workflows/cleanup-messages';
import {
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  inlinePolicyDocument,
  putInlinePolicy,
  startCleanupRun,
} from '../support/checks/cleanup-run';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn, writeSnapshot } from '../support/checks/findings-snapshot';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { leastInProcess as least } from '../support/generators/least-cli';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER, startStack, type Stack } from '../support/stacks/stack';

/**
 * `least cleanup restore` as an operator runs it, on the real stack: the Temporal dev server with a worker
 * wired as in production (its AWS cleanup executor on moto), PostgreSQL, and the CLI in this process with
 * the environment a person gives it. A run in enforce mode with a two-second notice removes five changes
 * in moto; then who may put what back, what the CLI prints, what comes back in IAM and what is audited.
 *
 * Ada owns `billing-api` (its inline `billing-data` narrowed, `unused-sqs` detached); Lead owns
 * `reports-job` (`reports-data` narrowed, `unused-kinesis` detached) and `archive-job` (`archive-data`
 * narrowed); Lead Two owns the system; Sec is Least's admin.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();

const BILLING = 'billing-api';
const REPORTS = 'reports-job';
const ARCHIVE = 'archive-job';
const statement = (actions: string[], resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
});
const INLINE = {
  [BILLING]: {
    name: 'billing-data',
    document: statement(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], 'arn:aws:s3:::billing-data/*'),
    used: 's3:GetObject',
  },
  [REPORTS]: {
    name: 'reports-data',
    document: statement(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      `arn:aws:dynamodb:us-east-1:${ACCOUNT_ID}:table/reports`,
    ),
    used: 'dynamodb:GetItem',
  },
  [ARCHIVE]: {
    name: 'archive-data',
    document: statement(['s3:GetObject', 's3:DeleteObject'], 'arn:aws:s3:::archive/*'),
    used: 's3:GetObject',
  },
} as const;
const MANAGED = { [BILLING]: 'unused-sqs', [REPORTS]: 'unused-kinesis' } as const;
const MANAGED_DOC = {
  'unused-sqs': statement(['sqs:SendMessage'], '*'),
  'unused-kinesis': statement(['kinesis:PutRecord'], '*'),
} as const;

const arn = (type: 'role' | 'policy', name: string): string => `arn:aws:iam::${ACCOUNT_ID}:${type}/${name}`;

let stack: Stack;
let stopWorker: () => Promise<void>;
let catalogue: ActionCatalogue;
let runId = '';
let removed: CleanupRunState;
const saved = { ...process.env };

before(async () => {
  let written: PolicyInput | undefined;
  stack = await startStack('dev', {
    policy: (input) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD2] };
      system.cleanup = {
        mode: 'enforce',
        notice: '2s',
        owners: {
          mapping: { [BILLING]: REQUESTER, [REPORTS]: LEAD, [ARCHIVE]: LEAD },
          channel: { platform: 'log', channel: 'cleanup' },
        },
      };
      written = structuredClone(input);
    },
  });
  catalogue = await loadAwsCatalogue();
  await createCloudObjects();
  // the same grants a month earlier too: past the grace period
  await writeSnapshot(stack.store, {
    ...inventory(),
    runId: 'cli-restore-old',
    window: { from: iso(120), to: iso(30) },
  });
  await writeSnapshot(stack.store, inventory());
  ({ stop: stopWorker } = await stack.startWorker());
  runId = await startCleanupRun(stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
  removed = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;

  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'least-restore-')), 'policy.yaml');
  writeFileSync(file, YAML.stringify(written));
  Object.assign(process.env, {
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    LEAST_POLICY_FILE: file,
  });
});

after(async () => {
  process.env = saved;
  await stopWorker?.();
  await stack?.close();
});

async function createCloudObjects(): Promise<void> {
  const { iam } = stack.aws;
  for (const [role, inline] of Object.entries(INLINE)) {
    await createRole(iam, role);
    await putInlinePolicy(iam, role, inline.name, inline.document);
  }
  for (const [role, policy] of Object.entries(MANAGED)) {
    await createManagedPolicy(iam, policy, MANAGED_DOC[policy]);
    await attachManagedPolicy(iam, role, arn('policy', policy));
  }
}

/** What the planner reads: three roles older than the window, each having used one action of its inline policy. */
function inventory() {
  const role = (name: string): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, 'aws-iam-role', 'workload'),
    createdAt: iso(400),
    lastActivityAt: iso(2),
  });
  const roles = Object.keys(INLINE).map(role);
  const path = (who: Identity, kind: GrantPath['kind'], documentId: string, via: string): GrantPath =>
    grantPath(who, documentId, { kind, via, scope: ACCOUNT_ID });
  const inline = roles.map((who) => {
    const { name, document } = INLINE[who.name as keyof typeof INLINE];
    return { who, doc: awsPolicyDocument(catalogue, `${who.name}/${name}`, document), via: name };
  });
  const managed = Object.entries(MANAGED).map(([owner, policy]) => ({
    who: roles.find((r) => r.name === owner)!,
    doc: awsPolicyDocument(catalogue, arn('policy', policy), MANAGED_DOC[policy]),
    via: arn('policy', policy),
  }));
  return {
    runId: 'cli-restore-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: roles,
    documents: [...inline, ...managed].map((grant) => grant.doc),
    paths: [
      ...inline.map(({ who, doc, via }) => path(who, 'inline-policy', doc.document.id, via)),
      ...managed.map(({ who, doc, via }) => path(who, 'managed-policy', doc.document.id, via)),
    ],
    usage: roles.map((who) => usedOn(who, INLINE[who.name as keyof typeof INLINE].used, iso(3).slice(0, 10))),
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
}

/** The run's item that narrows `role`'s inline policy, or detaches its managed one. */
function itemOf(change: 'narrow-policy' | 'detach-policy', role: string): string {
  const found = removed.items.find((i) => i.change === change && i.identities.includes(role));
  assert.ok(found, `no ${change} for ${role} in ${JSON.stringify(removed.items.map((i) => i.itemId))}`);
  return found.itemId;
}

async function attachedTo(role: string): Promise<string[]> {
  const listed = await stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort();
}

/** Every role's inline document and attachments as IAM holds them now. */
async function cloudState(): Promise<Record<string, { inline: string; attached: string[] }>> {
  const state: Record<string, { inline: string; attached: string[] }> = {};
  for (const [role, { name }] of Object.entries(INLINE))
    state[role] = {
      inline: canonicalJson(await inlinePolicyDocument(stack.aws.iam, role, name)),
      attached: await attachedTo(role),
    };
  return state;
}

async function snapshotOf<T>(itemId: string): Promise<T> {
  const stored = await stack.store.cleanup.snapshotOf(runId, itemId);
  assert.ok(stored, `a snapshot of ${itemId}`);
  return stored.snapshot as T;
}

async function audited(action: string, actor: string): Promise<Record<string, unknown>[]> {
  return (await stack.store.auditFor(undefined, 1000))
    .filter((row) => row.action === action && row.actor === actor)
    .map((row) => row.detail);
}

async function storedItem(itemId: string): Promise<StoredCleanupItem> {
  const [found] = await stack.store.cleanup.items(runId, { itemIds: [itemId] });
  assert.ok(found, itemId);
  return found;
}

describe('least cleanup restore', () => {
  it('starts from a run that removed five changes in moto', async () => {
    assert.deepEqual(removed.items.map((i) => [i.change, i.identities.join(','), i.outcome]).sort(), [
      ['detach-policy', BILLING, 'removed'],
      ['detach-policy', REPORTS, 'removed'],
      ['narrow-policy', ARCHIVE, 'removed'],
      ['narrow-policy', BILLING, 'removed'],
      ['narrow-policy', REPORTS, 'removed'],
    ]);
    assert.deepEqual(await attachedTo(BILLING), []);
    assert.deepEqual(
      await inlinePolicyDocument(stack.aws.iam, BILLING, 'billing-data'),
      statement(['s3:GetObject'], 'arn:aws:s3:::billing-data/*'),
    );
  });

  it("refuses a stranger's whole-run restore with the rule's words, exit 1; moto is untouched and the refusal audited", async () => {
    const before = await cloudState();
    const run = await least('cleanup', 'restore', runId, '--as', STRANGER);
    assert.equal(run.code, 1, run.out);
    assert.equal(
      run.out,
      "refused: Only the system's owners and Least's admins may restore a whole run (or someone who owns every change in it).",
    );
    assert.deepEqual(await cloudState(), before);
    // the chat's refusal audit, as the CLI restores through the same client
    assert.deepEqual(await audited(AuditAction.CleanupRestoreRefused, STRANGER), [
      { run: runId, item: '*', code: 'CLEANUP.NOT_AUTHORIZED' },
    ]);
    assert.deepEqual(await audited(AuditAction.CleanupRestored, STRANGER), []);
  });

  it("refuses an owner of some changes the whole run and another owner's change, in JSON too", async () => {
    const before = await cloudState();
    const whole = await least('cleanup', 'restore', runId, '--as', REQUESTER);
    assert.equal(whole.code, 1, whole.out);
    assert.match(whole.out, /^refused: Only the system's owners and Least's admins may restore a whole run/);
    const leads = itemOf('narrow-policy', REPORTS);
    const other = await least('cleanup', 'restore', runId, '--as', REQUESTER, '--item', leads, '--json');
    assert.equal(other.code, 1, other.out);
    assert.deepEqual(JSON.parse(other.out), {
      ok: false,
      code: 'CLEANUP.NOT_AUTHORIZED',
      message: "Only the owners of these changes, the system's owners and Least's admins may restore them.",
    });
    assert.deepEqual(await cloudState(), before);
    assert.deepEqual(await audited(AuditAction.CleanupRestoreRefused, REQUESTER), [
      { run: runId, item: '*', code: 'CLEANUP.NOT_AUTHORIZED' },
      { run: runId, item: leads, code: 'CLEANUP.NOT_AUTHORIZED' },
    ]);
  });

  it("restores the item owner's own change by --item: printed, the policy back in IAM as its snapshot, audited", async () => {
    const itemId = itemOf('narrow-policy', BILLING);
    const run = await least(
      'cleanup',
      'restore',
      runId,
      '--as',
      'Ada@Example.com',
      '--item',
      itemId,
      '--reason',
      'nightly export needs PutObject',
    );
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, new RegExp(`^restored {2}${escaped(itemId)} — .+$`));
    assert.equal(run.out.split('\n').length, 1, 'only the item asked for');
    const snapshot = await snapshotOf<AwsInlinePolicySnapshot>(itemId);
    const live = await inlinePolicyDocument(stack.aws.iam, BILLING, 'billing-data');
    assert.equal(canonicalJson(live), canonicalJson(snapshot.document));
    assert.equal(canonicalJson(live), canonicalJson(INLINE[BILLING].document));
    assert.deepEqual(await attachedTo(BILLING), [], 'her other change stays removed');
    assert.equal((await storedItem(itemId)).outcome, 'restored');
    const [restored] = await audited(AuditAction.CleanupRestored, REQUESTER);
    assert.equal(restored?.itemId, itemId);
    assert.equal(restored?.reason, 'nightly export needs PutObject');
  });

  it("restores every change of one identity for the system's owner by --identity, as JSON", async () => {
    const items = [itemOf('detach-policy', REPORTS), itemOf('narrow-policy', REPORTS)].sort();
    const run = await least('cleanup', 'restore', runId, '--as', LEAD2, '--identity', arn('role', REPORTS), '--json');
    assert.equal(run.code, 0, run.out);
    const result = JSON.parse(run.out) as CleanupRestoreResult;
    assert.equal(result.runId, runId);
    assert.deepEqual(
      result.items.map((i) => [i.itemId, i.status]).sort(),
      items.map((id) => [id, 'restored']),
    );
    const attachment = await snapshotOf<AwsPolicyAttachmentSnapshot>(itemOf('detach-policy', REPORTS));
    assert.equal(attachment.attached, true);
    assert.deepEqual(await attachedTo(REPORTS), [attachment.policyArn]);
    const inline = await snapshotOf<AwsInlinePolicySnapshot>(itemOf('narrow-policy', REPORTS));
    assert.equal(
      canonicalJson(await inlinePolicyDocument(stack.aws.iam, REPORTS, 'reports-data')),
      canonicalJson(inline.document),
    );
    assert.deepEqual(await attachedTo(BILLING), [], "another identity's change is not restored");
  });

  it('reports a restore over a later change as a conflict naming it, exit 1, and keeps the later change', async () => {
    const itemId = itemOf('narrow-policy', ARCHIVE);
    const edited = statement(['s3:GetObject', 's3:ListBucket'], 'arn:aws:s3:::archive/*');
    await putInlinePolicy(stack.aws.iam, ARCHIVE, 'archive-data', edited);
    const run = await least('cleanup', 'restore', runId, '--as', ADMIN, '--item', itemId);
    assert.equal(run.code, 1, run.out);
    assert.equal(
      run.out,
      `conflict  ${itemId} — Nothing restored: inline policy archive-data of IAM role ${ARCHIVE} was edited: ` +
        'now also Allow s3:ListBucket after the cleanup changed it; a person must decide which to keep.',
    );
    assert.equal(
      canonicalJson(await inlinePolicyDocument(stack.aws.iam, ARCHIVE, 'archive-data')),
      canonicalJson(edited),
      'the later change survives',
    );
    assert.equal((await storedItem(itemId)).outcome, 'removed');
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
