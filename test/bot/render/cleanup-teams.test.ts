import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CleanupAction, CleanupInput, parseCleanupButtonValue, restoreSelectionOf } from '../../../bot/render/cleanup';
import {
  cardBytes,
  cleanupDecidedText,
  cleanupDiffCard,
  cleanupKeepCard,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupRestoreResultText,
  cleanupSummaryMessage,
  type AdaptiveCard,
  type TeamsMessage,
} from '../../../bot/render/teams';
import { TEAMS_CARD_MAX_BYTES } from '../../../bot/render/teams/ids';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { executeActionsIn } from '../../support/checks/teams-cards';
import {
  diffView,
  HOSTILE,
  hostileDocument,
  hostileItem,
  hostileRun,
  item,
  items,
  PASSWORD_ITEM,
  restoreNotice,
  run,
  RUN_ID,
  summary,
} from './cleanup-fixtures';
import { hasHalfEmoji } from './hostile';
import { markdownTexts, shown } from './teams/fixtures';

/** Characters that are Teams markdown syntax wherever they stand; our own cleanup text never uses them. */
const ALWAYS_SYNTAX = new Set(['[', ']', '<', '`', '~', '|', '{']);
const OUR_DATES = /\{\{(DATE|TIME)\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(, SHORT)?\)\}\}/g;

