import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { createAwsCollector, leaseIdentityId, ssoUserId, type AwsCollector } from '../../../activities/inventory/aws';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  APP_ROLE,
  BROKER_ROLE,
  BROKER_ROLE_ARN,
  CI_USER,
  freshAwsAccount,
  REGION,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../../support/fakes/aws-fixtures';
import {
  assumedRoleActor,
  ensureBucket,
  iamUserActor,
  identityCenterActor,
  trailKey,
  writeRawTrailObject,
  writeTrailFile,
  type TrailEvent,
} from '../../support/generators/cloudtrail';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { runStep } from '../../support/checks/collector-run';
import { inventorySystem } from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const s3 = new S3Client({ endpoint: motoUrl, region: REGION, forcePathStyle: true });
const BUCKET = 'org-trail-logs';
const WINDOW = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z' };
const at = (iso: string) => new Date(iso);

const user = iamUserActor(ACCOUNT_ID, CI_USER);
const app = assumedRoleActor(ACCOUNT_ID, APP_ROLE, 'i-0abc123');
const ada = identityCenterActor(ACCOUNT_ID, 'ReadOnly', 'ada.lovelace');
const lease = assumedRoleActor(ACCOUNT_ID, BROKER_ROLE, 'least-req-42');
const collectorItself = assumedRoleActor(ACCOUNT_ID, BROKER_ROLE, 'least-inventory');
const call = (
  time: string,
  actor: TrailEvent['actor'],
  eventSource: string,
  eventName: string,
  extra: Partial<TrailEvent> = {},
): TrailEvent => ({
  time: at(time),
  actor,
  eventSource,
  eventName,
  region: REGION,
  ...extra,
});

let account: AwsAccount;
let collector: AwsCollector;

before(async () => {
  account = await freshAwsAccount(motoUrl);
  await ensureBucket(s3, BUCKET);
  collector = createAwsCollector({ trailFilesPerPage: 2 });
});
after(() => collector.close());

async function collect(inventory: Record<string, unknown>) {
  const { policy, system } = inventorySystem(account, motoUrl, { accessAdvisor: false, ...inventory });
  const sink = new RecordingSink();
  const result = await runStep(collector, system, 'usage:cloudtrail', {
    window: WINDOW,
    policy,
    sink,
    runId: `run-${Math.random()}`,
  });
  return { sink, result, system };
}

