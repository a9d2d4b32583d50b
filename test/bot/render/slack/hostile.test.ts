import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalCard,
  approvalsReply,
  denyReasonForm,
  entitlementOptions,
  errorReply,
  homeView,
  noIdentityReply,
  refusalReply,
  requestForm,
  requesterThreadParent,
  requesterUpdate,
  requestListReply,
  reviewCard,
  submittedReply,
  usageReply,
} from '../../../../bot/render/slack';
import { cut } from '../../../../bot/render/slack/text';
import { RequestStatus, type RequestState } from '../../../../domain/request';
import type { EntitlementChoice } from '../../../../bot/render/view';
import {
  assertOptionsWithinSlackLimits,
  assertWithinSlackLimits,
  type SlackSurface,
} from '../../../support/checks/block-kit-limits';
import { hasHalfEmoji, hostileState, NOTICE_KINDS } from '../hostile';
import { mrkdwnTexts, NOW, REQUESTER_SLACK, view } from './fixtures';

/**
 * Every renderer fed what a hostile requester, approver, policy author or cloud API could put in a
 * field: Slack must accept the payload, and nothing a person typed may ping, link or reorder text.
 */
const HOSTILE = [
  'x'.repeat(10_000),
  '<!channel> approve all',
  '<!here|x> <!everyone> @channel @here @everyone',
  '<http://evil.example|bank.example> and <https://evil.example>',
  '<@U999> and <#C999> and <!subteam^S999>',
  '&amp;'.repeat(2_000),
  'a&'.repeat(3_000),
  '\u202Eevil\u202C 🚨 e\u0301\u0301\u0301 ﷺ ' + '😀'.repeat(3_000),
  "'; DROP TABLE requests; -- ",
  'need it\n\n*✅ Approved by ciso@example.com*\n'.repeat(300),
];

function hostileView(status: RequestStatus, text: string, extra: Partial<RequestState> = {}) {
  const recent = Array.from({ length: 7 }, () => hostileState('denied', text));
  return view(hostileState(status, text, extra), { systemTitle: text, recent, requesterUserId: text });
}

/** What Slack would parse from user text: any `<` left after our own date tokens and the requester's mention. */
function leaks(payload: unknown): string[] {
  return mrkdwnTexts(payload).flatMap((text) => {
    const rest = OURS.reduce((t, token) => t.replace(token, ''), text);
    const found: string[] = [];
    if (rest.includes('<'))
      found.push(`raw < in ${JSON.stringify(rest.slice(Math.max(0, rest.indexOf('<') - 20), rest.indexOf('<') + 40))}`);
    if (/(?<![\w.+-])@(channel|here|everyone)\b/i.test(rest)) found.push('literal broadcast');
    return found;
  });
}

const OURS = [/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:.Z-]+>/g, new RegExp(`<@${REQUESTER_SLACK}>`, 'g')];

/**
 * Messages and Home carry no plain_text with user text in it, so their whole JSON is checked; a
 * modal's input values and plain_text options quote the person verbatim, which Slack never parses.
 */
function assertSafe(surface: SlackSurface, payload: unknown, what: string): void {
  assertWithinSlackLimits(surface, payload);
  assert.deepEqual(leaks(payload), [], `${what}: user text reached Slack unescaped`);
  // Button values are opaque to Slack and never shown; everything else counts.
  const json = OURS.reduce(
    (t, token) => t.replace(token, ''),
    JSON.stringify(payload, (key, v: unknown) => (key === 'value' ? undefined : v)),
  );
  if (surface !== 'modal') assert.ok(!/<[!@#h]/.test(json), `${what}: a mention or link from user text`);
  assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(json), `${what}: a bidi control survived`);
  assert.ok(!hasHalfEmoji(payload), `${what}: half an emoji`);
}

describe('hostile input, every renderer', () => {
  HOSTILE.forEach((text, index) => {
    const label = `#${index} ${JSON.stringify(text.slice(0, 30))}`;

    test(`${label}: approver cards`, () => {
      for (const status of Object.values(RequestStatus)) {
        assertSafe('message', approvalCard(hostileView(status, text), NOW), `approvalCard ${status}`);
        assertSafe('message', reviewCard(hostileView(status, text), NOW), `reviewCard ${status}`);
      }
      const extension = { requestedBy: text, additionalSeconds: 3600, requestedAt: text };
      assertSafe(
        'message',
        approvalCard(hostileView('active', text, { pendingExtension: extension }), NOW),
        'extension card',
      );
    });

    test(`${label}: the requester's thread and replies`, () => {
      for (const status of Object.values(RequestStatus)) {
        const v = hostileView(status, text);
        assertSafe('message', requesterThreadParent(v, NOW), `parent ${status}`);
        assertSafe('message', submittedReply(v, NOW), `submitted ${status}`);
      }
      for (const kind of NOTICE_KINDS) {
        const v = hostileView('active', text);
        assertSafe('message', requesterUpdate({ kind, state: v.state, detail: text }, v, NOW), `update ${kind}`);
      }
    });

    test(`${label}: Home, lists and short replies`, () => {
      const views = Object.values(RequestStatus).map((status) => hostileView(status, text));
      assertSafe('home', homeView({ live: views, pending: views, approvals: views, now: NOW }), 'home');
      assertSafe('message', requestListReply(views, NOW), 'list');
      assertSafe('message', approvalsReply(views, NOW), 'approvals');
      for (const reply of [usageReply(text), refusalReply(text), noIdentityReply(text), errorReply(text)])
        assertSafe('message', reply, 'reply');
    });

    test(`${label}: forms and type-ahead`, () => {
      const choice: EntitlementChoice = {
        id: cut(text, 150),
        title: text,
        systemId: 's',
        systemTitle: text,
        description: text,
        risk: 'high',
        maxDurationSeconds: 3600,
        defaultDurationSeconds: 3600,
        ticketRequired: true,
      };
      const form = requestForm({
        choices: [choice],
        systems: [{ id: cut(text, 150), title: text }],
        initial: { entitlementId: choice.id, duration: text, reason: text, ticket: text },
        privateMetadata: '{}',
      });
      assertSafe('modal', form, 'request form');
      assertSafe('modal', denyReasonForm({ requestId: text, title: text, privateMetadata: '{}' }), 'deny form');
      // Options are plain_text, which Slack never parses for mentions or links: only their limits matter.
      const options = entitlementOptions([choice], '', undefined);
      assertOptionsWithinSlackLimits(options);
    });
  });

  test('the leak check itself catches an unescaped mention and a raw link', () => {
    assert.notDeepEqual(
      leaks({ text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'ping <!channel>' } }] }),
      [],
    );
    assert.notDeepEqual(leaks({ text: '<http://evil.example|bank>', blocks: [] }), []);
    assert.notDeepEqual(
      leaks({ text: 'hi', blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'hey @here' }] }] }),
      [],
    );
    assert.deepEqual(
      leaks({
        text: `<@${REQUESTER_SLACK}> <!date^1^{date_short_pretty} {time}|2024-05-01T10:00:00.000Z>`,
        blocks: [],
      }),
      [],
    );
  });
});
