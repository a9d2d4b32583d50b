import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pimRequestName, type AzureProvider } from '../../../activities/cloud/azure';
import { ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ADA,
  AZURE_SYSTEM_ID,
  CONTRIBUTOR_ROLE,
  FAKE_SUBSCRIPTION_ID,
  FakeArm,
  freshAzureContext,
  PAYMENTS_SCOPE,
} from '../../support/fakes/fake-arm';

// the fake lists only instances active by the wall clock, so the provider's clock is the real one, fixed
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const EXPIRES = new Date(NOW.getTime() + 2 * 3600_000).toISOString();
const LATER = new Date(NOW.getTime() + 4 * 3600_000).toISOString();
const CONTRIBUTOR_ID = `/subscriptions/${FAKE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR_ROLE}`;

let fake: FakeArm;
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
  ({ policy, system, provider } = freshAzureContext(fake, { provider: { now: () => NOW } }));
});
afterEach(() => provider.close());

function lease(overrides: Partial<LeaseSpec> = {}): LeaseSpec {
  const grant = policy.entitlements.find((entitlement) => entitlement.id === 'payments-contributor')!.grant;
  return {
    leaseId: 'req-pim-1',
    systemId: AZURE_SYSTEM_ID,
    grant,
    principal: { kind: 'azure-object', objectId: ADA.objectId, display: ADA.upn },
    expiresAt: EXPIRES,
    ...overrides,
  };
}

const requestTypes = (): unknown[] => fake.scheduleRequests.map((request) => request.body.properties.requestType);

describe('Azure PIM leases', () => {
  test('grant sends one AdminAssign schedule request that ends at the lease expiry', async () => {
    const receipt = await provider.grant(system, lease());

    assert.equal(fake.scheduleRequests.length, 1);
    const [request] = fake.scheduleRequests;
    assert.equal(request!.name, pimRequestName('req-pim-1', 'assign'));
    assert.equal(request!.scope, PAYMENTS_SCOPE);
    assert.deepEqual(request!.body, {
      properties: {
        principalId: ADA.objectId,
        roleDefinitionId: CONTRIBUTOR_ID,
        requestType: 'AdminAssign',
        justification: 'Least lease req-pim-1',
        scheduleInfo: { startDateTime: NOW.toISOString(), expiration: { type: 'AfterDateTime', endDateTime: EXPIRES } },
      },
    });
    assert.equal(fake.callsTo('PUT', /roleAssignmentScheduleRequests/)[0]!.query['api-version'], '2020-10-01');
    assert.deepEqual(
      fake.scheduleInstancesAt(PAYMENTS_SCOPE).map(({ principalId, endDateTime }) => ({ principalId, endDateTime })),
      [{ principalId: ADA.objectId, endDateTime: EXPIRES }],
    );
    assert.equal(receipt.created, true);
    assert.equal(receipt.key, `azure-pim:${PAYMENTS_SCOPE}:${CONTRIBUTOR_ROLE}:${ADA.objectId}`);
    assert.match(
      receipt.access.summary,
      new RegExp(`Contributor role at .*rg-payments until ${EXPIRES}; Azure removes it then`),
    );
  });

  test('a retried grant finds its request and sends no second one', async () => {
    const first = await provider.grant(system, lease());
    const second = await provider.grant(system, lease());

    assert.deepEqual([first.created, second.created], [true, false]);
    assert.deepEqual(requestTypes(), ['AdminAssign']);
    assert.equal(fake.scheduleInstancesAt(PAYMENTS_SCOPE).length, 1);
  });

  test('grant waits until the new assignment is listed as active', async () => {
    fake.lagReads(2);

    assert.equal((await provider.grant(system, lease())).created, true);
    assert.ok(
      fake.callsTo('GET', /roleAssignmentScheduleInstances$/).length >= 3,
      'it listed instances again after stale reads',
    );
  });

  test('revoke sends AdminRemove; a second revoke changes nothing; check reports absence', async () => {
    await provider.grant(system, lease());
    assert.equal((await provider.check(system, lease())).present, true);

    await provider.revoke(system, lease());
    await provider.revoke(system, lease());
    const presence = await provider.check(system, lease());

    assert.deepEqual(requestTypes(), ['AdminAssign', 'AdminRemove']);
    const remove = fake.scheduleRequests[1]!;
    assert.equal(remove.name, pimRequestName('req-pim-1', 'remove'));
    assert.deepEqual(remove.body.properties, {
      principalId: ADA.objectId,
      roleDefinitionId: CONTRIBUTOR_ID,
      requestType: 'AdminRemove',
      justification: 'Least lease req-pim-1',
    });
    assert.deepEqual(fake.scheduleInstancesAt(PAYMENTS_SCOPE), []);
    assert.equal(presence.present, false);
  });

  test('revoking an assignment that no longer exists (RoleAssignmentDoesNotExist) is already done', async () => {
    await provider.revoke(system, lease());

    assert.deepEqual(requestTypes(), []);
    assert.equal((await provider.check(system, lease())).present, false);
  });

  test('check after revoke reads again while the instance is still listed', async () => {
    await provider.grant(system, lease());
    fake.lagReads(2);
    await provider.revoke(system, lease());

    assert.equal((await provider.check(system, lease())).present, false);
  });

  test('extend sends an AdminUpdate that moves the end of the assignment', async () => {
    await provider.grant(system, lease());

    await provider.extend(system, lease({ expiresAt: LATER }));
    await provider.extend(system, lease({ expiresAt: LATER }));

    assert.deepEqual(requestTypes(), ['AdminAssign', 'AdminUpdate']);
    assert.deepEqual(fake.scheduleRequests[1]!.body.properties.scheduleInfo, {
      startDateTime: NOW.toISOString(),
      expiration: { type: 'AfterDateTime', endDateTime: LATER },
    });
    assert.equal(fake.scheduleInstancesAt(PAYMENTS_SCOPE)[0]!.endDateTime, LATER);
    assert.match((await provider.check(system, lease({ expiresAt: LATER }))).detail, new RegExp(`until ${LATER}`));
  });

  test('extending an assignment Azure no longer has fails with CLOUD.TARGET_UNKNOWN', async () => {
    await rejectsWith(
      provider.extend(system, lease({ expiresAt: LATER })),
      ErrorCode.CloudTargetUnknown,
      /no longer exists/,
    );
  });

  test('an unknown principal fails with CLOUD.PRINCIPAL_UNKNOWN and nothing is assigned', async () => {
    await rejectsWith(
      provider.grant(
        system,
        lease({ principal: { kind: 'azure-object', objectId: 'c0c0c0c0-3333-4333-8333-000000000000', display: 'x' } }),
      ),
      ErrorCode.CloudPrincipalUnknown,
    );
    assert.deepEqual(fake.scheduleInstancesAt(PAYMENTS_SCOPE), []);
    assert.deepEqual(requestTypes(), []);
  });

  test('403 on the schedule request fails with CLOUD.ACCESS_DENIED', async () => {
    fake.failNext({ method: 'PUT', path: /roleAssignmentScheduleRequests/ }, 403, {
      error: { code: 'AuthorizationFailed', message: 'no roleAssignmentScheduleRequests/write' },
    });
    await rejectsWith(provider.grant(system, lease()), ErrorCode.CloudAccessDenied, /schedule requests/);
    assert.deepEqual(fake.scheduleInstancesAt(PAYMENTS_SCOPE), []);
  });
});
