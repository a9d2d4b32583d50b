import { after, afterEach, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { DigestOutcome } from '../../activities';
import { digestPeriod } from '../../domain/digest/period';
import type { Digest } from '../../domain/policy/schema';
import { digest } from '../../workflows/digest';
import { seedAccess, seedCleanup, seedFindings } from '../support/generators/digest-records';
import {
  auditFailingOnce,
  digestPolicy,
  SLACK_CHANNEL,
  startDigestStack,
  type DigestStack,
} from '../support/stacks/digest-stack';
import { mrkdwnTexts } from '../bot/render/slack/fixtures';

/**
 * The digest workflow on the time-skipping server: the period it tells (from its time and zone,
 * across Berlin's spring DST change, and a weekly one in New York), the message it posts through the
 * real WebClient to the Slack fake, once per digest and period however often it runs or retries, a
 * channel that refuses it, and an hour of Slack outage skipped through to an audited give-up.
 */

const DAILY: Digest = {
  id: 'security-daily',
  platform: 'slack',
  channel: SLACK_CHANNEL,
  cadence: 'daily',
  time: '08:30',
  timeZone: 'Europe/Berlin',
  sections: ['access', 'findings', 'cleanup'],
};
const WEEKLY: Digest = {
  ...DAILY,
  id: 'platform-weekly',
  cadence: 'weekly',
  weekday: 'monday',
  time: '09:00',
  timeZone: 'America/New_York',
};
/** 08:30 CEST on Monday 30 March 2026: the digest of Sunday 29 March, 23 hours long. */
const MONDAY = '2026-03-30T06:30:00.000Z';

let s: DigestStack;
let stopWorker: () => Promise<void>;
let runs = 0;

before(async () => {
  s = await startDigestStack('time-skipping', digestPolicy([DAILY, WEEKLY]));
  await seedAccess(s.store);
  await seedFindings(s.db.pool);
  await seedCleanup(s.db.pool);
  ({ stop: stopWorker } = await s.startWorker());
});

after(async () => {
  await stopWorker?.();
  await s?.close();
});

afterEach(() => s.slack.clear());

function run(input: { digest: Digest; at?: string }): Promise<DigestOutcome> {
  return s.env.client.workflow.execute(digest, {
    args: [input],
    taskQueue: s.taskQueue,
    workflowId: `digest-test-${++runs}`,
  });
}

async function auditRows(action: string): Promise<{ key: string; detail: Record<string, unknown> }[]> {
  const { rows } = await s.db.pool.query<{ key: string; detail: Record<string, unknown> }>(
    'SELECT key, detail FROM audit_log WHERE action = $1 ORDER BY seq',
    [action],
  );
  return rows;
}

describe('digest workflow', () => {
  it('tells Sunday in Berlin (23 hours) with the charts, and says so in the audit log', async () => {
    const outcome = await run({ digest: DAILY, at: MONDAY });
    assert.equal(outcome.status, 'posted');
    assert.deepEqual([outcome.firstDay, outcome.lastDay], ['2026-03-29', '2026-03-29']);
    assert.deepEqual(outcome.charts?.pictures, [
      'PCI per system, last 90 days',
      'Grants per day, last 30 days',
      'Top entitlements by grants',
    ]);
    const [message] = s.slack.messagesIn(SLACK_CHANNEL);
    const text = mrkdwnTexts(message).join('\n');
    assert.match(text, /Sun 29 Mar 2026, 00:00–24:00 Europe\/Berlin \(23 hours: the clocks went forward\)/);
    assert.match(text, /\*Access\* · 5 requests · 2 grants · 1 denied · 1 expired · 1 unanswered/);
    assert.match(text, /⏳ \*2 approvals\* waiting, the longest for 4 d 21 h/);
    assert.match(text, /🔁 \*2 revocations\* retried, 1 still failing/);
    assert.match(text, /`aws-prod`: PCI 40 → 47 \(▲ \+7\)/);
    assert.match(text, /\*Cleanup\* · 2 runs · 2 removed · 1 kept · 1 restored · 1 failed/);
    assert.equal(message?.files?.length, 3);
    const posted = await auditRows('digest.posted');
    assert.deepEqual(
      posted.map((row) => [row.key, row.detail.channel, row.detail.period]),
      [['digest.posted:security-daily:2026-03-29', SLACK_CHANNEL, '2026-03-29..2026-03-29']],
    );
  });

  it('a second run of the same period posts nothing and answers with the first post', async () => {
    const again = await run({ digest: DAILY, at: '2026-03-30T20:00:00.000Z' }); // later the same Monday
    assert.equal(again.status, 'already-posted');
    assert.equal(again.firstDay, '2026-03-29');
    assert.deepEqual(s.slack.calls, [], 'not a single Slack call');
    assert.equal((await auditRows('digest.posted')).length, 1);
  });

  it('a weekly digest tells the seven days before its Monday in New York (167 hours across DST)', async () => {
    const at = '2026-03-09T13:00:00.000Z'; // Monday 9 March, 09:00 EDT; clocks went forward on the 8th
    const period = digestPeriod('weekly', 'America/New_York', at);
    assert.equal(period.hours, 167);
    const outcome = await run({ digest: WEEKLY, at });
    assert.deepEqual([outcome.status, outcome.firstDay, outcome.lastDay], ['posted', '2026-03-02', '2026-03-08']);
    const text = mrkdwnTexts(s.slack.messagesIn(SLACK_CHANNEL).at(-1)).join('\n');
    assert.match(
      text,
      /Mon 2 Mar 2026 – Sun 8 Mar 2026, 00:00–24:00 America\/New_York \(167 hours: the clocks went forward\)/,
    );
  });

  it('a weekly digest of the seeded week counts every day of it', async () => {
    const outcome = await run({ digest: WEEKLY, at: '2026-03-30T13:00:00.000Z' }); // Monday 30 March, New York
    assert.deepEqual([outcome.firstDay, outcome.lastDay], ['2026-03-23', '2026-03-29']);
    const text = mrkdwnTexts(s.slack.messagesIn(SLACK_CHANNEL).at(-1)).join('\n');
    // the week holds Saturday's and Sunday's grants, and all eight requests made in it (Wednesday's too)
    assert.match(text, /\*Access\* · 8 requests · 3 grants · 1 denied · 1 expired · 1 unanswered/);
  });

  it('without a time, the run tells the day before its own start, in the digest’s zone', async () => {
    const handle = await s.env.client.workflow.start(digest, {
      args: [{ digest: { ...DAILY, id: 'no-time', sections: ['cleanup'] } }],
      taskQueue: s.taskQueue,
      workflowId: `digest-test-${++runs}`,
    });
    const outcome = await handle.result();
    const started = (await handle.describe()).startTime.toISOString();
    const expected = digestPeriod('daily', 'Europe/Berlin', started);
    assert.deepEqual([outcome.firstDay, outcome.status], [expected.firstDay, 'posted']);
    const blocks = s.slack.messagesIn(SLACK_CHANNEL).at(-1)?.blocks as unknown[];
    assert.equal(blocks.length, 1, 'a quiet day is one line');
    assert.match(mrkdwnTexts(blocks)[0]!, /nothing to report — no cleanup runs\.$/);
  });

  it('a post retried after it was recorded does not post twice, and its audit entry still lands', async () => {
    await stopWorker();
    ({ stop: stopWorker } = await s.startWorker({ store: auditFailingOnce(s.store, 'digest.posted') }));
    const before = s.slack.messagesIn(SLACK_CHANNEL).length;
    const outcome = await run({ digest: { ...DAILY, id: 'retried' }, at: MONDAY });
    assert.equal(outcome.status, 'already-posted', 'the retry found its own post');
    assert.equal(s.slack.callsTo('files.completeUploadExternal').length, 1, 'shared once');
    assert.equal(s.slack.messagesIn(SLACK_CHANNEL).length, before + 1, 'one message');
    const rows = (await auditRows('digest.posted')).filter((row) => row.key.includes(':retried:'));
    assert.equal(rows.length, 1);
    await stopWorker();
    ({ stop: stopWorker } = await s.startWorker());
  });

  it('a channel the bot is not in: a log line, an audit entry, and the run ends', async () => {
    s.slack.refuseChannel('CNOTIN0001', 'not_in_channel');
    const warnings: string[] = [];
    const warn = mock.method(console, 'warn', (line: unknown) => void warnings.push(String(line)));
    try {
      const outcome = await run({ digest: { ...DAILY, id: 'left', channel: 'CNOTIN0001' }, at: MONDAY });
      assert.equal(outcome.status, 'undelivered');
      assert.match(outcome.reason ?? '', /Least is not in Slack channel CNOTIN0001: invite it there/);
    } finally {
      warn.mock.restore();
    }
    const line = warnings.map((w) => JSON.parse(w) as Record<string, unknown>).find((w) => w.digestId === 'left');
    assert.equal(line?.code, 'not_in_channel');
    assert.match(String(line?.msg), /^digest not delivered: Least is not in Slack channel CNOTIN0001/);
    const rows = (await auditRows('digest.undelivered')).filter((row) => row.key.includes(':left:'));
    assert.deepEqual(
      rows.map((row) => [row.detail.code, row.detail.channel]),
      [['not_in_channel', 'CNOTIN0001']],
    );
  });

  it('an hour of Slack outage is retried, then given up and audited; the run does not fail', async () => {
    for (let i = 0; i < 100; i++) s.slack.failNext('chat.postMessage', 'internal_error');
    const outcome = await run({
      digest: { ...DAILY, id: 'outage', sections: ['cleanup'] },
      at: '2020-01-02T07:30:00Z',
    });
    assert.equal(outcome.status, 'undelivered');
    assert.match(outcome.reason ?? '', /Slack could not be reached for an hour/);
    assert.ok(s.slack.callsTo('chat.postMessage').length > 10, 'retried with backoff');
    const rows = (await auditRows('digest.undelivered')).filter((row) => row.key.includes(':outage:'));
    assert.equal(rows[0]?.detail.code, 'unreachable');
  });
});
