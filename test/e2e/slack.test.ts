import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { LEAD, REQUESTER } from '../support/stacks/stack';
import { waitUntil } from '../support/checks/assertions';
import type { SlackCall } from '../support/fakes/fake-slack';
import type { SlackReply } from '../support/generators/slack-requests';
import {
  APPROVAL_CHANNEL,
  buttonsIn,
  requestIdIn,
  SlackUser,
  startSlackStack,
  textOf,
  type SlackStack,
} from '../support/stacks/slack-stack';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { SLACK_COMMAND, SlackAction, SlackBlock, SlackView } from '../../bot/render/slack/ids';
import { SLACK_EVENTS_PATH } from '../../bot/chat-routes';
import type { RequestState } from '../../domain/request';

/**
 * Slack end to end: signed HTTP requests into the real Bolt app, the fake Slack Web API recording
 * what people see, and real Temporal (time-skipping), PostgreSQL and moto underneath.
 */

let s: SlackStack;
let stopWorker: () => Promise<void>;

before(async () => {
  s = await startSlackStack('time-skipping');
  ({ stop: stopWorker } = await s.startWorker());
});

after(async () => {
  await stopWorker?.();
  await s?.close();
});

const result = (requestId: string): Promise<RequestState> =>
  s.stack.env.client.workflow.getHandle(requestId).result() as Promise<RequestState>;

async function assignments(): Promise<string[]> {
  const listed = await s.stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: s.stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: s.stack.account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => a.PrincipalId!);
}

async function inlinePolicies(): Promise<string[]> {
  const names = (await s.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames ?? [];
  return names.filter((name) => name.startsWith('least-')); // the role's own baseline policy stays
}

function formValues(fields: { entitlementId?: string; duration?: string; reason?: string; ticket?: string }) {
  return {
    [SlackBlock.Entitlement]: {
      [SlackAction.EntitlementPicker]: {
        type: 'external_select',
        selected_option: fields.entitlementId
          ? { value: fields.entitlementId, text: { type: 'plain_text', text: fields.entitlementId } }
          : null,
      },
    },
    [SlackBlock.Duration]: {
      [SlackAction.DurationInput]: { type: 'plain_text_input', value: fields.duration ?? null },
    },
    [SlackBlock.Reason]: { [SlackAction.ReasonInput]: { type: 'plain_text_input', value: fields.reason ?? null } },
    [SlackBlock.Ticket]: { [SlackAction.TicketInput]: { type: 'plain_text_input', value: fields.ticket ?? null } },
  };
}

/** The approval card posted for a request in a channel (or DM), as it reads now. */
async function cardIn(channel: string, requestId: string): Promise<{ ts: string; blocks: unknown }> {
  let card: { ts: string; blocks: unknown } | undefined;
  await waitUntil(() => {
    card = s.fake.messagesIn(channel).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? '').includes(requestId));
    return card !== undefined;
  }, `a card for ${requestId} in ${channel}`);
  return card!;
}

async function click(userId: string, actionId: string, value: string, card?: { channel: string; ts: string }) {
  return s.sender.blockAction(
    userId,
    { action_id: actionId, value },
    card
      ? {
          container: { type: 'message', channel_id: card.channel, message_ts: card.ts },
          message: { ts: card.ts },
          channelId: card.channel,
        }
      : {},
  );
}

/** What the person was told privately about one request they sent (respond() through its response_url). */
async function replyTo(answer: SlackReply, pattern: RegExp): Promise<SlackCall> {
  assert.equal(answer.status, 200);
  return s.fake
    .waitFor('response_url', (call) => call.responseId === answer.responseId && pattern.test(textOf(call.args)))
    .catch((error: Error) => {
      const seen = s.fake
        .callsTo('response_url')
        .filter((call) => call.responseId === answer.responseId)
        .map((call) => textOf(call.args));
      throw new Error(
        `${error.message}\nwanted ${String(pattern)}; this request was answered: ${JSON.stringify(seen).slice(0, 600)}`,
      );
    });
}

const REQUEST_ID = /r-[a-z0-9]{10}/;

