import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertActivities } from '../../activities/alert';
import { alertWorkflowId, type AlertEpisode, type AlertOccurrence } from '../../domain/alert/model';
import type { Policy } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { textOf } from '../support/stacks/slack-stack';
import {
  digestPolicy,
  SLACK_CHANNEL,
  startDigestStack,
  TEAMS_CHANNEL,
  type DigestStack,
} from '../support/stacks/digest-stack';
import { cardOf, executeActionsIn } from '../support/checks/teams-cards';
import { assertCardValid } from '../support/checks/adaptive-cards';

/**
 * The alert workflow on the dev server with two workers on one task queue (one in this process, one
 * in a process of its own): occurrences raised from
 * two places at once (as two workers' activities would) reach the one workflow of their alert by
 * signal-with-start, and a burst of 100 becomes one message per channel, its count brought up to date.
 */

function alertsPolicy(): Policy {
  const policy = digestPolicy([]);
  policy.alerts = {
    ...policy.alerts,
    channels: {
      ...policy.alerts.channels,
      high: [
        { platform: 'slack', channel: SLACK_CHANNEL },
        { platform: 'teams', channel: TEAMS_CHANNEL },
      ],
    },
  };
  return policy;
}

describe('alert workflow, two workers', { timeout: 180_000 }, () => {
  let s: DigestStack;

  before(async () => {
    s = await startDigestStack('dev', alertsPolicy());
    await s.startWorker();
    await s.startWorkerProcess();
  });

  after(async () => {
    await s?.close();
  });

  it('folds a burst of 100 occurrences raised from two places into one message with its count', async () => {
    const raisers = [0, 1].map(() =>
      createAlertActivities({
        policy: () => s.policy,
        posters: [],
        temporal: () => ({ client: s.env.client, taskQueue: s.taskQueue }),
      }),
    );
    const occurrences: AlertOccurrence[] = Array.from({ length: 100 }, (_, i) => ({
      rule: 'out-of-band-grant',
      subject: 'aws-prod',
      systemId: 'aws-prod',
      occurrenceId: `burst-${i}`,
      at: new Date(Date.UTC(2026, 11, 2, 10, 0, i)).toISOString(),
      line: `grant #${i} made outside Least`,
    }));
    // each raised once from each side, and ten raised twice (a retried activity): still 100
    const outcomes = await Promise.all([
      ...occurrences.map((o, i) => raisers[i % 2]!.raiseAlerts([o])),
      ...occurrences.slice(0, 10).map((o) => raisers[1]!.raiseAlerts([o])),
    ]);
    assert.ok(outcomes.every((o) => o.raised === 1));

    const handle = s.env.client.workflow.getHandle(alertWorkflowId('out-of-band-grant', 'aws-prod', s.taskQueue));
    const deadline = Date.now() + 60_000;
    let episode: AlertEpisode | undefined;
    for (;;) {
      episode = (await handle.query(alertStateQuery)).episode;
      const slackText = s.slack
        .messagesIn(SLACK_CHANNEL)
        .map((m) => textOf(m.blocks))
        .join('\n');
      if (episode.count === 100 && slackText.includes('×100')) break;
      if (Date.now() > deadline) throw new Error(`count ${episode.count}; Slack shows ${slackText.slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(episode.number, 1);
    const posts = s.slack.calls.filter((c) => c.method === 'chat.postMessage');
    assert.equal(posts.length, 1, 'one message in Slack');
    const slack = s.slack.messagesIn(SLACK_CHANNEL);
    assert.equal(slack.length, 1);
    const words = textOf(slack[0]!.blocks);
    assert.match(words, /Grant made outside Least/);
    assert.match(words, /grant #\d+ made outside Least/);

    // Teams: one card in the channel, valid, with Acknowledge, brought up to the same count
    const teams = await s.teams.waitFor(
      () => {
        const messages = s.teams.messagesIn(TEAMS_CHANNEL);
        return messages.length === 1 && JSON.stringify(messages[0]).includes('×100') ? messages : undefined;
      },
      { timeoutMs: 30_000, what: 'one alert card with ×100' },
    );
    const card = assertCardValid(cardOf(teams[0]) as never);
    assert.deepEqual(
      executeActionsIn(card).map((a) => a.title),
      ['Acknowledge'],
    );

    // the message is recorded right after it is posted
    const recorded = async (): Promise<number> =>
      (await s.db.pool.query(`SELECT 1 FROM audit_log WHERE action = 'alert.raised'`)).rowCount ?? 0;
    const until = Date.now() + 20_000;
    while ((await recorded()) === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await recorded(), 1, 'one alert.raised for one message');
  });

  it('raises nothing for a rule switched off or a severity with no channel', async () => {
    const raiser = createAlertActivities({
      policy: () => ({
        ...s.policy,
        alerts: { ...s.policy.alerts, rules: { 'out-of-band-grant': { enabled: false } } },
      }),
      posters: [],
      temporal: () => ({ client: s.env.client, taskQueue: s.taskQueue }),
    });
    const off = await raiser.raiseAlerts([
      { rule: 'out-of-band-grant', subject: 'quiet', occurrenceId: 'q1', at: new Date().toISOString(), line: 'x' },
      // critical has no channel in this policy
      { rule: 'break-glass-used', subject: 'quiet', occurrenceId: 'q2', at: new Date().toISOString(), line: 'y' },
    ]);
    assert.deepEqual(off, { raised: 0, unrouted: 2 });
  });
});
