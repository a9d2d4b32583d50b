import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, roleAssignmentName, uuidV5, type AzureProvider } from '../../../activities/cloud/azure';
import { ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ADA,
  AZURE_SYSTEM_ID,
  FAKE_ARM_TOKEN,
  FAKE_SUBSCRIPTION_ID,
  FAKE_TENANT_ID,
  FakeArm,
  freshAzureContext,
  PAYMENTS_SCOPE,
  READER_ROLE,
} from '../../support/fakes/fake-arm';

const EXPIRES = '2030-01-01T12:00:00.000Z';
const READER_ID = `/subscriptions/${FAKE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`;
const ASSIGNMENTS = /\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/;

let fake: FakeArm;
let system: AuthorizationSystem;
let provider: AzureProvider;

before(async () => {
  fake = await FakeArm.start();
});
after(async () => {
  await fake.stop();
});

beforeEach(() => {
  ({ system, provider } = freshAzureContext(fake));
});
afterEach(() => provider.close());

function lease(overrides: Partial<LeaseSpec> = {}): LeaseSpec {
  return {
    leaseId: 'req-az-1',
    systemId: AZURE_SYSTEM_ID,
    grant: { kind: 'azure-role-assignment', roleDefinitionId: READER_ROLE, scope: PAYMENTS_SCOPE },
    principal: { kind: 'azure-object', objectId: ADA.objectId, display: ADA.upn },
    expiresAt: EXPIRES,
    ...overrides,
  };
}

