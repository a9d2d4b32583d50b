import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcpProvider, type GcpProvider } from '../../../activities/cloud/gcp';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import { FakeResourceManager, type FakeBinding, type FakePolicy } from '../../support/fakes/fake-resource-manager';

const PROJECT = 'payments-prod-1';
const RESOURCE = `projects/${PROJECT}`;
const ROLE = 'roles/logging.viewer';
const SEED: FakeBinding[] = [
  { role: 'roles/owner', members: ['user:founder@example.com'] },
  { role: ROLE, members: ['group:sre@example.com'] },
];

let fake: FakeResourceManager;
let provider: GcpProvider;
let seeded: FakePolicy;

before(async () => {
  fake = await FakeResourceManager.start();
});
after(() => fake.stop());

beforeEach(() => {
  fake.reset();
  seeded = fake.setPolicy(RESOURCE, { bindings: SEED });
  provider = createGcpProvider({ authClient: fake.authClient(), retryDelayMs: 5 });
});
afterEach(() => provider.close());

const system = (overrides: Partial<Extract<AuthorizationSystem, { cloud: 'gcp' }>> = {}): AuthorizationSystem => ({
  id: 'gcp-payments',
  cloud: 'gcp',
  projectId: PROJECT,
  endpoint: fake.url,
  ...overrides,
});

function leaseFor(role = ROLE, member = 'user:ada@example.com'): LeaseSpec {
  return {
    leaseId: 'req-1',
    systemId: 'gcp-payments',
    grant: { kind: 'gcp-iam-binding', role },
    principal: { kind: 'gcp-member', member },
    expiresAt: '2030-01-01T12:00:00.000Z',
  };
}

function assertNothingWritten(): void {
  assert.deepEqual(fake.writes(), [], 'no setIamPolicy succeeded');
  assert.deepEqual(fake.policyOf(RESOURCE), seeded, 'the policy is as it was, etag included');
}

describe('GCP throttling and outages', () => {
  test('429 with Retry-After is retried within the call after about that long', async () => {
    fake.failNext('getIamPolicy', 429, undefined, { 'retry-after': '1' });

    const receipt = await provider.grant(system(), leaseFor());

    assert.equal(receipt.created, true);
    const [throttled, retried, write] = fake.calls;
    assert.deepEqual(
      fake.calls.map((call) => `${call.method} ${call.status}`),
      ['getIamPolicy 429', 'getIamPolicy 200', 'setIamPolicy 200'],
    );
    const waited = retried!.at - throttled!.at;
    assert.ok(waited >= 950 && waited < 3000, `waited ${waited} ms for Retry-After: 1`);
    assert.ok(write);
  });

  test('503 on the write is retried and the binding written once', async () => {
    fake.failNext('setIamPolicy', 503);

    await provider.grant(system(), leaseFor());

    assert.deepEqual(
      fake.calls.map((call) => `${call.method} ${call.status}`),
      ['getIamPolicy 200', 'setIamPolicy 503', 'setIamPolicy 200'],
    );
    assert.equal(
      fake.policyOf(RESOURCE).bindings.filter((binding) => binding.condition?.title === 'least-req-1').length,
      1,
    );
  });

  test('a write that landed but whose answer was lost is not doubled: the retry meets the new etag and re-reads', async () => {
    fake.loseNextAnswer('setIamPolicy');

    await provider.grant(system(), leaseFor());

    assert.deepEqual(
      fake.calls.map((call) => `${call.method} ${call.status}`),
      ['getIamPolicy 200', 'setIamPolicy 503', 'setIamPolicy 409', 'getIamPolicy 200'],
    );
    assert.deepEqual(
      fake.policyOf(RESOURCE).bindings.map((binding) => binding.condition?.title ?? binding.role),
      ['roles/owner', ROLE, 'least-req-1'],
    );
  });

  test('an outage that outlasts the retries is thrown as it is, for Temporal to retry, with nothing written', async () => {
    for (let i = 0; i < 4; i++) fake.failNext('getIamPolicy', 503);

    const error = await provider.grant(system(), leaseFor()).then(
      () => assert.fail('expected the grant to fail'),
      (thrown: unknown) => thrown,
    );

    assert.ok(!(error instanceof DomainError), 'transient: not a DomainError');
    assert.match(String((error as Error).message), /UNAVAILABLE/);
    assert.equal(fake.calls.length, 4, 'one call and three retries');
    assertNothingWritten();
  });

  test('a Retry-After longer than Least waits inside a call goes straight back to Temporal', async () => {
    fake.failNext('getIamPolicy', 429, undefined, { 'retry-after': '120' });

    await assert.rejects(provider.grant(system(), leaseFor()), (error) => !(error instanceof DomainError));
    assert.equal(fake.calls.length, 1);
  });

  test('concurrent changes that keep winning are retried a bounded number of times, then thrown as they are', async () => {
    const bounded = createGcpProvider({ authClient: fake.authClient(), retryDelayMs: 1, conflictRetries: 2 });
    try {
      for (let i = 0; i < 3; i++) fake.failNext('setIamPolicy', i === 1 ? 412 : 409);
      await assert.rejects(bounded.grant(system(), leaseFor()), (error) => !(error instanceof DomainError));
      assert.deepEqual(
        fake.calls.filter((call) => call.method === 'setIamPolicy').map((call) => call.status),
        [409, 412, 409],
      );
      assertNothingWritten();
    } finally {
      await bounded.close();
    }
  });
});

