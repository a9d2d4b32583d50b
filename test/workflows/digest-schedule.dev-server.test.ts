import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { DigestOutcome } from '../../activities';
import { CHART_HEIGHT, CHART_WIDTH } from '../../bot/render/charts';
import { SLACK_CHART_SCALE } from '../../activities/chat/slack-digest-poster';
import { TEAMS_CHART_SCALES } from '../../activities/chat/teams-digest-poster';
import type { Digest } from '../../domain/policy/schema';
import { digestScheduleId, ensureDigestSchedules } from '../../app/schedules';
import { assertCardValid } from '../support/checks/adaptive-cards';
import { decodePng, inkedPixels, pngOfDataUri } from '../support/checks/png';
import { cardOf } from '../support/checks/teams-cards';
import { MAX_MESSAGE_BYTES } from '../support/fakes/fake-teams';
import { activeRequest } from '../activities/store/fixtures';
import { seedAssessment } from '../support/generators/digest-records';
import {
  digestPolicy,
  SLACK_CHANNEL,
  startDigestStack,
  TEAMS_CHANNEL,
  type DigestStack,
} from '../support/stacks/digest-stack';

/**
 * The digests' Temporal Schedules on the dev server: one per digest in the policy, on the calendar
 * of its time and zone; triggered, each starts a run (id = the schedule's plus its time) that posts
 * the day before in the digest's zone, to Slack through the upload flow and to Teams as a card with
 * pictures; a changed digest updates its schedule, a removed one loses it.
 */

const DAY = 86_400_000;
const SLACK_DIGEST: Digest = {
  id: 'sched-slack',
  platform: 'slack',
  channel: SLACK_CHANNEL,
  cadence: 'daily',
  time: '08:30',
  timeZone: 'UTC',
  sections: ['access', 'findings', 'cleanup'],
};
const TEAMS_DIGEST: Digest = {
  id: 'sched-teams',
  platform: 'teams',
  channel: TEAMS_CHANNEL,
  cadence: 'weekly',
  weekday: 'monday',
  time: '09:00',
  timeZone: 'Europe/Berlin',
  sections: ['access', 'findings'],
};

let s: DigestStack;
let stopWorker: () => Promise<void>;

before(async () => {
  s = await startDigestStack('dev', digestPolicy([SLACK_DIGEST, TEAMS_DIGEST]));
  // yesterday noon UTC: a grant and an assessment, inside both digests' periods whenever the test runs
  const noon = new Date(Math.floor(Date.now() / DAY) * DAY - DAY / 2).toISOString();
  await s.store.saveRequest(activeRequest({ requestId: 'r-sched', submittedAt: noon, grantedAt: noon }));
  for (const action of ['request.submitted', 'grant.applied'] as const)
    await s.store.appendAudit({ actor: 'workflow', action, requestId: 'r-sched', detail: {} }, noon);
  await seedAssessment(s.db.pool, 'aws-prod', noon, 42, { inactive: 3 }, { high: 1 });
  ({ stop: stopWorker } = await s.startWorker());
});

after(async () => {
  await stopWorker?.();
  await s?.close();
});

async function triggered(client: Client, scheduleId: string): Promise<{ workflowId: string; outcome: DigestOutcome }> {
  const schedule = client.schedule.getHandle(scheduleId);
  await schedule.trigger();
  let workflowId: string | undefined;
  const deadline = Date.now() + 15_000;
  while (!workflowId && Date.now() < deadline) {
    const { info } = await schedule.describe();
    workflowId = (info.recentActions[0]?.action ?? info.runningActions[0])?.workflow.workflowId;
    if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!workflowId) throw new Error(`the triggered schedule ${scheduleId} started no workflow`);
  return { workflowId, outcome: (await client.workflow.getHandle(workflowId).result()) as DigestOutcome };
}

