/**
 * Records a fresh history for the replay test: `npm test -- test/replay/record-history.ts` is NOT how
 * to run it; run `LEAST_RECORD_HISTORY=1 npm test -- test/replay` after a deliberate workflow change,
 * review the diff, and commit the new file next to the old ones (keep the old ones: they are what
 * running workflows look like).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createAlertActivities } from '../../activities/alert';
import { alertStateQuery } from '../../workflows/alert-messages';
import { collect } from '../../workflows/collect';
import { reconcile } from '../../workflows/reconcile';
import { CreateAccountAssignmentCommand } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID } from '../support/fakes/aws-fixtures';
import { alertWorkflowId } from '../../domain/alert/model';
import { ADMIN, LEAD, submitRequest, type Stack } from '../support/stacks/stack';

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
