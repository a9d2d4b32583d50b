/**
 * Records a fresh history for the replay test: `npm test -- test/replay/record-history.ts` is NOT how
 * to run it; run `LEAST_RECORD_HISTORY=1 npm test -- test/replay` after a deliberate workflow change,
 * review the diff, and commit the new file next to the old ones (keep the old ones: they are what
 * running workflows look like). `LEAST_RECORD_HISTORY=cleanup,digest` records only the shapes named.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ScheduleHandle, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { DigestOutcome } from '../../activities';
import { createAlertActivities } from '../../activities/alert';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { digestScheduleId, ensureDigestSchedules } from '../../app/schedules';
import { cleanupRestoreWorkflowId } from '../../bot/cleanup-client';
import type { CleanupRunState } from '../../domain/cleanup/run';
import type { GrantPath, Identity } from '../../domain/inventory/model';
import type { Digest, PolicyInput } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { collect } from '../../workflows/collect';
import { reconcile } from '../../workflows/reconcile';
import { CreateAccountAssignmentCommand } from '@aws-sdk/client-sso-admin';
import { activeRequest } from '../activities/store/fixtures';
import {
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  putInlinePolicy,
  startCleanupRun,
  waitForCleanupPhase,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import {
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  usedOn,
  type SnapshotInput,
} from '../support/checks/findings-snapshot';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { seedAssessment } from '../support/generators/digest-records';
import { alertWorkflowId } from '../../domain/alert/model';
import { SLACK_CHANNEL, TEAMS_CHANNEL, type DigestStack } from '../support/stacks/digest-stack';
import { ADMIN, LEAD, REQUESTER, submitRequest, type Stack } from '../support/stacks/stack';

export const HISTORIES = path.join(__dirname, 'histories');

export async function recordApproveGrantRevoke(stack: Stack, file: string): Promise<void> {
  const id = await submitRequest(stack, { reason: 'recorded for replay' });
  await stack.waitForStatus(id, 'pending');
  await stack.access.decide(id, LEAD, 'approve');
  const handle = stack.env.client.workflow.getHandle(id);
  await handle.result();
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}

/**
 * One alert's whole life: three occurrences (one of them raised twice), an acknowledgement, then the
 * throttle's quiet and the end. The stack's policy must name a channel for high alerts.
 */
export async function recordAlertLife(stack: Stack, file: string): Promise<void> {
  const raiser = createAlertActivities({
    policy: () => stack.policy,
    posters: [],
    temporal: () => ({ client: stack.env.client, taskQueue: stack.taskQueue }),
  });
  const occurrence = (i: number) => ({
    rule: 'out-of-band-grant' as const,
    subject: 'aws-prod',
    occurrenceId: `replay-${i}`,
    at: new Date().toISOString(),
    line: `grant ${i} made outside Least`,
  });
  for (const i of [1, 2, 2, 3]) await raiser.raiseAlerts([occurrence(i)]);
  const workflowId = alertWorkflowId('out-of-band-grant', 'aws-prod', stack.taskQueue);
  const handle = stack.env.client.workflow.getHandle(workflowId);
  for (
    let state = await handle.query(alertStateQuery);
    state.episode.count < 3 || state.episode.undelivered.length === 0;
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await handle.query(alertStateQuery);
  }
  const { series, episode } = await handle.query(alertStateQuery);
  const acked = await stack.alerts.acknowledge({ workflowId, series, episode: episode.number, by: ADMIN, via: 'cli' });
  if (!acked.ok) throw new Error(`acknowledge refused: ${acked.message}`);
  await handle.result();
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}

/**
 * One collection of the stack's AWS system through every step a snapshot takes now: pages, finish,
 * findings, the denied-call watch, the anomaly scan and the collection's alerts (each behind its patch).
 */
export async function recordCollection(stack: Stack, file: string): Promise<void> {
  const systemId = stack.policy.authorizationSystems[0]!.id;
  const handle = await stack.env.client.workflow.start(collect, {
    workflowId: `collect-${systemId}-replay-${Date.now()}`,
    taskQueue: stack.taskQueue,
    args: [{ systemId }],
  });
  await handle.result();
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}

