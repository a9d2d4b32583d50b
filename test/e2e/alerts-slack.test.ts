import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALERT_ACK_ACTION } from '../../bot/render/alert';
import { alertWorkflowId } from '../../domain/alert/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { FakeSlackMessage } from '../support/fakes/fake-slack';
import { ADMIN, submitRequest } from '../support/stacks/stack';
import { buttonsIn, SlackUser, startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';

/**
 * Rule alerts in Slack (issue 14, item 3) from their real triggers on real components: a break-glass
 * request on the access workflow posts one alert into the channel the policy names for its severity;
 * Acknowledge is a signed click that a stranger is refused (and audited) and a security admin may
 * give, after which the message says who did.
 */

const ALERTS = 'CALERTS001';
const ONCALL = 'oncall@example.com';

function withAlerts(input: PolicyInput): void {
  input.alerts = {
    channels: { critical: [{ platform: 'slack', channel: ALERTS }], high: [{ platform: 'slack', channel: ALERTS }] },
  };
}

describe('rule alerts in Slack', { timeout: 180_000 }, () => {
  let slack: SlackStack;

  before(async () => {
    slack = await startSlackStack('dev', { policy: withAlerts });
    await slack.startWorker();
  });

  after(async () => {
    await slack?.close();
  });

  async function alertMessage(predicate: (message: FakeSlackMessage) => boolean): Promise<FakeSlackMessage> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = slack.fake.messagesIn(ALERTS).find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no such alert in ${ALERTS}: ${JSON.stringify(slack.fake.messagesIn(ALERTS)).slice(0, 600)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('posts a break-glass use as a critical alert, refuses a stranger Acknowledge and records the admin who gives it', async () => {
    const id = await submitRequest(slack.stack, {
      requester: ONCALL,
      entitlementId: 'payments-logs',
      duration: '30m',
      reason: 'payments <!channel> outage INC-9',
      breakGlass: true,
    });
    await slack.stack.waitForStatus(id, 'active');
    const posted = await alertMessage((m) => textOf(m.blocks).includes('Break-glass access used'));
    const words = textOf(posted.blocks);
    assert.match(words, /Critical/);
    assert.match(words, new RegExp(id));
    assert.match(words, /oncall@example\.com/);
    // what the requester typed stays text: no broadcast reaches the channel
    assert.ok(!words.includes('<!channel>'), words);
    assert.equal(
      slack.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ALERTS).length,
      1,
    );

    const [button] = buttonsIn(posted.blocks).filter((b) => b.action_id === ALERT_ACK_ACTION);
    assert.ok(button?.value, 'the alert offers Acknowledge');
    const onMessage = { container: { type: 'message', channel_id: posted.channel, message_ts: posted.ts } } as const;

    const refused = await slack.sender.blockAction(
      SlackUser.stranger,
      { action_id: ALERT_ACK_ACTION, value: button.value },
      onMessage,
    );
    assert.equal(refused.status, 200);
    const told = await slack.fake.waitFor('response_url', (call) =>
      /may not acknowledge/.test(JSON.stringify(call.args)),
    );
    assert.ok(told);
    const workflowId = alertWorkflowId('break-glass-used', 'payments-logs', slack.stack.taskQueue);
    const rows = await slack.stack.db.pool.query<{ actor: string; detail: { alert: string; code: string } }>(
      `SELECT actor, detail FROM audit_log WHERE action = 'alert.acknowledge_refused'`,
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.actor, r.detail.alert, r.detail.code]),
      [['mallory@example.com', workflowId, 'ALERT.NOT_AUTHORIZED']],
    );

    await slack.sender.blockAction(SlackUser.admin, { action_id: ALERT_ACK_ACTION, value: button.value }, onMessage);
    const acknowledged = await alertMessage(
      (m) => m.ts === posted.ts && textOf(m.blocks).includes(`Acknowledged by ${ADMIN}`),
    );
    assert.deepEqual(buttonsIn(acknowledged.blocks), [], 'an acknowledged alert offers no button');
    const acks = await slack.stack.db.pool.query<{ actor: string; detail: { rule: string; count: number } }>(
      `SELECT actor, detail FROM audit_log WHERE action = 'alert.acknowledged'`,
    );
    assert.deepEqual(
      acks.rows.map((r) => [r.actor, r.detail.rule, r.detail.count]),
      [[ADMIN, 'break-glass-used', 1]],
    );

    // a second click is told who acknowledged it first
    await slack.sender.blockAction(SlackUser.admin, { action_id: ALERT_ACK_ACTION, value: button.value }, onMessage);
    await slack.fake.waitFor('response_url', (call) =>
      /Already acknowledged by sec@example\.com/.test(JSON.stringify(call.args)),
    );
  });

  it('answers a forged Acknowledge value with a clear message and an audit entry', async () => {
    await slack.sender.blockAction(
      SlackUser.admin,
      { action_id: ALERT_ACK_ACTION, value: '{"a":"alert:x","e":"<script>"}' },
      { container: { type: 'message', channel_id: ALERTS, message_ts: '1.000100' } },
    );
    await slack.fake.waitFor('response_url', (call) => /not one Least made/.test(JSON.stringify(call.args)));
    const rows = await slack.stack.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'action.malformed' AND detail->>'action' = $1`,
      [ALERT_ACK_ACTION],
    );
    assert.equal(rows.rowCount, 1);
  });
});
