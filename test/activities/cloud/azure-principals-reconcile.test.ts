import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pimRequestName, roleAssignmentName, type AzureProvider } from '../../../activities/cloud/azure';
import { ErrorCode } from '../../../domain/errors';
import type { LeaseSpec, ObservedGrant } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ADA,
  AZURE_SYSTEM_ID,
  CONTRIBUTOR_ROLE,
  FAKE_ARM_TOKEN,
  FAKE_SUBSCRIPTION_ID,
  FakeArm,
  freshAzureContext,
  GRACE,
  PAYMENTS_SCOPE,
  READER_ROLE,
  staticCredential,
} from '../../support/fakes/fake-arm';

const roleId = (guid: string): string =>
  `/subscriptions/${FAKE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const EXPIRES = new Date(Date.now() + 2 * 3600_000).toISOString().replace(/\.\d+Z$/, '.000Z');

let fake: FakeArm;
let credential: ReturnType<typeof staticCredential>;
let policy: Policy;
let system: AuthorizationSystem;
let provider: AzureProvider;

before(async () => {
  fake = await FakeArm.start();
});
after(async () => {
  await fake.stop();
});

beforeEach(() => {
  ({ policy, system, provider, credential } = freshAzureContext(fake, {
    principals: { 'grace@example.com': { [AZURE_SYSTEM_ID]: { azureObjectId: GRACE.objectId } } },
    provider: { retry: { maxRetries: 1, retryDelayInMs: 10 }, consistency: { delaysMs: [5, 5] } },
  }));
});
afterEach(() => provider.close());

const grantOf = (entitlementId: string): LeaseSpec['grant'] =>
  policy.entitlements.find((entitlement) => entitlement.id === entitlementId)!.grant;

describe('Azure principals', () => {
  test('a policy mapping wins and needs no Graph call', async () => {
    assert.deepEqual(await provider.resolvePrincipal(system, 'Grace@Example.com', grantOf('payments-reader'), policy), {
      kind: 'azure-object',
      objectId: GRACE.objectId,
      display: 'grace@example.com',
    });
    assert.equal(fake.calls.length, 0);
  });

  test('an unmapped person is found in Microsoft Graph by user principal name, with a Graph token', async () => {
    const principal = await provider.resolvePrincipal(
      system,
      'ada@example.com',
      grantOf('payments-contributor'),
      policy,
    );

    assert.deepEqual(principal, { kind: 'azure-object', objectId: ADA.objectId, display: ADA.upn });
    const [call] = fake.calls;
    assert.equal(call!.path, '/v1.0/users/ada@example.com');
    assert.equal(call!.query.$select, 'id,userPrincipalName,accountEnabled');
    assert.equal(call!.authorization, `Bearer ${FAKE_ARM_TOKEN}`);
    assert.deepEqual(credential.scopes, ['https://graph.microsoft.com/.default']);
  });

  test('a person Graph does not know fails with CLOUD.PRINCIPAL_UNKNOWN telling how to map them', async () => {
    await rejectsWith(
      provider.resolvePrincipal(system, 'nobody@example.com', grantOf('payments-reader'), policy),
      ErrorCode.CloudPrincipalUnknown,
      /No user .*nobody@example.com.*`principals:`.*azureObjectId/,
    );
  });

  test('a disabled account fails with CLOUD.PRINCIPAL_UNKNOWN', async () => {
    fake.addUser('left@example.com', 'd0d0d0d0-4444-4444-8444-000000000000', false);
    await rejectsWith(
      provider.resolvePrincipal(system, 'left@example.com', grantOf('payments-reader'), policy),
      ErrorCode.CloudPrincipalUnknown,
      /disabled/,
    );
  });

  test('Graph throttling is thrown as is, so the activity retries it', async () => {
    fake.failNext({ path: '/v1.0/users/' }, 429, undefined, { 'Retry-After': '1' });
    const error = await provider.resolvePrincipal(system, 'ada@example.com', grantOf('payments-reader'), policy).then(
      () => assert.fail('expected a failure'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof Error && !('code' in error), String(error));
    assert.match((error as Error).message, /429/);
  });
});

describe('Azure listObserved', () => {
  test("returns Least's role assignments and PIM assignments with lease ids, and others' of managed roles without", async () => {
    const reader: LeaseSpec = {
      leaseId: 'req-obs-1',
      systemId: AZURE_SYSTEM_ID,
      grant: grantOf('payments-reader'),
      principal: { kind: 'azure-object', objectId: ADA.objectId, display: ADA.upn },
      expiresAt: '2030-01-01T12:00:00.000Z',
    };
    const pim: LeaseSpec = {
      ...reader,
      leaseId: 'req-obs-2',
      grant: grantOf('payments-contributor'),
      expiresAt: EXPIRES,
    };
    await provider.grant(system, reader);
    await provider.grant(system, pim);
    // by hand in the portal: a managed role to Grace, an unmanaged one, one inherited from the subscription
    const outOfBand = fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(READER_ROLE),
      principalId: GRACE.objectId,
    });
    fake.knownRoleDefinitions.set('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator');
    fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'),
      principalId: GRACE.objectId,
    });
    fake.addRoleAssignment({
      scope: `/subscriptions/${FAKE_SUBSCRIPTION_ID}`,
      roleDefinitionId: roleId(READER_ROLE),
      principalId: GRACE.objectId,
    });
    const handMadePim = fake.addScheduleInstance({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(CONTRIBUTOR_ROLE),
      principalId: GRACE.objectId,
      endDateTime: EXPIRES,
    });
    fake.pageSize = 2; // and page through the lists

    const observed = new Map(
      (await provider.listObserved(system, policy)).map((grant: ObservedGrant) => [grant.key, grant]),
    );

    const readerKey = `azure-role-assignment:${PAYMENTS_SCOPE}:${roleAssignmentName('req-obs-1')}`;
    const pimKey = `azure-pim:${PAYMENTS_SCOPE}:${CONTRIBUTOR_ROLE}:${ADA.objectId}`;
    const graceKey = `azure-role-assignment:${PAYMENTS_SCOPE}:${outOfBand.name}`;
    const gracePimKey = `azure-pim:${PAYMENTS_SCOPE}:${CONTRIBUTOR_ROLE}:${GRACE.objectId}`;
    assert.deepEqual(
      [...observed.keys()].sort(),
      [gracePimKey, pimKey, graceKey, readerKey].sort(),
      'PIM-made role assignments are reported once, as PIM',
    );

    assert.equal(observed.get(readerKey)!.leaseId, 'req-obs-1');
    assert.deepEqual(observed.get(readerKey)!.lease, {
      leaseId: 'req-obs-1',
      systemId: AZURE_SYSTEM_ID,
      grant: { kind: 'azure-role-assignment', roleDefinitionId: roleId(READER_ROLE), scope: PAYMENTS_SCOPE },
      principal: { kind: 'azure-object', objectId: ADA.objectId, display: ADA.objectId },
      expiresAt: '2030-01-01T12:00:00.000Z',
    });
    assert.equal(observed.get(pimKey)!.leaseId, 'req-obs-2');
    assert.equal(observed.get(pimKey)!.lease!.expiresAt, EXPIRES);
    assert.equal(observed.get(graceKey)!.leaseId, undefined);
    assert.equal(observed.get(graceKey)!.lease, undefined);
    assert.equal(observed.get(gracePimKey)!.leaseId, undefined);
    assert.ok(handMadePim.endDateTime);

    // the rebuilt specs remove what they describe
    await provider.revoke(system, observed.get(readerKey)!.lease!);
    await provider.revoke(system, observed.get(gracePimKey)!.lease!);
    assert.deepEqual(
      fake
        .roleAssignmentsAt(PAYMENTS_SCOPE)
        .filter((a) => a.description)
        .map((a) => a.name),
      [],
    );
    assert.deepEqual(
      fake.scheduleInstancesAt(PAYMENTS_SCOPE).map((i) => i.principalId),
      [ADA.objectId],
    );
    assert.equal(
      fake.scheduleRequests.find((r) => r.body.properties.requestType === 'AdminAssign')!.name,
      pimRequestName('req-obs-2', 'assign'),
    );
  });

  test('a description that claims a lease on an assignment Least did not name is treated as someone else’s', async () => {
    fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(READER_ROLE),
      principalId: GRACE.objectId,
      description: 'Least lease req-forged until 2030-01-01T00:00:00.000Z',
    });

    const [observed] = await provider.listObserved(system, policy);

    assert.equal(observed!.leaseId, undefined);
    assert.equal(observed!.lease, undefined);
  });
});