/**
 * One reconciliation sweep that finds a grant made outside Least (an Identity Center assignment made in
 * the console) and alerts on it (the `alert-out-of-band` patch).
 */
export async function recordReconciliation(stack: Stack, file: string): Promise<void> {
  const { account } = stack;
  await stack.aws.ssoAdmin.send(
    new CreateAccountAssignmentCommand({
      InstanceArn: account.instanceArn,
      TargetType: 'AWS_ACCOUNT',
      TargetId: ACCOUNT_ID,
      PermissionSetArn: account.readOnlyPermissionSetArn,
      PrincipalType: 'USER',
      PrincipalId: account.grace.userId,
    }),
  );
  const handle = await stack.env.client.workflow.start(reconcile, {
    workflowId: `reconcile-replay-${Date.now()}`,
    taskQueue: stack.taskQueue,
  });
  const report = await handle.result();
  if (report.outOfBand.length !== 1) throw new Error(`expected one out-of-band grant: ${JSON.stringify(report)}`);
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}

/** The cleanup recording's notice period: waited out in real time on the dev server, with a reminder halfway. */
export const CLEANUP_NOTICE_SECONDS = 10;

const REPLAY_OPERATOR = 'replay-operator';
const REPLAY_IDLE = 'replay-idle';
const REPLAY_INLINE = 'replay-reports';
const REPLAY_UNUSED = 'replay-unused-sqs';
const REPLAY_INLINE_DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::replay-reports/*',
    },
  ],
};
const REPLAY_UNUSED_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
};
const REPLAY_IDLE_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
};

/**
 * The stack policy of the cleanup recording: the AWS system in enforce mode with a short notice, the
 * operator role's changes answered by its mapped owner (the requester), the rest by the system's owner.
 * With `stagingSeconds`, a policy loses actions only after denying them for that long (staged removal).
 */
export function cleanupReplayPolicy(options: { stagingSeconds?: number } = {}): (input: PolicyInput) => void {
  return (input) => {
    const system = input.authorizationSystems[0] as Record<string, unknown>;
    system.owners = { users: [LEAD] };
    system.cleanup = {
      mode: 'enforce',
      notice: `${CLEANUP_NOTICE_SECONDS}s`,
      ...(options.stagingSeconds ? { staging: `${options.stagingSeconds}s` } : {}),
      owners: { mapping: { [REPLAY_OPERATOR]: REQUESTER }, channel: { platform: 'log', channel: 'cleanup' } },
    };
  };
}

/**
 * A cleanup run's whole life on the dev server against moto: plan and snapshot three changes, announce,
 * the owners' Remove now (narrowing an inline policy, applied at once, or staged when the policy stages)
 * and Keep (an unused managed policy stays attached), a reminder, the notice period's end, the unanswered
 * change (an idle role's guard) applied in enforce mode, verified, the staged removal if any, the report.
 * With `files.restore`, then Restore of the whole run, a workflow and file of its own. The stack must be a
 * dev stack with `cleanupReplayPolicy`.
 */