describe('Slack: request → approve → grant → expiry → revoke', () => {
  it('walks the whole flow through the modal, the approver card and the requester thread', async () => {
    const opened = await s.sender.command(SlackUser.ada, 'request', { triggerId: 'trigger-1', channelId: 'CDEV' });
    assert.equal(opened.status, 200);
    const form = await s.fake.waitFor('views.open', (call) => call.args.trigger_id === 'trigger-1');
    const view = form.args.view as { callback_id: string; private_metadata: string };
    assert.equal(view.callback_id, SlackView.RequestForm);

    const typed = await s.sender.blockSuggestion(SlackUser.ada, SlackAction.EntitlementPicker, 'read-only');
    assert.equal(typed.status, 200);
    const options = (typed.json as { options: { value: string }[] }).options.map((o) => o.value);
    assert.ok(options.includes('prod-read-only'), `type-ahead offers prod-read-only: ${options.join(', ')}`);

    const submitted = await s.sender.viewSubmission(SlackUser.ada, {
      id: 'VFORM0001',
      callback_id: SlackView.RequestForm,
      private_metadata: view.private_metadata,
      state: { values: formValues({ entitlementId: 'prod-read-only', duration: '1h', reason: 'investigate INC-42' }) },
    });
    assert.equal(submitted.status, 200);
    assert.equal((submitted.json as { response_action: string }).response_action, 'update');
    const id = requestIdIn(submitted.json);

    // The card goes to the approval channel and to the approver's DM, with Approve and Deny.
    const card = await cardIn(APPROVAL_CHANNEL, id);
    assert.deepEqual(
      buttonsIn(card.blocks).map((b) => [b.action_id, b.value]),
      [
        [SlackAction.Approve, id],
        [SlackAction.Deny, id],
      ],
    );
    assert.match(textOf(card.blocks), /investigate INC-42/);
    const leadDm = await s.fake.waitFor(
      'chat.postMessage',
      (call) =>
        String(call.args.channel).startsWith('D') &&
        JSON.stringify(call.args.blocks).includes(id) &&
        buttonsIn(call.args.blocks).length > 0,
    );
    assert.ok(leadDm);

    const approved = await click(SlackUser.lead, SlackAction.Approve, id, { channel: APPROVAL_CHANNEL, ts: card.ts });
    assert.equal(approved.status, 200);
    await s.stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignments(), [s.stack.account.ada.userId]);

    // The card was updated in place: who decided, and no buttons.
    await waitUntil(() => {
      const now = s.fake.messagesIn(APPROVAL_CHANNEL).find((m) => m.ts === card.ts);
      return now !== undefined && buttonsIn(now.blocks).length === 0 && textOf(now.blocks).includes(LEAD);
    }, 'the approval card shows the decision and loses its buttons');

    // The requester follows it in a DM thread: approved, then granted with the portal.
    const thread = await s.fake.waitFor(
      'chat.postMessage',
      (call) => call.args.thread_ts !== undefined && /access portal|awsapps/i.test(textOf(call.args)),
    );
    assert.ok(thread);

    const final = await result(id); // time skips to the end of the hour
    assert.equal(final.status, 'revoked');
    assert.deepEqual(await assignments(), []);
    const revoked = await s.fake.waitFor(
      'chat.postMessage',
      (call) =>
        call.args.thread_ts === thread.args.thread_ts &&
        textOf(call.args).includes(final.revocationReceipt!.slice(0, 20)),
    );
    assert.ok(revoked, 'the revoked message carries the verification receipt');
    const warned = s.fake
      .callsTo('chat.postMessage')
      .find(
        (call) =>
          call.args.thread_ts === thread.args.thread_ts &&
          buttonsIn(call.args.blocks).some((b) => b.action_id === SlackAction.Extend),
      );
    assert.ok(warned, 'the expiry warning offered an Extend button');

    const actions = (await s.stack.store.auditFor(id)).map((row) => row.action);
    assert.deepEqual(actions, [
      'request.submitted',
      'approval.approved',
      'request.approved',
      'grant.applied',
      'grant.revoked',
    ]);
  });
});

