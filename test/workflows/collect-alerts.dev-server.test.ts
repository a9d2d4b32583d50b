import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { WorkflowNotFoundError } from '@temporalio/client';
import { alertWorkflowId, type AlertState } from '../../domain/alert/model';
import type { AlertRule } from '../../domain/alert/rules';
import type { PolicyInput } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { collect } from '../../workflows/collect';
import { waitUntil } from '../support/checks/assertions';
import { ACCOUNT_ID, APP_ROLE, REGION, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import type { FakeSlackMessage } from '../support/fakes/fake-slack';
import { assumedRoleActor, ensureBucket, writeTrailFile, type TrailEvent } from '../support/generators/cloudtrail';
import { startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';

/**
 * The collection's rule alerts from their real trigger (issue 14, item 3), on the Temporal dev server,
 * PostgreSQL, moto and the Slack fake under the real WebClient: a first collection of the AWS system has
 * nothing to compare with and alerts nobody; then the app role is given `*:*` and makes ten times its
 * usual S3 reads plus a first EC2 call, and the second collection posts a new super identity naming the
 * role, a PCI jump whose numbers are the stored findings' indexes, and the new anomalies, explained. A
 * third collection with nothing changed tells nothing new.
 */

const ALERTS = 'CALERTCOL1';
const BUCKET = 'org-trail-collect-alerts';
const DAY = 86_400_000;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
const COLLECTION_RULES: AlertRule[] = ['new-super-identity', 'pci-jump', 'new-anomalies'];

let slack: SlackStack;
let s3: S3Client;

function withAlerts(input: PolicyInput): void {
  const system = input.authorizationSystems[0] as Record<string, unknown>;
  system.inventory = { cloudTrail: { bucket: BUCKET, regions: [REGION] }, accessAdvisor: false };
  input.anomalies = { minHistoryDays: 7, volume: { minCount: 20, minDays: 5 } };
  const channel = [{ platform: 'slack' as const, channel: ALERTS }];
  input.alerts = { channels: { high: channel, medium: channel }, pciJump: 1 };
}

before(async () => {
  slack = await startSlackStack('dev', { policy: withAlerts });
  s3 = new S3Client({ endpoint: slack.stack.motoUrl, region: REGION, forcePathStyle: true });
  await ensureBucket(s3, BUCKET);
  await slack.startWorker();
});

after(async () => {
  s3?.destroy();
  await slack?.close();
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
  const run = await slack.stack.env.client.workflow.execute(collect, {
    workflowId: `collect-${SYSTEM_ID}-alerts-${name}`,
    taskQueue: slack.stack.taskQueue,
    args: [{ systemId: SYSTEM_ID }],
  });
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  return run;
}

/** The system's PCI as the findings of one collection run stored it. */
async function storedPci(runId: string): Promise<number> {
  const rows = await slack.stack.db.pool.query<{ pci: number | null }>(
    `SELECT f.pci FROM findings_runs f JOIN inventory_runs r ON r.run_key = f.run_key
     WHERE r.run_id = $1 AND f.status = 'succeeded'`,
    [runId],
  );
  const pci = rows.rows[0]?.pci;
  assert.ok(typeof pci === 'number', `no assessed PCI for ${runId}: ${JSON.stringify(rows.rows)}`);
  return pci;
}

async function alertState(rule: AlertRule): Promise<AlertState | undefined> {
  try {
    return await slack.stack.env.client.workflow
      .getHandle(alertWorkflowId(rule, SYSTEM_ID, slack.stack.taskQueue))
      .query(alertStateQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

function alertPosts(): number {
  return slack.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ALERTS).length;
}

async function alertMessage(title: string): Promise<FakeSlackMessage> {
  let found: FakeSlackMessage | undefined;
  await waitUntil(
    () => {
      found = slack.fake.messagesIn(ALERTS).find((m) => textOf(m.blocks).includes(title));
      return found !== undefined;
    },
    `"${title}" is posted in ${ALERTS}`,
    30_000,
  );
  return found!;
}

describe('the collection alerts on what its snapshot changed', { timeout: 240_000 }, () => {
  let firstRunId = '';
  let secondRunId = '';

  it('alerts nobody after the first collection: there is no snapshot before it', async () => {
    const location = { bucket: BUCKET, accountId: ACCOUNT_ID };
    // the trail's first file a little before the 90-day window and its last one delivered after every
    // collection here: CloudTrail covers the whole window, so what the roles did not use is unused, not unknown
    await writeTrailFile(s3, location, REGION, [call(Date.now() - 90.5 * DAY, 's3.amazonaws.com', 'GetObject')]);
    for (let daysAgo = 20; daysAgo >= 1; daysAgo--) {
      const at = tenOClock(daysAgo);
      await writeTrailFile(
        s3,
        location,
        REGION,
        [0, 1, 2].map((i) => call(at + i * 60_000, 's3.amazonaws.com', 'GetObject')),
        daysAgo === 1 ? { deliveredAt: new Date(Date.now() + 3 * 3600_000) } : {},
      );
    }
    firstRunId = (await collectOnce('first')).runId;
    // alertOnCollection has returned with the run: an alert it raised would exist already
    for (const rule of COLLECTION_RULES) assert.equal(await alertState(rule), undefined, `no ${rule} alert`);
    const anomalies = await slack.stack.db.pool.query('SELECT 1 FROM anomalies');
    assert.equal(anomalies.rowCount, 0, 'an ordinary history has no anomalies');
    assert.equal(alertPosts(), 0);
  });

  it('posts the new super identity, the PCI jump with the stored indexes and the new anomalies after the second', async () => {
    await slack.stack.aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: APP_ROLE,
        PolicyName: 'break-everything',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    // today (never later than now): ten times the usual reads, and a first call to EC2
    const burstAt = Math.max(Date.parse(new Date().toISOString().slice(0, 10)), Date.now() - 10 * 60_000);
    await writeTrailFile(s3, { bucket: BUCKET, accountId: ACCOUNT_ID }, REGION, [
      ...Array.from({ length: 40 }, (_, i) => call(burstAt + i * 1000, 's3.amazonaws.com', 'GetObject')),
      call(burstAt + 50_000, 'ec2.amazonaws.com', 'RunInstances'),
    ]);
    secondRunId = (await collectOnce('second')).runId;

    const superAlert = textOf((await alertMessage('New super identity')).blocks);
    assert.match(superAlert, /High · New super identity/);
    assert.ok(superAlert.includes(`${APP_ROLE} (${ROLE_ARN}) can now do everything on ${SYSTEM_ID}`), superAlert);

    const before = await storedPci(firstRunId);
    const now = await storedPci(secondRunId);
    assert.ok(now > before, `the PCI rose: ${before} → ${now}`);
    const pciAlert = textOf((await alertMessage('Permission Creep Index jumped')).blocks);
    assert.match(pciAlert, /Medium · Permission Creep Index jumped/);
    assert.ok(
      pciAlert.includes(`Permission Creep Index ${before} → ${now} (+${now - before}; the threshold is 1)`),
      pciAlert,
    );

    const stored = await slack.stack.db.pool.query<{ explanation: string; kind: string }>(
      `SELECT a.explanation, a.kind FROM anomalies a ORDER BY a.kind`,
    );
    const volume = stored.rows.find((row) => row.kind === 'volume');
    assert.ok(volume, `a volume anomaly was stored: ${JSON.stringify(stored.rows)}`);
    assert.match(volume.explanation, /^s3:GetObject ×4\d on /);
    const anomalyAlert = await alertMessage('New anomalies');
    const anomalyWords = textOf(anomalyAlert.blocks);
    assert.match(anomalyWords, /Medium · New anomalies/);
    assert.ok(anomalyWords.includes(`${APP_ROLE}: ${volume.explanation}`), anomalyWords);
    const state = await alertState('new-anomalies');
    assert.equal(state?.episode.count, stored.rowCount, 'every new anomaly is counted in the one message');

    // one message per alert, each raised once
    assert.equal(alertPosts(), 3);
    for (const rule of ['new-super-identity', 'pci-jump'] as const)
      assert.equal((await alertState(rule))?.episode.count, 1, rule);
  });

  it('tells nothing new after a third collection in which nothing changed', async () => {
    const counted = new Map<AlertRule, number>();
    for (const rule of COLLECTION_RULES) counted.set(rule, (await alertState(rule))!.seen.length);
    const third = await collectOnce('third');
    assert.equal(await storedPci(third.runId), await storedPci(secondRunId));
    // long enough for a raised alert to gather its burst and post (GATHER_MS is 2 s)
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const rule of COLLECTION_RULES)
      assert.equal((await alertState(rule))!.seen.length, counted.get(rule), `${rule} received nothing new`);
    assert.equal(alertPosts(), 3);
    assert.equal(
      slack.fake.calls.filter((c) => c.method === 'chat.update' && c.args.channel === ALERTS).length,
      0,
      'no message was brought up to a new count',
    );
  });
});