export async function recordCleanup(stack: Stack, files: { run: string; restore?: string }): Promise<void> {
  await createCleanupObjects(stack);
  await writeSnapshotPair(stack.store, await cleanupInventory(), {
    runId: 'replay-cleanup-old',
    window: { from: daysAgo(120), to: daysAgo(30) },
  });
  const runId = await startCleanupRun(stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
  const planned = await waitForCleanupPhase(stack, runId, 'noticing');
  const itemOf = (change: string, name: string): string => {
    const found = planned.items.find((item) => item.change === change && item.object.name.includes(name));
    if (!found) throw new Error(`no ${change} of ${name} planned: ${JSON.stringify(planned.items)}`);
    return found.itemId;
  };
  const guard = itemOf('guard-principal', REPLAY_IDLE);
  const answers = [
    { itemId: itemOf('detach-policy', REPLAY_UNUSED), kind: 'keep', decider: LEAD, reason: 'quarter-end jobs' },
    { itemId: itemOf('narrow-policy', REPLAY_INLINE), kind: 'remove', decider: REQUESTER },
  ] as const;
  for (const answer of answers) {
    const decided = await stack.cleanup.decide({ runId, ...answer });
    if (!decided.ok) throw new Error(`${answer.kind} refused: ${decided.message}`);
  }
  const handle = stack.env.client.workflow.getHandle(runId);
  const final = (await handle.result()) as CleanupRunState;
  const outcomes = final.items.map((item) => `${item.itemId}=${item.outcome}`).sort();
  const expected = [`${answers[0].itemId}=kept`, `${answers[1].itemId}=removed`, `${guard}=removed`].sort();
  if (JSON.stringify(outcomes) !== JSON.stringify(expected))
    throw new Error(`cleanup outcomes ${outcomes.join(', ')}; expected ${expected.join(', ')}`);
  if (!stack.cleanupMessages.some((m) => m.runId === runId && m.kind === 'cleanup.remind'))
    throw new Error('the run sent no reminder: the recording would miss that step');
  if (final.stagingSeconds && !final.stagedUntil) throw new Error('the staging policy staged nothing');
  await writeHistory(handle, files.run);
  if (!files.restore) return;
  const restored = await stack.cleanup.restore({ runId, item: '*', reason: 'recorded for replay' }, ADMIN);
  if (!restored.ok) throw new Error(`restore refused: ${restored.message}`);
  const back = restored.result.items.filter((item) => item.status === 'restored').length;
  if (back !== 2) throw new Error(`expected two restored items: ${JSON.stringify(restored.result.items)}`);
  // the whole run's restore: the workflow id the client starts it with for the `*` button
  await writeHistory(stack.env.client.workflow.getHandle(cleanupRestoreWorkflowId(runId, {})), files.restore);
}

const DAY_MS = 86_400_000;
const daysAgo = (days: number): string => new Date(Date.now() - days * DAY_MS).toISOString();

async function createCleanupObjects(stack: Stack): Promise<void> {
  const { iam } = stack.aws;
  for (const role of [REPLAY_OPERATOR, REPLAY_IDLE]) await createRole(iam, role);
  await putInlinePolicy(iam, REPLAY_OPERATOR, REPLAY_INLINE, REPLAY_INLINE_DOC);
  await putInlinePolicy(iam, REPLAY_IDLE, 'replay-idle-logs', REPLAY_IDLE_DOC);
  await createManagedPolicy(iam, REPLAY_UNUSED, REPLAY_UNUSED_DOC);
  await attachManagedPolicy(iam, REPLAY_OPERATOR, `arn:aws:iam::${ACCOUNT_ID}:policy/${REPLAY_UNUSED}`);
}

/** The inventory the planner reads: the operator used one action of its inline policy; the idle role nothing. */
async function cleanupInventory(): Promise<SnapshotInput> {
  const catalogue = await loadAwsCatalogue();
  const role = (name: string, lastActivityAt?: string): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, 'aws-iam-role', 'workload'),
    createdAt: daysAgo(400),
    ...(lastActivityAt ? { lastActivityAt } : {}),
  });
  const operator = role(REPLAY_OPERATOR, daysAgo(2));
  const idle = role(REPLAY_IDLE);
  const unusedArn = `arn:aws:iam::${ACCOUNT_ID}:policy/${REPLAY_UNUSED}`;
  const inline = awsPolicyDocument(catalogue, `${REPLAY_OPERATOR}/${REPLAY_INLINE}`, REPLAY_INLINE_DOC);
  const unused = awsPolicyDocument(catalogue, unusedArn, REPLAY_UNUSED_DOC);
  const idleLogs = awsPolicyDocument(catalogue, `${REPLAY_IDLE}/replay-idle-logs`, REPLAY_IDLE_DOC);
  const via = (who: Identity, kind: GrantPath['kind'], documentId: string, name: string): GrantPath =>
    grantPath(who, documentId, { kind, via: name, scope: ACCOUNT_ID });
  return {
    runId: 'replay-cleanup-now',
    systemId: SYSTEM_ID,
    window: { from: daysAgo(90), to: daysAgo(0) },
    identities: [operator, idle],
    documents: [inline, unused, idleLogs],
    paths: [
      via(operator, 'inline-policy', inline.document.id, REPLAY_INLINE),
      via(operator, 'managed-policy', unused.document.id, unusedArn),
      via(idle, 'inline-policy', idleLogs.document.id, 'replay-idle-logs'),
    ],
    usage: [{ ...usedOn(operator, 's3:GetObject', daysAgo(5).slice(0, 10)), count: 3 }],
    coverage: [cloudTrailCoverage(SYSTEM_ID, daysAgo(100), daysAgo(0))],
  };
}

