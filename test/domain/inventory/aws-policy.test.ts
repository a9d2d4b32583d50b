import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import { expandAwsPolicy, isAwsConditionOperator, matchAwsActions } from '../../../domain/inventory/aws-policy';
import type { ActionCatalogue, DocumentAction } from '../../../domain/inventory/model';
import { SkipReason } from '../../../domain/inventory/skip-reasons';

let catalogue: ActionCatalogue;
before(async () => {
  catalogue = await loadAwsCatalogue();
});

function expand(statement: unknown): ReturnType<typeof expandAwsPolicy> {
  return expandAwsPolicy(catalogue, 'sha256:doc', { Version: '2012-10-17', Statement: statement });
}

function names(rows: DocumentAction[]): string[] {
  return rows.map((row) => row.action).sort();
}

/** The catalogue's own answer, computed the slow and obvious way. */
function catalogueWhere(test: (service: string, action: string) => boolean): string[] {
  return catalogue.actions
    .filter((entry) => {
      const [service = '', action = ''] = entry.action.split(':');
      return test(service, action);
    })
    .map((entry) => entry.action)
    .sort();
}

function row(rows: DocumentAction[], action: string, effect: 'allow' | 'deny' = 'allow'): DocumentAction {
  const found = rows.find((candidate) => candidate.action === action && candidate.effect === effect);
  assert.ok(found, `expected a ${effect} row for ${action}`);
  return found;
}

