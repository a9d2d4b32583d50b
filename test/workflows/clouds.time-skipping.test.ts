import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { APP_ROLE } from '../support/fakes/aws-fixtures';
import {
  AZURE_SYSTEM,
  CLOUD_ENTITLEMENTS,
  GCP_RESOURCE,
  GCP_ROLE,
  GCP_SYSTEM,
  startCloudFakes,
  type CloudFakes,
} from '../support/fakes/cloud-fakes';
import type { ReconciliationReport } from '../../workflows/reconcile';
import { ADA, CONTRIBUTOR_ROLE, GRACE, PAYMENTS_SCOPE, READER_ROLE } from '../support/fakes/fake-arm';
import { LEAD, REQUESTER, startStack, submitRequest, type Stack } from '../support/stacks/stack';
import type { RequestState } from '../../domain/request';
import { reconcile } from '../../workflows/reconcile';

/**
 * The same request flow in every cloud: approve → grant → expiry → revoke, on the time-skipping
 * server, against moto (AWS) and the local ARM and Resource Manager fakes under the real SDK
 * clients (Azure, GCP). What differs per cloud is only how the test looks into the cloud.
 */

let stack: Stack;
let clouds: CloudFakes;
let stopWorker: () => Promise<void>;

before(async () => {
  clouds = await startCloudFakes();
  stack = await startStack('time-skipping', {
    policy: (input) => {
      clouds.editPolicy(input);
      // Entitlements whose role the cloud does not know: a permanent failure, not something to retry.
      const approvers = { users: [LEAD] };
      input.entitlements.push(
        {
          id: 'azure-bogus-role',
          title: 'A role Azure does not have',
          system: AZURE_SYSTEM,
          grant: {
            kind: 'azure-role-assignment',
            roleDefinitionId: '00000000-0000-4000-8000-00000000dead',
            scope: PAYMENTS_SCOPE,
          },
          requesters: { everyone: true },
          approvers,
        },
        {
          id: 'gcp-bogus-role',
          title: 'A role GCP does not have',
          system: GCP_SYSTEM,
          grant: { kind: 'gcp-iam-binding', role: 'roles/least.doesNotExist' },
          requesters: { everyone: true },
          approvers,
        },
      );
    },
    clouds: () => ({ azure: clouds.azure, gcp: clouds.gcp }),
  });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
  await clouds?.stop();
});

interface CloudCase {
  cloud: string;
  entitlementId: string;
  /** What the cloud holds for this request now, as an operator would look it up. */
  grantsIn(requestId: string): Promise<string[]>;
  /** The cloud's own expiry written into the grant, where the cloud has one. */
  cloudExpiry?(requestId: string): string | undefined;
}