describe('Slack: refusals are explained, audited, and grant nothing', () => {
  it('forged signatures and stale timestamps get 401 and change nothing', async () => {
    const before = s.fake.calls.length;
    const forged = await s.sender.command(SlackUser.ada, 'request prod-read-only 1h forged', {
      sign: { secret: 'not-the-secret' },
    });
    assert.equal(forged.status, 401);
    const stale = await s.sender.command(SlackUser.ada, 'request prod-read-only 1h stale', {
      sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
    });
    assert.equal(stale.status, 401);
    const unsigned = await s.sender.blockAction(
      SlackUser.lead,
      { action_id: SlackAction.Approve, value: 'r-aaaaaaaaaa' },
      { sign: { omit: true } },
    );
    assert.equal(unsigned.status, 401);
    assert.equal(s.fake.calls.length, before, 'nothing reached Slack');
    assert.deepEqual(
      await s.stack.store.listRequests({ requester: REQUESTER, statuses: ['pending', 'approved', 'active'] }),
      [],
    );
    await waitUntil(
      async () => (await s.stack.store.auditFor(undefined, 50)).some((row) => row.action === 'slack.request.rejected'),
      'the rejection is audited',
    );
  });

  it('self-approval, a stranger, a double click and a click after expiry are refused and audited; one grant only', async () => {
    const asked = await s.sender.command(SlackUser.ada, 'request payments-logs 1h check refunds', {
      triggerId: 'trigger-fast',
    });
    const id = requestIdIn((await replyTo(asked, REQUEST_ID)).args);
    await s.stack.waitForStatus(id, 'pending');
    const card = await cardIn(await dmChannelOf(SlackUser.lead), id);
    const where = { channel: await dmChannelOf(SlackUser.lead), ts: card.ts };

    await replyTo(await click(SlackUser.ada, SlackAction.Approve, id, where), /own request/i);
    await replyTo(await click(SlackUser.stranger, SlackAction.Approve, id, where), /not an approver/i);
    const t = Date.now();
    await replyTo(await click(SlackUser.stranger, SlackAction.Deny, id, where), /not an approver/i);
    assert.equal(
      s.fake.callsTo('views.open').filter((c) => c.at >= t).length,
      0,
      'no deny form for someone who may not deny',
    );

    await Promise.all([
      click(SlackUser.lead, SlackAction.Approve, id, where),
      click(SlackUser.lead, SlackAction.Approve, id, where),
    ]);
    await s.stack.waitForStatus(id, 'active');
    assert.deepEqual(await inlinePolicies(), [`least-${id}`]);
    const decisions = await s.stack.store.decisions(id);
    assert.equal(decisions.length, 1, 'a double click counts once');

    const refusals = (await s.stack.store.auditFor(id)).filter((row) => row.action === 'approval.refused');
    assert.deepEqual(
      refusals.map((row) => row.actor).sort(),
      [REQUESTER, 'mallory@example.com', 'mallory@example.com'].sort(),
    );
    await replyTo(await s.sender.command(SlackUser.ada, `done ${id}`), /revoked/i);
    assert.deepEqual(await inlinePolicies(), []);

    // A request nobody decided expires; its buttons then only explain.
    const late = await s.sender.command(SlackUser.ada, 'request prod-read-only 30m nobody answers', {
      triggerId: 'trigger-late',
    });
    const lateId = requestIdIn((await replyTo(late, REQUEST_ID)).args);
    assert.equal((await result(lateId)).status, 'expired');
    await replyTo(
      await click(SlackUser.lead, SlackAction.Approve, lateId, {
        channel: APPROVAL_CHANNEL,
        ts: (await cardIn(APPROVAL_CHANNEL, lateId)).ts,
      }),
      /expired|finished/i,
    );
    assert.deepEqual(await assignments(), []);
    assert.ok(
      (await s.stack.store.auditFor(lateId)).some((row) => row.action === 'approval.refused' && row.actor === LEAD),
    );
  });

  it('a person Slack has no e-mail for is told how to get mapped, and audited', async () => {
    await replyTo(await s.sender.command(SlackUser.nomail, 'list'), /e-mail|chatUsers/i);
    assert.ok((await s.stack.store.auditFor(undefined, 50)).some((row) => row.action === 'identity.unknown'));
  });

  it('a deny asks for a reason, and the requester reads it', async () => {
    const t = Date.now();
    const asked = await s.sender.command(SlackUser.ada, 'request prod-read-only 1h read the orders table', {
      triggerId: 'trigger-deny',
    });
    const id = requestIdIn((await replyTo(asked, REQUEST_ID)).args);
    const card = await cardIn(APPROVAL_CHANNEL, id);
    await click(SlackUser.lead, SlackAction.Deny, id, { channel: APPROVAL_CHANNEL, ts: card.ts });
    const form = await s.fake.waitFor(
      'views.open',
      (call) => call.at >= t && (call.args.view as { callback_id?: string }).callback_id === SlackView.DenyReason,
    );
    const metadata = (form.args.view as { private_metadata: string }).private_metadata;
    const empty = await s.sender.viewSubmission(SlackUser.lead, {
      callback_id: SlackView.DenyReason,
      private_metadata: metadata,
      state: {
        values: { [SlackBlock.DenyReason]: { [SlackAction.DenyReasonInput]: { type: 'plain_text_input', value: '' } } },
      },
    });
    assert.equal((empty.json as { response_action?: string }).response_action, 'errors');
    const denied = await s.sender.viewSubmission(SlackUser.lead, {
      callback_id: SlackView.DenyReason,
      private_metadata: metadata,
      state: {
        values: {
          [SlackBlock.DenyReason]: {
            [SlackAction.DenyReasonInput]: { type: 'plain_text_input', value: 'use the <!channel> read replica' },
          },
        },
      },
    });
    assert.equal(denied.status, 200);
    assert.equal((await result(id)).status, 'denied');
    const told = await s.fake.waitFor(
      'chat.postMessage',
      (call) => call.args.thread_ts !== undefined && textOf(call.args).includes('read replica'),
    );
    assert.ok(!JSON.stringify(told.args).includes('<!channel>'), 'the reason is shown escaped');
  });
});

