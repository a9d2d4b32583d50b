import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import {
  ADMIN,
  LEAD,
  LEAD2,
  REQUESTER,
  STRANGER,
  startStack,
  submitRequest,
  type Stack,
} from '../support/stacks/stack';
import type { SubmitInput } from '../../bot/access-client';
import { statusQuery } from '../../workflows/messages';
import type { RequestState } from '../../domain/request';

/** The access-request workflow on the time-skipping server: long waits (hours) take no real time. */

let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('time-skipping');
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

async function assignmentsFor(permissionSetArn: string): Promise<string[]> {
  const listed = await stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: permissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => a.PrincipalId!);
}

function result(requestId: string): Promise<RequestState> {
  return stack.env.client.workflow.getHandle(requestId).result() as Promise<RequestState>;
}

function told(requestId: string, to: string): string[] {
  return stack.messages.filter((m) => m.requestId === requestId && m.to === to).map((m) => m.kind);
}

const submit = (overrides: Partial<SubmitInput> = {}): Promise<string> => submitRequest(stack, overrides);

describe('access request on the time-skipping server', () => {
  it('approve → grant in Identity Center → expiry → revoked and verified gone', async () => {
    const id = await submit();
    assert.deepEqual(told(id, LEAD), []); // notices are sent by the workflow, not the client
    await stack.waitForStatus(id, 'pending');
    const approved = await stack.access.decide(id, LEAD, 'approve');
    assert.ok(approved.ok);
    const active = await stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignmentsFor(stack.account.readOnlyPermissionSetArn), [stack.account.ada.userId]);
    assert.match(active.access?.summary ?? '', /access portal/i);

    const final = await result(id); // time skips past the 1h lease
    assert.equal(final.status, 'revoked');
    assert.equal(final.endedBy, 'expiry');
    assert.deepEqual(await assignmentsFor(stack.account.readOnlyPermissionSetArn), []);
    assert.ok(final.revocationReceipt);
    assert.deepEqual(told(id, REQUESTER), ['approved', 'granted', 'expiring-soon', 'revoked', 'right-sized']);
    assert.deepEqual(told(id, LEAD).slice(0, 2), ['approval-needed', 'approved']);

    const record = await stack.store.getRequest(id);
    assert.equal(record?.status, 'revoked');
    const lease = await stack.store.getLease(id);
    assert.equal(lease?.status, 'revoked');
    const actions = (await stack.store.auditFor(id)).map((row) => row.action);
    assert.deepEqual(actions, [
      'request.submitted',
      'approval.approved',
      'request.approved',
      'grant.applied',
      'grant.revoked',
    ]);
    assert.equal((await stack.store.verifyAudit()).ok, true);
  });

  it('deny needs a reason, ends the request, and grants nothing', async () => {
    const id = await submit({ entitlementId: 'payments-logs', reason: 'look at a refund' });
    await stack.waitForStatus(id, 'pending');
    const noReason = await stack.access.decide(id, LEAD, 'deny');
    assert.equal(noReason.ok, false);
    assert.equal(!noReason.ok && noReason.code, 'APPROVAL.DENY_REASON_REQUIRED');
    const denied = await stack.access.decide(id, LEAD2, 'deny', 'use the read replica');
    assert.ok(denied.ok);
    const final = await result(id);
    assert.equal(final.status, 'denied');
    assert.equal(final.decisions[0]?.reason, 'use the read replica');
    await assert.rejects(
      stack.aws.iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: `least-${id}` })),
      /NoSuchEntity|cannot be found/,
    );
    assert.ok(told(id, REQUESTER).includes('denied'));
  });

  it('expires when nobody decides, after reminders', async () => {
    const id = await submit();
    const final = await result(id); // skips the 2h pending timeout
    assert.equal(final.status, 'expired');
    const toLead = told(id, LEAD);
    assert.equal(toLead[0], 'approval-needed');
    assert.ok(toLead.filter((k) => k === 'reminder').length >= 3, `reminders: ${toLead.join(',')}`);
    assert.deepEqual(await assignmentsFor(stack.account.readOnlyPermissionSetArn), []);
  });

  it('refuses self-approval and strangers in the update validator, and audits the refusal', async () => {
    const id = await submit({ requester: LEAD, entitlementId: 'payments-logs', reason: 'x' });
    await stack.waitForStatus(id, 'pending');
    const self = await stack.access.decide(id, LEAD, 'approve');
    assert.equal(!self.ok && self.code, 'APPROVAL.SELF_APPROVAL');
    const stranger = await stack.access.decide(id, STRANGER, 'approve');
    assert.equal(!stranger.ok && stranger.code, 'APPROVAL.NOT_AUTHORIZED');
    const state = await stack.env.client.workflow.getHandle(id).query(statusQuery);
    assert.equal(state.status, 'pending');
    assert.equal(state.decisions.length, 0);
    const refusals = (await stack.store.auditFor(id)).filter((row) => row.action === 'approval.refused');
    assert.deepEqual(
      refusals.map((r) => [r.actor, r.detail.code]),
      [
        [LEAD, 'APPROVAL.SELF_APPROVAL'],
        [STRANGER, 'APPROVAL.NOT_AUTHORIZED'],
      ],
    );
    await stack.access.end(id, LEAD, 'changed my mind');
    assert.equal((await result(id)).status, 'cancelled');
  });

  it('needs two approvals for a two-person entitlement; a double click counts once', async () => {
    const id = await submit({ entitlementId: 'prod-admin', duration: '30m', ticket: 'OPS-7' });
    await stack.waitForStatus(id, 'pending');
    assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);
    const again = await stack.access.decide(id, LEAD, 'approve');
    assert.ok(again.ok);
    assert.equal(again.state.status, 'pending');
    assert.equal(again.state.decisions.length, 1);
    assert.deepEqual(await assignmentsFor(stack.account.adminPermissionSetArn), []);
    assert.ok((await stack.access.decide(id, LEAD2, 'approve')).ok);
    await stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignmentsFor(stack.account.adminPermissionSetArn), [stack.account.ada.userId]);
    const ended = await stack.access.end(id, REQUESTER, "I'm done");
    assert.ok(ended.ok);
    assert.equal(ended.state.status, 'revoked');
    assert.deepEqual(await assignmentsFor(stack.account.adminPermissionSetArn), []);
  });

  it('extends an inline-policy lease and moves the cloud-side expiry with it', async () => {
    const id = await submit({ entitlementId: 'payments-logs', duration: '1h', reason: 'refund audit' });
    await stack.waitForStatus(id, 'pending');
    await stack.access.decide(id, LEAD, 'approve');
    const active = await stack.waitForStatus(id, 'active');
    const tooLong = await stack.access.extend(id, REQUESTER, '6h');
    assert.equal(!tooLong.ok && tooLong.code, 'LEASE.EXTENSION_TOO_LONG');
    const notMine = await stack.access.extend(id, STRANGER, '1h');
    assert.equal(!notMine.ok && notMine.code, 'LEASE.EXTENSION_NOT_ALLOWED');
    const extended = await stack.access.extend(id, REQUESTER, '2h');
    assert.ok(extended.ok);
    assert.equal(Date.parse(extended.state.expiresAt!) - Date.parse(active.expiresAt!), 2 * 3600 * 1000);
    const policy = await stack.aws.iam.send(
      new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: `least-${id}` }),
    );
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument!));
    assert.equal(document.Statement[0].Condition.DateLessThan['aws:CurrentTime'], extended.state.expiresAt);
    const final = await result(id);
    assert.equal(final.status, 'revoked');
    assert.equal(final.extendedSeconds, 7200);
    await assert.rejects(
      stack.aws.iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: `least-${id}` })),
    );
  });

  it('lets an admin revoke early and refuses a stranger', async () => {
    const id = await submit({ entitlementId: 'payments-logs', reason: 'refund audit 2' });
    await stack.waitForStatus(id, 'pending');
    await stack.access.decide(id, LEAD, 'approve');
    await stack.waitForStatus(id, 'active');
    const stranger = await stack.access.end(id, STRANGER, 'nope');
    assert.equal(!stranger.ok && stranger.code, 'LEASE.NOT_ALLOWED_TO_END');
    const revoked = await stack.access.end(id, ADMIN, 'incident closed');
    assert.ok(revoked.ok);
    assert.equal(revoked.state.status, 'revoked');
    assert.equal(revoked.state.endedBy, ADMIN);
    const late = await stack.access.decide(id, LEAD2, 'approve');
    assert.equal(late.ok, false);
  });
});