describe('AWS inventory: usage from CloudTrail files in S3', () => {
  test('records are attributed to users, roles, Identity Center users and permission sets, and leases', async () => {
    const location = { bucket: BUCKET, prefix: 'single', accountId: ACCOUNT_ID };
    await writeTrailFile(s3, location, REGION, [
      call('2026-03-01T09:15:00Z', user, 's3.amazonaws.com', 'ListObjects', {
        resources: ['arn:aws:s3:::payments-logs'],
      }),
      call('2026-03-01T09:20:00Z', user, 's3.amazonaws.com', 'ListObjects'),
      call('2026-03-01T10:00:00Z', app, 'dynamodb.amazonaws.com', 'DescribeTable'),
      call('2026-03-01T10:05:00Z', app, 'iam.amazonaws.com', 'CreateUser', { errorCode: 'AccessDenied' }),
    ]);
    await writeTrailFile(s3, location, 'eu-west-1', [
      call('2026-03-02T11:00:00Z', ada, 'ec2.amazonaws.com', 'DescribeInstances', {
        region: 'eu-west-1',
        sourceIPAddress: '192.0.2.10',
      }),
      call('2026-03-02T11:30:00Z', lease, 'iam.amazonaws.com', 'PutRolePolicy'),
      call('2026-03-02T11:31:00Z', collectorItself, 'iam.amazonaws.com', 'GetAccountAuthorizationDetails'),
      call(
        '2026-03-02T11:40:00Z',
        { type: 'AWSService', accountId: ACCOUNT_ID, invokedBy: 'ec2.amazonaws.com' },
        'kms.amazonaws.com',
        'Decrypt',
      ),
    ]);
    const { sink, result } = await collect({ cloudTrail: { bucket: BUCKET, prefix: 'single' } });

    const userArn = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;
    const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
    assert.deepEqual(sink.usageOf(userArn, 's3:ListBucket', '2026-03-01'), {
      systemId: 'aws-prod',
      identityId: userArn,
      action: 's3:ListBucket',
      day: '2026-03-01',
      count: 2,
      denied: 0,
    });
    assert.equal(sink.usageOf(roleArn, 'dynamodb:DescribeTable', '2026-03-01')?.count, 1);
    // a refused call is an attempt: counted apart, never a use
    assert.deepEqual(
      [
        sink.usageOf(roleArn, 'iam:CreateUser', '2026-03-01')?.count,
        sink.usageOf(roleArn, 'iam:CreateUser', '2026-03-01')?.denied,
      ],
      [0, 1],
    );

    const adaId = ssoUserId('aws', account.ada.userId);
    assert.equal(
      sink.usageOf(adaId, 'ec2:DescribeInstances', '2026-03-02')?.count,
      1,
      'the Identity Center user, by session name',
    );
    assert.equal(
      sink.usageOf(account.readOnlyPermissionSetArn, 'ec2:DescribeInstances', '2026-03-02')?.count,
      1,
      'and the permission set',
    );
    assert.equal(
      sink.usageOf(leaseIdentityId('req-42'), 'iam:PutRolePolicy', '2026-03-02')?.count,
      1,
      "Least's session notes its lease",
    );
    assert.equal(sink.identitiesById.get(leaseIdentityId('req-42'))?.parentId, BROKER_ROLE_ARN);
    assert.equal(sink.usageOf(BROKER_ROLE_ARN, 'iam:GetAccountAuthorizationDetails', '2026-03-02')?.count, 1);
    assert.ok(
      ![...sink.identitiesById.keys()].some((id) => id.includes('inventory')),
      'the collector itself is no lease',
    );
    assert.equal(
      result.counts['cloudtrail.unattributed'],
      1,
      'a service acting for itself is no identity of the account',
    );

    const detail = sink.details.find((d) => d.identityId === adaId)!;
    assert.equal(detail.hours[11], 1);
    assert.deepEqual([detail.regions, detail.addresses], [['eu-west-1'], ['192.0.2.10']]);
    assert.deepEqual(sink.details.find((d) => d.identityId === userArn)?.newResources, ['arn:aws:s3:::payments-logs']);

    assert.equal(result.counts['cloudtrail.files'], 2);
    const [coverage] = sink.coverageRows;
    assert.equal(coverage?.granularity, 'action-day');
    assert.equal(coverage?.identityId, '*');
    // no file before the window: the trail is known only from its first delivery
    assert.equal(coverage?.from, '2026-03-01T10:10:00.000Z');
    assert.ok(
      coverage?.exceptActions?.includes('s3:GetObject*'),
      'no data events seen: object reads are not vouched for',
    );
  });

  test('window edges: a file delivered after the window still counts its events inside; events outside are dropped', async () => {
    const location = { bucket: BUCKET, prefix: 'edges', accountId: ACCOUNT_ID };
    await writeTrailFile(
      s3,
      location,
      REGION,
      [call('2026-02-28T23:50:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity')],
      {
        deliveredAt: at('2026-02-28T23:55:00Z'),
      },
    );
    await writeTrailFile(
      s3,
      location,
      REGION,
      [
        call('2026-02-28T23:59:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity'),
        call('2026-03-01T00:01:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity'),
      ],
      { deliveredAt: at('2026-03-01T00:06:00Z') },
    );
    await writeTrailFile(
      s3,
      location,
      REGION,
      [
        call('2026-03-03T23:58:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity'),
        call('2026-03-04T00:02:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity'),
      ],
      {
        deliveredAt: at('2026-03-04T00:07:00Z'),
      },
    );
    // two days past the window: not listed at all
    await writeTrailFile(
      s3,
      location,
      REGION,
      [call('2026-03-03T12:00:00Z', user, 'sts.amazonaws.com', 'GetCallerIdentity')],
      {
        deliveredAt: at('2026-03-06T00:00:00Z'),
      },
    );
    const { sink, result } = await collect({ cloudTrail: { bucket: BUCKET, prefix: 'edges/' } });
    const userArn = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;
    assert.equal(sink.usageOf(userArn, 'sts:GetCallerIdentity', '2026-03-01')?.count, 1);
    assert.equal(sink.usageOf(userArn, 'sts:GetCallerIdentity', '2026-03-03')?.count, 1);
    assert.equal(sink.usageOf(userArn, 'sts:GetCallerIdentity', '2026-02-28'), undefined);
    assert.equal(result.counts['cloudtrail.outsideWindow'], 3);
    assert.equal(result.counts['cloudtrail.files'], 3);
    assert.equal(result.pages, 2, 'two files a page');
    assert.deepEqual([sink.coverageRows[0]?.from, sink.coverageRows[0]?.to], [WINDOW.from, WINDOW.to]);
  });

  test('organization trails: keys carry the org id; the bucket is read through the reader role', async () => {
    const location = { bucket: BUCKET, prefix: 'org', organizationId: 'o-a1b2c3d4e5', accountId: ACCOUNT_ID };
    await writeTrailFile(s3, location, REGION, [
      call('2026-03-02T08:00:00Z', app, 's3.amazonaws.com', 'GetObject', {
        category: 'Data',
        resources: ['arn:aws:s3:::x/y'],
      }),
    ]);
    // another account's files in the same org trail are not this system's
    await writeTrailFile(s3, { ...location, accountId: '210987654321' }, REGION, [
      call('2026-03-02T08:00:00Z', app, 's3.amazonaws.com', 'GetObject'),
    ]);
    const { sink, result } = await collect({
      cloudTrail: {
        bucket: BUCKET,
        prefix: 'org',
        organizationId: 'o-a1b2c3d4e5',
        readerRoleArn: BROKER_ROLE_ARN,
        regions: [REGION],
      },
    });
    assert.equal(result.counts['cloudtrail.files'], 1);
    assert.equal(sink.usageOf(`arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`, 's3:GetObject', '2026-03-02')?.count, 1);
    assert.equal(
      sink.coverageRows[0]?.exceptActions?.some((a) => a.startsWith('s3:')),
      false,
      'S3 data events were seen',
    );
  });

  test('bad files are counted and skipped, the page goes on', async () => {
    const location = { bucket: BUCKET, prefix: 'bad', accountId: ACCOUNT_ID };
    const good = await writeTrailFile(s3, location, REGION, [
      call('2026-03-02T08:00:00Z', user, 's3.amazonaws.com', 'ListBuckets'),
      call('2026-03-02T08:01:00Z', user, 'nosuchservice.amazonaws.com', 'DoThing'),
      { ...call('2026-03-02T08:02:00Z', user, 's3.amazonaws.com', ''), eventName: '' },
    ]);
    const full = gzipSync(JSON.stringify({ Records: [{ eventName: 'x' }] }));
    const truncatedKey = trailKey(location, REGION, at('2026-03-02T09:00:00Z'), 'TRUNCATEDAAAAAAA');
    await writeRawTrailObject(s3, BUCKET, truncatedKey, full.subarray(0, full.length - 10));
    const plainKey = trailKey(location, REGION, at('2026-03-02T09:05:00Z'), 'NOTGZIPAAAAAAAAA');
    await writeRawTrailObject(s3, BUCKET, plainKey, Buffer.from('{"Records": []}'));
    const jsonKey = trailKey(location, REGION, at('2026-03-02T09:10:00Z'), 'BADJSONAAAAAAAAA');
    await writeRawTrailObject(s3, BUCKET, jsonKey, gzipSync('{"Records": [ {"eventName": '));
    const { sink, result } = await collect({ cloudTrail: { bucket: BUCKET, prefix: 'bad' } });
    const reasons = sink.skippedItems.map((s) => `${s.reason} ${s.item}`).sort();
    assert.deepEqual(
      reasons,
      [
        `cloudtrail.file.malformed ${jsonKey}`,
        `cloudtrail.file.malformed ${plainKey}`,
        `cloudtrail.file.malformed ${truncatedKey}`,
        `cloudtrail.record.malformed ${good}`,
        `cloudtrail.service.unknown ${good}`,
      ].sort(),
    );
    assert.equal(
      sink.usageOf(`arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`, 's3:ListAllMyBuckets', '2026-03-02')?.count,
      1,
    );
    assert.equal(result.counts['cloudtrail.files'], 4);
  });

  test('files of a megabyte and more: counted whole, though each file is freed as soon as it is read', async () => {
    const location = { bucket: BUCKET, prefix: 'large', accountId: ACCOUNT_ID };
    const records = 1500; // past the 64 KiB from which a file's memory is detached, compressed and inflated
    for (const [hour, region] of [
      ['08', REGION],
      ['09', REGION],
      ['10', 'eu-west-1'],
    ] as const) {
      await writeTrailFile(
        s3,
        location,
        region,
        Array.from({ length: records }, (_, i) =>
          call(`2026-03-02T${hour}:${String(i % 60).padStart(2, '0')}:00Z`, user, 's3.amazonaws.com', 'GetObject', {
            region,
            resources: [`arn:aws:s3:::large-${hour}/${i}.csv`],
            requestParameters: { bucketName: `large-${hour}`, key: `${i}.csv`, padding: 'x'.repeat(200) },
          }),
        ),
      );
    }
    const { sink, result } = await collect({ cloudTrail: { bucket: BUCKET, prefix: 'large' } });
    const userArn = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;
    assert.equal(result.counts['cloudtrail.records'], 3 * records);
    assert.equal(sink.usageOf(userArn, 's3:GetObject', '2026-03-02')?.count, 3 * records);
    const detail = sink.detailRows.filter((d) => d.identityId === userArn);
    assert.deepEqual([...new Set(detail.flatMap((d) => d.regions))].sort(), ['eu-west-1', REGION].sort());
    // values were copied out of each file before its memory went: a page keeps its first resources of the day
    const resources = detail.flatMap((d) => d.newResources);
    assert.ok(resources.includes('arn:aws:s3:::large-10/0.csv'), JSON.stringify(resources));
    assert.ok(resources.includes('arn:aws:s3:::large-09/19.csv'), JSON.stringify(resources));
    assert.deepEqual(sink.skippedItems, []);
  });

  test('no files in the window: no coverage, and the run says why', async () => {
    const { sink } = await collect({ cloudTrail: { bucket: BUCKET, prefix: 'empty' } });
    assert.deepEqual(sink.coverageRows, []);
    assert.deepEqual(
      sink.skippedItems.map((s) => s.reason),
      ['cloudtrail.files.none'],
    );
  });
});
