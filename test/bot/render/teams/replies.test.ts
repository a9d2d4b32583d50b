import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalsMessage,
  errorMessage,
  helpMessage,
  noIdentityMessage,
  refusalMessage,
  requestListMessage,
  usageMessage,
} from '../../../../bot/render/teams';
import { TeamsInput, TeamsVerb } from '../../../../bot/render/teams/ids';
import { assertCardValid } from '../../../support/checks/adaptive-cards';
import { approval, buttons, factsOf, ID, inputs, LEAD_A, NOW, shown, state, verbs, view } from './fixtures';

const nth = (i: number) => `r-${String(i).padStart(10, '0')}`;

describe('helpMessage', () => {
  test('lists every command as typed to the bot, placeholders escaped, and opens the form', () => {
    const help = helpMessage();
    assertCardValid(help.card!);
    assert.deepEqual(Object.keys(factsOf(help.card)), [
      'request',
      'request \\<entitlement> \\<duration> \\<reason…> \\[ticket:OPS-1\\]',
      'break-glass \\<entitlement> \\<duration> \\<reason…>',
      'list',
      'extend \\<id> \\<duration>',
      'done \\<id>',
      'revoke \\<id> \\[reason\\]',
      'approvals',
      'findings \\[in \\<system>\\]',
      'findings \\<identity…> \\[in \\<system>\\]',
      'report \\<identity…> \\[days\\] \\[in \\<system>\\]',
      'help',
    ]);
    assert.ok(!shown(help.card).includes('/access'), 'no slash commands in Teams');
    assert.deepEqual(verbs(help.card), [[TeamsVerb.OpenRequestForm, undefined]]);
    assert.match(help.text, /^Least commands: request, break-glass, list/);
  });
});

describe('short replies are plain messages in escaped markdown', () => {
  test('usage says the problem, escaped, and points to help', () => {
    const reply = usageMessage('"<at>all</at>" is not a duration. Use forms like 30m.');
    assert.equal(reply.card, undefined);
    assert.equal(
      reply.text,
      '"\\<at>all\\</at>" is not a duration. Use forms like 30m.\n\nType **help** for the commands.',
    );
  });

  test('refusal is marked and escaped', () => {
    assert.deepEqual(refusalMessage('You cannot decide on [your](https://x.example) own request.'), {
      text: '⛔ You cannot decide on \\[your\\](https://x.example) own request.',
    });
  });

  test('no identity says how to get mapped in Teams', () => {
    const { text } = noIdentityMessage('Your Teams account has no e-mail address Least can read.');
    assert.match(text, /^Your Teams account has no e-mail address Least can read\.\n\n/);
    assert.match(text, /\*\*chatUsers\.teams\*\*/);
  });

  test('error gives the reference to quote', () => {
    assert.match(errorMessage('E-1a2b3c4d').text, /Something went wrong.*\*\*E-1a2b3c4d\*\*/);
  });
});

describe('requestListMessage', () => {
  test('says so when there is nothing live or pending, and offers the form', () => {
    for (const views of [[], [view(state('revoked')), view(state('denied'))]]) {
      const reply = requestListMessage(views, NOW);
      assert.equal(reply.text, 'You have no live or pending requests.');
      assertCardValid(reply.card!);
      assert.deepEqual(verbs(reply.card), [[TeamsVerb.OpenRequestForm, undefined]]);
    }
  });

  test('lists live and pending with id, status and time left; End now on live ones', () => {
    const reply = requestListMessage(
      [
        view(state('active')),
        view(state('pending', { request: { requestId: 'r-pending001' } })),
        view(state('expired', { request: { requestId: 'r-gone000001' } })),
      ],
      NOW,
    );
    assertCardValid(reply.card!);
    const text = shown(reply.card);
    assert.match(
      text,
      new RegExp(
        `\\*\\*Production admin\\*\\* on AWS production \\(123456789012\\) · ${ID}\\n🟢 Granted until .*\\(42m left\\)`,
      ),
    );
    assert.match(text, /· r-pending001\n⏳ Waiting for approval: 0 of 2 approvals/);
    assert.doesNotMatch(text, /r-gone000001/);
    assert.equal(reply.text, 'You have 2 live or pending requests.');
    assert.deepEqual(verbs(reply.card), [[TeamsVerb.EndNow, { requestId: ID }]]);
  });

  test('shows ten of 300 and says how many more', () => {
    const reply = requestListMessage(
      Array.from({ length: 300 }, (_, i) => view(state('active', { request: { requestId: nth(i) } }))),
      NOW,
    );
    assertCardValid(reply.card!);
    assert.equal(verbs(reply.card).length, 10);
    assert.match(shown(reply.card), /and 290 more, not shown here\./);
  });
});

describe('approvalsMessage', () => {
  test('shows each waiting request with Approve and Deny for it, and one comment box', () => {
    const reply = approvalsMessage(
      [
        view(state('pending', { decisions: [approval(LEAD_A)] })),
        view(state('pending', { request: { requestId: 'r-second0001' } })),
      ],
      NOW,
    );
    const card = assertCardValid(reply.card!);
    assert.deepEqual(
      buttons(card).map((b) => [b.title, b.verb, b.data, b.style]),
      [
        ['Approve', TeamsVerb.Approve, { requestId: ID }, 'positive'],
        ['Deny', TeamsVerb.Deny, { requestId: ID }, 'destructive'],
        ['Approve', TeamsVerb.Approve, { requestId: 'r-second0001' }, 'positive'],
        ['Deny', TeamsVerb.Deny, { requestId: 'r-second0001' }, 'destructive'],
      ],
    );
    assert.deepEqual(Object.keys(inputs(card)), [TeamsInput.Comment]);
    assert.equal(reply.text, '2 requests waiting for your approval');
    const text = shown(card);
    assert.match(
      text,
      /\*\*Production admin\*\* on AWS production \(123456789012\) · 2h\ndev@example\.com: rotate the database credentials/,
    );
    assert.match(text, /⏳ 1 of 2 approvals: lead-a@example\.com · r-abc123defg/);
  });

  test('an extension waiting is listed as one', () => {
    const pendingExtension = {
      requestedBy: 'dev@example.com',
      additionalSeconds: 3600,
      requestedAt: NOW.toISOString(),
    };
    const card = assertCardValid(approvalsMessage([view(state('active', { pendingExtension }))], NOW).card!);
    assert.match(shown(card), /· extend by \+1h\n/);
  });

  test('says so when nothing waits, and caps a long list at ten', () => {
    assert.deepEqual(approvalsMessage([], NOW), { text: 'Nothing is waiting for your approval.' });
    const reply = approvalsMessage(
      Array.from({ length: 300 }, (_, i) => view(state('pending', { request: { requestId: nth(i) } }))),
      NOW,
    );
    assertCardValid(reply.card!);
    assert.equal(verbs(reply.card).length, 20);
    assert.match(shown(reply.card), /and 290 more, not shown here\./);
  });
});
