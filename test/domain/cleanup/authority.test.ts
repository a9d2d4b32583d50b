import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCleanupDiff, checkCleanupRestore, type RestorableItem } from '../../../domain/cleanup/authority';
import type { ExternalGroups } from '../../../domain/policy/evaluate';
import { ErrorCode, type Verdict } from '../../../domain/errors';
import { policySchema, type Policy } from '../../../domain/policy/schema';

/**
 * Who may restore what a cleanup run changed, and see a change's diff, by value. Who may start a run
 * (`mayStartCleanup`) is covered in test/bot/cleanup-start.test.ts.
 */

const SYSTEM = 'aws-prod';
const People = {
  admin: 'sec@example.com',
  systemOwner: 'lead2@example.com',
  /** Owns the system through the policy group `aws-prod-owners`. */
  groupOwner: 'lead@example.com',
  /** Owns the system through the Slack user group, when the front end resolved it. */
  slackOwner: 'ops@example.com',
  viewer: 'auditor@example.com',
  ada: 'ada@example.com',
  grace: 'grace@example.com',
  stranger: 'mallory@example.com',
} as const;
const OWNERS_SLACK_GROUP = 'S0OWNERS1';
const EXTERNAL: ExternalGroups = { [`slack:${OWNERS_SLACK_GROUP}`]: [People.slackOwner] };

function policy(owners: Record<string, unknown> = {}): Policy {
  return policySchema.parse({
    version: 1,
    groups: { 'aws-prod-owners': [People.groupOwner] },
    authorizationSystems: [
      {
        id: SYSTEM,
        cloud: 'aws',
        title: 'AWS production',
        accountId: '123456789012',
        brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
        identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', identityStoreId: 'd-1' },
        owners: {
          users: [People.systemOwner],
          groups: ['aws-prod-owners'],
          slackUserGroups: [OWNERS_SLACK_GROUP],
          ...owners,
        },
      },
    ],
    admins: { users: [People.admin] },
    findings: { securityViewers: { users: [People.viewer] } },
    entitlements: [
      {
        id: 'prod-read',
        title: 'Production read',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: [People.groupOwner] },
      },
    ],
  });
}

const item = (owners: string[], outcome?: RestorableItem['outcome']): RestorableItem => ({
  owners,
  ...(outcome ? { outcome } : {}),
});

/** Ada's removed change, Grace's removed change, and one nobody acted on that Grace owns. */
const RUN: RestorableItem[] = [
  item([People.ada], 'removed'),
  item([People.grace], 'removed'),
  item([People.grace], 'kept'),
];

const WHOLE_RUN_REFUSAL =
  "Only the system's owners and Least's admins may restore a whole run (or someone who owns every change in it).";
const ITEMS_REFUSAL = "Only the owners of these changes, the system's owners and Least's admins may restore them.";

const restore = (
  person: string,
  items: readonly RestorableItem[],
  options: { wholeRun?: boolean; external?: ExternalGroups; policy?: Policy } = {},
): Verdict =>
  checkCleanupRestore(
    options.policy ?? policy(),
    SYSTEM,
    person,
    { items, wholeRun: options.wholeRun ?? false },
    options.external ?? EXTERNAL,
  );

const refusedWith = (message: string): Verdict => ({ ok: false, code: ErrorCode.CleanupNotAuthorized, message });

describe('checkCleanupRestore: the system and Least', () => {
  it("lets Least's admins restore a whole run of other people's changes", () => {
    assert.deepEqual(restore(People.admin, RUN, { wholeRun: true }), { ok: true });
  });

  it("lets the system's owners named in the policy restore: by name, by policy group, by Slack user group", () => {
    for (const person of [People.systemOwner, People.groupOwner, People.slackOwner])
      assert.deepEqual(restore(person, RUN, { wholeRun: true }), { ok: true }, person);
  });

  it('counts a Slack user group only as the front end resolved it: the CLI, with none, refuses its members', () => {
    assert.deepEqual(restore(People.slackOwner, RUN, { wholeRun: true, external: {} }), refusedWith(WHOLE_RUN_REFUSAL));
  });

  it('does not make everyone a restorer when the owners are `everyone`; named admins and owners still are', () => {
    const open = policy({ everyone: true });
    assert.deepEqual(restore(People.stranger, RUN, { wholeRun: true, policy: open }), refusedWith(WHOLE_RUN_REFUSAL));
    assert.deepEqual(
      restore(People.stranger, [item([People.ada], 'removed')], { policy: open }),
      refusedWith(ITEMS_REFUSAL),
    );
    assert.deepEqual(restore(People.admin, RUN, { wholeRun: true, policy: open }), { ok: true });
    assert.deepEqual(restore(People.systemOwner, RUN, { wholeRun: true, policy: open }), { ok: true });
  });

  it('refuses a security viewer, who may see every diff but give nothing back', () => {
    assert.deepEqual(restore(People.viewer, RUN, { wholeRun: true }), refusedWith(WHOLE_RUN_REFUSAL));
  });

  it('refuses the admins of a system the policy does not have', () => {
    const verdict = checkCleanupRestore(policy(), 'gcp-data', People.admin, { items: RUN, wholeRun: true }, EXTERNAL);
    assert.deepEqual(verdict, refusedWith(WHOLE_RUN_REFUSAL));
  });
});

