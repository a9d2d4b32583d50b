import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateAccountAssignmentCommand } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { LEAD, LEAD2, REQUESTER, startStack, submitRequest, type Stack } from '../support/stacks/stack';
import { startShortLease as startLease } from '../support/generators/short-lease';
import type { RequestState } from '../../domain/request';
import type { ReconciliationReport } from '../../workflows/reconcile';
import { ensureReconcileSchedule, RECONCILE_SCHEDULE_ID } from '../../app/schedules';

/** The workflows on the real Temporal dev server, in real time: restarts, visibility, schedules. */

const ONCALL = 'oncall@example.com';
let stack: Stack;

before(async () => {
  stack = await startStack('dev');
});

after(async () => {
  await stack?.close();
});

async function inlinePolicyPresent(requestId: string): Promise<boolean> {
  try {
    await stack.aws.iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: `least-${requestId}` }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException' || /cannot be found/.test(String(error))) return false;
    throw error;
  }
}

/** A lease of a few seconds, started directly: the front ends refuse anything under a minute. */
async function startShortLease(seconds: number, requestId: string): Promise<void> {
  await startLease(stack.env.client, stack, {
    requester: REQUESTER,
    entitlementId: 'payments-logs',
    seconds,
    reason: 'restart drill',
    requestId,
    outcome: 'needs-approval',
  });
}