const cases: CloudCase[] = [
  {
    cloud: 'AWS (IAM inline policy, moto)',
    entitlementId: 'payments-logs',
    async grantsIn(requestId) {
      const names = (await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames ?? [];
      return names.filter((name) => name === `least-${requestId}`);
    },
  },
  {
    cloud: 'Azure (role assignment)',
    entitlementId: CLOUD_ENTITLEMENTS.azureRole,
    grantsIn: (requestId) =>
      Promise.resolve(
        clouds.arm
          .roleAssignmentsAt(PAYMENTS_SCOPE)
          .filter((a) => a.principalId === ADA.objectId && (a.description ?? '').includes(requestId))
          .map((a) => a.name),
      ),
  },
  {
    cloud: 'Azure (PIM schedule)',
    entitlementId: CLOUD_ENTITLEMENTS.azurePim,
    grantsIn: () =>
      Promise.resolve(
        clouds.arm
          .scheduleInstancesAt(PAYMENTS_SCOPE)
          .filter((i) => i.principalId === ADA.objectId && i.roleDefinitionId.toLowerCase().endsWith(CONTRIBUTOR_ROLE))
          .map((i) => i.name),
      ),
    cloudExpiry: (requestId) => {
      const assign = clouds.arm.scheduleRequests.find(
        (r) => r.body.properties.requestType === 'AdminAssign' && JSON.stringify(r.body).includes(requestId),
      );
      return (assign?.body.properties.scheduleInfo as { expiration?: { endDateTime?: string } } | undefined)?.expiration
        ?.endDateTime;
    },
  },
  {
    cloud: 'GCP (conditional IAM binding)',
    entitlementId: CLOUD_ENTITLEMENTS.gcpBinding,
    grantsIn: (requestId) =>
      Promise.resolve(
        clouds.resourceManager
          .policyOf(GCP_RESOURCE)
          .bindings.filter(
            (b) =>
              b.role === GCP_ROLE &&
              b.condition?.title === `least-${requestId}` &&
              b.members.includes(`user:${REQUESTER}`),
          )
          .map((b) => b.condition!.expression),
      ),
    cloudExpiry: (requestId) =>
      clouds.resourceManager.policyOf(GCP_RESOURCE).bindings.find((b) => b.condition?.title === `least-${requestId}`)
        ?.condition?.expression,
  },
];

describe('approve → grant → expire → revoke in every cloud', () => {
  for (const c of cases) {
    it(c.cloud, async () => {
      const id = await submitRequest(stack, {
        entitlementId: c.entitlementId,
        duration: '1h',
        reason: `cloud check ${c.cloud}`,
      });
      await stack.waitForStatus(id, 'pending');
      assert.deepEqual(await c.grantsIn(id), [], 'nothing before approval');
      const approved = await stack.access.decide(id, LEAD, 'approve');
      assert.ok(approved.ok, JSON.stringify(approved));
      const active = await stack.waitForStatus(id, 'active');
      assert.equal((await c.grantsIn(id)).length, 1, `the grant exists in ${c.cloud}`);
      if (c.cloudExpiry) {
        const written = c.cloudExpiry(id) ?? '';
        assert.ok(
          written.includes(active.expiresAt!.slice(0, 19)),
          `the cloud's own expiry ${written} matches the lease's ${active.expiresAt}`,
        );
      }
      const final = (await stack.env.client.workflow.getHandle(id).result()) as RequestState; // time skips past the hour
      assert.equal(final.status, 'revoked');
      assert.equal(final.endedBy, 'expiry');
      assert.deepEqual(await c.grantsIn(id), [], `the grant is gone from ${c.cloud}`);
      assert.ok(final.revocationReceipt, 'revocation verified from the cloud');
      const actions = (await stack.store.auditFor(id)).map((row) => row.action);
      assert.deepEqual(actions, [
        'request.submitted',
        'approval.approved',
        'request.approved',
        'grant.applied',
        'grant.revoked',
      ]);
    });
  }
});

describe('reconciliation in every cloud', () => {
  it('removes grants Least made without a live lease and reports ones made outside Least', async () => {
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const policy = stack.policy;
    const systemOf = (id: string) => policy.authorizationSystems.find((s) => s.id === id)!;
    const grantOf = (entitlementId: string) => policy.entitlements.find((e) => e.id === entitlementId)!.grant;
    // Grants Least made whose leases are gone (a lost revocation, a restored backup).
    const azureOrphan = {
      leaseId: 'r-orphanaz01',
      systemId: AZURE_SYSTEM,
      grant: grantOf(CLOUD_ENTITLEMENTS.azureRole),
      principal: { kind: 'azure-object' as const, objectId: ADA.objectId, display: REQUESTER },
      expiresAt,
    };
    const gcpOrphan = {
      leaseId: 'r-orphangc01',
      systemId: GCP_SYSTEM,
      grant: grantOf(CLOUD_ENTITLEMENTS.gcpBinding),
      principal: { kind: 'gcp-member' as const, member: `user:${REQUESTER}` },
      expiresAt,
    };
    await clouds.azure.grant(systemOf(AZURE_SYSTEM), azureOrphan);
    await clouds.gcp.grant(systemOf(GCP_SYSTEM), gcpOrphan);
    // Grants made in the portal and the console, without Least.
    clouds.arm.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: `/subscriptions/${clouds.arm.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`,
      principalId: GRACE.objectId,
    });
    clouds.resourceManager.editPolicy(GCP_RESOURCE, (bindings) => [
      ...bindings,
      { role: GCP_ROLE, members: ['user:grace@example.com'] },
    ]);
    // A live lease in each cloud must survive the sweep.
    const live = await submitRequest(stack, {
      entitlementId: CLOUD_ENTITLEMENTS.gcpBinding,
      duration: '2h',
      reason: 'keep me',
    });
    await stack.access.decide(live, LEAD, 'approve');
    await stack.waitForStatus(live, 'active');

    const report = (await stack.env.client.workflow.execute(reconcile, {
      taskQueue: stack.taskQueue,
      workflowId: `reconcile-test-${Date.now()}`,
    })) as ReconciliationReport;
    assert.deepEqual(report.errors, []);
    const removed = report.removed.map((r) => `${r.systemId} ${r.key}`);
    assert.ok(
      removed.some((r) => r.startsWith(AZURE_SYSTEM) && r.includes(PAYMENTS_SCOPE)),
      `Azure orphan removed: ${removed.join(', ')}`,
    );
    assert.ok(
      removed.some((r) => r.startsWith(GCP_SYSTEM) && r.includes('least-r-orphangc01')),
      `GCP orphan removed: ${removed.join(', ')}`,
    );
    assert.equal(removed.length, 2, removed.join(', '));
    assert.equal((await clouds.azure.check(systemOf(AZURE_SYSTEM), azureOrphan)).present, false);
    assert.equal((await clouds.gcp.check(systemOf(GCP_SYSTEM), gcpOrphan)).present, false);
    const outOfBand = report.outOfBand.map((r) => `${r.systemId} ${r.key} ${r.description}`);
    assert.ok(
      outOfBand.some((r) => r.startsWith(AZURE_SYSTEM) && r.includes(GRACE.objectId)),
      `Azure out-of-band reported: ${outOfBand.join(' | ')}`,
    );
    assert.ok(
      outOfBand.some((r) => r.startsWith(GCP_SYSTEM) && r.includes('grace@example.com')),
      `GCP out-of-band reported: ${outOfBand.join(' | ')}`,
    );
    assert.equal(
      clouds.arm.roleAssignmentsAt(PAYMENTS_SCOPE).filter((a) => a.principalId === GRACE.objectId).length,
      1,
      'out-of-band grants are reported, not removed',
    );

    const liveState = await stack.waitForStatus(live, 'active');
    assert.equal(liveState.status, 'active');
    assert.equal(
      clouds.resourceManager.policyOf(GCP_RESOURCE).bindings.filter((b) => b.condition?.title === `least-${live}`)
        .length,
      1,
      'the live lease survived',
    );
    await stack.access.end(live, REQUESTER, 'test done');
  });
});

