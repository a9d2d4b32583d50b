import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalCard,
  approvalsMessage,
  approverCard,
  errorMessage,
  noIdentityMessage,
  refusalMessage,
  requesterStatusCard,
  requesterUpdate,
  requestFormCard,
  requestListMessage,
  reviewCard,
  submittedMessage,
  usageMessage,
  type AdaptiveCard,
  type TeamsMessage,
} from '../../../../bot/render/teams';
import { cut } from '../../../../bot/render/teams/text';
import { RequestStatus, type RequestState } from '../../../../domain/request';
import { assertCardValid } from '../../../support/checks/adaptive-cards';
import { hasHalfEmoji, hostileState, NOTICE_KINDS } from '../hostile';
import { choice, markdownTexts, NOW, view } from './fixtures';

/**
 * Every renderer fed what a hostile requester, approver, policy author or cloud API could put in a
 * field: Teams must accept the card, and nothing a person typed may link, mention, format or reorder.
 */
const HOSTILE = [
  'x'.repeat(10_000),
  '[click](https://evil.example) ![img](https://evil.example/p.png) <https://evil.example>',
  '<at>everyone</at> <at id="0">General</at>',
  '**bold** __strong__ _italic_ `code` ~~struck~~',
  '# heading\n## sub\n- item\n+ item\n* item\n1. one\n2) two\n> quote\n===\n| a | b |\n|---|---|',
  '\u202Eevil\u202C \u2066isolate\u2069 zero\u200Bwidth \u0007bell \u200Fmark',
  '😀'.repeat(5_001),
  `a${'😀'.repeat(5_000)}`,
  '[x](https://evil.example)'.repeat(400),
  '\\'.repeat(10_000),
  '漢'.repeat(10_000),
  '"'.repeat(10_000),
  '{{DATE(2030-01-01T00:00:00Z, SHORT)}} &#x202E;&lt;at&gt;',
  'need it\n\n**✅ Approved by ciso@example.com**\n'.repeat(300),
];

const REFRESH = { refreshUserIds: Array.from({ length: 100 }, (_, i) => `29:user-${i}`) };

function hostileView(status: RequestStatus, text: string, extra: Partial<RequestState> = {}) {
  const recent = Array.from({ length: 100 }, () => hostileState('denied', text));
  return view(hostileState(status, text, extra), { systemTitle: text, recent, requesterUserId: text });
}

// The bell stands for every control character the hostile inputs carry.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200B\u200E\u200F\u0007]/;

/** Characters that are markdown syntax wherever they stand; the cards' own text never uses them. */
const ALWAYS_SYNTAX = new Set(['[', ']', '<', '`', '~', '|']);
const OUR_DATES = /\{\{(DATE|TIME)\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(, SHORT)?\)\}\}/g;

