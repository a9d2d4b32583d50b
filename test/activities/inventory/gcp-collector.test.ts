import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcpCollector, type GcpCollector } from '../../../activities/inventory/gcp';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { collectAll, collectContext } from '../../support/checks/collector-run';
import {
  FakeGcpInventory,
  GCP_FOLDER,
  GCP_ORGANIZATION,
  GCP_PROJECT,
  gcpInventoryPolicy,
  seedGcpInventory,
} from '../../support/fakes/fake-gcp-inventory';
import { FakeResourceManager } from '../../support/fakes/fake-resource-manager';

let resourceManager: FakeResourceManager;
let fake: FakeGcpInventory;
let policy: Policy;
let collector: GcpCollector;
let sink: RecordingSink;

function systemFor(target: { projectId: string } | { folderId: string }): AuthorizationSystem {
  policy = gcpInventoryPolicy('gcp-inv', resourceManager.url, target, {});
  return policy.authorizationSystems[0]!;
}

before(async () => {
  resourceManager = await FakeResourceManager.start();
  fake = await FakeGcpInventory.start(resourceManager);
});
after(async () => {
  await fake.stop();
  await resourceManager.stop();
});

beforeEach(async () => {
  await collector?.close();
  resourceManager.reset();
  await fake.stop();
  fake = await FakeGcpInventory.start(resourceManager);
  seedGcpInventory(resourceManager, fake);
  collector = createGcpCollector({
    authClient: resourceManager.authClient(),
    endpoints: { iam: `${fake.url}/`, recommender: fake.url },
    retry: { retryDelayMs: 5, maxRetryDelayMs: 50 },
    pageSize: 2,
  });
  sink = new RecordingSink();
});
after(() => collector.close());

const permissionsOf = (name: string): string[] => sink.documentNamed(name)?.actions.map((a) => a.action) ?? [];

