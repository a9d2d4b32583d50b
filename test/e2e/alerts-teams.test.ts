import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALERT_ACK_ACTION } from '../../bot/render/alert';
import { alertWorkflowId } from '../../domain/alert/model';
import type { PolicyInput } from '../../domain/policy/schema';
import { assertCardValid } from '../support/checks/adaptive-cards';
import { waitUntil } from '../support/checks/assertions';
import { cardOf, executeActionsIn, invokeMessage, messageIn, wordsOf } from '../support/checks/teams-cards';
import { channelConversation, inThread } from '../support/generators/teams-requests';
import { ADMIN, submitRequest } from '../support/stacks/stack';
import { ONCALL, startTeamsStack, TeamsPeople, type TeamsStack } from '../support/stacks/teams-stack';
import type { AdaptiveCard } from '../../bot/render/teams';

/**
 * Rule alerts in a Teams channel on real components (Temporal dev server, PostgreSQL, moto, the real
 * Agents SDK adapter, the fake Bot Connector): a break-glass use on the access workflow posts a card
 * into the channel the policy names; Acknowledge is an `adaptiveCard/action` invoke that a stranger is
 * refused (told, and audited) and an admin may give, after which the card says who and offers no button.
 */

const ALERTS = '19:alerts0123456789abcdef@thread.tacv2';
/**
 * An entitlement of this file's own: alert workflows are one per rule and subject on the shared dev
 * server, so another file's break-glass alert on `payments-logs` must not be this one.
 */
const ENTITLEMENT = 'payments-db-breakglass';

function withAlerts(input: PolicyInput): void {
  input.alerts = { channels: { critical: [{ platform: 'teams', channel: ALERTS }] } };
  input.entitlements.push({
    id: ENTITLEMENT,
    title: 'Payments database (emergency)',
    system: 'aws-prod',
    grant: {
      kind: 'aws-iam-inline-policy',
      statements: [
        { actions: ['rds-db:connect'], resources: ['arn:aws:rds-db:us-east-1:123456789012:dbuser:*/oncall'] },
      ],
    },
    requesters: { everyone: true },
    approvers: { groups: ['leads'] },
    breakGlass: { requesters: { groups: ['oncall'] }, maxDuration: '1h' },
  });
}

describe('rule alerts in Teams', { timeout: 180_000 }, () => {
  let t: TeamsStack;
  const channel = channelConversation({ teamId: ALERTS, teamName: 'Security', channelName: 'Alerts' });

  before(async () => {
    t = await startTeamsStack('dev', { policy: withAlerts });
    await t.stack.startWorker();
    // the app added to the team: Least learns the channel's conversation, and may post there
    await t.sender.install(TeamsPeople.admin, channel);
  });

  after(async () => {
    await t?.close();
  });

  const isAlert = (words: RegExp) => (m: Parameters<Parameters<typeof messageIn>[2]>[0]) =>
    words.test(wordsOf(cardOf(m)));

  it('posts a break-glass use as a card, refuses a stranger Acknowledge and records the admin who gives it', async () => {
    const id = await submitRequest(t.stack, {
      requester: ONCALL,
      entitlementId: ENTITLEMENT,
      duration: '30m',
      reason: 'payments [db](http://evil.example) down <at>Sec</at> INC-9',
      breakGlass: true,
    });
    await t.stack.waitForStatus(id, 'active');

    const posted = await messageIn(t.connector, ALERTS, isAlert(/Break-glass access used/), 'the alert card', 30_000);
    const card = assertCardValid(cardOf(posted) as unknown as AdaptiveCard);
    const words = wordsOf(card);
    assert.match(words, /🔴 \*\*Critical · Break-glass access used\*\* · \*\*payments-db-breakglass\*\*/);
    assert.ok(words.includes(`oncall@example.com · Payments database (emergency) (${ENTITLEMENT}) on aws-prod`), words);
    assert.ok(words.includes(`(${id})`), words);
    // what the requester typed stays text: no link, no mention
    assert.ok(words.includes('payments \\[db\\](http://evil.example) down \\<at>Sec\\</at> INC-9'), words);
    assert.equal(
      t.connector.messagesIn(ALERTS).filter(isAlert(/Break-glass access used/)).length,
      1,
      'one card in the channel',
    );
    const [button, ...others] = executeActionsIn(card);
    assert.deepEqual(others, []);
    assert.equal(button?.verb, ALERT_ACK_ACTION);
    assert.equal(button?.title, 'Acknowledge');

    const thread = inThread(channel, posted.id);
    const click = { verb: ALERT_ACK_ACTION, data: button.data };
    const refused = await t.sender.execute(TeamsPeople.stranger, thread, click, posted.id);
    assert.equal(refused.status, 200);
    assert.match(invokeMessage(refused.body), /may not acknowledge alerts/);
    const workflowId = alertWorkflowId('break-glass-used', ENTITLEMENT, t.stack.taskQueue);
    const rows = await t.stack.db.pool.query<{ actor: string; detail: { alert: string; code: string; via: string } }>(
      `SELECT actor, detail FROM audit_log WHERE action = 'alert.acknowledge_refused'`,
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.actor, r.detail.alert, r.detail.code, r.detail.via]),
      [['mallory@example.com', workflowId, 'ALERT.NOT_AUTHORIZED', 'teams']],
    );
    const stillOpen = t.connector.messagesIn(ALERTS).find((m) => m.id === posted.id);
    assert.equal(executeActionsIn(cardOf(stillOpen)).length, 1, 'a refusal leaves the card as it was');

    const accepted = await t.sender.execute(TeamsPeople.admin, thread, click, posted.id);
    assert.equal(accepted.status, 200);
    assert.match(invokeMessage(accepted.body), /You acknowledged this alert/);
    let updated: Record<string, unknown> | undefined;
    await waitUntil(() => {
      updated = cardOf(t.connector.messagesIn(ALERTS).find((m) => m.id === posted.id));
      return wordsOf(updated).includes(`Acknowledged by ${ADMIN}`);
    }, 'the card says who acknowledged it');
    assertCardValid(updated as unknown as AdaptiveCard);
    assert.deepEqual(executeActionsIn(updated), [], 'an acknowledged alert offers no button');
    assert.equal(t.connector.messagesIn(ALERTS).filter(isAlert(/Break-glass access used/)).length, 1);
    const acks = await t.stack.db.pool.query<{ actor: string; detail: { rule: string; via: string } }>(
      `SELECT actor, detail FROM audit_log WHERE action = 'alert.acknowledged'`,
    );
    assert.deepEqual(
      acks.rows.map((r) => [r.actor, r.detail.rule, r.detail.via]),
      [[ADMIN, 'break-glass-used', 'teams']],
    );

    // a second click (the old card in someone's client) is told who acknowledged it first
    const again = await t.sender.execute(TeamsPeople.lead, thread, click, posted.id);
    assert.match(invokeMessage(again.body), /Already acknowledged by sec@example\.com/);
  });

  it('answers a forged Acknowledge value with a clear message and an audit entry', async () => {
    const forged = await t.sender.execute(
      TeamsPeople.admin,
      inThread(channel, 'no-such-message'),
      { verb: ALERT_ACK_ACTION, data: { value: '{"a":"alert:x","s":"<script>","e":1,"by":"sec@example.com"}' } },
      'no-such-message',
    );
    assert.equal(forged.status, 200);
    assert.match(invokeMessage(forged.body), /not one Least made/);
    const rows = await t.stack.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'action.malformed' AND detail->>'verb' = $1`,
      [ALERT_ACK_ACTION],
    );
    assert.equal(rows.rowCount, 1);
  });
});
