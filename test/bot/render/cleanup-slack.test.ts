import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownBlock, ModalView, SectionBlock } from '@slack/types';
import {
  CleanupAction,
  CleanupInput,
  parseCleanupButtonValue,
  parseKeepMetadata,
  PASSWORD_NOTE,
  restoreSelectionOf,
} from '../../../bot/render/cleanup';
import {
  cleanupDecidedReply,
  cleanupDiffReply,
  cleanupKeepForm,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupRestoreResultReply,
  cleanupSummaryMessage,
} from '../../../bot/render/slack';
import { assertWithinSlackLimits, type SlackSurface } from '../../support/checks/block-kit-limits';
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
import { buttons, mrkdwnTexts, shown } from './slack/fixtures';

const DATE = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:.Z-]+>/g;

/** What Slack would parse from a name: any `<` or broadcast left once our own date tokens are gone. */
function leaks(payload: unknown): string[] {
  return mrkdwnTexts(payload).flatMap((text) => {
    const rest = text.replace(DATE, '');
    const found: string[] = [];
    if (rest.includes('<'))
      found.push(`raw < in ${JSON.stringify(rest.slice(rest.indexOf('<') - 20, rest.indexOf('<') + 40))}`);
    if (/(?<![\w.+-])@(channel|here|everyone)\b/i.test(rest)) found.push('literal broadcast');
    if (/[\u202A-\u202E\u2066-\u2069]/.test(rest)) found.push('a bidi override');
    return found;
  });
}

function assertSafe(surface: SlackSurface, payload: unknown, what: string): void {
  assertWithinSlackLimits(surface, payload);
  assert.deepEqual(leaks(payload), [], `${what}: a name reached Slack unescaped`);
  // Button values and private_metadata are opaque to Slack; every other string is shown.
  const json = JSON.stringify(payload, (key, v: unknown) =>
    key === 'value' || key === 'private_metadata' ? undefined : v,
  ).replace(DATE, '');
  assert.ok(!/<[!@#h]/.test(json), `${what}: a mention or link from a name`);
  assert.ok(!hasHalfEmoji(payload), `${what}: half an emoji`);
}

const sections = (blocks: KnownBlock[]): string[] =>
  blocks.filter((b): b is SectionBlock => b.type === 'section' && b.text !== undefined).map((b) => b.text!.text);

const DECISIONS = [
  CleanupAction.Keep,
  CleanupAction.RemoveNow,
  CleanupAction.Snooze7,
  CleanupAction.Snooze30,
  CleanupAction.ShowDiff,
];

describe('cleanup owner message (Slack)', () => {
  test('each change in plain words, a console password first with its warning, and the five buttons', () => {
    const message = cleanupOwnerMessage(run(), [item(1), PASSWORD_ITEM]);
    assert.equal(message.blocks[0]!.type, 'header');
    const [intro, first, second] = sections(message.blocks);
    assert.equal(
      intro,
      'Least found permissions unused for 90 days on *AWS production* (`aws-prod`). You answer for 2 changes: keep, remove or snooze each one.',
    );
    assert.equal(
      first,
      `Remove the console password of *bob*\nAffects bob\nWhy: console password unused for 90 days\n⚠️ ${PASSWORD_NOTE}`,
    );
    assert.equal(
      second,
      'Remove 12 unused actions from the policy *app-1-inline*\nAffects app-1\nWhy: no use of 12 of its 20 actions in 90 days',
    );
    assert.match(shown(message), /Enforce mode: what nobody keeps or snoozes is changed after <!date\^1796724000\^/);
    const all = buttons(message.blocks);
    assert.deepEqual(
      all.map((b) => b.action_id),
      [...DECISIONS, ...DECISIONS],
    );
    assert.deepEqual(parseCleanupButtonValue(all[0]!.value!), { runId: RUN_ID, itemId: PASSWORD_ITEM.itemId });
    assert.deepEqual(parseCleanupButtonValue(all[9]!.value!), { runId: RUN_ID, itemId: item(1).itemId });
    const remove = JSON.stringify(message.blocks).match(/"action_id":"cleanup_remove"[^}]*\}/);
    assert.ok(remove, 'Remove now is there');
    assertSafe('message', message, 'owner message');
  });

  test('Remove now asks for confirmation; report mode says only removals happen', () => {
    const message = cleanupOwnerMessage(run({ mode: 'report' }), [item(1)]);
    const row = message.blocks.find((b) => b.type === 'actions') as {
      elements: { action_id: string; confirm?: unknown; style?: string }[];
    };
    const remove = row.elements[1]!;
    assert.equal(remove.action_id, CleanupAction.RemoveNow);
    assert.equal(remove.style, 'danger');
    assert.match(JSON.stringify(remove.confirm), /Remove it\?/);
    assert.match(
      shown(message),
      /Report mode: only what an owner removes \(Remove now\) is changed; the rest is reported after <!date/,
    );
  });

  test('many changes: the first 20 with buttons, the rest counted and left to the CLI, within 50 blocks', () => {
    const message = cleanupOwnerMessage(run(), items(60));
    assert.ok(message.blocks.length <= 50);
    assert.equal(buttons(message.blocks).length, 20 * 5);
    assert.match(shown(message), /and 40 more — see `least cleanup show cleanup-aws-prod-2026-12-01`/);
    assertSafe('message', message, 'long owner message');
  });

  test('a reminder says what still waits', () => {
    const message = cleanupOwnerMessage(run(), [item(1)], { reminder: true });
    assert.match(message.text, /^Reminder: 1 change on AWS production \(aws-prod\) still waits for your answer\./);
    assert.equal(buttons(message.blocks).length, 5);
  });

  test('an item whose id does not fit a button value says so and has no buttons', () => {
    const message = cleanupOwnerMessage(run(), [item(1, { itemId: `narrow-policy:x:${'a'.repeat(2100)}` })]);
    assert.deepEqual(buttons(message.blocks), []);
    assert.match(shown(message), /No buttons: its id is too long for Slack/);
    assertSafe('message', message, 'long id');
  });
});