describe('expandAwsPolicy on the real catalogue', () => {
  test('AdministratorAccess grants every catalogue action on every resource, unconditionally', () => {
    const { actions, skipped } = expand([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    assert.equal(actions.length, catalogue.actions.length);
    assert.ok(catalogue.actions.length > 20000);
    assert.deepEqual(names(actions), catalogue.actions.map((entry) => entry.action).sort());
    assert.ok(actions.every((a) => a.effect === 'allow' && a.resourceReach === 'all' && !a.conditional));
    assert.ok(actions.every((a) => a.documentId === 'sha256:doc'));
    assert.deepEqual(skipped, []);
  });

  test('s3:Get* is exactly the catalogue s3 actions starting with Get', () => {
    const { actions } = expand({ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::reports/*' });
    const expected = catalogueWhere((service, action) => service === 's3' && action.startsWith('Get'));
    assert.ok(expected.includes('s3:GetObject') && expected.length > 50);
    assert.deepEqual(names(actions), expected);
    assert.ok(actions.every((a) => a.resourceReach === 'some'));
  });

  test('matching ignores case in pattern and prefix, and rows keep the catalogue spelling', () => {
    const { actions, skipped } = expand({ Effect: 'Allow', Action: ['S3:getobject', 'IAM:PASSROLE', 'Ec2:describe*'] });
    assert.deepEqual(skipped, []);
    const expected = [
      's3:GetObject',
      'iam:PassRole',
      ...catalogueWhere((service, action) => service === 'ec2' && action.startsWith('Describe')),
    ].sort();
    assert.deepEqual(names(actions), expected);
  });

  test('? matches one character and a wildcard service prefix reaches every service', () => {
    assert.deepEqual(
      matchAwsActions(catalogue, 's3:GetObjec?')?.map((e) => e.action),
      ['s3:GetObject'],
    );
    const anyGet = matchAwsActions(catalogue, '*:GetObject') ?? [];
    assert.deepEqual(
      anyGet.map((e) => e.action).sort(),
      catalogueWhere((_service, action) => action === 'GetObject'),
    );
    assert.ok(anyGet.length > 1, 'several services have a GetObject action');
  });

  test('NotAction iam:* with Allow grants everything but IAM', () => {
    const { actions, skipped } = expand({ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' });
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      names(actions),
      catalogueWhere((service) => service !== 'iam'),
    );
    assert.ok(!actions.some((a) => a.action.startsWith('iam:')));
  });

  test('PowerUserAccess: everything but IAM, Organizations and Account, plus the few it names back', () => {
    const { actions, skipped } = expand([
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: [
          'iam:CreateServiceLinkedRole',
          'iam:DeleteServiceLinkedRole',
          'iam:ListRoles',
          'organizations:DescribeOrganization',
          'account:ListRegions',
        ],
        Resource: '*',
      },
    ]);
    assert.deepEqual(skipped, []);
    const iam = names(actions.filter((a) => a.action.startsWith('iam:')));
    assert.deepEqual(iam, ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles']);
    assert.equal(row(actions, 'ec2:TerminateInstances').resourceReach, 'all');
    assert.equal(
      actions.find((a) => a.action === 'iam:CreatePolicyVersion'),
      undefined,
    );
  });

  test('a ReadOnlyAccess-like document grants only List and Read actions', () => {
    const { actions, skipped } = expand({
      Effect: 'Allow',
      Action: ['s3:Get*', 's3:List*', 'ec2:Describe*', 'iam:Get*', 'iam:List*', 'dynamodb:Describe*', 'logs:Get*'],
      Resource: '*',
    });
    assert.deepEqual(skipped, []);
    assert.ok(actions.length > 200);
    const levels = new Set(actions.flatMap((a) => a.accessLevels));
    assert.deepEqual([...levels].sort(), ['List', 'Read']);
  });

  test('access levels are sets: iam:CreatePolicyVersion is Permissions management and Write', () => {
    const { actions } = expand({ Effect: 'Allow', Action: 'iam:CreatePolicyVersion', Resource: '*' });
    assert.deepEqual(row(actions, 'iam:CreatePolicyVersion').accessLevels, ['Permissions management', 'Write']);
  });

  test('Deny statements give deny rows beside the allow rows', () => {
    const { actions } = expand([
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: ['s3:DeleteBucket', 's3:DeleteObject'], Resource: 'arn:aws:s3:::audit*' },
    ]);
    assert.equal(row(actions, 's3:DeleteBucket', 'allow').resourceReach, 'all');
    assert.equal(row(actions, 's3:DeleteBucket', 'deny').resourceReach, 'some');
    assert.deepEqual(names(actions.filter((a) => a.effect === 'deny')), ['s3:DeleteBucket', 's3:DeleteObject']);
  });

  test('NotAction with Deny denies everything the pattern leaves out', () => {
    const { actions } = expand({ Effect: 'Deny', NotAction: 'sts:*', Resource: '*' });
    assert.ok(actions.every((a) => a.effect === 'deny'));
    assert.deepEqual(
      names(actions),
      catalogueWhere((service) => service !== 'sts'),
    );
  });

  test('NotResource: an Allow reaches all resources, a Deny only some', () => {
    const { actions } = expand([
      { Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:*:*:secret' },
      { Effect: 'Deny', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:*:*:public' },
    ]);
    assert.equal(row(actions, 'sqs:SendMessage', 'allow').resourceReach, 'all');
    assert.equal(row(actions, 'sqs:SendMessage', 'deny').resourceReach, 'some');
  });

  test('a Condition makes rows conditional', () => {
    const { actions, skipped } = expand({
      Effect: 'Allow',
      Action: 'ec2:StartInstances',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:ResourceTag/team': 'data' },
        'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['x*'] },
        Null: { 'aws:MultiFactorAuthAge': 'false' },
      },
    });
    assert.deepEqual(skipped, []);
    assert.equal(row(actions, 'ec2:StartInstances').conditional, true);
  });

  test('duplicate rows merge: widest reach, unconditional only where an unconditional statement reaches that far', () => {
    const { actions } = expand([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::a/*',
        Condition: { Bool: { 'aws:x': 'true' } },
      },
      { Effect: 'Allow', Action: 's3:Get*', Resource: '*', Condition: { Bool: { 'aws:y': 'true' } } },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::c/*',
        Condition: { Bool: {} },
      },
    ]);
    assert.equal(actions.filter((a) => a.action === 's3:GetObject').length, 1);
    assert.deepEqual(row(actions, 's3:GetObject'), {
      documentId: 'sha256:doc',
      action: 's3:GetObject',
      effect: 'allow',
      accessLevels: ['Read'],
      resourceReach: 'all',
      // on `*` only under a condition; unconditionally only on bucket b: not "everything, always"
      conditional: true,
    });
    assert.equal(row(actions, 's3:GetBucketPolicy').conditional, true);
    assert.equal(row(actions, 's3:PutObject').resourceReach, 'some');
    assert.equal(row(actions, 's3:PutObject').conditional, true);

    const widest = expand([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::a/*',
        Condition: { Bool: { 'aws:x': 'true' } },
      },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
    ]).actions;
    assert.deepEqual(
      [row(widest, 's3:GetObject').resourceReach, row(widest, 's3:GetObject').conditional],
      ['all', false],
    );
  });

  test('a document may be a JSON string, URL-encoded as IAM returns it, with one statement as an object', () => {
    const document = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' } };
    for (const body of [JSON.stringify(document), encodeURIComponent(JSON.stringify(document))]) {
      const { actions, skipped } = expandAwsPolicy(catalogue, 'd', body);
      assert.deepEqual(skipped, []);
      assert.deepEqual(names(actions), ['kms:Decrypt']);
    }
  });
});

describe('expandAwsPolicy on bad input reports and goes on', () => {
  test('invalid JSON, a non-object and bad URL-encoding are reported, not thrown', () => {
    for (const body of ['{"Statement": [', '42', 'null', '%E0%A4%A', 17, null, ['x']]) {
      const { actions, skipped } = expandAwsPolicy(catalogue, 'arn:aws:iam::1:policy/p', body);
      assert.deepEqual(actions, []);
      assert.equal(skipped.length, 1, `one skip for ${JSON.stringify(body)}`);
      assert.equal(skipped[0]?.reason, SkipReason.PolicyJsonInvalid);
      assert.equal(skipped[0]?.item, 'arn:aws:iam::1:policy/p');
    }
  });

  test('a document with no Statement is reported', () => {
    const { actions, skipped } = expandAwsPolicy(catalogue, 'd', { Version: '2012-10-17' });
    assert.deepEqual(actions, []);
    assert.deepEqual(
      skipped.map((s) => s.reason),
      [SkipReason.PolicyStatementMissing],
    );
  });

  test('an unknown Effect drops that statement only', () => {
    const { actions, skipped } = expand([
      { Effect: 'allow', Action: 's3:ListBucket', Resource: '*' },
      { Action: 's3:ListBucket', Resource: '*' },
      { Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
    ]);
    assert.deepEqual(names(actions), ['sqs:ListQueues']);
    assert.deepEqual(
      skipped.map((s) => s.reason),
      [SkipReason.PolicyEffectUnknown, SkipReason.PolicyEffectUnknown],
    );
    assert.match(skipped[0]?.detail ?? '', /statement 1.*"allow"/);
  });

  test('unknown actions are reported and the known ones still expand', () => {
    const { actions, skipped } = expand({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjekt', 'nosuchservice:*', 'ec2:Frobnicate*'],
      Resource: '*',
    });
    assert.deepEqual(names(actions), ['s3:GetObject']);
    assert.deepEqual(
      skipped.map((s) => [s.reason, s.detail]),
      [
        [SkipReason.ActionUnknown, 'statement 1: s3:GetObjekt'],
        [SkipReason.ActionUnknown, 'statement 1: nosuchservice:*'],
        [SkipReason.ActionUnknown, 'statement 1: ec2:Frobnicate*'],
      ],
    );
  });

  test('entries that are not actions and statements that are not statements are reported', () => {
    const { actions, skipped } = expand([
      'not a statement',
      { Sid: 'Both', Effect: 'Allow', Action: 's3:GetObject', NotAction: 's3:PutObject', Resource: '*' },
      { Effect: 'Allow', Resource: '*' },
      { Effect: 'Allow', Action: ['s3', 42, 'sns:Publish'], Resource: '*' },
    ]);
    assert.deepEqual(names(actions), ['sns:Publish']);
    assert.deepEqual(
      skipped.map((s) => s.reason),
      [
        SkipReason.PolicyStatementInvalid,
        SkipReason.PolicyStatementInvalid,
        SkipReason.PolicyStatementInvalid,
        SkipReason.ActionInvalid,
        SkipReason.ActionInvalid,
      ],
    );
    assert.match(skipped[1]?.detail ?? '', /statement 2 \(Both\)/);
  });

  test('an unknown condition operator is reported and the statement still counts, as conditional', () => {
    const { actions, skipped } = expand({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: '*',
      Condition: { StringEqualz: { 'aws:PrincipalTag/team': 'a' }, NullIfExists: { 'aws:x': 'true' } },
    });
    assert.equal(row(actions, 'lambda:InvokeFunction').conditional, true);
    assert.deepEqual(
      skipped.map((s) => [s.reason, s.detail]),
      [
        [SkipReason.ConditionOperatorUnknown, 'statement 1: StringEqualz'],
        [SkipReason.ConditionOperatorUnknown, 'statement 1: NullIfExists'],
      ],
    );
  });

  test('a Condition that is not an object is reported and counts as conditional', () => {
    const { actions, skipped } = expand({ Effect: 'Allow', Action: 'sns:Publish', Resource: '*', Condition: 'yes' });
    assert.equal(row(actions, 'sns:Publish').conditional, true);
    assert.deepEqual(
      skipped.map((s) => s.reason),
      [SkipReason.ConditionInvalid],
    );
  });

  test('condition operators: qualifiers and IfExists are understood', () => {
    for (const known of ['StringEquals', 'stringequals', 'ArnLikeIfExists', 'ForAllValues:StringLike', 'Null']) {
      assert.equal(isAwsConditionOperator(known), true, known);
    }
    for (const unknown of ['StringEqualz', 'NullIfExists', 'ForSomeValues:StringLike', '', 'IfExists']) {
      assert.equal(isAwsConditionOperator(unknown), false, unknown);
    }
  });
});
