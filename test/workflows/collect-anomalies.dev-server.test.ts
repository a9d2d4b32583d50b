import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { ACCOUNT_ID, APP_ROLE, REGION, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { assumedRoleActor, ensureBucket, writeTrailFile, type TrailEvent } from '../support/generators/cloudtrail';
import { startStack, type Stack } from '../support/stacks/stack';
import { collect } from '../../workflows/collect';

/**
 * The anomaly scan as the last step of a real collection on the dev server: the app role's CloudTrail
 * files in moto S3 show a few S3 reads a day for weeks, then a day with ten times as many and a first
 * call to EC2. The AWS collector writes the usage through the real sink; the collection's `finish`
 * scans it and stores both anomalies, explained; a second collection of the same days stores nothing twice.
 */

const BUCKET = 'org-trail-anomalies';
const DAY = 86_400_000;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;

let stack: Stack;
let s3: S3Client;

before(async () => {
  stack = await startStack('dev', {
    policy: (input) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.inventory = { cloudTrail: { bucket: BUCKET, regions: [REGION] }, accessAdvisor: false };
      input.anomalies = { minHistoryDays: 7, volume: { minCount: 20, minDays: 5 } };
    },
  });
  s3 = new S3Client({ endpoint: stack.motoUrl, region: REGION, forcePathStyle: true });
  await ensureBucket(s3, BUCKET);
  await stack.startWorker();
});

after(async () => {
  s3?.destroy();
  await stack?.close();
});

const role = assumedRoleActor(ACCOUNT_ID, APP_ROLE, 'i-0app');
const call = (time: number, eventSource: string, eventName: string): TrailEvent => ({
  time: new Date(time),
  actor: role,
  eventSource,
  eventName,
  region: REGION,
  category: eventSource === 's3.amazonaws.com' ? 'Data' : 'Management',
});

/** 10:00 UTC on the day `daysAgo` days before today. */
function tenOClock(daysAgo: number): number {
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  return today - daysAgo * DAY + 10 * 3600_000;
}

async function collectOnce(name: string) {
  return stack.env.client.workflow.execute(collect, {
    workflowId: `collect-${SYSTEM_ID}-anomalies-${name}`,
    taskQueue: stack.taskQueue,
    args: [{ systemId: SYSTEM_ID }],
  });
}

describe('collect scans the new snapshot for anomalies', () => {
  it('stores the planted volume and first use, explained, and stores them once', async () => {
    const location = { bucket: BUCKET, accountId: ACCOUNT_ID };
    for (let daysAgo = 20; daysAgo >= 2; daysAgo--) {
      const at = tenOClock(daysAgo);
      await writeTrailFile(
        s3,
        location,
        REGION,
        [0, 1, 2].map((i) => call(at + i * 60_000, 's3.amazonaws.com', 'GetObject')),
      );
    }
    const burstAt = tenOClock(1);
    const burstDay = new Date(burstAt).toISOString().slice(0, 10);
    await writeTrailFile(s3, location, REGION, [
      ...Array.from({ length: 40 }, (_, i) => call(burstAt + i * 1000, 's3.amazonaws.com', 'GetObject')),
      call(burstAt + 50_000, 'ec2.amazonaws.com', 'RunInstances'),
    ]);

    const run = await collectOnce('first');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));

    const from = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
    const to = new Date().toISOString().slice(0, 10);
    const found = await stack.store.anomalies.forIdentity(SYSTEM_ID, ROLE_ARN, from, to);
    assert.deepEqual(found.map((a) => [a.day, a.kind, a.subject, a.suppressed]).sort(), [
      [burstDay, 'first-service', 'ec2', false],
      [burstDay, 'volume', 's3:GetObject', false],
    ]);
    const volume = found.find((a) => a.kind === 'volume');
    assert.equal(volume?.explanation, `s3:GetObject ×40 on ${burstDay}; its median is 3 (MAD 0) over 19 days of use`);
    assert.equal(volume?.identityName, APP_ROLE);
    assert.ok(found.every((a) => a.firstSeenRun === run.runId));
    const scans = await stack.db.pool.query<{ status: string; found: number }>(
      'SELECT status, found FROM anomaly_scans WHERE run_id = $1',
      [run.runId],
    );
    assert.deepEqual(scans.rows, [{ status: 'succeeded', found: 2 }]);

    // the next collection reads the same days again: nothing is stored twice, the first scan stays the finder
    const again = await collectOnce('second');
    assert.equal(again.status, 'succeeded');
    const after = await stack.store.anomalies.forIdentity(SYSTEM_ID, ROLE_ARN, from, to);
    assert.equal(after.length, 2);
    assert.ok(after.every((a) => a.firstSeenRun === run.runId));
    const second = await stack.db.pool.query<{ status: string }>('SELECT status FROM anomaly_scans WHERE run_id = $1', [
      again.runId,
    ]);
    assert.deepEqual(second.rows, [{ status: 'succeeded' }]);
  });
});