/** What Teams markdown would read as syntax in text that came from a cloud or a person. */
function leaks(markdown: string): string[] {
  const found: string[] = [];
  const text = markdown.replace(OUR_DATES, '');
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (ALWAYS_SYNTAX.has(c))
      found.push(`unescaped ${c} in ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
  }
  for (const line of text.split('\n'))
    if (/^\s*([#>+\-=]|\*\s|\d+[.)])/.test(line))
      found.push(`a line starting with syntax: ${JSON.stringify(line.slice(0, 40))}`);
  if (/[\u202A-\u202E\u2066-\u2069]/.test(text)) found.push('a bidi override');
  return found;
}

function assertSafeCard(value: AdaptiveCard, what: string): void {
  assertCardValid(value);
  assert.deepEqual(markdownTexts(value).flatMap(leaks), [], `${what}: a name reached Teams markdown unescaped`);
  assert.ok(!shown(value).includes('too large for Teams'), `${what}: fell back to the too-large card`);
  assert.ok(!hasHalfEmoji(value), `${what}: half an emoji`);
}

function assertSafeMessage(message: TeamsMessage, what: string): void {
  assert.ok(message.card, `${what}: a card`);
  assertSafeCard(message.card, what);
  assert.ok(!message.text.includes('\n') && message.text.length <= 200, `${what}: summary ${message.text.length}`);
}

/** Every Action.Execute and ShowCard title of a card, in order. */
function titles(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.type === 'string' && record.type.startsWith('Action.') && typeof record.title === 'string')
      found.push(record.title);
    Object.values(record).forEach(walk);
  };
  walk(value);
  return found;
}

describe('cleanup owner message (Teams)', () => {
  test('each change in plain words; Keep opens a reason form in place; the other buttons carry the run and item', () => {
    const message = cleanupOwnerMessage(run(), [item(1), PASSWORD_ITEM]);
    const texts = markdownTexts(message.card);
    assert.deepEqual(texts.slice(0, 4), [
      'Cleanup: changes to answer',
      'Least found permissions unused for 90 days on **AWS production** (**aws-prod**). You answer for 2 changes: keep, remove or snooze each one.',
      'Enforce mode: what nobody keeps or snoozes is changed after {{DATE(2026-12-08T10:00:00Z, SHORT)}} {{TIME(2026-12-08T10:00:00Z)}}; Remove now changes it at once.',
      'Remove the console password of **bob**',
    ]);
    assert.match(shown(message.card), /Only removed if an owner presses Remove now/);
    assert.deepEqual(titles(message.card).slice(0, 6), [
      'Keep…',
      'Keep',
      'Remove now',
      'Snooze 7d',
      'Snooze 30d',
      'Show diff',
    ]);
    const actions = executeActionsIn(message.card);
    assert.deepEqual(
      actions.map((a) => a.verb),
      [
        CleanupAction.KeepForm,
        CleanupAction.RemoveNow,
        CleanupAction.Snooze7,
        CleanupAction.Snooze30,
        CleanupAction.ShowDiff,
        CleanupAction.KeepForm,
        CleanupAction.RemoveNow,
        CleanupAction.Snooze7,
        CleanupAction.Snooze30,
        CleanupAction.ShowDiff,
      ],
    );
    assert.deepEqual(parseCleanupButtonValue(String(actions[0]!.data.value)), {
      runId: RUN_ID,
      itemId: PASSWORD_ITEM.itemId,
    });
    assert.deepEqual(parseCleanupButtonValue(String(actions[6]!.data.value)), {
      runId: RUN_ID,
      itemId: item(1).itemId,
    });
    // Each Keep form's submit names its own input: ids are unique within the card.
    assert.deepEqual(
      [actions[0]!.data.reasonInput, actions[5]!.data.reasonInput],
      [`${CleanupInput.KeepReason}_0`, `${CleanupInput.KeepReason}_1`],
    );
    assertSafeMessage(message, 'owner message');
  });

  test('many changes fill the card by bytes and point at the CLI for the rest', () => {
    const message = cleanupOwnerMessage(run(), items(60));
    assertSafeMessage(message, 'long owner message');
    assert.ok(cardBytes(message.card!) <= TEAMS_CARD_MAX_BYTES);
    const shownItems = executeActionsIn(message.card).filter((a) => a.verb === CleanupAction.ShowDiff).length;
    assert.ok(shownItems > 0 && shownItems <= 20);
    assert.match(
      shown(message.card),
      new RegExp(`and ${60 - shownItems} more — see \\*\\*least cleanup show cleanup-aws-prod-2026-12-01\\*\\*`),
    );
  });

  test('long item ids still fit: fewer items, never a too-large card', () => {
    const long = items(20, { itemId: `narrow-policy:aws-inline-policy:${'x'.repeat(1900)}` });
    const message = cleanupOwnerMessage(run(), long);
    assertSafeMessage(message, 'long ids');
    assert.match(shown(message.card), /more — see/);
  });
});

describe('cleanup channel summary and report (Teams)', () => {
  test('the summary names who could not be reached and shows their changes and the unowned ones with buttons', () => {
    const message = cleanupSummaryMessage(summary());
    const text = shown(message.card);
    assert.match(
      text,
      /Cleanup planned on \*\*AWS production\*\* \(\*\*aws-prod\*\*\): 14 changes · 5 identities · 120 actions\./,
    );
    assert.match(text, /Least could not reach bob@example\.com in chat/);
    assert.match(text, /1 change has no owner Least could find/);
    assert.equal(executeActionsIn(message.card).filter((a) => a.verb === CleanupAction.RemoveNow).length, 3);
    assertSafeMessage(message, 'summary');
  });

  test('the report: outcomes with detail, Restore per removed change, per identity and for the whole run', () => {
    const message = cleanupReportMessage(
      run(),
      [
        item(1, { outcome: 'removed', outcomeDetail: 'policy version v4 is the default' }),
        item(2, { outcome: 'kept' }),
      ],
      { wholeRun: true },
    );
    assert.match(shown(message.card), /🗑️ Removed · Remove 12 unused actions from the policy \*\*app-1-inline\*\*/);
    const restores = executeActionsIn(message.card).filter((a) => a.verb === CleanupAction.Restore);
    assert.deepEqual(
      restores.map((a) => restoreSelectionOf(parseCleanupButtonValue(String(a.data.value))!.itemId)),
      [
        { kind: 'item', itemId: item(1).itemId },
        { kind: 'identity', identity: 'arn:aws:iam::123456789012:role/app-1' },
        { kind: 'run' },
      ],
    );
    assertSafeMessage(message, 'report');
  });
});

describe('cleanup diff and Keep card (Teams)', () => {
  test('a narrowed policy shows monospace diff lines, indentation kept, removed lines in red', () => {
    const value = cleanupDiffCard(diffView());
    assertSafeCard(value, 'diff');
    const diff = (value.body as { type: string; items?: Record<string, unknown>[] }[]).find(
      (element) => element.type === 'Container',
    )!.items!;
    assert.ok(diff.every((line) => line.fontType === 'Monospace'));
    const NB = '\u00A0';
    const removed = diff.find((line) => String(line.text).includes('iam:PassRole'))!;
    assert.equal(removed.text, `\\-${NB.repeat(9)}"iam:PassRole",`);
    assert.equal(removed.color, 'attention');
    assert.equal(
      diff.find((line) => String(line.text).includes('Sid": "Write'))!.text,
      `${NB.repeat(8)}"Sid": "Write",`,
    );
    assert.deepEqual(
      executeActionsIn(value).map((a) => a.verb),
      [
        CleanupAction.KeepForm,
        CleanupAction.RemoveNow,
        CleanupAction.Snooze7,
        CleanupAction.Snooze30,
        CleanupAction.ShowDiff,
      ],
    );
  });

  test('a hostile or huge document stays escaped and within the card size', () => {
    const value = cleanupDiffCard(
      diffView({ before: hostileDocument(600), after: hostileDocument(1), objectName: HOSTILE }),
    );
    assertSafeCard(value, 'hostile diff');
    assert.match(shown(value), /more lines of the diff — see/);
    const key = cleanupDiffCard(
      diffView({ change: 'deactivate-key', before: undefined, after: undefined, removeActions: [] }),
    );
    assert.match(shown(key), /The key is set Inactive, not deleted/);
    assertSafeCard(key, 'key');
  });

  test('the Keep card asks for a reason and shows why the last one was refused', () => {
    const value = cleanupKeepCard({
      runId: RUN_ID,
      itemId: item(1).itemId,
      change: 'narrow-policy',
      objectName: HOSTILE,
      problem: HOSTILE,
    });
    assertSafeCard(value, 'keep card');
    const [submit] = executeActionsIn(value);
    assert.equal(submit!.verb, CleanupAction.KeepForm);
    assert.equal(submit!.data.reasonInput, CleanupInput.KeepReason);
    assert.match(JSON.stringify(value), new RegExp(`"id":"${CleanupInput.KeepReason}"`));
  });

  test('answers and notices escape every name; hostile runs stay valid cards', () => {
    const decided = cleanupDecidedText({ kind: 'keep', change: 'narrow-policy', objectName: HOSTILE, reason: HOSTILE });
    assert.deepEqual(leaks(decided), []);
    const snoozed = cleanupDecidedText({
      kind: 'snooze',
      change: 'deactivate-key',
      objectName: 'AKIA1',
      until: '2027-01-07T09:30:00.000Z',
    });
    assert.equal(
      snoozed,
      '💤 Snoozed until 2027-01-07 09:30 UTC: Deactivate the access key **AKIA1** (it is not deleted). It is not changed before then.',
    );
    assert.ok(decided.length <= 1000);
    const result = cleanupRestoreResultText({
      runId: RUN_ID,
      items: [{ itemId: HOSTILE, objectName: HOSTILE, status: 'conflict', detail: HOSTILE }],
    });
    assert.deepEqual(leaks(result), []);
    const hostile = hostileRun();
    const many = Array.from({ length: 30 }, (_, n) => hostileItem(n));
    assertSafeMessage(cleanupOwnerMessage(hostile, many), 'hostile owner');
    assertSafeMessage(
      cleanupSummaryMessage(summary({ run: hostile, unowned: many, unreached: [{ owner: HOSTILE, items: many }] })),
      'hostile summary',
    );
    assertSafeMessage(
      cleanupReportMessage(
        hostile,
        many.map((i) => ({ ...i, outcome: 'removed' as const })),
        { wholeRun: true },
      ),
      'hostile report',
    );
    assertSafeMessage(
      cleanupRestoredMessage(restoreNotice({ run: hostile, by: HOSTILE, items: many })),
      'hostile notice',
    );
  });
});
