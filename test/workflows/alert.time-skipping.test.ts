import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertActivities } from '../../activities/alert';
import { AlertClient } from '../../bot/alert-client';
import { alertWorkflowId, type AlertEpisode, type AlertOccurrence } from '../../domain/alert/model';
import type { AlertRule } from '../../domain/alert/rules';
import type { Policy } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { textOf } from '../support/stacks/slack-stack';
import { digestPolicy, SLACK_CHANNEL, startDigestStack, type DigestStack } from '../support/stacks/digest-stack';

/**
 * The alert workflow's life on the time-skipping server: repeats after an acknowledgement fold into
 * its message until the throttle has passed, then make a new message; an alert nobody acknowledges
 * closes `openFor` after its last occurrence, and its message says so.
 */

const ADMIN = 'sec@example.com';

function alertsPolicy(): Policy {
  const policy = digestPolicy([]);
  policy.admins = { ...policy.admins, users: [ADMIN] };
  policy.alerts = {
    ...policy.alerts,
    channels: { ...policy.alerts.channels, medium: [{ platform: 'slack', channel: SLACK_CHANNEL }] },
  };
  return policy;
}

describe('alert workflow over time', { timeout: 180_000 }, () => {
  let s: DigestStack;
  let raise: (occurrences: AlertOccurrence[]) => Promise<unknown>;
  let alerts: AlertClient;
  let sequence = 0;

  before(async () => {
    s = await startDigestStack('time-skipping', alertsPolicy());
    await s.startWorker();
    const activities = createAlertActivities({
      policy: () => s.policy,
      posters: [],
      temporal: () => ({ client: s.env.client, taskQueue: s.taskQueue }),
    });
    raise = (occurrences) => activities.raiseAlerts(occurrences);
    alerts = new AlertClient({
      temporal: s.env.client,
      audit: (entry) => s.store.appendAudit(entry).then(() => undefined),
    });
  });

  after(async () => {
    await s?.close();
  });

  function occurrence(rule: AlertRule, subject: string, line: string): AlertOccurrence {
    return { rule, subject, occurrenceId: `o-${++sequence}`, at: new Date().toISOString(), line };
  }

  async function episodeOf(workflowId: string, done: (episode: AlertEpisode) => boolean): Promise<AlertEpisode> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { episode } = await s.env.client.workflow.getHandle(workflowId).query(alertStateQuery);
      if (done(episode)) return episode;
      if (Date.now() > deadline) throw new Error(`alert ${workflowId} stuck at ${JSON.stringify(episode)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('folds repeats into an acknowledged message until the throttle has passed, then posts a new one', async () => {
    const workflowId = alertWorkflowId('cleanup-restored', 'aws-prod', s.taskQueue);
    await raise([occurrence('cleanup-restored', 'aws-prod', 'first restore')]);
    const first = await episodeOf(workflowId, (e) => e.posted.length === 1);
    const { series } = await s.env.client.workflow.getHandle(workflowId).query(alertStateQuery);
    const acked = await alerts.acknowledge({ workflowId, series, episode: first.number, by: ADMIN, via: 'cli' });
    assert.ok(acked.ok, JSON.stringify(acked));

    await s.env.sleep('5 minutes');
    await raise([occurrence('cleanup-restored', 'aws-prod', 'second restore')]);
    const folded = await episodeOf(workflowId, (e) => e.count === 2);
    assert.equal(folded.number, 1, 'within the throttle a repeat joins the acknowledged message');
    await s.env.sleep('30 seconds');
    assert.equal(s.slack.calls.filter((c) => c.method === 'chat.postMessage').length, 1);

    await s.env.sleep('11 minutes'); // 16 minutes after the first message; the alert is still open (last at +5)
    await raise([occurrence('cleanup-restored', 'aws-prod', 'third restore')]);
    const second = await episodeOf(workflowId, (e) => e.number === 2 && e.posted.length === 1);
    assert.equal(second.count, 1);
    assert.equal(second.acknowledged, undefined);
    const messages = s.slack.messagesIn(SLACK_CHANNEL).map((m) => textOf(m.blocks));
    assert.equal(messages.length, 2);
    assert.match(messages[0]!, new RegExp(`Acknowledged by ${ADMIN}`));
    assert.match(messages[0]!, /×2/);
    assert.match(messages[1]!, /third restore/);

    // an Acknowledge on the first message is told it is older than the latest
    const stale = await alerts.acknowledge({ workflowId, series, episode: 1, by: ADMIN, via: 'cli' });
    assert.equal(!stale.ok && stale.code, 'ALERT.SUPERSEDED');
  });

  it('closes an alert nobody acknowledged after openFor, saying so in its message and the audit log', async () => {
    const workflowId = alertWorkflowId('pci-jump', 'gcp-finance', s.taskQueue);
    await raise([occurrence('pci-jump', 'gcp-finance', 'gcp-finance: Permission Creep Index 20 → 45')]);
    await episodeOf(workflowId, (e) => e.posted.length === 1);
    const { series } = await s.env.client.workflow.getHandle(workflowId).query(alertStateQuery);
    const final = (await s.env.client.workflow.getHandle(workflowId).result()) as AlertEpisode;
    assert.equal(final.expired, true);
    const message = s.slack.messagesIn(SLACK_CHANNEL).find((m) => textOf(m.blocks).includes('20 → 45'));
    assert.ok(message);
    assert.match(textOf(message.blocks), /Closed: nobody acknowledged it within 7d/);
    const expired = await s.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'alert.expired' AND detail->>'alert' = $1`,
      [workflowId],
    );
    assert.equal(expired.rowCount, 1);
    const late = await alerts.acknowledge({ workflowId, series, episode: 1, by: ADMIN, via: 'cli' });
    assert.equal(!late.ok && late.code, 'ALERT.CLOSED');
  });
});