describe('digest schedules', () => {
  it('creates one per digest on the calendar of its time, weekday and zone', async () => {
    const client = s.env.client;
    assert.deepEqual(await ensureDigestSchedules(client, s.taskQueue, s.policy), [
      digestScheduleId('sched-slack'),
      digestScheduleId('sched-teams'),
    ]);
    const daily = await client.schedule.getHandle(digestScheduleId('sched-slack')).describe();
    assert.deepEqual(
      daily.spec.calendars?.map((c) => [c.hour, c.minute, c.dayOfWeek]),
      [
        [
          [{ start: 8, end: 8, step: 1 }],
          [{ start: 30, end: 30, step: 1 }],
          [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
        ],
      ],
    );
    assert.equal(daily.spec.timezone, 'UTC');
    assert.equal(daily.policies.overlap, 'SKIP');
    const weekly = await client.schedule.getHandle(digestScheduleId('sched-teams')).describe();
    assert.deepEqual(weekly.spec.calendars?.[0]?.dayOfWeek, [{ start: 'MONDAY', end: 'MONDAY', step: 1 }]);
    assert.equal(weekly.spec.timezone, 'Europe/Berlin');
    assert.equal(weekly.action.type === 'startWorkflow' && weekly.action.workflowType, 'digest');
  });

  it('triggered, the Slack digest posts yesterday with its charts through the upload flow', async () => {
    s.slack.clear();
    const { workflowId, outcome } = await triggered(s.env.client, digestScheduleId('sched-slack'));
    assert.ok(workflowId.startsWith(digestScheduleId('sched-slack')), `started ${workflowId}`);
    const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);
    assert.deepEqual([outcome.status, outcome.firstDay], ['posted', yesterday]);
    const methods = s.slack.calls.map((call) => call.method);
    assert.deepEqual(methods, [
      ...Array<string>(3).fill('files.getUploadURLExternal'),
      ...Array<string>(3).fill('upload'),
      'files.completeUploadExternal',
    ]);
    for (const call of s.slack.callsTo('upload')) {
      const image = decodePng(s.slack.uploadedFile(String(call.args.file_id))!.bytes!);
      assert.deepEqual(
        [image.width, image.height],
        [CHART_WIDTH * SLACK_CHART_SCALE, CHART_HEIGHT * SLACK_CHART_SCALE],
      );
      assert.ok(inkedPixels(image) / (image.width * image.height) > 0.02, 'a chart looks blank');
    }
    const [message] = s.slack.messagesIn(SLACK_CHANNEL);
    assert.match(JSON.stringify(message?.blocks), /1 request · 1 grant/);
  });

  it('triggered, the Teams digest posts a valid card with a picture, under the size limit', async () => {
    s.teams.clear();
    const { outcome } = await triggered(s.env.client, digestScheduleId('sched-teams'));
    assert.equal(outcome.status, 'posted');
    assert.ok((outcome.charts?.pictures.length ?? 0) >= 1, JSON.stringify(outcome.charts));
    const [send] = s.teams.callsTo('sendToConversation');
    assert.ok(Buffer.byteLength(JSON.stringify(send!.body)) <= MAX_MESSAGE_BYTES);
    const card = assertCardValid(cardOf(s.teams.messagesIn(TEAMS_CHANNEL).at(-1)) as never);
    const urls = JSON.stringify(card).match(/data:image\/png;base64,[A-Za-z0-9+/=]+/g) ?? [];
    assert.equal(urls.length, outcome.charts?.pictures.length);
    const sizes = TEAMS_CHART_SCALES.map((scale) => `${CHART_WIDTH * scale}×${CHART_HEIGHT * scale}`);
    for (const url of urls) {
      const png = pngOfDataUri(url);
      assert.ok(sizes.includes(`${png.width}×${png.height}`));
      assert.ok(inkedPixels(png) / (png.width * png.height) > 0.02, 'a chart looks blank');
    }
  });

  it('a changed digest updates its schedule; a removed one loses it', async () => {
    const client = s.env.client;
    const moved = { ...s.policy, digests: [{ ...SLACK_DIGEST, time: '07:15' }] };
    assert.deepEqual(await ensureDigestSchedules(client, s.taskQueue, moved), [digestScheduleId('sched-slack')]);
    const described = await client.schedule.getHandle(digestScheduleId('sched-slack')).describe();
    assert.deepEqual(
      [described.spec.calendars?.[0]?.hour, described.spec.calendars?.[0]?.minute],
      [[{ start: 7, end: 7, step: 1 }], [{ start: 15, end: 15, step: 1 }]],
    );
    const gone = async (id: string) =>
      client.schedule
        .getHandle(id)
        .describe()
        .then(
          () => false,
          (error: unknown) => error instanceof ScheduleNotFoundError,
        );
    const until = Date.now() + 10_000;
    for (;;) {
      const teamsGone = await gone(digestScheduleId('sched-teams'));
      if (teamsGone) break;
      assert.ok(Date.now() < until, 'the schedule of a digest no longer in the policy was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 250));
      await ensureDigestSchedules(client, s.taskQueue, moved);
    }
    assert.deepEqual(await ensureDigestSchedules(client, s.taskQueue, { ...s.policy, digests: [] }), []);
    const end = Date.now() + 10_000;
    while (!(await gone(digestScheduleId('sched-slack')))) {
      assert.ok(Date.now() < end, 'the last digest schedule was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 250));
      await ensureDigestSchedules(client, s.taskQueue, { ...s.policy, digests: [] });
    }
  });
});
