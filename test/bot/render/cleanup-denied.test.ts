import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CleanupAction, parseCleanupButtonValue } from '../../../bot/render/cleanup';
import {
  DENIALS_SHOWN,
  plainCleanupDeniedWording,
  type CleanupDenialView,
  type CleanupDeniedNotice,
} from '../../../bot/render/cleanup-denied';
import { cleanupDeniedMessage as slackDenied } from '../../../bot/render/slack';
import { cleanupDeniedMessage as teamsDenied } from '../../../bot/render/teams';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { executeActionsIn } from '../../support/checks/teams-cards';
import { HOSTILE, HOSTILE_NAMES, hostileItem, hostileRun, item, run, RUN_ID } from './cleanup-fixtures';
import { hasHalfEmoji } from './hostile';
import { buttons as slackButtons, mrkdwnTexts, shown as slackShown } from './slack/fixtures';
import { markdownTexts, shown as teamsShown } from './teams/fixtures';

/**
 * The denied-call watch's message, by value on every platform: each denied call in plain words, the
 * removed change with one Restore button (the report's own), and names from a hostile cloud escaped.
 */

const ITEM = item(1, { identities: ['cleanup-operator'], outcome: 'removed' });

function denial(overrides: Partial<CleanupDenialView> = {}): CleanupDenialView {
  return { identity: 'cleanup-operator', action: 's3:PutObject', day: '2026-12-03', count: 14, ...overrides };
}

function notice(overrides: Partial<CleanupDeniedNotice> = {}): CleanupDeniedNotice {
  return {
    run: run(),
    item: ITEM,
    removedAt: '2026-11-28T10:00:00.000Z',
    collectionRunId: 'collect-aws-prod-2026-12-05',
    denials: [denial({ action: 'iam:PassRole', day: '2026-11-28', count: 1 }), denial()],
    owners: ['ops@example.com'],
    ...overrides,
  };
}

function hostileNotice(): CleanupDeniedNotice {
  return notice({
    run: hostileRun(),
    item: hostileItem(),
    denials: HOSTILE_NAMES.map((name) => denial({ identity: name, action: name })),
  });
}

describe('denied calls in plain words (the log)', () => {
  test('a staged item was denied, not removed yet: the words say so', () => {
    const words = plainCleanupDeniedWording;
    const staged = notice({ item: item(1, { identities: ['cleanup-operator'], outcome: 'staged' }) });
    assert.equal(
      words.denialLines(staged).lines[1],
      `cleanup-operator was denied s3:PutObject 14 times on 2026-12-03 after Least staged its removal on 2026-11-28 (run ${RUN_ID}).`,
    );
    assert.equal(
      words.intro(staged),
      "15 calls were denied on AWS production (aws-prod) to what Least's cleanup denied before removing it (staged removal).",
    );
  });

  test('who was denied what, how often, on which day, after which removal', () => {
    const words = plainCleanupDeniedWording;
    assert.deepEqual(words.denialLines(notice()), {
      lines: [
        `cleanup-operator was denied iam:PassRole once on 2026-11-28 after Least removed it on 2026-11-28 (run ${RUN_ID}).`,
        `cleanup-operator was denied s3:PutObject 14 times on 2026-12-03 after Least removed it on 2026-11-28 (run ${RUN_ID}).`,
      ],
    });
    assert.equal(
      words.intro(notice()),
      "15 calls were denied on AWS production (aws-prod) to what Least's cleanup removed.",
    );
    assert.equal(
      words.removedChange(notice()),
      'Restore undoes: Remove 12 unused actions from the policy app-1-inline',
    );
    assert.equal(
      words.restoreHint(),
      'If it is needed, Restore puts it back. Least never restores on its own: a denied call may come from stolen credentials.',
    );
  });

  test('a long list is cut and the rest counted', () => {
    const many = notice({ denials: Array.from({ length: DENIALS_SHOWN + 5 }, (_, n) => denial({ count: n + 1 })) });
    const { lines, more } = plainCleanupDeniedWording.denialLines(many);
    assert.equal(lines.length, DENIALS_SHOWN);
    assert.equal(more, 'and 5 more days, identities or actions with denied calls');
  });
});