/** A Slack and a Teams digest, each posted by its Schedule's run (the production path, no `at` given). */
export const REPLAY_DIGESTS: Digest[] = [
  {
    id: 'replay-slack',
    platform: 'slack',
    channel: SLACK_CHANNEL,
    cadence: 'daily',
    time: '08:30',
    timeZone: 'UTC',
    sections: ['access', 'findings', 'cleanup'],
  },
  {
    id: 'replay-teams',
    platform: 'teams',
    channel: TEAMS_CHANNEL,
    cadence: 'weekly',
    weekday: 'monday',
    time: '09:00',
    timeZone: 'Europe/Berlin',
    sections: ['access', 'findings', 'cleanup'],
  },
];

/**
 * One digest run per platform, each triggered on its Schedule on the dev server and posted to the fake
 * (Slack through the upload flow, Teams as a card with pictures). The stack's policy must hold
 * `REPLAY_DIGESTS`; `files` names each digest's history file by its id.
 */
export async function recordDigests(stack: DigestStack, files: Record<string, string>): Promise<void> {
  // yesterday noon UTC: a request granted and an assessment, inside both digests' periods
  const noon = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS / 2).toISOString();
  await stack.store.saveRequest(activeRequest({ requestId: 'r-replay', submittedAt: noon, grantedAt: noon }));
  for (const action of ['request.submitted', 'grant.applied'] as const)
    await stack.store.appendAudit({ actor: 'workflow', action, requestId: 'r-replay', detail: {} }, noon);
  await seedAssessment(stack.db.pool, 'aws-prod', noon, 42, { inactive: 3 }, { high: 1 });
  const client = stack.env.client;
  await ensureDigestSchedules(client, stack.taskQueue, stack.policy);
  try {
    for (const entry of stack.policy.digests) {
      const schedule = client.schedule.getHandle(digestScheduleId(entry.id));
      await schedule.trigger();
      const handle = client.workflow.getHandle(await firstRunOf(schedule));
      const outcome = (await handle.result()) as DigestOutcome;
      if (outcome.status !== 'posted') throw new Error(`digest ${entry.id}: ${JSON.stringify(outcome)}`);
      const file = files[entry.id];
      if (!file) throw new Error(`no history file named for digest ${entry.id}`);
      await writeHistory(handle, file);
    }
  } finally {
    for (const entry of stack.policy.digests) await client.schedule.getHandle(digestScheduleId(entry.id)).delete();
  }
  if (stack.slack.messagesIn(SLACK_CHANNEL).length !== 1) throw new Error('the Slack digest was not posted once');
  if (stack.teams.callsTo('sendToConversation').length !== 1) throw new Error('the Teams digest was not posted once');
}

/** The workflow a just-triggered Schedule started. */
async function firstRunOf(schedule: ScheduleHandle): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { info } = await schedule.describe();
    const started = (info.recentActions[0]?.action ?? info.runningActions[0])?.workflow.workflowId;
    if (started) return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the triggered schedule ${schedule.scheduleId} started no workflow`);
}

async function writeHistory(handle: WorkflowHandle, file: string): Promise<void> {
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}
