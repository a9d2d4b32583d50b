import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccountAssignmentCommand } from '@aws-sdk/client-sso-admin';
import { alertWorkflowId } from '../../domain/alert/model';
import type { PolicyInput } from '../../domain/policy/schema';
import { reconcile, type ReconciliationReport } from '../../workflows/reconcile';
import { waitUntil } from '../support/checks/assertions';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import type { FakeSlackMessage } from '../support/fakes/fake-slack';
import { startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';

/**
 * The reconciliation sweep's rule alert (issue 14, item 3) from its real trigger, on the Temporal dev
 * server, PostgreSQL, moto and the Slack fake under the real WebClient: someone assigns a permission set
 * in the console, without Least; the first sweep that finds it posts a high alert into the channel with
 * the grant's description, and the next sweep, finding it again, tells nobody again.
 */

const ALERTS = 'CALERTREC1';

let slack: SlackStack;

function withAlerts(input: PolicyInput): void {
  input.alerts = { channels: { high: [{ platform: 'slack', channel: ALERTS }] }, openFor: '3s' };
}

before(async () => {
  slack = await startSlackStack('dev', { policy: withAlerts });
  await slack.startWorker();
});

after(async () => {
  await slack?.close();
});

async function sweep(name: string): Promise<ReconciliationReport> {
  return slack.stack.env.client.workflow.execute(reconcile, {
    workflowId: `reconcile-alerts-${name}`,
    taskQueue: slack.stack.taskQueue,
  });
}

function alertCalls(method: 'chat.postMessage' | 'chat.update'): number {
  return slack.fake.calls.filter((c) => c.method === method && c.args.channel === ALERTS).length;
}

describe('reconciliation alerts on a grant made outside Least', { timeout: 120_000 }, () => {
  let key = '';

  it('posts it as a high alert with its description on the first sweep that finds it', async () => {
    const { account } = slack.stack;
    await slack.stack.aws.ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: account.instanceArn,
        TargetType: 'AWS_ACCOUNT',
        TargetId: ACCOUNT_ID,
        PermissionSetArn: account.readOnlyPermissionSetArn,
        PrincipalType: 'USER',
        PrincipalId: account.grace.userId,
      }),
    );
    const report = await sweep('first');
    assert.deepEqual(report.errors, []);
    assert.equal(report.outOfBand.length, 1, JSON.stringify(report.outOfBand));
    const [found] = report.outOfBand;
    key = found!.key;
    assert.ok(key.includes(account.grace.userId), key);

    let posted: FakeSlackMessage | undefined;
    await waitUntil(
      () => {
        posted = slack.fake.messagesIn(ALERTS).find((m) => textOf(m.blocks).includes('Grant made outside Least'));
        return posted !== undefined;
      },
      `the out-of-band grant is posted in ${ALERTS}`,
      30_000,
    );
    const words = textOf(posted!.blocks);
    assert.match(words, /High · Grant made outside Least/);
    assert.match(words, new RegExp(SYSTEM_ID));
    assert.ok(words.includes(found!.description), `${found!.description} in ${words}`);
    assert.match(found!.description, /g\.hopper@corp\.example\.com|grace@example\.com/);
    assert.equal(alertCalls('chat.postMessage'), 1);

    const once = await slack.stack.db.pool.query<{ rule: string; occurrence_id: string }>(
      'SELECT rule, occurrence_id FROM alert_once',
    );
    assert.deepEqual(once.rows, [{ rule: 'out-of-band-grant', occurrence_id: `${SYSTEM_ID}:${key}` }]);
    // the workflow audits the raise once the post is answered
    const raisedRows = () =>
      slack.stack.db.pool.query<{ detail: { rule: string; severity: string; posted: string[] } }>(
        `SELECT detail FROM audit_log WHERE action = 'alert.raised'`,
      );
    await waitUntil(async () => (await raisedRows()).rowCount === 1, 'the raise is audited');
    const raised = await raisedRows();
    assert.deepEqual(
      raised.rows.map((r) => [r.detail.rule, r.detail.severity, r.detail.posted]),
      [['out-of-band-grant', 'high', [`slack:${ALERTS}`]]],
    );
  });

  it('tells nobody again when a later sweep finds the same grant, even after its alert closed', async () => {
    // the alert closes `openFor` (3 s here) after its occurrence: a repeat now would start it anew
    const handle = slack.stack.env.client.workflow.getHandle(
      alertWorkflowId('out-of-band-grant', SYSTEM_ID, slack.stack.taskQueue),
    );
    const closed = await handle.result();
    assert.equal(closed.expired, true);
    assert.equal(closed.count, 1);
    const { runId } = await handle.describe();

    const report = await sweep('second');
    assert.deepEqual(
      report.outOfBand.map((r) => r.key),
      [key],
      'the sweep still reports it',
    );
    // the raise is signal-with-start, done when the sweep is: a new occurrence would have started a new run
    const latest = await handle.describe();
    assert.equal(latest.runId, runId, 'no new alert was started');
    assert.equal(latest.status.name, 'COMPLETED');
    assert.equal(alertCalls('chat.postMessage'), 1);
    const once = await slack.stack.db.pool.query('SELECT 1 FROM alert_once');
    assert.equal(once.rowCount, 1);
  });
});
