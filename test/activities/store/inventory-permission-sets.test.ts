import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import { DocumentBatch } from '../../../activities/inventory/aws/documents';
import type { PgStore } from '../../../activities/store/pg-store';
import type { CleanupRules } from '../../../domain/cleanup/model';
import { planCleanup } from '../../../domain/cleanup/plan';
import type { GrantPath, Identity } from '../../../domain/inventory/model';
import type { IdentityView } from '../../../domain/inventory/view';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/**
 * Identity Center in the inventory store, as the collector writes it (activities/inventory/aws/
 * identity-center.ts): a permission set keeps the accounts it is provisioned to; a user's own assignment
 * is its own path and a group's assignment the group's, so the cleanup planner, fed the stored views a
 * page at a time, tells a user's own assignment from its group's.
 */

const SYSTEM = 'sso-aws';
const ACCOUNT = '111122223333';
const PS = 'arn:aws:sso:::permissionSet/ssoins-1/ps-readonlyplus';
const GROUP = 'arn:aws:identitystore:::group/g-oncall';
const WINDOW = { from: '2026-08-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

let db: TestDatabase;
let store: PgStore;
let inlineId: string;

const user = (name: string): Identity => ({
  systemId: SYSTEM,
  id: `arn:aws:identitystore:::user/u-${name}`,
  kind: 'aws-sso-user',
  name,
  nature: 'human',
  tags: {},
  createdAt: '2025-01-01T00:00:00.000Z',
});
const [ada, bob] = [user('ada'), user('bob')];
const path = (identityId: string, kind: GrantPath['kind'], via: string, documentId?: string): GrantPath => ({
  systemId: SYSTEM,
  identityId,
  kind,
  via,
  scope: kind === 'group-membership' ? '*' : ACCOUNT,
  conditional: false,
  ...(documentId ? { documentId } : {}),
});

before(async () => {
  ({ db, store } = await freshStore());
  const documents = new DocumentBatch(await loadAwsCatalogue());
  inlineId = documents.addText(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }],
    }),
    `${PS}#inline`,
    false,
  )!;
  await store.inventory.beginRun({
    runId: 'sso-1',
    systemId: SYSTEM,
    windowFrom: WINDOW.from,
    windowTo: WINDOW.to,
    catalogues: { aws: 'iam-data test' },
  });
  const sink = store.inventory.sink('sso-1');
  await sink.identities([
    ada,
    bob,
    { systemId: SYSTEM, id: GROUP, kind: 'aws-sso-group', name: 'oncall', nature: 'group', tags: {} },
    {
      systemId: SYSTEM,
      id: PS,
      kind: 'aws-permission-set',
      name: 'ReadOnlyPlus',
      nature: 'group',
      tags: {},
      createdAt: '2025-01-01T00:00:00.000Z',
      provisionedAccounts: [ACCOUNT],
    },
  ]);
  await sink.documents(documents.documents());
  await sink.grantPaths([
    path(PS, 'inline-policy', 'ReadOnlyPlus inline policy', inlineId),
    path(GROUP, 'permission-set', PS),
    path(ada.id, 'permission-set', PS), // her own assignment
    path(ada.id, 'group-membership', GROUP),
    path(bob.id, 'group-membership', GROUP),
  ]);
  await sink.usage([
    { systemId: SYSTEM, identityId: bob.id, action: 's3:GetObject', day: '2026-11-20', count: 2, denied: 0 },
  ]);
  await sink.coverage([
    {
      systemId: SYSTEM,
      identityId: '*',
      source: 'cloudtrail',
      granularity: 'action-day',
      from: WINDOW.from,
      to: WINDOW.to,
      actions: 'all',
    },
  ]);
  await store.inventory.finishRun('sso-1');
});
after(async () => {
  await db?.drop();
});

async function streamed(): Promise<IdentityView[]> {
  const stream = await store.inventory.viewStream('sso-1');
  assert.ok(stream);
  const views: IdentityView[] = [];
  for (let after: string | undefined; ;) {
    const page = await stream.page(after, 2);
    views.push(...page);
    if (page.length < 2) return views;
    after = page[page.length - 1]!.identity.id;
  }
}

const rules: CleanupRules = {
  systemId: SYSTEM,
  cloud: 'aws',
  mode: 'report',
  windowDays: 90,
  noticeDays: 7,
  graceDays: 14,
  changes: {
    actions: true,
    attachments: true,
    assignments: true,
    bindings: true,
    accessKeys: true,
    passwords: true,
    inactiveIdentities: true,
  },
  exclude: { identities: [], tags: {}, paths: [], serviceLinked: true, breakGlass: [] },
};

describe('Identity Center in the inventory store', () => {
  test("a permission set keeps the accounts it is provisioned to; a member reaches the set through its group's assignment", async () => {
    const views = await streamed();
    const set = views.find((v) => v.identity.id === PS)!;
    assert.deepEqual(set.identity.provisionedAccounts, [ACCOUNT]);
    const bobView = views.find((v) => v.identity.id === bob.id)!;
    assert.deepEqual(
      bobView.paths.map((p) => [p.kind, p.via, p.inheritedFrom ?? 'own']),
      [
        ['group-membership', GROUP, 'own'],
        ['permission-set', PS, GROUP],
        ['inline-policy', 'ReadOnlyPlus inline policy', PS],
      ],
    );
    assert.deepEqual(
      bobView.granted.map((g) => g.action),
      ['s3:GetObject', 's3:PutObject'],
    );
  });

  test("planned from the stored views: ada's own assignment goes, the group's stays for bob, the set loses what neither used", async () => {
    const documents = await store.cleanupReads.documents('sso-1');
    const plan = planCleanup({
      rules,
      run: (await store.inventory.run('sso-1'))!,
      views: await streamed(),
      documents: (id) => documents.get(id),
      catalogue: await loadAwsCatalogue(),
      ownersOf: () => [],
      decisions: new Map(),
      at: WINDOW.to,
    });
    assert.deepEqual(
      plan.items.map((i) => i.itemId),
      [
        `delete-assignment:aws-sso-assignment:${ada.id}|${PS}|${ACCOUNT}`,
        `narrow-policy:aws-permission-set-policy:${PS}`,
      ],
    );
    assert.deepEqual(plan.items[1]!.removeActions, ['s3:PutObject']);
    assert.deepEqual(
      plan.items[1]!.identities.map((i) => i.name),
      ['ada', 'bob'],
    );
  });
});