describe('GCP refusals that no retry fixes', () => {
  test('an unknown role fails with CLOUD.PERMISSION_SET_UNKNOWN and leaves the policy as it was', async () => {
    await rejectsWith(
      provider.grant(system(), leaseFor('roles/no.such.role')),
      ErrorCode.CloudPermissionSetUnknown,
      /roles\/no\.such\.role/,
    );
    assertNothingWritten();
  });

  test('a basic role is refused before anything is sent: GCP would not take a condition on it', async () => {
    await rejectsWith(
      provider.grant(system(), leaseFor('roles/owner')),
      ErrorCode.CloudPermissionSetUnknown,
      /basic role roles\/owner/,
    );
    assert.deepEqual(fake.calls, []);
  });

  test('a member GCP does not know fails with CLOUD.PRINCIPAL_UNKNOWN', async () => {
    fake.missingMembers.add('user:ghost@example.com');
    await rejectsWith(
      provider.grant(system(), leaseFor(ROLE, 'user:ghost@example.com')),
      ErrorCode.CloudPrincipalUnknown,
      /ghost@example\.com.*principals:/,
    );
    assertNothingWritten();
  });

  test('403 fails with CLOUD.ACCESS_DENIED naming the project and the role Least needs', async () => {
    fake.failNext('setIamPolicy', 403, {
      error: { code: 403, message: 'Policy update access denied.', status: 'PERMISSION_DENIED' },
    });
    const error = await rejectsWith(
      provider.grant(system(), leaseFor()),
      ErrorCode.CloudAccessDenied,
      /project payments-prod-1/,
    );
    assert.match(error.message, /roles\/resourcemanager\.projectIamAdmin/);
    assert.match(error.message, /resourcemanager\.projects\.setIamPolicy/);
    assertNothingWritten();
  });

  test('a folder Least may not change names roles/resourcemanager.folderIamAdmin', async () => {
    await rejectsWith(
      provider.check(system({ projectId: undefined, folderId: '999' }), leaseFor()),
      ErrorCode.CloudAccessDenied,
      /folder 999.*folderIamAdmin/,
    );
  });

  test('an unknown project: 403 as Google usually answers (says it may not exist), 404 as CLOUD.TARGET_UNKNOWN', async () => {
    const missing = system({ projectId: 'no-such-project' });
    await rejectsWith(provider.grant(missing, leaseFor()), ErrorCode.CloudAccessDenied, /does not exist/);
    fake.missingResourceStatus = 404;
    await rejectsWith(provider.grant(missing, leaseFor()), ErrorCode.CloudTargetUnknown, /no-such-project/);
    await rejectsWith(provider.revoke(missing, leaseFor()), ErrorCode.CloudTargetUnknown);
    assertNothingWritten();
  });

  test('plain http is refused for anything but a loopback endpoint', async () => {
    await rejectsWith(
      provider.grant(system({ endpoint: 'http://rm.example.com' }), leaseFor()),
      ErrorCode.CloudTargetUnknown,
      /https/,
    );
    assert.deepEqual(fake.calls, []);
  });

  test('an AWS system is not a GCP system', async () => {
    const aws = {
      id: 'aws',
      cloud: 'aws',
      accountId: '123456789012',
      region: 'us-east-1',
      brokerRoleArn: 'arn:aws:iam::123456789012:role/b',
    } as AuthorizationSystem;
    await rejectsWith(provider.grant(aws, leaseFor()), ErrorCode.CloudTargetUnknown, /not GCP/);
  });
});