describe('denied calls (Slack)', () => {
  test('the calls, then the removed change with one Restore button for its item', () => {
    const message = slackDenied(notice());
    assert.equal(message.blocks[0]!.type, 'header');
    const sections = message.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    assert.deepEqual(sections, [
      "15 calls were denied on *AWS production* (`aws-prod`) to what Least's cleanup removed.",
      `*cleanup-operator* was denied \`iam:PassRole\` once on 2026-11-28 after Least removed it on 2026-11-28 (run \`${RUN_ID}\`).\n` +
        `*cleanup-operator* was denied \`s3:PutObject\` 14 times on 2026-12-03 after Least removed it on 2026-11-28 (run \`${RUN_ID}\`).`,
      'Restore undoes: Remove 12 unused actions from the policy *app-1-inline*\nAffects cleanup-operator',
    ]);
    const all = slackButtons(message.blocks);
    assert.deepEqual(
      all.map((b) => [b.action_id, b.text]),
      [[CleanupAction.Restore, 'Restore']],
      'Restore only: nothing else to press',
    );
    assert.deepEqual(parseCleanupButtonValue(all[0]!.value!), { runId: RUN_ID, itemId: ITEM.itemId });
    assert.match(slackShown(message), /Least never restores on its own/);
    assert.match(message.text, /^cleanup-operator was denied iam:PassRole once on 2026-11-28/);
    assertWithinSlackLimits('message', message);
  });

  test('names from a hostile cloud are escaped: no mention, link or bidi override reaches Slack', () => {
    const message = slackDenied(hostileNotice());
    assertWithinSlackLimits('message', message);
    for (const text of mrkdwnTexts(message)) {
      assert.ok(!text.includes('<'), `a raw < in ${JSON.stringify(text.slice(0, 200))}`);
      assert.ok(!/(?<![\w.+-])@(channel|here|everyone)\b/i.test(text), 'a literal broadcast');
      assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text), 'a bidi override');
    }
    assert.match(slackShown(message), /&lt;!channel&gt;/);
    assert.ok(!hasHalfEmoji(message), 'half an emoji');
    assert.equal(slackButtons(message.blocks).length, 1);
  });

  test('a long list stays within the limits and counts the rest', () => {
    const many = notice({ denials: Array.from({ length: 40 }, (_, n) => denial({ identity: `${HOSTILE} ${n}` })) });
    const message = slackDenied(many);
    assertWithinSlackLimits('message', message);
    assert.match(slackShown(message), /and 30 more days, identities or actions with denied calls/);
  });
});

describe('denied calls (Teams)', () => {
  /** What Teams markdown would read as syntax in text that came from a cloud (our own text uses none of it). */
  function leaks(markdown: string): string[] {
    const found: string[] = [];
    for (let i = 0; i < markdown.length; i += 1) {
      const c = markdown[i]!;
      if (c === '\\') i += 1;
      else if ('[]<`~|{'.includes(c)) found.push(`unescaped ${c} in ${JSON.stringify(markdown.slice(i - 20, i + 20))}`);
    }
    for (const line of markdown.split('\n'))
      if (/^\s*([#>+\-=]|\*\s|\d+[.)])/.test(line)) found.push(`a line starting with syntax: ${line.slice(0, 40)}`);
    if (/[\u202A-\u202E\u2066-\u2069]/.test(markdown)) found.push('a bidi override');
    return found;
  }

  test('the calls, then the removed change with one Restore action for its item', () => {
    const message = teamsDenied(notice());
    assertCardValid(message.card!);
    const text = teamsShown(message.card);
    assert.match(text, /^Denied after cleanup\n15 calls were denied on \*\*AWS production\*\* \(\*\*aws-prod\*\*\)/);
    assert.match(
      text,
      /\*\*cleanup-operator\*\* was denied \*\*s3:PutObject\*\* 14 times on 2026-12-03 after Least removed it on 2026-11-28/,
    );
    assert.match(text, /Restore undoes: Remove 12 unused actions from the policy \*\*app-1-inline\*\*/);
    const actions = executeActionsIn(message.card);
    assert.deepEqual(
      actions.map((a) => [a.verb, a.title]),
      [[CleanupAction.Restore, 'Restore']],
    );
    assert.deepEqual(parseCleanupButtonValue(String(actions[0]!.data.value)), { runId: RUN_ID, itemId: ITEM.itemId });
    assert.ok(!message.text.includes('**') && !message.text.includes('\n'), message.text);
  });

  test('names from a hostile cloud are escaped for Teams markdown', () => {
    const message = teamsDenied(hostileNotice());
    assertCardValid(message.card!);
    assert.deepEqual(markdownTexts(message.card).flatMap(leaks), []);
    assert.ok(!hasHalfEmoji(message.card), 'half an emoji');
    assert.equal(executeActionsIn(message.card).length, 1);
  });
});
