import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalsReply,
  errorReply,
  helpReply,
  noIdentityReply,
  refusalReply,
  requestListReply,
  usageReply,
} from '../../../../bot/render/slack/replies';
import { SlackAction } from '../../../../bot/render/slack/ids';
import { assertWithinSlackLimits } from '../../../support/checks/block-kit-limits';
import { buttons, ID, NOW, shown, state, view } from './fixtures';

describe('helpReply', () => {
  test('lists every command, with placeholders escaped so Slack does not read them as links', () => {
    const help = helpReply();
    const text = shown(help);
    for (const command of [
      '/access request`',
      '/access request &lt;entitlement&gt; &lt;duration&gt; &lt;reason…&gt; [ticket:OPS-1]',
      '/access break-glass &lt;entitlement&gt; &lt;duration&gt; &lt;reason…&gt;',
      '/access list',
      '/access extend &lt;id&gt; &lt;duration&gt;',
      '/access done &lt;id&gt;',
      '/access revoke &lt;id&gt; [reason]',
      '/access approvals',
      '/access help',
    ]) {
      assert.ok(text.includes(command), command);
    }
    assert.ok(!text.includes('<'), 'no raw angle bracket');
    assertWithinSlackLimits('message', help);
  });
});

describe('short replies', () => {
  test('usage says the problem, escaped, and points to help', () => {
    const reply = usageReply('"<!here>" is not a duration. Use forms like 30m.');
    assert.equal(shown(reply.blocks), '"&lt;!here&gt;" is not a duration. Use forms like 30m.\nTry `/access help`.');
    assert.equal(reply.text, shown(reply.blocks));
  });

  test('refusal is marked and escaped', () => {
    assert.equal(
      shown(refusalReply('You cannot decide on <@U1> own request.').blocks),
      '⛔ You cannot decide on &lt;@U1&gt; own request.',
    );
  });

  test('no identity says how to get mapped', () => {
    const text = shown(noIdentityReply('Your Slack profile has no e-mail address Least can read.'));
    assert.match(text, /^Your Slack profile has no e-mail address Least can read\./);
    assert.match(text, /Slack profile/);
    assert.match(text, /`chatUsers\.slack`/);
  });

  test('error gives the reference to quote', () => {
    assert.match(shown(errorReply('E-1a2b3c4d').blocks), /Something went wrong.*`E-1a2b3c4d`/);
  });
});

describe('requestListReply', () => {
  test('says so when there is nothing live or pending', () => {
    assert.equal(requestListReply([], NOW).text, 'You have no live or pending requests.');
    assert.equal(
      requestListReply([view(state('revoked')), view(state('denied'))], NOW).text,
      'You have no live or pending requests.',
    );
  });

  test('lists live and pending with id, status and time left; End now on live ones', () => {
    const reply = requestListReply(
      [
        view(state('active')),
        view(state('pending', { request: { requestId: 'r-pending001' } })),
        view(state('expired', { request: { requestId: 'r-gone000001' } })),
      ],
      NOW,
    );
    const text = shown(reply);
    assert.match(text, new RegExp(`\`${ID}\`\\n🟢 Granted until .*\\(42m left\\)`));
    assert.match(text, /`r-pending001`\n⏳ Waiting for approval: 0 of 2 approvals/);
    assert.doesNotMatch(text, /r-gone000001/);
    assert.equal(reply.text, 'You have 2 live or pending requests.');
    assert.deepEqual(
      buttons(reply.blocks).map((b) => [b.action_id, b.value]),
      [[SlackAction.EndNow, ID]],
    );
    assertWithinSlackLimits('message', reply);
  });

  test('stays within a message with 300 requests', () => {
    const views = Array.from({ length: 300 }, (_, i) =>
      view(state('active', { request: { requestId: `r-${String(i).padStart(10, '0')}` } })),
    );
    const reply = requestListReply(views, NOW);
    assert.match(shown(reply), /and 280 more/);
    assertWithinSlackLimits('message', reply);
  });
});

describe('approvalsReply', () => {
  test('shows each waiting request with Approve and Deny', () => {
    const reply = approvalsReply(
      [view(state('pending')), view(state('pending', { request: { requestId: 'r-second0001' } }))],
      NOW,
    );
    assert.deepEqual(
      buttons(reply.blocks).map((b) => [b.action_id, b.value]),
      [
        [SlackAction.Approve, ID],
        [SlackAction.Deny, ID],
        [SlackAction.Approve, 'r-second0001'],
        [SlackAction.Deny, 'r-second0001'],
      ],
    );
    assert.equal(reply.text, '2 requests waiting for your approval.');
    assertWithinSlackLimits('message', reply);
  });

  test('says so when nothing waits, and caps a long list', () => {
    assert.equal(approvalsReply([], NOW).text, 'Nothing is waiting for your approval.');
    const views = Array.from({ length: 300 }, (_, i) =>
      view(state('pending', { request: { requestId: `r-${String(i).padStart(10, '0')}` } })),
    );
    const reply = approvalsReply(views, NOW);
    assert.match(shown(reply), /and 280 more/);
    assertWithinSlackLimits('message', reply);
  });
});
