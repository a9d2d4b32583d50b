import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcpCleanup, type GcpCleanup } from '../../../activities/cleanup/gcp';
import type { CleanupItem } from '../../../domain/cleanup/model';
import { ErrorCode } from '../../../domain/errors';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import { FakeGcpInventory, gcpInventoryPolicy } from '../../support/fakes/fake-gcp-inventory';
import { type FakeBinding, FakeResourceManager } from '../../support/fakes/fake-resource-manager';

const PROJECT = 'payments-prod-1';
const RESOURCE = `projects/${PROJECT}`;
const ADA = 'user:ada@example.com';
const GRACE = 'user:grace@example.com';
const OBJECT_VIEWER = 'roles/storage.objectViewer';
const LOGS = 'roles/logging.viewer';
const INVOICES = {
  title: 'invoices-only',
  description: 'The invoices bucket',
  expression: 'resource.name.startsWith("projects/_/buckets/invoices")',
};
const BATCH = 'batch@payments-prod-1.iam.gserviceaccount.com';

let resourceManager: FakeResourceManager;
let iamFake: FakeGcpInventory;
let system: AuthorizationSystem;
let cleanup: GcpCleanup;

before(async () => {
  resourceManager = await FakeResourceManager.start();
  iamFake = await FakeGcpInventory.start(resourceManager);
});
after(async () => {
  await iamFake.stop();
  await resourceManager.stop();
});

beforeEach(() => {
  resourceManager.reset();
  iamFake.calls.length = 0;
  iamFake.serviceAccounts.clear();
  system = gcpInventoryPolicy('gcp-payments', resourceManager.url, { projectId: PROJECT }).authorizationSystems[0]!;
  resourceManager.setPolicy(RESOURCE, {
    version: 3,
    bindings: [
      { role: OBJECT_VIEWER, members: [ADA, GRACE], condition: INVOICES },
      { role: LOGS, members: [ADA] },
      { role: 'roles/browser', members: [GRACE] },
    ],
  });
  cleanup = createGcpCleanup({
    authClient: resourceManager.authClient(),
    endpoints: { iam: `${iamFake.url}/` },
    retry: { retryDelayMs: 5, maxRetryDelayMs: 50 },
  });
});
afterEach(() => cleanup.close());

function memberItem(role: string, member: string, title: string): CleanupItem {
  const key = `${RESOURCE}|${role}|${member}|${title}`;
  return {
    itemId: `remove-member:gcp-binding-member:${key}`,
    systemId: 'gcp-payments',
    change: 'remove-member',
    object: { kind: 'gcp-binding-member', key, name: `${role} on ${PROJECT}` },
    identities: [{ id: member, name: member.replace(/^user:/, ''), kind: 'gcp-user' }],
    reason: 'no use of any of its permissions in 90 days',
    owners: [],
  };
}

function accountItem(email: string): CleanupItem {
  return {
    itemId: `disable-service-account:gcp-service-account:serviceAccount:${email}`,
    systemId: 'gcp-payments',
    change: 'disable-service-account',
    object: { kind: 'gcp-service-account', key: `serviceAccount:${email}`, name: email },
    identities: [{ id: `serviceAccount:${email}`, name: email, kind: 'gcp-service-account' }],
    reason: 'no activity in 90 days',
    owners: [],
  };
}