describe('GCP IAM policies', () => {
  test('the project, its folder and its organization: bindings on ancestors are inherited paths', async () => {
    const system = systemFor({ projectId: GCP_PROJECT });
    const { pages } = await collectAll(collector, system, collectContext(sink, policy), ['iam-policies']);
    assert.equal(pages['iam-policies'], 3, 'project, folder, organization');
    const project = `projects/${GCP_PROJECT}`;
    const grace = sink.pathRows.find((path) => path.identityId === 'user:grace@example.com')!;
    assert.deepEqual([grace.kind, grace.scope, grace.via], ['binding', project, undefined]);
    const adaFromFolder = sink.pathRows.find((p) => p.identityId === 'user:ada@example.com' && p.kind === 'inherited')!;
    assert.equal(adaFromFolder.via, `folders/${GCP_FOLDER}`);
    assert.equal(adaFromFolder.scope, project);
    const auditors = sink.pathRows.find((path) => path.identityId === 'group:auditors@example.com')!;
    assert.deepEqual([auditors.kind, auditors.via], ['inherited', `organizations/${GCP_ORGANIZATION}`]);
    assert.ok(
      sink.pathRows.some(
        (path) => path.identityId === 'user:ada@example.com' && path.kind === 'binding' && path.conditional,
      ),
    );

    const kinds = new Map(sink.identityRows.map((identity) => [identity.id, identity.kind]));
    assert.equal(kinds.get('user:ada@example.com'), 'gcp-user');
    assert.equal(kinds.get('group:auditors@example.com'), 'gcp-group');
    assert.equal(kinds.get('serviceAccount:ci@shop-prod-123.iam.gserviceaccount.com'), 'gcp-service-account');
  });

  test('predefined and custom roles are read once each and expanded with access levels from the verb', async () => {
    const system = systemFor({ projectId: GCP_PROJECT });
    await collectAll(collector, system, collectContext(sink, policy), ['iam-policies']);
    assert.ok(permissionsOf('roles/owner').includes('resourcemanager.projects.setIamPolicy'));
    assert.deepEqual(permissionsOf(`organizations/${GCP_ORGANIZATION}/roles/deployer`), [
      'iam.serviceAccounts.actAs',
      'run.services.create',
      'run.services.update',
    ]);
    const levels = new Map(sink.documentNamed('roles/owner')!.actions.map((a) => [a.action, a.accessLevels]));
    assert.deepEqual(levels.get('resourcemanager.projects.setIamPolicy'), ['Permissions management']);
    assert.deepEqual(levels.get('compute.instances.get'), ['Read']);
    assert.deepEqual(levels.get('compute.instances.list'), ['List']);
    assert.deepEqual(levels.get('compute.instances.delete'), ['Write']);
    assert.ok(sink.documentNamed('roles/owner')!.document.managedByCloud);
    assert.ok(!sink.documentNamed(`projects/${GCP_PROJECT}/roles/bucketReader`)!.document.managedByCloud);
    assert.equal(fake.callsTo('/roles/').length, 7, 'seven distinct roles (one missing), each asked once');
    assert.equal(fake.callsTo('/v1/roles/viewer').length, 1);
  });

  test('a missing role, a malformed permission, allUsers and a deleted member are counted and skipped', async () => {
    const system = systemFor({ projectId: GCP_PROJECT });
    await collectAll(collector, system, collectContext(sink, policy), ['iam-policies']);
    const reasons = sink.skippedRows.map((item) => item.reason).sort();
    assert.deepEqual(reasons, [
      'gcp.member.deleted',
      'gcp.member.unsupported',
      'gcp.permission.invalid',
      'gcp.role.not-found',
    ]);
    assert.deepEqual(permissionsOf(`projects/${GCP_PROJECT}/roles/bucketReader`), [
      'storage.buckets.get',
      'storage.objects.get',
    ]);
  });

  test('an organization Least may not read ends the walk, reported, not failed', async () => {
    resourceManager.reset();
    seedGcpInventory(resourceManager, fake);
    resourceManager.parents.set(`folders/${GCP_FOLDER}`, 'organizations/555');
    const system = systemFor({ folderId: GCP_FOLDER });
    await collectAll(collector, system, collectContext(sink, policy), ['iam-policies']);
    assert.ok(sink.pathRows.some((path) => path.identityId === 'user:ada@example.com' && path.kind === 'binding'));
    assert.deepEqual(
      sink.skippedRows.filter((s) => s.reason === 'gcp.policy.ancestor-denied').map((s) => s.item),
      ['organizations/555'],
    );
  });

  test('a 503 from roles.get is retried and the page then succeeds', async () => {
    fake.failNext('/v1/roles/owner', 503);
    const system = systemFor({ projectId: GCP_PROJECT });
    await collectAll(collector, system, collectContext(sink, policy), ['iam-policies']);
    assert.ok(permissionsOf('roles/owner').length > 0);
    assert.equal(fake.callsTo('/v1/roles/owner').length, 2);
  });
});

describe('GCP service accounts', () => {
  test('every page of accounts, and user-managed keys as credentials of their account', async () => {
    const system = systemFor({ projectId: GCP_PROJECT });
    const { pages, counts } = await collectAll(collector, system, collectContext(sink, policy), ['service-accounts']);
    assert.equal(pages['service-accounts'], 2);
    assert.deepEqual([counts.serviceAccounts, counts.serviceAccountKeys], [3, 2]);
    const key = sink.identityRows.find((identity) => identity.id.endsWith('/keys/k-user-1'))!;
    assert.equal(key.kind, 'gcp-service-account-key');
    assert.equal(key.nature, 'credential');
    assert.equal(key.parentId, 'serviceAccount:ci@shop-prod-123.iam.gserviceaccount.com');
    assert.equal(key.createdAt, '2024-05-01T00:00:00Z');
    assert.ok(!sink.identityRows.some((identity) => identity.id.endsWith('k-system-1')));
    assert.equal(
      sink.identityRows.find((i) => i.id === 'serviceAccount:old@shop-prod-123.iam.gserviceaccount.com')?.disabled,
      true,
    );
  });

  test('a folder system has no service-account step', () => {
    assert.deepEqual(collector.steps(systemFor({ folderId: GCP_FOLDER })), ['iam-policies', 'usage:recommender']);
  });
});

