import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { policySchema, type PolicyInput } from '../../../domain/policy/schema';

/** The policy's `digests:` list: what a person writes, what it means, and the mistakes it names. */

function policyWith(digests: unknown[]): PolicyInput {
  return {
    version: 1,
    authorizationSystems: [
      {
        id: 'aws-prod',
        cloud: 'aws',
        accountId: '123456789012',
        brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
      },
    ],
    entitlements: [
      {
        id: 'logs',
        title: 'Logs',
        system: 'aws-prod',
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
    digests: digests as PolicyInput['digests'],
  };
}

function problems(digests: unknown[]): string[] {
  const result = policySchema.safeParse(policyWith(digests));
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const daily = { id: 'sec', platform: 'slack', channel: 'C0123ABCDE', time: '08:30', timeZone: 'Europe/Berlin' };

describe('policy digests', () => {
  test('a daily digest gets every section by default; a weekly one names its weekday', () => {
    const policy = policySchema.parse(
      policyWith([
        daily,
        {
          id: 'weekly',
          platform: 'teams',
          channel: '19:abc@thread.tacv2',
          cadence: 'weekly',
          weekday: 'monday',
          time: '09:00',
          timeZone: 'America/New_York',
          sections: ['findings'],
        },
      ]),
    );
    assert.deepEqual(policy.digests[0], {
      ...daily,
      cadence: 'daily',
      sections: ['access', 'findings', 'cleanup', 'anomalies'],
    });
    assert.deepEqual(policy.digests[1]?.sections, ['findings']);
    assert.equal(policy.digests[1]?.weekday, 'monday');
  });

  test('no digests is an empty list', () => {
    const { digests: _digests, ...without } = policyWith([]);
    assert.deepEqual(policySchema.parse(without).digests, []);
  });

  test('a time zone that does not exist is a clear error at its path', () => {
    assert.deepEqual(problems([{ ...daily, timeZone: 'Europe/Atlantis' }]), [
      'digests.0.timeZone: "Europe/Atlantis" is not a time zone name; use one from the IANA database such as Europe/Berlin',
    ]);
    assert.equal(problems([{ ...daily, timeZone: '+02:00' }]).length, 1);
  });

  test('times, weekdays, channels and sections are checked', () => {
    assert.deepEqual(
      problems([
        { ...daily, id: 'a', time: '8:30' },
        { ...daily, id: 'b', cadence: 'weekly' },
        { ...daily, id: 'c', weekday: 'friday' },
        { ...daily, id: 'd', channel: '#security' },
        { ...daily, id: 'e', sections: ['access', 'access'] },
        { ...daily, id: 'f', sections: ['weather'] },
        { ...daily, id: 'a' },
      ]),
      [
        'digests.0.time: a time of day as HH:MM (24-hour), such as 08:30',
        'digests.1.weekday: a weekly digest names its weekday, e.g. monday',
        'digests.2.weekday: a daily digest has no weekday; set cadence: weekly',
        "digests.3.channel: a Slack channel id such as C0123ABCD (the channel's details show it); file uploads take no names",
        'digests.4.sections.1: "access" is listed twice',
        'digests.5.sections.0: Invalid option: expected one of "access"|"findings"|"cleanup"|"anomalies"',
        'digests.6.id: duplicate id "a"',
      ],
    );
  });
});