describe('cleanup channel summary (Slack)', () => {
  test('counts, who was told, and the changes nobody was told about, with their buttons', () => {
    const message = cleanupSummaryMessage(summary());
    const text = shown(message);
    assert.match(
      text,
      /Cleanup planned on \*AWS production\* \(`aws-prod`\): 14 changes · 5 identities · 120 actions\.\nLeft alone: not enough usage data 3 · excluded by the policy 1/,
    );
    assert.match(text, /3 owners got their changes by direct message\./);
    assert.match(text, /Least could not reach bob@example\.com in chat: their changes are below/);
    assert.match(text, /1 change has no owner Least could find/);
    assert.match(text, /Changes for bob@example\.com:/);
    assert.equal(buttons(message.blocks).length, 3 * 5);
    assertSafe('message', message, 'summary');
  });

  test('many unowned and unreached changes stay within 50 blocks', () => {
    const message = cleanupSummaryMessage(
      summary({
        unowned: items(30),
        unreached: [
          { owner: 'a@example.com', items: items(30) },
          { owner: 'b@example.com', items: items(30) },
        ],
      }),
    );
    assertSafe('message', message, 'long summary');
    assert.match(shown(message), /and 70 more — see/);
  });
});

describe('cleanup report (Slack)', () => {
  const outcomes = [
    item(1, { outcome: 'removed', outcomeDetail: 'policy version v4 is the default', decidedBy: 'ada@example.com' }),
    item(2, { outcome: 'kept', outcomeDetail: 'used by the quarterly batch', decidedBy: 'ada@example.com' }),
    item(3, { outcome: 'failed', outcomeDetail: 'AccessDenied on iam:CreatePolicyVersion' }),
    item(4, { outcome: 'replanned', outcomeDetail: 'the policy changed since the plan' }),
    PASSWORD_ITEM,
  ];

  test('each outcome with its detail; Restore on removed changes, per identity, and the whole run in the channel', () => {
    const message = cleanupReportMessage(run(), outcomes, { wholeRun: true });
    const text = shown(message);
    assert.match(
      text,
      /Cleanup of \*AWS production\* \(`aws-prod`\) finished: 1 removed · 1 kept · 1 changed since the plan; planned again next run · 1 failed · 1 not decided\./,
    );
    assert.match(
      text,
      /🗑️ Removed · Remove 12 unused actions from the policy \*app-1-inline\*\nAffects app-1\npolicy version v4 is the default · decided by ada@example\.com/,
    );
    assert.match(text, /⚠️ Failed · .*app-3-inline.*\n.*\nAccessDenied on iam:CreatePolicyVersion/);
    const restores = buttons(message.blocks).filter((b) => b.action_id === CleanupAction.Restore);
    assert.deepEqual(
      restores.map((b) => restoreSelectionOf(parseCleanupButtonValue(b.value!)!.itemId)),
      [
        { kind: 'item', itemId: item(1).itemId },
        { kind: 'identity', identity: 'arn:aws:iam::123456789012:role/app-1' },
        { kind: 'run' },
      ],
    );
    assertSafe('message', message, 'report');
  });

  test("an owner's report has no whole-run Restore", () => {
    const message = cleanupReportMessage(run(), outcomes);
    const restores = buttons(message.blocks).filter((b) => b.action_id === CleanupAction.Restore);
    assert.equal(restores.length, 2);
  });

  test('a long report stays within 50 blocks and points at the CLI', () => {
    const message = cleanupReportMessage(run(), items(80, { outcome: 'removed' }), { wholeRun: true });
    assertSafe('message', message, 'long report');
    assert.match(shown(message), /and 60 more — see/);
    assert.ok(
      buttons(message.blocks).some((b) => restoreSelectionOf(parseCleanupButtonValue(b.value!)!.itemId).kind === 'run'),
    );
  });
});