describe('GCP Recommender', () => {
  test('exercised permissions as a window total over the observation period, through a 503', async () => {
    fake.failNext('/insights', 503);
    const system = systemFor({ projectId: GCP_PROJECT });
    const { pages, counts } = await collectAll(collector, system, collectContext(sink, policy), ['usage:recommender']);
    assert.equal(pages['usage:recommender'], 2);
    assert.equal(counts.insights, 4);
    const ada = sink.usageRows.filter((row) => row.identityId === 'user:ada@example.com').map((row) => row.action);
    assert.deepEqual(ada.sort(), ['compute.instances.get', 'compute.instances.list']);
    assert.ok(
      sink.usageRows.some(
        (row) => row.identityId.startsWith('serviceAccount:ci@') && row.action === 'run.services.update',
      ),
    );

    const coverage = sink.coverageRows.find((row) => row.identityId === 'user:grace@example.com')!;
    assert.equal(coverage.source, 'recommender');
    assert.equal(coverage.granularity, 'window-total');
    assert.equal(Date.parse(coverage.to) - Date.parse(coverage.from), 90 * 86_400_000);
    assert.equal(sink.coverageRows.length, 3, 'one per insight with content');
    assert.deepEqual(
      sink.skippedRows.map((item) => item.reason),
      ['gcp.insight.invalid'],
    );
    assert.ok(fake.callsTo('/insights').some((call) => call.status === 503));
  });

  test('an insight speaks only for its role: its coverage names the document the IAM policy step stored', async () => {
    const system = systemFor({ projectId: GCP_PROJECT });
    await collectAll(collector, system, collectContext(sink, policy), ['iam-policies', 'usage:recommender']);
    const ada = sink.coverageRows.filter((row) => row.identityId === 'user:ada@example.com');
    assert.deepEqual(
      ada.map((row) => row.documentId),
      [sink.documentNamed('roles/editor')!.document.id],
      'the editor binding only, not the bucketReader one',
    );
    const ci = sink.coverageRows.find((row) => row.identityId.startsWith('serviceAccount:ci@'));
    assert.equal(ci?.documentId, sink.documentNamed(`organizations/${GCP_ORGANIZATION}/roles/deployer`)!.document.id);
  });

  test('an insight for a role IAM no longer has keeps its uses and claims no coverage', async () => {
    const parent = `projects/${GCP_PROJECT}/locations/global/insightTypes/google.iam.policy.Insight`;
    fake.insights.set(parent, [
      {
        name: `${parent}/insights/i-gone`,
        content: {
          role: `projects/${GCP_PROJECT}/roles/gone`,
          member: 'user:ada@example.com',
          exercisedPermissions: [{ permission: 'storage.objects.get' }],
        },
        lastRefreshTime: new Date().toISOString(),
        observationPeriod: '7776000s',
      },
    ]);
    const system = systemFor({ projectId: GCP_PROJECT });
    await collectAll(collector, system, collectContext(sink, policy), ['usage:recommender']);
    assert.deepEqual(
      sink.usageRows.map((row) => [row.identityId, row.action]),
      [['user:ada@example.com', 'storage.objects.get']],
    );
    assert.deepEqual(sink.coverageRows, []);
    assert.deepEqual(
      sink.skippedRows.map((item) => [item.reason, item.detail]),
      [['gcp.insight.role-unknown', `projects/${GCP_PROJECT}/roles/gone`]],
    );
  });
});

describe('GCP catalogue version', () => {
  test("a run's version names the roles it read, by name and etag; the source before it reads any", async () => {
    const project = systemFor({ projectId: GCP_PROJECT });
    assert.match(await collector.catalogueVersion(project, 'run-1'), /^iam roles\.get v1: 0 roles, sha256:/);
    await collectAll(collector, project, collectContext(sink, policy, new Date(), 'run-1'), ['iam-policies']);
    const version = await collector.catalogueVersion(project, 'run-1');
    assert.match(version, /^iam roles\.get v1: 7 roles, sha256:[0-9a-f]{16}$/, 'seven roles, the missing one too');
    await collectAll(collector, project, collectContext(new RecordingSink(), policy, new Date(), 'run-2'), [
      'iam-policies',
    ]);
    assert.equal(await collector.catalogueVersion(project, 'run-2'), version, 'the same roles, the same version');
    fake.roles.delete('roles/viewer');
    await collectAll(collector, project, collectContext(new RecordingSink(), policy, new Date(), 'run-3'), [
      'iam-policies',
    ]);
    const changed = await collector.catalogueVersion(project, 'run-3');
    assert.match(changed, /: 7 roles, /);
    assert.notEqual(changed, version, 'a role IAM no longer has changes the version');
  });
});
