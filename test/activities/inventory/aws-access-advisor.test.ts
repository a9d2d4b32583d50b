import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAwsCollector, type AwsCollector } from '../../../activities/inventory/aws';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  APP_ROLE,
  BROKER_ROLE_ARN,
  CI_USER,
  freshAwsAccount,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../../support/fakes/aws-fixtures';
import { startFakeAccessAdvisor, type FakeAccessAdvisor } from '../../support/fakes/fake-access-advisor';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { runStep } from '../../support/checks/collector-run';
import { inventorySystem } from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const WINDOW = { from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
const userArn = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;

let account: AwsAccount;
let fake: FakeAccessAdvisor;
let collector: AwsCollector;

before(async () => {
  account = await freshAwsAccount(motoUrl);
  fake = await startFakeAccessAdvisor(motoUrl);
  collector = createAwsCollector({ advisorPolling: { delayMs: 10 } });
});
after(async () => {
  collector.close();
  await fake.close();
});

describe('AWS inventory: IAM Access Advisor through a fake at the SDK endpoint', () => {
  test('jobs IN_PROGRESS then COMPLETED, paged, one throttle: tracked actions become usage, unused services coverage', async () => {
    fake.setReport(roleArn, [
      {
        serviceName: 'Amazon S3',
        serviceNamespace: 's3',
        lastAuthenticated: new Date('2026-03-10T12:00:00Z'),
        trackedActions: [
          { actionName: 'ListBucket', lastAccessedTime: new Date('2026-03-10T12:00:00Z') },
          { actionName: 'CreateBucket', lastAccessedTime: new Date('2025-06-01T00:00:00Z') },
          { actionName: 'DeleteBucket' },
        ],
      },
      { serviceName: 'AWS Lambda', serviceNamespace: 'lambda' },
      {
        serviceName: 'Amazon DynamoDB',
        serviceNamespace: 'dynamodb',
        lastAuthenticated: new Date('2025-11-01T00:00:00Z'),
      },
      { serviceName: 'CloudWatch Logs', serviceNamespace: 'logs', lastAuthenticated: new Date('2026-02-01T00:00:00Z') },
    ]);
    fake.failJobsFor(userArn);
    fake.throttleOnce();
    // the system's endpoint is the fake: every other call (STS, IAM lists) passes through to moto
    const { policy, system } = inventorySystem(account, fake.url, { accessAdvisor: true });
    const sink = new RecordingSink();
    const result = await runStep(collector, system, 'usage:access-advisor', { window: WINDOW, policy, sink });

    assert.deepEqual(
      [...sink.usageRows.values()].filter((row) => row.identityId === roleArn),
      [{ systemId: 'aws-prod', identityId: roleArn, action: 's3:ListBucket', day: '2026-03-10', count: 1, denied: 0 }],
    );
    const coverage = sink.coverageRows.find((row) => row.identityId === roleArn)!;
    assert.deepEqual(
      [coverage.source, coverage.granularity, coverage.services],
      ['access-advisor', 'service', ['dynamodb', 'lambda']],
    );
    assert.equal(coverage.from, WINDOW.from);
    assert.deepEqual(
      sink.skippedItems.filter((s) => s.reason === 'access-advisor.job.failed').map((s) => s.item),
      [userArn],
    );
    const statuses = fake.calls.map((c) => `${c.action} ${c.status} ${c.jobStatus ?? ''}`.trim());
    assert.ok(statuses.includes('GetServiceLastAccessedDetails 400'), 'throttled once, retried by the SDK');
    assert.ok(statuses.includes('GetServiceLastAccessedDetails 200 IN_PROGRESS'));
    // four services at two a page: the report was read in two pages
    assert.ok(fake.calls.filter((c) => c.jobStatus === 'COMPLETED').length >= 2);
    assert.ok(result.counts['accessAdvisor.identities']! >= 2, 'roles, then users');
    assert.ok(
      sink.coverageRows.some((row) => row.identityId === BROKER_ROLE_ARN) === false,
      'a role with nothing granted reports no services',
    );
  });
});