describe('Slack: approvers from a Slack user group, App Home, lists', () => {
  it('a member of the Slack user group gets the card and may approve', async () => {
    const asked = await s.sender.command(SlackUser.ada, 'request payments-logs-by-group 30m rotate keys', {
      triggerId: 'trigger-group',
    });
    const id = requestIdIn((await replyTo(asked, REQUEST_ID)).args);
    const channel = await dmChannelOf(SlackUser.groupLead);
    const card = await cardIn(channel, id);
    await click(SlackUser.groupLead, SlackAction.Approve, id, { channel, ts: card.ts });
    await s.stack.waitForStatus(id, 'active');
    await s.sender.command(SlackUser.ada, `done ${id}`);
    assert.equal((await result(id)).status, 'revoked');
  });

  it('App Home lists live grants with End now, and list/approvals answer privately', async () => {
    const asked = await s.sender.command(SlackUser.ada, 'request prod-read-only 2h home test', {
      triggerId: 'trigger-home',
    });
    const id = requestIdIn((await replyTo(asked, REQUEST_ID)).args);
    await s.stack.waitForStatus(id, 'pending');

    const waiting = await replyTo(await s.sender.command(SlackUser.lead, 'approvals'), new RegExp(id));
    assert.ok(buttonsIn(waiting.args.blocks).some((b) => b.action_id === SlackAction.Approve && b.value === id));

    // Approve straight from the private list: the list entry is replaced by the decided card.
    const fromList = await click(SlackUser.lead, SlackAction.Approve, id, undefined);
    await replyTo(fromList, new RegExp(LEAD.replace('.', '\\.')));
    await s.stack.waitForStatus(id, 'active');
    const opened = await s.sender.event({
      type: 'app_home_opened',
      user: SlackUser.ada,
      tab: 'home',
      channel: 'DHOME',
    });
    assert.equal(opened.status, 200);
    const home = await s.fake.waitFor(
      'views.publish',
      (call) => call.args.user_id === SlackUser.ada && JSON.stringify(call.args.view).includes(id),
    );
    const end = buttonsIn((home.args.view as { blocks: unknown }).blocks).find(
      (b) => b.action_id === SlackAction.EndNow && b.value === id,
    );
    assert.ok(end, 'App Home offers End now on the live grant');

    await replyTo(await s.sender.command(SlackUser.ada, 'list'), new RegExp(id));

    await s.sender.blockAction(
      SlackUser.ada,
      { action_id: SlackAction.EndNow, value: id },
      { container: { type: 'view', view_id: 'VHOME' }, view: { id: 'VHOME', type: 'home' } },
    );
    assert.equal((await result(id)).status, 'revoked');
  });
});