describe('checkCleanupRestore: the owners of the changes', () => {
  it('lets someone who owns every change the run removed restore them, even as a whole run', () => {
    const adas = [item([People.ada], 'removed'), item([People.grace, People.ada], 'removed')];
    assert.deepEqual(restore(People.ada, adas, { wholeRun: true }), { ok: true });
    assert.deepEqual(restore(People.ada, [adas[0]!]), { ok: true });
  });

  it('refuses an owner of only some of the changes, with the words of the selection', () => {
    assert.deepEqual(restore(People.ada, RUN, { wholeRun: true }), refusedWith(WHOLE_RUN_REFUSAL));
    assert.deepEqual(restore(People.ada, RUN.slice(0, 2)), refusedWith(ITEMS_REFUSAL));
    assert.deepEqual(restore(People.stranger, [item([People.ada], 'removed')]), refusedWith(ITEMS_REFUSAL));
  });

  it('looks only at what the run changed when it changed something: untouched changes of others are ignored', () => {
    const selection = [
      item([People.ada], 'removed'),
      item([People.grace], 'kept'),
      item([People.grace], 'reported'),
      item([People.grace], 'failed'),
      item([People.grace]),
    ];
    assert.deepEqual(restore(People.ada, selection, { wholeRun: true }), { ok: true });
    assert.deepEqual(restore(People.grace, selection, { wholeRun: true }), refusedWith(WHOLE_RUN_REFUSAL));
  });

  it('counts a change restored before as changed: restoring it again is its owners’ call', () => {
    const selection = [item([People.ada], 'removed'), item([People.grace], 'restored')];
    assert.deepEqual(restore(People.ada, selection), refusedWith(ITEMS_REFUSAL));
    assert.deepEqual(restore(People.grace, [item([People.grace], 'restored'), item([People.ada], 'kept')]), {
      ok: true,
    });
  });

  it('counts a staged change as changed: a restore takes its deny away, so its owners must agree', () => {
    const selection = [item([People.ada], 'removed'), item([People.grace], 'staged')];
    assert.deepEqual(restore(People.ada, selection, { wholeRun: true }), refusedWith(WHOLE_RUN_REFUSAL));
    assert.deepEqual(restore(People.grace, [item([People.grace], 'staged'), item([People.ada], 'kept')]), {
      ok: true,
    });
  });

  it('looks at every selected change when the run changed none', () => {
    const untouched = [item([People.ada], 'kept'), item([People.ada, People.grace])];
    assert.deepEqual(restore(People.ada, untouched), { ok: true });
    assert.deepEqual(restore(People.grace, untouched), refusedWith(ITEMS_REFUSAL));
  });

  it('refuses an empty selection: owning every one of no changes proves nothing', () => {
    assert.deepEqual(restore(People.ada, []), refusedWith(ITEMS_REFUSAL));
    assert.deepEqual(restore(People.stranger, [], { wholeRun: true }), refusedWith(WHOLE_RUN_REFUSAL));
  });

  it('compares e-mail addresses without case or surrounding spaces, on either side', () => {
    assert.deepEqual(restore(' Ada@Example.COM ', [item([People.ada], 'removed')]), { ok: true });
    assert.deepEqual(restore(People.ada, [item(['ADA@example.com'], 'removed')]), { ok: true });
    assert.deepEqual(restore('SEC@EXAMPLE.COM', RUN, { wholeRun: true }), { ok: true });
    assert.deepEqual(restore(' Lead2@Example.com', RUN, { wholeRun: true }), { ok: true });
  });
});

describe('checkCleanupDiff', () => {
  const diff = (person: string, owners: string[], options: { policy?: Policy; external?: ExternalGroups } = {}) =>
    checkCleanupDiff(options.policy ?? policy(), SYSTEM, person, { owners }, options.external ?? EXTERNAL);
  const DIFF_REFUSAL = refusedWith(
    "Only this change's owners, the system's owners, security viewers and Least's admins may see its diff.",
  );

  it("shows it to the change's owners, the system's owners, security viewers and admins, in any case", () => {
    for (const person of [
      People.ada,
      'ADA@example.com ',
      People.systemOwner,
      People.groupOwner,
      People.slackOwner,
      People.viewer,
      People.admin,
    ])
      assert.deepEqual(diff(person, [People.ada]), { ok: true }, person);
  });

  it('refuses anyone else, and the owner of another change', () => {
    assert.deepEqual(diff(People.stranger, [People.ada]), DIFF_REFUSAL);
    assert.deepEqual(diff(People.grace, [People.ada]), DIFF_REFUSAL);
    assert.deepEqual(diff(People.slackOwner, [People.ada], { external: {} }), DIFF_REFUSAL, 'group not resolved');
  });

  it('lets anyone see a diff when the owners are `everyone`, as the policy reads everywhere but restore and start', () => {
    assert.deepEqual(diff(People.stranger, [People.ada], { policy: policy({ everyone: true }) }), { ok: true });
  });
});