/** What Teams markdown would read as syntax in text that came from a person. */
function leaks(markdown: string): string[] {
  const found: string[] = [];
  const text = markdown.replace(OUR_DATES, '');
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\') {
      i += 1; // whatever follows a backslash is escaped
      continue;
    }
    if (ALWAYS_SYNTAX.has(c) || c === '{')
      found.push(`unescaped ${c} in ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
  }
  for (const line of text.split('\n')) {
    if (/^\s*([#>+\-=]|\*\s|\d+[.)])/.test(line))
      found.push(`a line starting with syntax: ${JSON.stringify(line.slice(0, 40))}`);
  }
  for (const forged of ['**bold**', '**✅ Approved by ciso', '_italic_', '__strong__']) {
    if (text.includes(forged)) found.push(`formatting from user text: ${forged}`);
  }
  return found;
}

function assertSafeCard(card: AdaptiveCard, what: string): void {
  assertCardValid(card);
  assert.deepEqual(markdownTexts(card).flatMap(leaks), [], `${what}: user text reached Teams markdown unescaped`);
  assert.ok(
    !markdownTexts(card).some((t) => t.includes('too large for Teams')),
    `${what}: fell back to the too-large card`,
  );
  // Action data and choice values are ids the bot matches exactly and nobody reads; everything else is shown.
  const json = JSON.stringify(card, function (this: Record<string, unknown>, key, v: unknown) {
    if (key === 'data' || (key === 'value' && this.type === 'Input.ChoiceSet')) return undefined;
    return key === 'choices' && Array.isArray(v) ? v.map((c: { title: string }) => c.title) : v;
  });
  assert.ok(!INVISIBLE.test(json), `${what}: an invisible or bidi control survived`);
  assert.ok(!hasHalfEmoji(card), `${what}: half an emoji`);
  if (card.refresh) assert.ok((card.refresh.userIds?.length ?? 0) <= 60, `${what}: refresh for too many`);
}

function assertSafeMessage(message: TeamsMessage, what: string): void {
  assert.ok(!INVISIBLE.test(message.text), `${what}: control in the text`);
  if (message.card) {
    assertSafeCard(message.card, what);
    // The summary is plain text: one line, short enough for a notification.
    assert.ok(!message.text.includes('\n') && message.text.length <= 200, `${what}: summary ${message.text.length}`);
  } else {
    assert.deepEqual(leaks(message.text), [], `${what}: user text in the message unescaped`);
    assert.ok(message.text.length <= 4000, `${what}: text of ${message.text.length}`);
  }
}

describe('hostile input, every renderer', () => {
  HOSTILE.forEach((text, index) => {
    const label = `#${index} ${JSON.stringify(text.slice(0, 24))}`;

    test(`${label}: approver cards`, () => {
      for (const status of Object.values(RequestStatus)) {
        assertSafeCard(approvalCard(hostileView(status, text), NOW, REFRESH), `approvalCard ${status}`);
        assertSafeCard(
          approverCard(hostileView(status, text), NOW, { ...REFRESH, problem: text }),
          `approverCard ${status}`,
        );
        assertSafeCard(reviewCard(hostileView(status, text), NOW, REFRESH), `reviewCard ${status}`);
      }
      const pendingExtension = { requestedBy: text, additionalSeconds: 3600, requestedAt: text };
      const extension = hostileView('active', text, { pendingExtension });
      assertSafeCard(approverCard(extension, NOW, { ...REFRESH, problem: text }), 'extension card');
    });

    test(`${label}: the requester's cards and messages`, () => {
      for (const status of Object.values(RequestStatus)) {
        const v = hostileView(status, text);
        assertSafeCard(requesterStatusCard(v, NOW), `status ${status}`);
        assertSafeMessage(submittedMessage(v, NOW), `submitted ${status}`);
      }
      for (const kind of NOTICE_KINDS) {
        const v = hostileView('active', text);
        assertSafeMessage(requesterUpdate({ kind, state: v.state, detail: text }, v, NOW), `update ${kind}`);
      }
    });

    test(`${label}: lists and short replies`, () => {
      const views = Object.values(RequestStatus).flatMap((status) => [
        hostileView(status, text),
        hostileView(status, text),
      ]);
      assertSafeMessage(requestListMessage(views, NOW), 'list');
      assertSafeMessage(approvalsMessage(views, NOW), 'approvals');
      for (const reply of [usageMessage(text), refusalMessage(text), noIdentityMessage(text), errorMessage(text)]) {
        assertSafeMessage(reply, 'reply');
      }
    });

    test(`${label}: the request form`, () => {
      const hostile = choice({
        id: cut(text, 63),
        title: text,
        systemTitle: text,
        description: text,
        ticketRequired: true,
      });
      const form = requestFormCard({
        choices: [hostile, choice()],
        entitlementId: hostile.id,
        values: { duration: text, reason: text, ticket: text },
        problem: text,
      });
      assertSafeCard(form, 'request form');
    });
  });

  test('the leak check itself catches a link, a mention, a list line and forged bold', () => {
    assert.notDeepEqual(leaks('see [x](https://evil.example)'), []);
    assert.notDeepEqual(leaks('hi <at>everyone</at>'), []);
    assert.notDeepEqual(leaks('ok\n- item'), []);
    assert.notDeepEqual(leaks('**✅ Approved by ciso@example.com**'), []);
    assert.notDeepEqual(leaks('{{DATE(2030-01-01T00:00:00Z, SHORT)}} \\{{DATE(x)}}'), []);
    assert.deepEqual(leaks('\\[x\\](y) \\<at> **Production admin** {{DATE(2024-05-01T09:00:00Z, SHORT)}}'), []);
  });
});