/** The project's bindings by value: members sorted, bindings in a stable order. */
function bindingsNow(): FakeBinding[] {
  return resourceManager
    .policyOf(RESOURCE)
    .bindings.map((binding) => ({ ...binding, members: [...binding.members].sort() }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const withoutEtag = (snapshot: unknown): unknown => ({ ...(snapshot as object), etag: undefined });

describe('GCP cleanup: remove one member from one binding', () => {
  test('snapshot, remove, verify, repeat, restore: the member is back under the same condition, equal by value', async () => {
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const before = bindingsNow();

    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual(snapshot, {
      kind: 'gcp-binding-member',
      resource: RESOURCE,
      role: OBJECT_VIEWER,
      member: ADA,
      title: INVOICES.title,
      exists: true,
      etag: resourceManager.policyOf(RESOURCE).etag,
      bindings: [{ condition: INVOICES }],
      others: [],
    });

    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.equal(
      applied.detail,
      `Took ${ADA} out of the binding of ${OBJECT_VIEWER} with condition "invoices-only" (${INVOICES.expression}) on project ${PROJECT}.`,
    );
    assert.deepEqual(
      resourceManager.policyOf(RESOURCE).bindings.find((binding) => binding.role === OBJECT_VIEWER),
      { role: OBJECT_VIEWER, members: [GRACE], condition: INVOICES },
    );
    const verified = await cleanup.verify(system, item);
    assert.equal(verified.ok, true, verified.detail);

    const again = await cleanup.apply(system, item, snapshot);
    assert.equal(again.status, 'already', again.detail);
    assert.equal(resourceManager.writes().length, 1, 'the retry wrote nothing');

    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(bindingsNow(), before);
    assert.deepEqual(withoutEtag(await cleanup.snapshot(system, item)), withoutEtag(snapshot));
    assert.equal((await cleanup.verify(system, item)).ok, false);
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
    assert.equal(resourceManager.writes().length, 2);
  });

  test("the planner's key for conditional bindings (`*`): every conditional binding of the role; a lease's own binding is not in the way", async () => {
    const LEASE = { title: 'least-lease-1', expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' };
    const policy = resourceManager.policyOf(RESOURCE);
    resourceManager.setPolicy(RESOURCE, {
      version: 3,
      bindings: [
        ...policy.bindings,
        { role: OBJECT_VIEWER, members: [ADA], condition: { ...INVOICES, title: 'receipts-only' } },
      ],
    });
    const item = memberItem(OBJECT_VIEWER, ADA, '*');
    const before = bindingsNow();
    const snapshot = await cleanup.snapshot(system, item);
    assert.equal((snapshot as { bindings: unknown[] }).bindings.length, 2, 'both conditional bindings are the item');
    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    const viewers = resourceManager.policyOf(RESOURCE).bindings.filter((b) => b.role === OBJECT_VIEWER);
    assert.deepEqual(viewers, [{ role: OBJECT_VIEWER, members: [GRACE], condition: INVOICES }]);
    assert.equal((await cleanup.verify(system, item)).ok, true);
    // a lease granted meanwhile is another conditional binding of the role: not in the way of the restore
    const now = resourceManager.policyOf(RESOURCE);
    resourceManager.setPolicy(RESOURCE, {
      version: 3,
      bindings: [...now.bindings, { role: OBJECT_VIEWER, members: [ADA], condition: LEASE }],
    });
    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    const after = bindingsNow();
    const lease = after.find((b) => b.condition?.title === LEASE.title);
    assert.ok(lease, 'the lease binding stays');
    assert.deepEqual(
      after.filter((b) => b.condition?.title !== LEASE.title),
      before,
    );
  });

  test('the last member of an unconditional binding: the binding goes, and Restore makes it again', async () => {
    const item = memberItem(LOGS, ADA, '');
    const before = bindingsNow();
    const snapshot = await cleanup.snapshot(system, item);

    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'applied');
    assert.equal(
      resourceManager.policyOf(RESOURCE).bindings.some((binding) => binding.role === LOGS),
      false,
    );
    assert.deepEqual(await cleanup.verify(system, item), {
      ok: true,
      detail: `${ADA} no longer holds ${LOGS} without a condition on project ${PROJECT}.`,
    });
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'restored');
    assert.deepEqual(bindingsNow(), before);
  });

  test('another writer between our read and our write keeps its change: the etag makes Least read again', async () => {
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const snapshot = await cleanup.snapshot(system, item);
    resourceManager.onNextRead((fake) => {
      fake.editPolicy(RESOURCE, (bindings) => [...bindings, { role: 'roles/iam.securityReviewer', members: [GRACE] }]);
    });

    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'applied');

    const roles = resourceManager.policyOf(RESOURCE).bindings.map((binding) => binding.role);
    assert.ok(roles.includes('roles/iam.securityReviewer'), 'the other writer’s binding survived');
    assert.deepEqual(
      resourceManager.policyOf(RESOURCE).bindings.find((binding) => binding.role === OBJECT_VIEWER)?.members,
      [GRACE],
    );
  });

  test('a condition edited between plan and apply is a conflict, and nothing is written', async () => {
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const snapshot = await cleanup.snapshot(system, item);
    const edited = 'resource.name.startsWith("projects/_/buckets/invoices-2026")';
    resourceManager.editPolicy(RESOURCE, (bindings) =>
      bindings.map((binding) =>
        binding.role === OBJECT_VIEWER ? { ...binding, condition: { ...INVOICES, expression: edited } } : binding,
      ),
    );
    const writes = resourceManager.writes().length;

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /now holds .* which the snapshot did not have .* Nothing was removed/);
    assert.ok(result.detail.includes(edited));
    assert.equal(resourceManager.writes().length, writes);
    assert.deepEqual(
      resourceManager.policyOf(RESOURCE).bindings.find((binding) => binding.role === OBJECT_VIEWER)?.members,
      [ADA, GRACE],
    );
  });

  test('a condition retitled between plan and apply is a conflict too, not a member already gone', async () => {
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const snapshot = await cleanup.snapshot(system, item);
    resourceManager.editPolicy(RESOURCE, (bindings) =>
      bindings.map((binding) =>
        binding.role === OBJECT_VIEWER ? { ...binding, condition: { ...INVOICES, title: 'invoices' } } : binding,
      ),
    );

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /its condition was changed since the snapshot/);
  });

  test('restoring over a later change is refused, naming it', async () => {
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const snapshot = await cleanup.snapshot(system, item);
    await cleanup.apply(system, item, snapshot);
    const edited = 'resource.name.startsWith("projects/_/buckets/archive")';
    resourceManager.editPolicy(RESOURCE, (bindings) =>
      bindings.map((binding) =>
        binding.role === OBJECT_VIEWER ? { ...binding, condition: { ...INVOICES, expression: edited } } : binding,
      ),
    );
    const writes = resourceManager.writes().length;

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /changed after the cleanup: there is now .*archive.*Nothing was put back/);
    assert.equal(resourceManager.writes().length, writes);
    assert.deepEqual(
      resourceManager.policyOf(RESOURCE).bindings.find((binding) => binding.role === OBJECT_VIEWER)?.members,
      [GRACE],
    );
  });

  test('a member removed before the snapshot is gone; removed after it, already: no crash either way', async () => {
    const removeAda = (): void => {
      resourceManager.editPolicy(RESOURCE, (bindings) =>
        bindings.map((binding) =>
          binding.role === OBJECT_VIEWER ? { ...binding, members: binding.members.filter((m) => m !== ADA) } : binding,
        ),
      );
    };
    const item = memberItem(OBJECT_VIEWER, ADA, INVOICES.title);
    const early = await cleanup.snapshot(system, item);
    removeAda();
    const late = await cleanup.snapshot(system, item);

    const gone = await cleanup.apply(system, item, late);
    assert.equal(gone.status, 'gone');
    assert.match(gone.detail, /did not hold roles\/storage\.objectViewer under condition "invoices-only"/);
    assert.equal((await cleanup.apply(system, item, early)).status, 'already');
    assert.equal((await cleanup.restore(system, item, late)).status, 'already');
    assert.equal(resourceManager.writes().length, 0);
  });

  test('a binding on another resource than the system’s is refused', async () => {
    const item = memberItem(LOGS, ADA, '');
    item.object.key = `folders/123|${LOGS}|${ADA}|`;
    await rejectsWith(
      cleanup.snapshot(system, item),
      ErrorCode.CloudTargetUnknown,
      /is on folders\/123, not on project/,
    );
  });
});