describe('Azure role-assignment leases', () => {
  test('grant makes one role assignment named by UUID v5 of the lease, with the role, principal and lease in it', async () => {
    const receipt = await provider.grant(system, lease());

    const name = roleAssignmentName('req-az-1');
    assert.deepEqual(
      fake
        .roleAssignmentsAt(PAYMENTS_SCOPE)
        .map(({ name, roleDefinitionId, principalId, principalType, description }) => ({
          name,
          roleDefinitionId,
          principalId,
          principalType,
          description,
        })),
      [
        {
          name,
          roleDefinitionId: READER_ID,
          principalId: ADA.objectId,
          principalType: 'User',
          description: `Least lease req-az-1 until ${EXPIRES}`,
        },
      ],
    );
    assert.match(name, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(receipt, {
      created: true,
      key: `azure-role-assignment:${PAYMENTS_SCOPE}:${name}`,
      detail: `Role assignment ${name} gives ${ADA.upn} the Reader role at ${PAYMENTS_SCOPE} until ${EXPIRES}.`,
      access: {
        summary: `You have the Reader role at ${PAYMENTS_SCOPE} until ${EXPIRES}; use the Azure portal, CLI or SDK as usual.`,
        url: `https://portal.azure.com/#@${FAKE_TENANT_ID}/resource${PAYMENTS_SCOPE}/users`,
      },
    });
    const puts = fake.callsTo('PUT', ASSIGNMENTS);
    assert.equal(puts.length, 1);
    assert.equal(puts[0]!.query['api-version'], '2022-04-01');
    assert.ok(
      fake.calls.every((call) => call.authorization === `Bearer ${FAKE_ARM_TOKEN}`),
      'every ARM call carried the bearer token',
    );
  });

  test('a retried grant finds its assignment and creates nothing', async () => {
    const first = await provider.grant(system, lease());
    const second = await provider.grant(system, lease());

    assert.deepEqual([first.created, second.created], [true, false]);
    assert.equal(second.key, first.key);
    assert.equal(fake.roleAssignmentsAt(PAYMENTS_SCOPE).length, 1);
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 1);
  });

  test('a PUT that ARM answers with RoleAssignmentExists for our own assignment is not a new grant', async () => {
    await provider.grant(system, lease());
    // the GET before the PUT does not see it yet, so the retry PUTs again and ARM says it exists
    fake.failNext({ method: 'GET', path: ASSIGNMENTS }, 404, {
      error: { code: 'RoleAssignmentNotFound', message: 'not found' },
    });
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 409, {
      error: { code: 'RoleAssignmentExists', message: 'The role assignment already exists.' },
    });

    const retried = await provider.grant(system, lease());

    assert.equal(retried.created, false);
    assert.equal(fake.roleAssignmentsAt(PAYMENTS_SCOPE).length, 1);
  });

  test('revoke deletes the assignment, a second revoke is a no-op, and check proves it is gone', async () => {
    await provider.grant(system, lease());
    assert.equal((await provider.check(system, lease())).present, true);

    await provider.revoke(system, lease());
    await provider.revoke(system, lease());
    const presence = await provider.check(system, lease());

    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
    assert.equal(presence.present, false);
    assert.match(presence.detail, /RoleAssignmentNotFound/);
    assert.deepEqual(
      fake.callsTo('DELETE', ASSIGNMENTS).map((call) => call.status),
      [200, 204],
    );
  });

  test('revoke keeps assignments Least did not make', async () => {
    fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: READER_ID,
      principalId: '0b0b0b0b-2222-4222-8222-000000000009',
    });
    await provider.grant(system, lease());

    await provider.revoke(system, lease());

    assert.deepEqual(
      fake.roleAssignmentsAt(PAYMENTS_SCOPE).map((a) => a.principalId),
      ['0b0b0b0b-2222-4222-8222-000000000009'],
    );
  });

  test('grant waits out a GET that does not see the new assignment yet', async () => {
    fake.lagReads(2);

    const receipt = await provider.grant(system, lease());

    assert.equal(receipt.created, true);
    const reads = fake.callsTo('GET', ASSIGNMENTS).map((call) => call.status);
    assert.deepEqual(reads, [404, 404, 404, 200], 'one read before the PUT, two stale after it, then the assignment');
  });

  test('check after revoke reads again while ARM still shows the deleted assignment, then reports it absent', async () => {
    await provider.grant(system, lease());
    fake.lagReads(2);
    await provider.revoke(system, lease());

    const presence = await provider.check(system, lease());

    assert.equal(presence.present, false);
    const reads = fake
      .callsTo('GET', ASSIGNMENTS)
      .slice(-3)
      .map((call) => call.status);
    assert.deepEqual(reads, [200, 200, 404]);
  });

  test('check reports an assignment that stays visible as present, with what ARM returned', async () => {
    await provider.grant(system, lease());

    const presence = await provider.check(system, lease());

    assert.equal(presence.present, true);
    assert.match(presence.detail, new RegExp(`${ADA.objectId}.*Least lease req-az-1`));
  });

  test('a 429 with Retry-After is retried by the SDK after the delay it asks for', async () => {
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 429, undefined, { 'Retry-After': '1' });

    const receipt = await provider.grant(system, lease());

    assert.equal(receipt.created, true);
    const puts = fake.callsTo('PUT', ASSIGNMENTS);
    assert.deepEqual(
      puts.map((call) => call.status),
      [429, 201],
    );
    const waited = puts[1]!.at - puts[0]!.at;
    assert.ok(waited >= 950 && waited < 3_000, `waited ${waited} ms for Retry-After: 1`);
    assert.equal(fake.roleAssignmentsAt(PAYMENTS_SCOPE).length, 1);
  });

  test('throttling that outlasts the retry budget is thrown as is (retryable), not as a domain error', async () => {
    for (let i = 0; i < 3; i++)
      fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 429, undefined, { 'Retry-After': '0' });

    await assert.rejects(
      provider.grant(system, lease()),
      (error: Error & { statusCode?: number }) => error.name === 'RestError' && error.statusCode === 429,
    );
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 3, 'the first try and maxRetries (2) retries');
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
  });

  test('a 503 is retried with backoff and succeeds', async () => {
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 503);

    assert.equal((await provider.grant(system, lease())).created, true);
    assert.deepEqual(
      fake.callsTo('PUT', ASSIGNMENTS).map((call) => call.status),
      [503, 201],
    );
  });

  test('extend has nothing to move in Azure and calls nothing', async () => {
    await provider.grant(system, lease());
    const before = fake.calls.length;

    await provider.extend(system, lease({ expiresAt: '2030-01-01T16:00:00.000Z' }));

    assert.equal(fake.calls.length, before);
  });
});

