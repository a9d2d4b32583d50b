import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupDeciderGroups, cleanupDeciders } from '../../../domain/cleanup/rules';
import {
  checkCleanupDecision,
  deciderGroupOf,
  type CleanupDecisionInput,
  type CleanupRunState,
} from '../../../domain/cleanup/run';
import { ErrorCode } from '../../../domain/errors';
import { policySchema } from '../../../domain/policy/schema';

/** Who may answer a cleanup change in the workflow's validator, Slack user groups included. */

const OWNER = 'ada@example.com';
const SYSTEM_OWNER = 'lead@example.com';
const MEMBER = 'grace@example.com';
const OWNERS_GROUP = 'slack:SOWNERS1';

const run = (extra: Partial<CleanupRunState> = {}): CleanupRunState => ({
  runId: 'run-1',
  systemId: 'aws-prod',
  mode: 'report',
  phase: 'noticing',
  noticeSeconds: 7 * 86_400,
  deciders: [SYSTEM_OWNER],
  deciderGroups: [OWNERS_GROUP],
  items: [
    {
      itemId: 'item-1',
      change: 'detach-policy',
      object: { kind: 'aws-policy-attachment', key: 'k', name: 'unused-sns' },
      identities: ['batch'],
      owners: [OWNER],
      explicitOnly: false,
      actions: 0,
    },
  ],
  ...extra,
});

const click = (decider: string, groups?: string[]): CleanupDecisionInput => ({
  itemId: 'item-1',
  kind: 'remove',
  decider,
  ...(groups ? { groups } : {}),
});

describe('checkCleanupDecision with decider groups', () => {
  it("accepts a member of one of the run's decider groups, as the bot found them", () => {
    assert.deepEqual(checkCleanupDecision(run(), click(MEMBER, [OWNERS_GROUP])), { ok: true });
    assert.equal(deciderGroupOf(run(), click(MEMBER, ['slack:SOTHER1', OWNERS_GROUP])), OWNERS_GROUP);
  });

  it('refuses a group the run does not name, no group, and a run from before groups were kept', () => {
    for (const [state, input] of [
      [run(), click(MEMBER, ['slack:SOTHER1'])],
      [run(), click(MEMBER)],
      [run({ deciderGroups: undefined }), click(MEMBER, [OWNERS_GROUP])],
    ] as const) {
      const verdict = checkCleanupDecision(state, input);
      assert.equal(verdict.ok ? undefined : verdict.code, ErrorCode.CleanupNotAuthorized);
    }
  });

  it('names no group for someone the run names anyway: the audit says a group only when it decided', () => {
    assert.equal(deciderGroupOf(run(), click(OWNER, [OWNERS_GROUP])), undefined);
    assert.equal(deciderGroupOf(run(), click(SYSTEM_OWNER.toUpperCase(), [OWNERS_GROUP])), undefined);
  });
});

describe('cleanupDeciderGroups', () => {
  it("keys the system owners' and the admins' Slack user groups; their members stay out of the deciders", () => {
    const policy = policySchema.parse({
      version: 1,
      authorizationSystems: [
        {
          id: 'aws-prod',
          cloud: 'aws',
          title: 'AWS production',
          accountId: '123456789012',
          brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
          identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', identityStoreId: 'd-1' },
          owners: { users: [SYSTEM_OWNER], slackUserGroups: ['SOWNERS1', 'SADMINS1'] },
        },
      ],
      admins: { users: ['sec@example.com'], slackUserGroups: ['SADMINS1'] },
      entitlements: [
        {
          id: 'prod-read',
          title: 'Production read',
          system: 'aws-prod',
          grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
          requesters: { everyone: true },
          approvers: { users: [SYSTEM_OWNER] },
        },
      ],
    });
    const system = policy.authorizationSystems[0]!;
    assert.deepEqual(cleanupDeciderGroups(policy, system), ['slack:SADMINS1', 'slack:SOWNERS1']);
    assert.deepEqual(cleanupDeciders(policy, system), [SYSTEM_OWNER, 'sec@example.com']);
  });
});
