import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DocumentAction, GrantPath, Identity, PolicyDocument } from '../../../domain/inventory/model';
import type { InventoryStore } from '../../../activities/store/inventory/store';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/** What one identity can do and did, read from a finished snapshot: groups followed, denies subtracted. */

const SYSTEM = 'view-aws';
let db: TestDatabase;
let inventory: InventoryStore;

function identity(name: string, kind: Identity['kind'], nature: Identity['nature']): Identity {
  const type = kind === 'aws-iam-group' ? 'group' : kind === 'aws-iam-user' ? 'user' : 'role';
  return { systemId: SYSTEM, id: `arn:aws:iam::111122223333:${type}/${name}`, kind, name, nature, tags: {} };
}

type Statement = Partial<DocumentAction> & { action: string };

function policy(name: string, statements: Statement[]): { document: PolicyDocument; actions: DocumentAction[] } {
  const id = `sha256:${createHash('sha256').update(name).digest('hex')}`;
  return {
    document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud: false, body: { name } },
    actions: statements.map((s) => ({
      documentId: id,
      effect: 'allow',
      accessLevels: ['Read'],
      resourceReach: 'all',
      conditional: false,
      ...s,
    })),
  };
}

function holds(who: Identity, documentId: string, extra: Partial<GrantPath> = {}): GrantPath {
  return {
    systemId: SYSTEM,
    identityId: who.id,
    kind: 'managed-policy',
    documentId,
    scope: '*',
    conditional: false,
    ...extra,
  };
}

function member(who: Identity, group: Identity): GrantPath {
  return {
    systemId: SYSTEM,
    identityId: who.id,
    kind: 'group-membership',
    via: group.id,
    scope: '*',
    conditional: false,
  };
}

const ada = identity('Ada', 'aws-iam-user', 'human');
const bob = {
  ...identity('Bob', 'aws-iam-user', 'human'),
  trustPolicy: { Statement: [{ Effect: 'Allow', Principal: { Service: 'x' } }] },
};
const engineers = identity('Engineers', 'aws-iam-group', 'group');
const everyone = identity('Everyone', 'aws-iam-group', 'group');

const s3Read = policy('S3Read', [{ action: 's3:GetObject' }, { action: 's3:ListBucket', accessLevels: ['List'] }]);
const iamAdmin = policy('IamAdmin', [
  { action: 'iam:AttachRolePolicy', accessLevels: ['Permissions management', 'Write'] },
  { action: 'iam:CreateUser', accessLevels: ['Write'] },
  { action: 'iam:DeleteUser', accessLevels: ['Write'] },
]);
const baseline = policy('Baseline', [{ action: 'sts:GetCallerIdentity' }]);
const guard = policy('Guard', [
  { action: 'iam:DeleteUser', effect: 'deny' },
  { action: 'iam:CreateUser', effect: 'deny', resourceReach: 'some' },
]);
const boundary = policy('Boundary', [{ action: 's3:GetObject' }, { action: 's3:ListBucket' }]);

before(async () => {
  let store;
  ({ db, store } = await freshStore());
  inventory = store.inventory;
  await inventory.beginRun({
    runId: 'view-1',
    systemId: SYSTEM,
    windowFrom: '2026-01-01T00:00:00.000Z',
    windowTo: '2026-03-31T23:59:59.000Z',
    catalogues: { aws: 'iam-data test' },
  });
  const sink = inventory.sink('view-1');
  await sink.identities([ada, bob, engineers, everyone]);
  await sink.documents([s3Read, iamAdmin, baseline, guard, boundary]);
  await sink.grantPaths([
    member(ada, engineers),
    member(engineers, everyone),
    holds(engineers, iamAdmin.document.id),
    holds(everyone, baseline.document.id),
    holds(ada, guard.document.id, { kind: 'inline-policy', via: 'guard' }),
    holds(ada, s3Read.document.id),
    holds(bob, s3Read.document.id),
    holds(bob, iamAdmin.document.id),
    holds(bob, boundary.document.id, { kind: 'permissions-boundary' }),
  ]);
  await sink.usage([
    { systemId: SYSTEM, identityId: ada.id, action: 's3:GetObject', day: '2026-02-03', count: 4, denied: 0 },
    { systemId: SYSTEM, identityId: ada.id, action: 's3:GetObject', day: '2026-03-01', count: 1, denied: 0 },
    { systemId: SYSTEM, identityId: ada.id, action: 'iam:DeleteUser', day: '2026-03-02', count: 0, denied: 2 },
    // outside the window: not counted
    { systemId: SYSTEM, identityId: ada.id, action: 's3:ListBucket', day: '2025-12-31', count: 9, denied: 0 },
  ]);
  await sink.coverage([
    {
      systemId: SYSTEM,
      identityId: '*',
      source: 'cloudtrail',
      granularity: 'action-day',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-03-31T23:59:59.000Z',
      actions: 'all',
      exceptActions: ['sts:*'],
    },
    {
      systemId: SYSTEM,
      identityId: ada.id,
      source: 'activity-log',
      granularity: 'action-day',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-03-31T23:59:59.000Z',
      actions: 'writes',
      services: ['sts'],
    },
  ]);
  await inventory.finishRun('view-1');
});
after(async () => {
  await db?.drop();
});

