import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expandGcpRole, gcpAccessLevels, gcpMemberIdentity } from '../../../domain/inventory/gcp-role';

describe('GCP roles', () => {
  test('access level from the verb', () => {
    assert.deepEqual(gcpAccessLevels('storage.buckets.get'), ['Read']);
    assert.deepEqual(gcpAccessLevels('storage.buckets.getIamPolicy'), ['Read']);
    assert.deepEqual(gcpAccessLevels('storage.buckets.list'), ['List']);
    assert.deepEqual(gcpAccessLevels('storage.buckets.setIamPolicy'), ['Permissions management']);
    assert.deepEqual(gcpAccessLevels('storage.buckets.create'), ['Write']);
    assert.deepEqual(gcpAccessLevels('iam.serviceAccounts.getAccessToken'), ['Write']);
    assert.deepEqual(gcpAccessLevels('resourcemanager.tagValueBindings.create'), ['Tagging']);
  });

  test('a role without a permission list grants nothing and is reported', () => {
    const { actions, skipped } = expandGcpRole('doc', { name: 'roles/x', includedPermissions: 'all' });
    assert.equal(actions.length, 0);
    assert.equal(skipped[0]?.reason, 'gcp.role.invalid');
  });

  test('members: users, groups and service accounts are identities; others are reported', () => {
    assert.deepEqual(gcpMemberIdentity('user:ada@example.com'), {
      kind: 'gcp-user',
      nature: 'human',
      name: 'ada@example.com',
    });
    assert.equal(
      (gcpMemberIdentity('serviceAccount:a@p.iam.gserviceaccount.com') as { kind: string }).kind,
      'gcp-service-account',
    );
    assert.equal(
      (gcpMemberIdentity('allAuthenticatedUsers') as { skip: { reason: string } }).skip.reason,
      'gcp.member.unsupported',
    );
    assert.equal(
      (gcpMemberIdentity('deleted:group:g@example.com?uid=1') as { skip: { reason: string } }).skip.reason,
      'gcp.member.deleted',
    );
  });
});