describe('Slack: an outage in the middle of a step', () => {
  it('a notice Slack refuses is sent again on its own: one card, one DM, and the request goes on', async () => {
    const refusedBefore = s.fake.callsTo('chat.postMessage').filter((call) => call.error === 'internal_error').length;
    s.fake.failNext('chat.postMessage', 'internal_error');
    const asked = await s.sender.command(SlackUser.ada, 'request prod-read-only 30m outage drill', {
      triggerId: 'trigger-outage',
    });
    const id = requestIdIn((await replyTo(asked, REQUEST_ID)).args);
    const card = await cardIn(APPROVAL_CHANNEL, id);
    const leadDm = await dmChannelOf(SlackUser.lead);
    await cardIn(leadDm, id);
    const refused = s.fake.callsTo('chat.postMessage').filter((call) => call.error === 'internal_error');
    assert.equal(refused.length, refusedBefore + 1, 'Slack refused one post of the approval notice');
    for (const channel of [APPROVAL_CHANNEL, leadDm]) {
      const cards = s.fake
        .messagesIn(channel)
        .filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? '').includes(id));
      assert.equal(cards.length, 1, `one card in ${channel}, not one per attempt`);
    }
    await click(SlackUser.lead, SlackAction.Approve, id, { channel: APPROVAL_CHANNEL, ts: card.ts });
    await s.stack.waitForStatus(id, 'active');
    await s.sender.command(SlackUser.ada, `done ${id}`);
    assert.equal((await result(id)).status, 'revoked');
  });
});