describe('identity view', () => {
  test('found by name in any case; a member holds its groups’ actions, nested groups too', async () => {
    const view = await inventory.identityView(SYSTEM, 'ADA');
    assert.equal(view?.identity.id, ada.id);
    assert.deepEqual(
      view?.granted.map((g) => g.action),
      ['iam:AttachRolePolicy', 'iam:CreateUser', 's3:GetObject', 's3:ListBucket', 'sts:GetCallerIdentity'],
    );
    const attach = view?.granted.find((g) => g.action === 'iam:AttachRolePolicy');
    assert.deepEqual(attach?.accessLevels, ['Permissions management', 'Write']);
    const through = attach?.paths.map((i) => view?.paths[i]);
    assert.deepEqual(
      through?.map((p) => [p?.inheritedFrom, p?.documentName]),
      [[engineers.id, 'IamAdmin']],
    );
    assert.equal(
      view?.paths.find((p) => p.documentName === 'Baseline')?.inheritedFrom,
      everyone.id,
      'group of a group',
    );
    assert.deepEqual(
      view?.coverage.map((c) => [c.identityId, c.source, c.services, c.exceptActions]),
      [
        [ada.id, 'activity-log', ['sts'], undefined],
        ['*', 'cloudtrail', undefined, ['sts:*']],
      ],
    );
    assert.deepEqual(view?.identity.trustPolicy, undefined);
    const bobView = await inventory.identityView(SYSTEM, 'Bob');
    assert.deepEqual(bobView?.identity.trustPolicy, { Statement: [{ Effect: 'Allow', Principal: { Service: 'x' } }] });
  });

  test('an explicit deny on every resource removes the action; a narrower one marks it', async () => {
    const view = await inventory.identityView(SYSTEM, ada.id);
    assert.equal(
      view?.granted.some((g) => g.action === 'iam:DeleteUser'),
      false,
    );
    assert.equal(view?.granted.find((g) => g.action === 'iam:CreateUser')?.partiallyDenied, true);
    assert.equal(view?.granted.find((g) => g.action === 's3:GetObject')?.partiallyDenied, false);
    // the group itself is not denied anything
    const group = await inventory.identityView(SYSTEM, 'engineers');
    assert.ok(group?.granted.some((g) => g.action === 'iam:DeleteUser'));
  });

  test('a permissions boundary keeps only what it also allows', async () => {
    const view = await inventory.identityView(SYSTEM, 'bob');
    assert.deepEqual(
      view?.granted.map((g) => g.action),
      ['s3:GetObject', 's3:ListBucket'],
    );
  });

  test('usage in the window per action: uses, denied attempts, first and last day', async () => {
    const view = await inventory.identityView(SYSTEM, 'ada');
    assert.deepEqual(view?.usage, [
      { action: 'iam:DeleteUser', count: 0, denied: 2 },
      { action: 's3:GetObject', count: 5, denied: 0, firstUsed: '2026-02-03', lastUsed: '2026-03-01' },
    ]);
    assert.equal(view?.granted.find((g) => g.action === 's3:ListBucket')?.usage, undefined, 'used only before');
    assert.deepEqual(
      view?.granted.map((g) => [g.action, g.verdict]),
      [
        ['iam:AttachRolePolicy', 'unused'],
        ['iam:CreateUser', 'unused'],
        ['s3:GetObject', 'used'],
        ['s3:ListBucket', 'unused'],
        // the trail excepts sts:* and the Activity Log sees writes only: this read is unknown, never unused
        ['sts:GetCallerIdentity', 'unknown'],
      ],
    );
    assert.equal(await inventory.identityView(SYSTEM, 'nobody'), undefined);
    assert.equal(await inventory.identityView('another-system', 'ada'), undefined);
  });

  test('unused holders of an action: direct and through groups, groups themselves left out', async () => {
    assert.deepEqual(
      (await inventory.unusedHolders(SYSTEM, 's3:GetObject')).map((h) => h.name),
      ['Bob'],
    );
    assert.deepEqual(
      (await inventory.unusedHolders(SYSTEM, 'sts:GetCallerIdentity')).map((h) => h.name),
      ['Ada'],
    );
  });
});