describe('GCP cleanup: disable an inactive service account', () => {
  beforeEach(() => {
    iamFake.serviceAccounts.set(PROJECT, [
      { email: BATCH, uniqueId: '2001', keys: [] },
      { email: `old@${PROJECT}.iam.gserviceaccount.com`, uniqueId: '2002', disabled: true, keys: [] },
    ]);
  });
  const batch = () => iamFake.serviceAccounts.get(PROJECT)!.find((account) => account.email === BATCH)!;

  test('snapshot, disable, verify, repeat, restore: enabled again as the snapshot had it', async () => {
    const item = accountItem(BATCH);

    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual(snapshot, {
      kind: 'gcp-service-account',
      email: BATCH,
      exists: true,
      disabled: false,
      uniqueId: '2001',
    });

    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.equal(batch().disabled, true);
    assert.deepEqual(await cleanup.verify(system, item), { ok: true, detail: `Service account ${BATCH} is disabled.` });
    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'already');
    assert.equal(iamFake.callsTo(':disable').length, 1);
    assert.equal(iamFake.callsTo(`projects/${PROJECT}/serviceAccounts/${BATCH}`).length > 0, true);

    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.equal(batch().disabled, false);
    assert.deepEqual(await cleanup.snapshot(system, item), snapshot);
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
    assert.equal(iamFake.callsTo(':enable').length, 1);
  });

  test('an account disabled before the plan stays disabled: nothing to apply, nothing to restore', async () => {
    const item = accountItem(`old@${PROJECT}.iam.gserviceaccount.com`);
    const snapshot = await cleanup.snapshot(system, item);
    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'already');
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
    assert.equal(iamFake.callsTo(':enable').length + iamFake.callsTo(':disable').length, 0);
  });

  test('an account deleted and made again between plan and apply is a conflict, and is not disabled', async () => {
    const item = accountItem(BATCH);
    const snapshot = await cleanup.snapshot(system, item);
    batch().uniqueId = '3001';

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /deleted and made again since the snapshot \(unique id 3001, not 2001\)/);
    assert.equal(batch().disabled, undefined);
  });

  test('restoring over a later change is refused, naming it', async () => {
    const item = accountItem(BATCH);
    const snapshot = await cleanup.snapshot(system, item);
    await cleanup.apply(system, item, snapshot);
    batch().uniqueId = '3001';

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /is another account now \(unique id 3001, not 2001\)/);
    assert.equal(batch().disabled, true);
  });

  test('an account deleted between plan and apply is gone, and so is its restore', async () => {
    const item = accountItem(BATCH);
    const snapshot = await cleanup.snapshot(system, item);
    iamFake.serviceAccounts.set(PROJECT, []);

    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'gone');
    assert.deepEqual(await cleanup.verify(system, item), {
      ok: true,
      detail: `Service account ${BATCH} no longer exists.`,
    });
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'gone');
    const absent = await cleanup.snapshot(system, item);
    assert.deepEqual(absent, { kind: 'gcp-service-account', email: BATCH, exists: false });
    assert.equal((await cleanup.apply(system, item, absent)).status, 'gone');
  });

  test('an account of another project is not this system’s to disable', async () => {
    await rejectsWith(
      cleanup.snapshot(system, accountItem('ci@other-project-9.iam.gserviceaccount.com')),
      ErrorCode.CloudTargetUnknown,
      /belongs to project other-project-9/,
    );
  });
});
