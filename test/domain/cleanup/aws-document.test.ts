import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import { narrowAwsPolicy } from '../../../domain/cleanup/aws-document';
import type { ActionCatalogue } from '../../../domain/inventory/model';

let catalogue: ActionCatalogue;
before(async () => {
  catalogue = await loadAwsCatalogue();
});

const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

/** The catalogue's actions of a service, sorted, but these. */
function serviceBut(service: string, ...without: string[]): string[] {
  return catalogue.actions
    .map((a) => a.action)
    .filter((a) => a.startsWith(`${service}:`) && !without.includes(a))
    .sort();
}

describe('narrowAwsPolicy', () => {
  test('a wildcard that loses nothing stays as written; one that loses an action becomes its remaining names', () => {
    const body = policy({
      Sid: 'App',
      Effect: 'Allow',
      Action: ['s3:Get*', 'sqs:*', 'ec2:DescribeInstances'],
      Resource: '*',
    });
    const result = narrowAwsPolicy(body, new Set(['sqs:DeleteQueue', 'sqs:PurgeQueue']), catalogue);
    assert.deepEqual(result.document, {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'App',
          Effect: 'Allow',
          Action: ['s3:Get*', ...serviceBut('sqs', 'sqs:DeleteQueue', 'sqs:PurgeQueue'), 'ec2:DescribeInstances'],
          Resource: '*',
        },
      ],
    });
    assert.deepEqual(result.removed, ['sqs:DeleteQueue', 'sqs:PurgeQueue']);
    assert.equal(result.unchanged, false);
    assert.equal(result.empty, false);
  });

  test('names match case-insensitively; an exact name goes, the string form stays a string', () => {
    const result = narrowAwsPolicy(
      policy(
        { Effect: 'Allow', Action: ['S3:getobject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/*' },
        { Effect: 'Allow', Action: 'sqs:sendmessage', Resource: '*' },
      ),
      new Set(['s3:GetObject']),
      catalogue,
    );
    assert.deepEqual(result.document?.Statement, [
      { Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::b/*' },
      { Effect: 'Allow', Action: 'sqs:sendmessage', Resource: '*' },
    ]);
    assert.deepEqual(result.removed, ['s3:GetObject']);
  });

  test('a statement left with no action is dropped; the others keep their order, Resource and Condition', () => {
    const kept = {
      Sid: 'Run',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    };
    const result = narrowAwsPolicy(
      policy({ Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }, kept, {
        Sid: 'Queue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: '*',
      }),
      new Set(['s3:GetObject', 'sqs:SendMessage']),
      catalogue,
    );
    assert.deepEqual(result.document, { Version: '2012-10-17', Statement: [kept] });
    assert.deepEqual(result.removed, ['s3:GetObject', 'sqs:SendMessage']);
  });

  test('Deny, NotAction and Sid-marked statements stay as written, and what they still allow is not removed', () => {
    const deny = { Effect: 'Deny', Action: 'sqs:*', Resource: '*' };
    const notAction = { Sid: 'Broad', Effect: 'Allow', NotAction: ['iam:*'], Resource: 'arn:aws:s3:::logs/*' };
    const marked = { Sid: 'LeastKeepQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
    const plain = { Effect: 'Allow', Action: ['s3:PutObject', 'sqs:SendMessage', 'kms:Decrypt'], Resource: '*' };
    const result = narrowAwsPolicy(
      policy(deny, notAction, marked, plain),
      new Set(['s3:PutObject', 'sqs:SendMessage', 'kms:Decrypt', 'iam:PassRole']),
      catalogue,
      { sidPrefix: 'LeastKeep' },
    );
    assert.deepEqual(result.document?.Statement, [deny, notAction, marked]);
    assert.deepEqual(result.removed, [], 'iam:PassRole was never allowed; the rest still is');
    assert.deepEqual(result.keptByMarker, ['sqs:SendMessage']);
    assert.deepEqual(result.keptByNotAction, ['kms:Decrypt', 's3:PutObject', 'sqs:SendMessage']);
    assert.match(result.cannotNarrow ?? '', /NotAction statement still allows 3 of the actions/);
  });

  test('a document with no statement left is empty: the caller deletes or detaches instead', () => {
    const result = narrowAwsPolicy(
      policy({ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: '*' }),
      new Set(['sqs:SendMessage', 'sqs:ReceiveMessage']),
      catalogue,
    );
    assert.equal(result.empty, true);
    assert.deepEqual(result.document, { Version: '2012-10-17', Statement: [] });
    assert.deepEqual(result.removed, ['sqs:ReceiveMessage', 'sqs:SendMessage']);
  });

  test('nothing to remove: the document as read, unchanged', () => {
    const body = policy({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' });
    const result = narrowAwsPolicy(JSON.stringify(body), new Set(['sqs:SendMessage']), catalogue);
    assert.equal(result.unchanged, true);
    assert.deepEqual(result.document, body);
    assert.deepEqual(result.removed, []);
  });

  test('names are not repeated, nor listed where a kept wildcard of the statement covers them', () => {
    const result = narrowAwsPolicy(
      policy({ Effect: 'Allow', Action: ['s3:List*', 's3:*', 's3:GetObject', 's3:ListBucket'], Resource: '*' }),
      new Set(['s3:PutObject']),
      catalogue,
    );
    const action = (result.document?.Statement as { Action: string[] }[])[0]!.Action;
    // s3:* lost an action: its remaining names, less those s3:List* still covers; s3:ListBucket as written
    assert.deepEqual(action, [
      's3:List*',
      ...serviceBut('s3', 's3:PutObject').filter((a) => !a.startsWith('s3:List')),
      's3:ListBucket',
    ]);
    assert.deepEqual(result.removed, ['s3:PutObject']);
  });

  test('a single Statement object stays an object; the URL-encoded text IAM returns is read', () => {
    const body = {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: '*' },
    };
    const result = narrowAwsPolicy(encodeURIComponent(JSON.stringify(body)), new Set(['sqs:SendMessage']), catalogue);
    assert.deepEqual(result.document, {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: '*' },
    });
  });

  test('a result longer than IAM takes is flagged, not passed off as usable', () => {
    const result = narrowAwsPolicy(
      policy({ Effect: 'Allow', Action: '*', Resource: '*' }),
      new Set(['iam:PassRole']),
      catalogue,
      { maxChars: 6144 },
    );
    assert.equal(result.tooLong?.max, 6144);
    assert.ok((result.tooLong?.chars ?? 0) > 100_000);
    assert.deepEqual(result.removed, ['iam:PassRole']);
  });

  test('a body that is not a policy is not narrowed, and says so', () => {
    const result = narrowAwsPolicy('{not json', new Set(['s3:GetObject']), catalogue);
    assert.equal(result.document, undefined);
    assert.equal(result.unchanged, true);
    assert.match(result.cannotNarrow ?? '', /not readable: not JSON/);
  });
});