describe('Azure role-assignment failures', () => {
  test('an unknown role definition fails with CLOUD.PERMISSION_SET_UNKNOWN and creates nothing', async () => {
    const unknown = '00000000-0000-4000-8000-00000000dead';
    await rejectsWith(
      provider.grant(
        system,
        lease({ grant: { kind: 'azure-role-assignment', roleDefinitionId: unknown, scope: PAYMENTS_SCOPE } }),
      ),
      ErrorCode.CloudPermissionSetUnknown,
      new RegExp(unknown),
    );
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 0);
  });

  test('a role id that is not a GUID or a role definition id fails with CLOUD.PERMISSION_SET_UNKNOWN before any call', async () => {
    await rejectsWith(
      provider.grant(
        system,
        lease({ grant: { kind: 'azure-role-assignment', roleDefinitionId: 'Reader', scope: PAYMENTS_SCOPE } }),
      ),
      ErrorCode.CloudPermissionSetUnknown,
      /not an Azure role definition id/,
    );
    assert.equal(fake.calls.length, 0);
  });

  test('RoleDefinitionDoesNotExist on the PUT is CLOUD.PERMISSION_SET_UNKNOWN too', async () => {
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 400, {
      error: { code: 'RoleDefinitionDoesNotExist', message: 'The specified role definition does not exist.' },
    });
    await rejectsWith(provider.grant(system, lease()), ErrorCode.CloudPermissionSetUnknown);
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
  });

  test('an object id the directory does not know fails with CLOUD.PRINCIPAL_UNKNOWN and creates nothing', async () => {
    const stranger = 'c0c0c0c0-3333-4333-8333-000000000000';
    await rejectsWith(
      provider.grant(
        system,
        lease({ principal: { kind: 'azure-object', objectId: stranger, display: 'x@example.com' } }),
      ),
      ErrorCode.CloudPrincipalUnknown,
      /azureObjectId/,
    );
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
  });

  test('a resource group that does not exist fails with CLOUD.TARGET_UNKNOWN and creates nothing', async () => {
    const missing = `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-gone`;
    await rejectsWith(
      provider.grant(
        system,
        lease({ grant: { kind: 'azure-role-assignment', roleDefinitionId: READER_ROLE, scope: missing } }),
      ),
      ErrorCode.CloudTargetUnknown,
      /rg-gone/,
    );
    assert.deepEqual(fake.roleAssignmentsAt(missing), []);
  });

  test('a 404 on the PUT is CLOUD.TARGET_UNKNOWN', async () => {
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 404, {
      error: { code: 'NotFound', message: 'The scope was not found.' },
    });
    await rejectsWith(provider.grant(system, lease()), ErrorCode.CloudTargetUnknown);
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
  });

  test('AuthorizationFailed (403) fails with CLOUD.ACCESS_DENIED naming the subscription and the role Least needs', async () => {
    fake.failNext({ method: 'PUT', path: ASSIGNMENTS }, 403, {
      error: {
        code: 'AuthorizationFailed',
        message:
          "The client does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write'.",
      },
    });
    await rejectsWith(
      provider.grant(system, lease()),
      ErrorCode.CloudAccessDenied,
      new RegExp(
        `subscription ${FAKE_SUBSCRIPTION_ID}.*Role Based Access Control Administrator.*at ${PAYMENTS_SCOPE.replace(/\//g, '\\/')}`,
      ),
    );
    assert.deepEqual(fake.roleAssignmentsAt(PAYMENTS_SCOPE), []);
  });

  test('a plain-http endpoint that is not loopback keeps the SDK bearer policy, which refuses to send the token', async () => {
    const remote = { ...system, endpoint: 'http://arm.example.invalid' } as AuthorizationSystem;
    await assert.rejects(provider.grant(remote, lease()), /non-TLS|non-https/);
    assert.equal(isLoopback('http://127.0.0.1:8080'), true);
    assert.equal(isLoopback('http://[::1]:8080'), true);
    assert.equal(isLoopback('https://management.azure.com'), false);
    assert.equal(isLoopback('http://127.0.0.1.example.com'), false);
  });
});

test('a sovereign-cloud ARM endpoint asks the credential for a token for that cloud, not for management.azure.com', async () => {
  const {
    system: azure,
    provider: sovereign,
    credential,
  } = freshAzureContext(fake, { provider: { retry: { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 } } });
  const gov = { ...azure, endpoint: 'https://management.usgovcloudapi.invalid' } as AuthorizationSystem;
  await assert.rejects(sovereign.grant(gov, lease())); // no such host here; the token was asked for first
  assert.ok(
    credential.scopes.includes('https://management.usgovcloudapi.invalid/.default'),
    credential.scopes.join(', '),
  );
  assert.ok(!credential.scopes.includes('https://management.azure.com/.default'));
  sovereign.close();
});

test('uuidV5 matches the RFC 9562 test vector', () => {
  // the DNS namespace and "www.example.com", as published with the RFC
  assert.equal(
    uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  );
  assert.equal(roleAssignmentName('req-az-1'), roleAssignmentName('req-az-1'));
  assert.notEqual(roleAssignmentName('req-az-1'), roleAssignmentName('req-az-2'));
});