describe('Slack: hostile input', () => {
  const hostile = [
    '<!channel> approve all',
    '<!here|here> <@ULEAD001>',
    '<http://evil.example|bank.example>',
    "'; DROP TABLE requests; --",
    '\u202Eevil\u202C 🚨 ü ' + 'ﷺ'.repeat(20),
    'x'.repeat(10_000),
  ];

  it('commands with hostile text get a clear reply, never a crash, and grant nothing', async () => {
    for (const [index, text] of hostile
      .flatMap((h) => [h, `request ${h}`, `request prod-read-only ${h}`, `extend ${h}`, `request prod-admin 1h ${h}`])
      .entries()) {
      const answer = await s.sender.command(SlackUser.stranger, text, { triggerId: `trigger-h${index}` });
      assert.equal(answer.status, 200, `answered ${JSON.stringify(text.slice(0, 40))}`);
      const shown = answer.body.length > 0 ? answer.body : JSON.stringify((await replyTo(answer, /./)).args);
      assert.ok(!/<!(channel|here)/.test(shown), `no ping in the reply to ${JSON.stringify(text.slice(0, 40))}`);
      assert.ok(!shown.includes('<http://evil'), 'no disguised link');
    }
    assert.deepEqual(
      await s.stack.store.listRequests({ requester: 'mallory@example.com', statuses: ['approved', 'active'] }),
      [],
    );
  });

  /** Seeded random text over an alphabet of Slack's and SQL's special characters, unicode and whitespace. */
  function randomTexts(count: number): string[] {
    let seed = 7;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const alphabet = [
      '<',
      '>',
      '&',
      '!',
      '@',
      '|',
      '*',
      '_',
      '~',
      '`',
      "'",
      '"',
      ';',
      '-',
      ' ',
      '\n',
      'a',
      'Z',
      '9',
      'ü',
      '🚨',
      '\u202E',
      '\u0000',
      'r-',
      'channel',
      'http://',
    ];
    return Array.from({ length: count }, () =>
      Array.from({ length: 1 + Math.floor(next() * 300) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(
        '',
      ),
    );
  }

  it('modal fields with hostile or random text are refused field by field or escaped on the card', async () => {
    for (const [index, text] of [...hostile, ...randomTexts(20)].entries()) {
      const answer = await s.sender.viewSubmission(SlackUser.stranger, {
        id: `VHOSTILE${index}`,
        callback_id: SlackView.RequestForm,
        private_metadata: text,
        state: {
          values: formValues({
            entitlementId: index % 2 ? text : 'prod-admin',
            duration: text,
            reason: text,
            ticket: text,
          }),
        },
      });
      assert.equal(answer.status, 200);
      assert.equal(
        (answer.json as { response_action?: string }).response_action,
        'errors',
        `refused: ${JSON.stringify(text.slice(0, 40))}`,
      );
    }
    const accepted = await s.sender.viewSubmission(SlackUser.stranger, {
      id: 'VHOSTILEOK',
      callback_id: SlackView.RequestForm,
      private_metadata: '{}',
      state: {
        values: formValues({
          entitlementId: 'prod-read-only',
          duration: '30m',
          reason: '<!channel> <http://evil.example|bank.example> please',
        }),
      },
    });
    const id = requestIdIn(accepted.json);
    const card = await cardIn(APPROVAL_CHANNEL, id);
    const shown = JSON.stringify(card.blocks);
    assert.ok(!shown.includes('<!channel>') && !shown.includes('<http://evil'), 'the card shows the reason escaped');
    await s.sender.command(SlackUser.stranger, `done ${id}`);
    assert.equal((await result(id)).status, 'cancelled');
  });
});

describe('Slack: a burst of commands at once', () => {
  it('30 people asking at the same moment are each acked and each told their own request id', async () => {
    const people = Array.from({ length: 30 }, (_, i) => ({
      id: `UBURST${String(i).padStart(2, '0')}`,
      email: `burst${i}@example.com`,
    }));
    for (const person of people) s.fake.addUser({ id: person.id, email: person.email, name: person.id.toLowerCase() });
    const answers = await Promise.all(
      people.map((person, i) =>
        s.sender.command(person.id, 'request payments-logs 1h reading the payment logs for a burst test', {
          triggerId: `trigger-burst-${i}`,
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      people.map(() => 200),
    );
    const ids = await Promise.all(
      answers.map(async (answer) => REQUEST_ID.exec(textOf((await replyTo(answer, REQUEST_ID)).args))![0]),
    );
    assert.equal(new Set(ids).size, people.length, 'every person has a request of their own');
    for (const [i, id] of ids.entries()) {
      // the reply comes as the run starts; its first record may land a moment later
      await waitUntil(async () => (await s.stack.store.getRequest(id)) !== undefined, `${id} is recorded`);
      const record = await s.stack.store.getRequest(id);
      assert.equal(record?.requester, people[i]!.email, `${id} is the request of the person told about it`);
      const ended = await s.stack.access.end(id, people[i]!.email, 'burst test over');
      assert.ok(ended.ok && ended.state.status === 'cancelled', JSON.stringify(ended));
    }
  });
});

describe('Slack: the manifest matches what the app does', () => {
  /** The bot scope each Web API method needs (api.slack.com/methods). */
  const SCOPE_OF: Record<string, string> = {
    'auth.test': '',
    'chat.postMessage': 'chat:write',
    'chat.update': 'chat:write',
    'chat.postEphemeral': 'chat:write',
    'conversations.open': 'im:write',
    'users.info': 'users:read',
    'users.lookupByEmail': 'users:read.email',
    'usergroups.users.list': 'usergroups:read',
    'views.open': '',
    'views.update': '',
    'views.publish': '',
    response_url: '',
  };

  it('grants a scope for every Web API method the tests above saw the app call, and routes everything to /slack/events', async () => {
    const manifest = parse(await readFile('slack/manifest.yaml', 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
      features: { slash_commands: { command: string; url: string }[]; app_home: { home_tab_enabled: boolean } };
      settings: {
        event_subscriptions: { request_url: string; bot_events: string[] };
        interactivity: { request_url: string; message_menu_options_url: string };
      };
    };
    const granted = new Set(manifest.oauth_config.scopes.bot);
    const called = [...new Set(s.fake.calls.map((call) => call.method))];
    for (const method of called) {
      assert.ok(method in SCOPE_OF, `the app called ${method}, which this test does not know the scope of`);
      const scope = SCOPE_OF[method]!;
      if (scope) assert.ok(granted.has(scope), `${method} needs ${scope}, which the manifest does not ask for`);
    }
    assert.ok(
      called.includes('users.lookupByEmail') && called.includes('usergroups.users.list'),
      'the run exercised the lookups',
    );
    assert.deepEqual(
      manifest.features.slash_commands.map((c) => c.command),
      [SLACK_COMMAND],
    );
    const urls = [
      ...manifest.features.slash_commands.map((c) => c.url),
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
      manifest.settings.interactivity.message_menu_options_url,
    ];
    for (const url of urls) assert.equal(new URL(url).pathname, SLACK_EVENTS_PATH);
    assert.ok(manifest.settings.event_subscriptions.bot_events.includes('app_home_opened'));
    assert.equal(manifest.features.app_home.home_tab_enabled, true);
  });
});

/** The DM channel the fake gives a user (what conversations.open answers). */
async function dmChannelOf(userId: string): Promise<string> {
  const opened = await s.frontEnd.client.conversations.open({ users: userId });
  return opened.channel!.id!;
}