describe('permanent cloud failures in every cloud', () => {
  for (const [cloud, entitlementId, nothingGranted] of [
    [
      'Azure',
      'azure-bogus-role',
      () =>
        clouds.arm.roleAssignmentsAt(PAYMENTS_SCOPE).filter((a) => a.roleDefinitionId.includes('dead')).length === 0,
    ],
    [
      'GCP',
      'gcp-bogus-role',
      () => !clouds.resourceManager.policyOf(GCP_RESOURCE).bindings.some((b) => b.role === 'roles/least.doesNotExist'),
    ],
  ] as const) {
    it(`${cloud}: an unknown role fails the request with a clear message and grants nothing`, async () => {
      const id = await submitRequest(stack, { entitlementId, duration: '1h', reason: 'should fail' });
      await stack.waitForStatus(id, 'pending');
      assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);
      const failed = await stack.waitForStatus(id, 'failed');
      assert.equal(failed.failure?.code, 'CLOUD.PERMISSION_SET_UNKNOWN', JSON.stringify(failed.failure));
      assert.match(failed.failure?.message ?? '', /role/i);
      assert.ok(nothingGranted(), 'no partial grant');
      // The clean-up after the failed grant finds nothing to take back, and the workflow ends.
      const ended = stack.env.client.workflow.getHandle(id).result() as Promise<RequestState>;
      const bound = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error("the failed request's workflow did not end: is it retrying a clean-up forever?")),
          30_000,
        ).unref(),
      );
      const final = await Promise.race([ended, bound]);
      assert.equal(final.status, 'failed');
      assert.ok(
        stack.messages.some((m) => m.requestId === id && m.to === REQUESTER && m.kind === 'failed'),
        'the requester is told',
      );
      const actions = (await stack.store.auditFor(id)).map((row) => row.action);
      assert.deepEqual(actions, ['request.submitted', 'approval.approved', 'request.approved', 'grant.failed']);
    });
  }
});
