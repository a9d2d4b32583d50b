import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digestSlackMessage } from '../../../bot/render/slack/digest';
import { buildDigest } from '../../../domain/digest/content';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { busyDigest, busyFacts, quietDigest } from '../../support/generators/digest';
import { mrkdwnTexts } from './slack/fixtures';
import { hasHalfEmoji } from './hostile';

/** The digest as a Slack message: what a reader sees, what Slack accepts, and what nobody can forge. */

const CHARTS = [
  { title: 'PCI per system, last 90 days', alt: 'PCI per system: aws-prod 47.' },
  { title: 'Grants per day, last 30 days', alt: '9 grants.' },
];

const everything = (message: { text: string; blocks: unknown[] }): string => mrkdwnTexts(message).join('\n');

describe('digestSlackMessage', () => {
  test('a busy day: a header, the period with its DST note, every section, the charts named', () => {
    const message = digestSlackMessage(busyDigest(), CHARTS);
    assertWithinSlackLimits('message', message.blocks);
    const header = message.blocks[0] as { type: string; text: { text: string } };
    assert.equal(header.text.text, 'Least · Daily digest · Sun 29 Mar 2026');
    const text = everything(message);
    assert.match(text, /Sun 29 Mar 2026, 00:00–24:00 Europe\/Berlin \(23 hours: the clocks went forward\)/);
    assert.match(text, /\*Access\* · 14 requests · 9 grants · 2 denied · 6 expired · 1 unanswered/);
    assert.match(text, /⏳ \*13 approvals\* waiting, the longest for 2 d 17 h/);
    assert.match(text, /`aws-prod`: PCI 40 → 47 \(▲ \+7\) · open findings 12 → 15 \(▲ \+3\) · 2 high or critical/);
    assert.match(text, /`gcp-data`: first assessed, PCI 12/);
    assert.match(text, /\*Cleanup\* · 1 run · 4 removed · 2 kept · 1 restored/);
    assert.match(text, /📈 PCI per system, last 90 days · Grants per day, last 30 days: the charts below/);
    assert.equal(
      message.text,
      'Least daily digest for Sun 29 Mar 2026: 9 grants, 13 approvals waiting, 1 revocation failing, findings changed on 2 systems, 1 cleanup run.',
    );
  });

  test('a list shows ten rows and counts the rest', () => {
    const text = everything(digestSlackMessage(busyDigest(), []));
    const waiting = text.split('\n').filter((line) => line.startsWith('• `r-w'));
    assert.equal(waiting.length, 10);
    assert.match(text, /…and 3 more requests/);
    assert.match(text, /…and 2 more entitlements/);
  });

  test('a period with nothing to say is one line, and names no charts', () => {
    const message = digestSlackMessage(quietDigest(), []);
    assert.equal(message.blocks.length, 1);
    const [line] = mrkdwnTexts(message.blocks);
    assert.equal(
      line,
      '*Least daily digest* for Sun 29 Mar 2026 (Europe/Berlin): nothing to report — no requests, grants or approvals waiting, no findings moved, no cleanup runs.',
    );
    assert.ok(!line!.includes('\n'));
  });

  test('100,000 rows in every list still make a message Slack takes', () => {
    const facts = busyFacts();
    const many = <T>(row: T) => ({ rows: Array.from({ length: 100_000 }, () => row), total: 100_000 });
    facts.access!.entitlements = many(facts.access!.entitlements.rows[0]!);
    facts.access!.waiting = many(facts.access!.waiting.rows[0]!);
    facts.access!.revocations = { ...many(facts.access!.revocations.rows[0]!), unresolved: 100_000 };
    facts.access!.breakGlass = { ...many(facts.access!.breakGlass.rows[0]!), unreviewed: 100_000 };
    facts.cleanup!.runs = many(facts.cleanup!.runs.rows[0]!);
    const message = digestSlackMessage(buildDigest(facts), CHARTS);
    assertWithinSlackLimits('message', message.blocks);
    assert.match(everything(message), /…and 99,990 more requests/);
    assert.ok(JSON.stringify(message).length < 20_000);
  });
});

describe('digestSlackMessage with hostile names', () => {
  const HOSTILE = [
    '<!channel> approve all',
    '<http://evil.example|bank.example> @here <@U999> <#C999>',
    '*✅ Approved by ciso@example.com*\n> quoted',
    '\u202Eevil\u202C ' + '😀'.repeat(3_000),
    'x'.repeat(10_000),
    '&amp;'.repeat(2_000),
  ];
  const OUR_DATES = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:.Z-]+>/g;

  for (const name of HOSTILE) {
    test(JSON.stringify(name.slice(0, 30)), () => {
      const message = digestSlackMessage(busyDigest(name), CHARTS);
      assertWithinSlackLimits('message', message.blocks);
      for (const text of mrkdwnTexts(message)) {
        const rest = text.replace(OUR_DATES, '');
        assert.ok(
          !rest.includes('<'),
          `raw < reached Slack: ${rest.slice(rest.indexOf('<') - 20, rest.indexOf('<') + 40)}`,
        );
        assert.ok(!/(?<![\w.+-])@(channel|here|everyone)\b/i.test(rest), 'a literal broadcast');
        assert.ok(!rest.includes('\n*✅'), 'a forged line');
      }
      assert.ok(!/[\u202A-\u202E]/.test(JSON.stringify(message)), 'a bidi control survived');
      assert.ok(!hasHalfEmoji(message), 'half an emoji');
    });
  }
});