describe('access request on the dev server', () => {
  it('revokes on time after the worker is stopped mid-lease and restarted', async () => {
    const worker = await stack.startWorker();
    const id = `r-restart${Date.now().toString(36)}`;
    await startShortLease(6, id);
    await stack.waitForStatus(id, 'pending');
    assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);
    const active = await stack.waitForStatus(id, 'active');
    assert.equal(await inlinePolicyPresent(id), true);
    await worker.stop();

    const expiresAt = Date.parse(active.expiresAt!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 1000));
    // Nobody is running the workflow now; only AWS's own condition protects the grant.
    assert.equal(await inlinePolicyPresent(id), true);

    const restartedAt = Date.now();
    const second = await stack.startWorker();
    const final = (await stack.env.client.workflow.getHandle(id).result()) as RequestState;
    const lateAfterRestart = Date.now() - restartedAt;
    assert.equal(final.status, 'revoked');
    assert.equal(await inlinePolicyPresent(id), false);
    assert.ok(lateAfterRestart < 15_000, `revoked ${lateAfterRestart} ms after the worker came back`);
    await second.stop();
  });

  describe('with a running worker', () => {
    let stop: () => Promise<void>;
    before(async () => {
      ({ stop } = await stack.startWorker());
    });
    after(async () => stop?.());

    it('turns a duplicate submit into the same request, and lists it by search attributes', async () => {
      const submission = {
        requester: REQUESTER,
        entitlementId: 'prod-read-only',
        duration: '1h',
        reason: 'dup check',
        origin: { platform: 'cli' as const },
        idempotencySeed: `view-${Date.now()}`,
      };
      const first = await stack.access.submit(submission);
      const second = await stack.access.submit(submission);
      assert.ok(first.ok && second.ok);
      assert.equal(second.state.request.requestId, first.state.request.requestId);
      const id = first.state.request.requestId;
      await stack.access.decide(id, LEAD, 'approve');
      await stack.waitForStatus(id, 'active');

      const query = `LeastRequester = '${REQUESTER}' AND LeastStatus = 'active' AND LeastEntitlement = 'prod-read-only'`;
      let found: string[] = [];
      for (let i = 0; i < 50 && !found.includes(id); i++) {
        found = [];
        for await (const execution of stack.env.client.workflow.list({ query })) found.push(execution.workflowId);
        if (!found.includes(id)) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.deepEqual(found, [id]);
      const done = await stack.access.end(id, REQUESTER, "I'm done");
      assert.ok(done.ok, JSON.stringify(done));
      assert.equal(done.state.status, 'revoked');
    });

    it('auto-approves within policy and grants break-glass at once, loudly, with a mandatory review', async () => {
      const autoId = await submitRequest(stack, {
        requester: ONCALL,
        entitlementId: 'payments-logs',
        duration: '15m',
        reason: 'check a refund',
      });
      const active = await stack.waitForStatus(autoId, 'active');
      assert.equal(active.outcome, 'auto-approved');
      assert.equal(active.decisions.length, 0);
      const autoEnd = await stack.access.end(autoId, ONCALL, 'done');
      assert.ok(autoEnd.ok, JSON.stringify(autoEnd));

      const id = await submitRequest(stack, {
        requester: ONCALL,
        entitlementId: 'payments-logs',
        duration: '30m',
        reason: 'payments outage INC-9',
        breakGlass: true,
      });
      await stack.waitForStatus(id, 'active');
      assert.equal(await inlinePolicyPresent(id), true);
      const loud = stack.messages.filter((m) => m.requestId === id && m.kind === 'break-glass').map((m) => m.to);
      assert.deepEqual(new Set(loud), new Set([ONCALL, LEAD, LEAD2, 'log:security-alerts']));

      const selfReview = await stack.access.review(id, ONCALL);
      assert.equal(!selfReview.ok && selfReview.code, 'APPROVAL.SELF_APPROVAL');
      assert.ok((await stack.access.end(id, ONCALL, 'outage over')).ok);
      assert.equal(await inlinePolicyPresent(id), false);
      const reviewed = await stack.access.review(id, LEAD, 'justified');
      assert.ok(reviewed.ok);
      const final = (await stack.env.client.workflow.getHandle(id).result()) as RequestState;
      assert.equal(final.reviewedBy, LEAD);
      const actions = (await stack.store.auditFor(id)).map((row) => row.action);
      assert.ok(actions.includes('breakglass.reviewed'));
    });

    it('reconciliation removes a Least grant with no live lease and reports one made outside Least', async () => {
      const orphanId = 'r-orphan0001';
      await stack.aws.iam.send(
        new PutRolePolicyCommand({
          RoleName: APP_ROLE,
          PolicyName: `least-${orphanId}`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
          }),
        }),
      );
      await stack.aws.ssoAdmin.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: stack.account.instanceArn,
          TargetId: ACCOUNT_ID,
          TargetType: 'AWS_ACCOUNT',
          PermissionSetArn: stack.account.adminPermissionSetArn,
          PrincipalType: 'USER',
          PrincipalId: stack.account.grace.userId,
        }),
      );
      // A live lease must survive the sweep.
      const liveId = await submitRequest(stack, { entitlementId: 'payments-logs', reason: 'keep me' });
      await stack.access.decide(liveId, LEAD, 'approve');
      await stack.waitForStatus(liveId, 'active');

      await ensureReconcileSchedule(stack.env.client, stack.taskQueue);
      const schedule = stack.env.client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
      await schedule.trigger();
      let report: ReconciliationReport | undefined;
      for (let i = 0; i < 100 && !report; i++) {
        const recent = (await schedule.describe()).info.recentActions;
        const run = recent[recent.length - 1]?.action.workflow;
        if (run) {
          report = (await stack.env.client.workflow
            .getHandle(run.workflowId, run.firstExecutionRunId)
            .result()) as ReconciliationReport;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await schedule.delete();
      assert.ok(report, 'the scheduled sweep ran');
      assert.deepEqual(
        report.removed.map((r) => r.key),
        [`aws-iam-inline:role:${APP_ROLE}:least-${orphanId}`],
      );
      assert.equal(await inlinePolicyPresent(orphanId), false);
      assert.equal(await inlinePolicyPresent(liveId), true);
      assert.ok(
        report.outOfBand.some((r) => r.key.includes(stack.account.grace.userId)),
        JSON.stringify(report.outOfBand),
      );
      assert.deepEqual(report.errors, []);
      await stack.access.end(liveId, REQUESTER, 'done');
    });
  });
});
