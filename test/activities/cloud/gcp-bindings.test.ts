import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcpProvider, type GcpProvider } from '../../../activities/cloud/gcp';
import type { CloudPrincipal, LeaseSpec } from '../../../domain/lease';
import { policySchema, type AuthorizationSystem, type Policy } from '../../../domain/policy/schema';
import { FakeResourceManager, type FakeBinding } from '../../support/fakes/fake-resource-manager';

const PROJECT = 'payments-prod-1';
const RESOURCE = `projects/${PROJECT}`;
const FOLDER = '123456789012';
const ROLE = 'roles/logging.viewer';
const ADA_MEMBER = 'user:ada@example.com';
const ADA: CloudPrincipal = { kind: 'gcp-member', member: ADA_MEMBER };
const EXPIRES = '2030-01-01T12:00:00.000Z';

let fake: FakeResourceManager;
let provider: GcpProvider;
let policy: Policy;
let system: AuthorizationSystem;
let folderSystem: AuthorizationSystem;

before(async () => {
  fake = await FakeResourceManager.start();
});
after(() => fake.stop());

beforeEach(() => {
  fake.reset();
  policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      { id: 'gcp-payments', cloud: 'gcp', title: 'Payments', projectId: PROJECT, endpoint: fake.url },
      { id: 'gcp-platform', cloud: 'gcp', folderId: FOLDER, endpoint: fake.url },
    ],
    principals: {
      'bob@example.com': {
        'gcp-payments': { gcpMember: 'serviceAccount:bob-tools@payments-prod-1.iam.gserviceaccount.com' },
      },
    },
    entitlements: [
      {
        id: 'payments-logs',
        title: 'Read payments logs',
        system: 'gcp-payments',
        grant: { kind: 'gcp-iam-binding', role: ROLE },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
      {
        id: 'platform-browse',
        title: 'Browse the platform folder',
        system: 'gcp-platform',
        grant: { kind: 'gcp-iam-binding', role: 'roles/browser' },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  [system, folderSystem] = policy.authorizationSystems as [AuthorizationSystem, AuthorizationSystem];
  fake.knownProjects.add(PROJECT);
  fake.knownFolders.add(FOLDER);
  provider = createGcpProvider({ authClient: fake.authClient(), retryDelayMs: 5 });
});
afterEach(() => provider.close());

function leaseFor(
  leaseId = 'req-1',
  expiresAt = EXPIRES,
  principal: CloudPrincipal = ADA,
  role = ROLE,
  systemId = 'gcp-payments',
): LeaseSpec {
  return { leaseId, systemId, grant: { kind: 'gcp-iam-binding', role }, principal, expiresAt };
}

function leaseBinding(leaseId: string, expiry: string, members = [ADA_MEMBER], role = ROLE): FakeBinding {
  return {
    role,
    members,
    condition: {
      title: `least-${leaseId}`,
      description: `Least lease ${leaseId}`,
      expression: `request.time < timestamp("${expiry}")`,
    },
  };
}

/** Bindings someone else owns, which Least must leave exactly as they are. */
const OTHERS: FakeBinding[] = [
  { role: 'roles/owner', members: ['user:founder@example.com'] },
  { role: ROLE, members: [ADA_MEMBER, 'group:sre@example.com'] },
  leaseBinding('req-other', '2030-01-01T08:00:00Z'),
  {
    role: 'roles/storage.objectViewer',
    members: ['user:ada@example.com'],
    condition: { title: 'office hours', expression: 'request.time.getHours("Europe/Berlin") < 18' },
  },
];

const bindingsOf = (resource = RESOURCE): FakeBinding[] => fake.policyOf(resource).bindings;
const serialised = (bindings: FakeBinding[]): string[] => bindings.map((binding) => JSON.stringify(binding));

describe('GCP IAM binding leases', () => {
  test('grant adds one conditional binding that expires itself, at policy version 3, written with the etag it read', async () => {
    const before = fake.setPolicy(RESOURCE, { bindings: OTHERS });

    const receipt = await provider.grant(system, leaseFor());

    const after = fake.policyOf(RESOURCE);
    assert.equal(after.version, 3);
    assert.deepEqual(after.bindings, [...before.bindings, leaseBinding('req-1', '2030-01-01T12:00:00Z')]);
    assert.deepEqual(after.bindings.at(-1)!.condition, {
      title: 'least-req-1',
      description: 'Least lease req-1',
      expression: 'request.time < timestamp("2030-01-01T12:00:00Z")',
    });
    const [read, write] = fake.calls;
    assert.deepEqual([read!.method, write!.method, fake.calls.length], ['getIamPolicy', 'setIamPolicy', 2]);
    assert.deepEqual(read!.body, { options: { requestedPolicyVersion: 3 } });
    assert.equal((write!.body.policy as { etag: string }).etag, before.etag, 'read-modify-write carries the etag read');
    assert.ok(
      fake.calls.every((call) => call.authorization === `Bearer ${fake.token}`),
      'every call carries the bearer token',
    );

    assert.equal(receipt.created, true);
    assert.equal(receipt.key, `gcp-binding:${RESOURCE}:${ROLE}:user:ada@example.com:least-req-1`);
    assert.match(receipt.access.summary, new RegExp(`${ROLE}.*project ${PROJECT}.*2030-01-01T12:00:00Z`));
    assert.equal(receipt.access.url, `https://console.cloud.google.com/iam-admin/iam?project=${PROJECT}`);
    assert.ok(receipt.access.summary.includes(receipt.access.url!));
  });

  test('a retried grant writes nothing and reports the binding was already there', async () => {
    fake.setPolicy(RESOURCE, { bindings: OTHERS });

    const first = await provider.grant(system, leaseFor());
    const between = fake.policyOf(RESOURCE);
    const second = await provider.grant(system, leaseFor());

    assert.deepEqual([first.created, second.created], [true, false]);
    assert.equal(second.key, first.key);
    assert.equal(fake.writes().length, 1);
    assert.deepEqual(fake.policyOf(RESOURCE), between, 'same bindings, same etag');
  });

  test('another writer changing the policy between our read and write: we re-read and both changes survive', async () => {
    fake.setPolicy(RESOURCE, { bindings: OTHERS });
    const theirs: FakeBinding = {
      role: 'roles/cloudsql.client',
      members: ['serviceAccount:app@payments-prod-1.iam.gserviceaccount.com'],
    };
    fake.onNextRead((server) => {
      server.editPolicy(RESOURCE, (bindings) => [...bindings, theirs]);
    });

    const receipt = await provider.grant(system, leaseFor());

    assert.equal(receipt.created, true);
    assert.deepEqual(bindingsOf(), [...OTHERS, theirs, leaseBinding('req-1', '2030-01-01T12:00:00Z')]);
    assert.deepEqual(
      fake.calls.map((call) => `${call.method} ${call.status}`),
      ['getIamPolicy 200', 'setIamPolicy 409', 'getIamPolicy 200', 'setIamPolicy 200'],
      'the stale write was refused and the whole read-modify-write ran again',
    );
  });

  test('revoke removes only our member from our binding; every other binding stays byte for byte', async () => {
    const shared = leaseBinding('req-1', '2030-01-01T12:00:00Z', [ADA_MEMBER, 'user:grace@example.com']);
    const untouched = serialised(
      fake.setPolicy(RESOURCE, { bindings: [...OTHERS, shared] }).bindings.slice(0, OTHERS.length),
    );

    await provider.revoke(system, leaseFor());

    const after = bindingsOf();
    assert.deepEqual(serialised(after.slice(0, OTHERS.length)), untouched);
    assert.deepEqual(after.slice(OTHERS.length), [{ ...shared, members: ['user:grace@example.com'] }]);
  });

  test('revoke drops our binding once it is empty, and a repeated revoke writes nothing', async () => {
    const seeded = serialised(fake.setPolicy(RESOURCE, { bindings: OTHERS }).bindings);
    await provider.grant(system, leaseFor());

    await provider.revoke(system, leaseFor());
    const writesAfterFirst = fake.writes().length;
    await provider.revoke(system, leaseFor());

    assert.deepEqual(serialised(bindingsOf()), seeded);
    assert.equal(fake.writes().length, writesAfterFirst, 'nothing left to remove, so nothing written');
  });

  test('check reads the policy afresh: present while granted, absent after revoke, quoting etag and bindings', async () => {
    fake.setPolicy(RESOURCE, { bindings: OTHERS });
    await provider.grant(system, leaseFor());

    const during = await provider.check(system, leaseFor());
    await provider.revoke(system, leaseFor());
    const etag = fake.policyOf(RESOURCE).etag;
    const readsBefore = fake.calls.filter((call) => call.method === 'getIamPolicy').length;
    const after = await provider.check(system, leaseFor());

    assert.equal(during.present, true);
    assert.match(during.detail, /request\.time < timestamp\("2030-01-01T12:00:00Z"\)/);
    assert.equal(after.present, false);
    assert.ok(after.detail.includes(`etag ${etag}`), after.detail);
    assert.match(
      after.detail,
      new RegExp(
        `${OTHERS.length} bindings.*no binding of ${ROLE} with condition least-req-1 holds user:ada@example.com`,
      ),
    );
    assert.equal(fake.calls.filter((call) => call.method === 'getIamPolicy').length, readsBefore + 1);
  });

  test('check says when the binding is still there but GCP has stopped honouring it', async () => {
    const lapsed = createGcpProvider({ authClient: fake.authClient(), now: () => new Date('2031-01-01T00:00:00Z') });
    try {
      await provider.grant(system, leaseFor());
      const presence = await lapsed.check(system, leaseFor());
      assert.equal(presence.present, true);
      assert.match(presence.detail, /expired/);
    } finally {
      await lapsed.close();
    }
  });

  test('extend rewrites only the expression of our condition', async () => {
    fake.setPolicy(RESOURCE, { bindings: OTHERS });
    await provider.grant(system, leaseFor());
    const before = bindingsOf();

    await provider.extend(system, leaseFor('req-1', '2030-01-01T16:30:00.000Z'));

    const after = bindingsOf();
    const expected = structuredClone(before);
    expected.at(-1)!.condition!.expression = 'request.time < timestamp("2030-01-01T16:30:00Z")';
    assert.deepEqual(after, expected);
  });

  test('a folder system puts the binding into the folder policy', async () => {
    const lease = leaseFor('req-f', EXPIRES, ADA, 'roles/browser', 'gcp-platform');

    const receipt = await provider.grant(folderSystem, lease);

    assert.deepEqual(bindingsOf(`folders/${FOLDER}`), [
      leaseBinding('req-f', '2030-01-01T12:00:00Z', [ADA_MEMBER], 'roles/browser'),
    ]);
    assert.deepEqual(bindingsOf(), [], 'the project is not touched');
    assert.ok(fake.calls.every((call) => call.resource === `folders/${FOLDER}`));
    assert.equal(receipt.access.url, `https://console.cloud.google.com/iam-admin/iam?folder=${FOLDER}`);
    assert.match(receipt.access.summary, new RegExp(`folder ${FOLDER}`));
    assert.equal((await provider.check(folderSystem, lease)).present, true);
    await provider.revoke(folderSystem, lease);
    assert.equal((await provider.check(folderSystem, lease)).present, false);
  });
});

describe('GCP reconciliation', () => {
  test("listObserved tells Least's leases (rebuilt to revoke) from bindings of managed roles made outside Least", async () => {
    fake.setPolicy(RESOURCE, {
      bindings: [
        ...OTHERS,
        leaseBinding('req-2', '2030-02-01T00:00:00Z', ['user:grace@example.com'], 'roles/bigquery.dataViewer'),
        {
          role: ROLE,
          members: ['user:mallory@example.com'],
          condition: { title: 'temporary', expression: 'request.time < timestamp("2031-01-01T00:00:00Z")' },
        },
      ],
    });

    const observed = await provider.listObserved(system, policy);

    const byLeast = observed.filter((grant) => grant.leaseId !== undefined);
    const outOfBand = observed.filter((grant) => grant.leaseId === undefined);
    assert.deepEqual(
      byLeast.map((grant) => [grant.leaseId, grant.key]),
      [
        ['req-other', `gcp-binding:${RESOURCE}:${ROLE}:user:ada@example.com:least-req-other`],
        ['req-2', `gcp-binding:${RESOURCE}:roles/bigquery.dataViewer:user:grace@example.com:least-req-2`],
      ],
    );
    assert.deepEqual(
      byLeast[1]!.lease,
      leaseFor(
        'req-2',
        '2030-02-01T00:00:00.000Z',
        { kind: 'gcp-member', member: 'user:grace@example.com' },
        'roles/bigquery.dataViewer',
      ),
    );
    assert.deepEqual(
      outOfBand.map((grant) => [grant.key, grant.lease]),
      [
        [`gcp-binding:${RESOURCE}:${ROLE}:user:ada@example.com`, undefined],
        [`gcp-binding:${RESOURCE}:${ROLE}:group:sre@example.com`, undefined],
        [`gcp-binding:${RESOURCE}:${ROLE}:user:mallory@example.com:temporary`, undefined],
      ],
      'roles/owner and the office-hours binding are not roles this system grants, so they are not reported',
    );

    await provider.revoke(system, byLeast[1]!.lease!);
    assert.equal((await provider.check(system, byLeast[1]!.lease!)).present, false);
    assert.equal(bindingsOf().length, OTHERS.length + 1);
  });
});

describe('GCP principals', () => {
  const grant = (): LeaseSpec['grant'] => ({ kind: 'gcp-iam-binding', role: ROLE });

  test('a gcpMember mapping wins; otherwise the Google account of the e-mail address', async () => {
    assert.deepEqual(await provider.resolvePrincipal(system, 'Bob@Example.com', grant(), policy), {
      kind: 'gcp-member',
      member: 'serviceAccount:bob-tools@payments-prod-1.iam.gserviceaccount.com',
    });
    assert.deepEqual(await provider.resolvePrincipal(system, 'Ada@Example.com ', grant(), policy), ADA);
    assert.deepEqual(await provider.resolvePrincipal(folderSystem, 'bob@example.com', grant(), policy), {
      kind: 'gcp-member',
      member: 'user:bob@example.com',
    });
  });
});