describe('identity view of a GCP member whose Recommender insights cover some of its roles', () => {
  const GCP = 'view-gcp';
  const member = 'user:ada@example.com';
  const period = { from: '2025-12-01T00:00:00.000Z', to: '2026-03-31T23:59:59.000Z' };
  const role = (name: string, permissions: [string, DocumentAction['accessLevels']][]) => {
    const id = `sha256:${createHash('sha256').update(`gcp ${name}`).digest('hex')}`;
    return {
      document: { id, cloud: 'gcp' as const, kind: 'gcp-role' as const, name, managedByCloud: true, body: { name } },
      actions: permissions.map(([action, accessLevels]) => ({
        documentId: id,
        action,
        effect: 'allow' as const,
        accessLevels,
        resourceReach: 'all' as const,
        conditional: false,
      })),
    };
  };
  const editor = role('roles/editor', [
    ['compute.instances.get', ['Read']],
    ['compute.instances.delete', ['Write']],
    ['storage.buckets.get', ['Read']],
  ]);
  const deployer = role('roles/run.developer', [['run.services.update', ['Write']]]);
  const bucketReader = role('projects/p/roles/bucketReader', [
    ['storage.buckets.get', ['Read']],
    ['storage.objects.get', ['Read']],
  ]);
  const insightFor = (documentId: string) => ({
    systemId: GCP,
    identityId: member,
    source: 'recommender' as const,
    granularity: 'window-total' as const,
    ...period,
    actions: 'all' as const,
    documentId,
  });

  before(async () => {
    await inventory.beginRun({
      runId: 'view-gcp-1',
      systemId: GCP,
      windowFrom: '2026-01-01T00:00:00.000Z',
      windowTo: '2026-03-31T23:59:59.000Z',
      catalogues: { gcp: 'roles.get' },
    });
    const sink = inventory.sink('view-gcp-1');
    await sink.identities([
      { systemId: GCP, id: member, kind: 'gcp-user', name: 'ada@example.com', nature: 'human', tags: {} },
    ]);
    await sink.documents([editor, deployer, bucketReader]);
    const binding = (documentId: string): GrantPath => ({
      systemId: GCP,
      identityId: member,
      kind: 'binding',
      documentId,
      scope: 'projects/p',
      conditional: false,
    });
    await sink.grantPaths([
      binding(editor.document.id),
      binding(deployer.document.id),
      binding(bucketReader.document.id),
    ]);
    await sink.usage([
      { systemId: GCP, identityId: member, action: 'compute.instances.get', day: '2026-03-31', count: 1, denied: 0 },
    ]);
    // two insights of one member over the same period, for two of its three roles
    await sink.coverage([insightFor(editor.document.id), insightFor(deployer.document.id)]);
    await inventory.finishRun('view-gcp-1');
  });

  test("the covered roles' permissions are used or unused; the uncovered role's are unknown", async () => {
    const view = await inventory.identityView(GCP, member);
    assert.deepEqual(view?.coverage.map((c) => c.documentId).sort(), [editor.document.id, deployer.document.id].sort());
    assert.deepEqual(
      view?.granted.map((g) => [g.action, g.verdict]),
      [
        ['compute.instances.delete', 'unused'],
        ['compute.instances.get', 'used'],
        ['run.services.update', 'unused'],
        // granted by the editor too, so the editor's insight speaks for it
        ['storage.buckets.get', 'unused'],
        // only bucketReader grants it and no insight covers bucketReader
        ['storage.objects.get', 'unknown'],
      ],
    );
  });
});