describe('cleanup diff (Slack)', () => {
  test('a narrowed policy shows a unified diff and the removed actions', () => {
    const reply = cleanupDiffReply(diffView());
    const text = shown(reply);
    assert.match(text, /Removed: `iam:PassRole`/);
    assert.match(text, /```\n/);
    assert.match(
      text,
      /```\n@@ 13 unchanged lines @@\n {8}"Sid": "Write",\n {8}"Effect": "Allow",\n {8}"Action": \[\n- {9}"iam:PassRole",\n {10}"s3:PutObject"\n/,
    );
    assert.match(text, /\n@@ 3 unchanged lines @@\n```$/);
    // Decision buttons are there while the change waits for an answer.
    assert.equal(buttons(reply.blocks).length, 5);
    assertSafe('message', reply, 'diff');
  });

  test('a change without documents is a sentence; a deleted inline policy says so', () => {
    const key = cleanupDiffReply(
      diffView({ change: 'deactivate-key', before: undefined, after: undefined, removeActions: [] }),
    );
    assert.match(shown(key), /The key is set Inactive, not deleted; Restore sets it Active again\./);
    assert.doesNotMatch(shown(key), /```/);
    const gone = cleanupDiffReply(diffView({ after: null }));
    assert.match(shown(gone), /the inline policy is deleted/);
    assert.match(shown(gone), /^- \{$/m);
  });

  test('a hostile document cannot close the code block or ping anyone; a huge one is cut with a pointer', () => {
    const reply = cleanupDiffReply(
      diffView({ before: hostileDocument(400), after: hostileDocument(2), outcome: 'removed' }),
    );
    assertSafe('message', reply, 'hostile diff');
    for (const text of mrkdwnTexts(reply).filter((t) => t.startsWith('```')))
      assert.equal(text.match(/```/g)!.length, 2, 'only our own fences');
    assert.match(shown(reply), /more lines of the diff — see `least cleanup show/);
    assert.deepEqual(buttons(reply.blocks), [], 'no buttons once the change is done');
  });
});

describe('cleanup Keep form and answers (Slack)', () => {
  test('the Keep form asks for a reason and carries its change back', () => {
    const form: ModalView = cleanupKeepForm({
      runId: RUN_ID,
      itemId: item(1).itemId,
      change: 'narrow-policy',
      objectName: HOSTILE,
      channelId: 'C123',
    });
    assertSafe('modal', form, 'keep form');
    assert.equal(form.callback_id, CleanupAction.KeepForm);
    assert.deepEqual(parseKeepMetadata(form.private_metadata!), {
      runId: RUN_ID,
      itemId: item(1).itemId,
      channelId: 'C123',
    });
    const input = form.blocks.find((b) => b.type === 'input') as unknown as {
      block_id: string;
      element: { action_id: string; max_length: number };
    };
    assert.equal(input.block_id, CleanupInput.KeepReasonBlock);
    assert.equal(input.element.action_id, CleanupInput.KeepReason);
    assert.equal(input.element.max_length, 500);
  });

  test('answers and notices escape every name', () => {
    const decided = cleanupDecidedReply({
      kind: 'keep',
      change: 'narrow-policy',
      objectName: HOSTILE,
      reason: HOSTILE,
      until: '2027-06-01T00:00:00.000Z',
    });
    assert.match(shown(decided), /^✋ Kept until <!date\^/);
    assertSafe('message', decided, 'decided');
    const snoozed = cleanupDecidedReply({
      kind: 'snooze',
      change: 'deactivate-key',
      objectName: 'AKIA1',
      until: '2026-12-08T00:00:00.000Z',
    });
    assert.match(shown(snoozed), /💤 Snoozed until .*: Deactivate the access key \*AKIA1\*/);
    const result = cleanupRestoreResultReply({
      runId: RUN_ID,
      items: [
        { itemId: 'a', objectName: HOSTILE, status: 'restored', detail: HOSTILE },
        { itemId: HOSTILE, status: 'conflict', detail: 'the policy has version v5 since' },
      ],
    });
    assert.match(shown(result), /⛔ Not restored: changed since · `.*`: the policy has version v5 since/);
    assertSafe('message', result, 'restore result');
    const notice = cleanupRestoredMessage(restoreNotice());
    assert.match(shown(notice), /lead@example\.com restored 2 changes on \*AWS production\*/);
    assert.match(shown(notice), /its user must reset the password/);
    assertSafe('message', notice, 'restored');
  });

  test('every surface stays safe with hostile system, run, identity and policy names', () => {
    const hostile = hostileRun();
    const many = Array.from({ length: 30 }, (_, n) => hostileItem(n));
    assertSafe('message', cleanupOwnerMessage(hostile, many), 'hostile owner message');
    assertSafe(
      'message',
      cleanupSummaryMessage(summary({ run: hostile, unowned: many, unreached: [{ owner: HOSTILE, items: many }] })),
      'hostile summary',
    );
    assertSafe(
      'message',
      cleanupReportMessage(
        hostile,
        many.map((i) => ({ ...i, outcome: 'removed' as const })),
        { wholeRun: true },
      ),
      'hostile report',
    );
    assertSafe(
      'message',
      cleanupRestoredMessage(restoreNotice({ run: hostile, by: HOSTILE, items: many })),
      'hostile notice',
    );
    assertSafe(
      'message',
      cleanupDiffReply(
        diffView({
          runId: hostile.runId,
          objectName: HOSTILE,
          identities: [HOSTILE],
          reason: HOSTILE,
          removeActions: [HOSTILE],
          keptForOthers: [HOSTILE],
        }),
      ),
      'hostile diff header',
    );
  });
});

describe('cleanup counts (Slack)', () => {
  test('holds counted only in total are said as a total', () => {
    const message = cleanupSummaryMessage(summary({ counts: { items: 3, identities: 2, actions: 9, holds: 12 } }));
    assert.match(
      shown(message),
      /Left alone: 12 \(too little usage data, excluded, recently granted, kept or snoozed\)/,
    );
  });
});
