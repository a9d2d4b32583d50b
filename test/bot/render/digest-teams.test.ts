import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cardActivity } from '../../../bot/render/teams';
import { cardBytes } from '../../../bot/render/teams/card';
import { CHARTS_IN_WORDS_NOTE, digestTeamsMessage, type TeamsDigestChart } from '../../../bot/render/teams/digest';
import { TEAMS_CARD_MAX_BYTES } from '../../../bot/render/teams/ids';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { MAX_MESSAGE_BYTES } from '../../support/fakes/fake-teams';
import { busyDigest, quietDigest } from '../../support/generators/digest';
import { markdownTexts } from './teams/fixtures';
import { hasHalfEmoji } from './hostile';

/** The digest as an Adaptive Card: valid, within Teams' size limit, charts as pictures while they fit. */

/** A data URI of `bytes` characters of base64: the renderer weighs pictures, it does not look at them. */
const picture = (bytes: number): string => `data:image/png;base64,${'A'.repeat(bytes)}`;
const chart = (title: string, sizes: number[]): TeamsDigestChart => ({
  title,
  alt: `${title}: what it shows, in words.`,
  pictures: sizes.map(picture),
});

const images = (card: unknown): { url: string; altText: string }[] => {
  const found: { url: string; altText: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Image') found.push({ url: String(record.url), altText: String(record.altText) });
    Object.values(record).forEach(walk);
  };
  walk(card);
  return found;
};

describe('digestTeamsMessage', () => {
  test('charts go in as data URIs, each the largest picture that keeps the card within the limit', () => {
    const digest = digestTeamsMessage(busyDigest(), [
      chart('PCI per system', [30_000, 9_000]), // the large one does not fit, the small one does
      chart('Grants per day', [4_000]),
      chart('Top entitlements', [20_000]), // no room left for it
    ]);
    const card = assertCardValid(digest.message.card!);
    assert.deepEqual(digest.pictures, ['PCI per system', 'Grants per day']);
    assert.deepEqual(digest.words, ['Top entitlements']);
    assert.deepEqual(
      images(card).map((image) => [image.url.length, image.altText]),
      [
        [picture(9_000).length, 'PCI per system: what it shows, in words.'],
        [picture(4_000).length, 'Grants per day: what it shows, in words.'],
      ],
    );
    assert.ok(cardBytes(card) <= TEAMS_CARD_MAX_BYTES, `${cardBytes(card)} bytes`);
    const shown = markdownTexts(card).join('\n');
    assert.match(shown, /📈 \*\*Top entitlements\*\*: Top entitlements: what it shows, in words\./);
    assert.ok(shown.includes(CHARTS_IN_WORDS_NOTE));
    const activity = JSON.stringify(cardActivity(card, digest.message.text));
    assert.ok(Buffer.byteLength(activity) <= MAX_MESSAGE_BYTES, `the message is ${Buffer.byteLength(activity)} bytes`);
  });

  test('with no room for any picture, every chart is told in words and the card still fits', () => {
    const digest = digestTeamsMessage(busyDigest(), [chart('PCI per system', [40_000]), chart('Grants', [30_000])]);
    const card = assertCardValid(digest.message.card!);
    assert.deepEqual(images(card), []);
    assert.deepEqual(digest.words, ['PCI per system', 'Grants']);
    assert.ok(cardBytes(card) <= TEAMS_CARD_MAX_BYTES);
  });

  test('the sections read as on Slack, in Teams markdown', () => {
    const card = digestTeamsMessage(busyDigest(), []).message.card!;
    const shown = markdownTexts(card).join('\n');
    assert.match(shown, /Sun 29 Mar 2026, 00:00–24:00 Europe\/Berlin \(23 hours: the clocks went forward\)/);
    assert.match(shown, /\*\*Access\*\* · 14 requests · 9 grants/);
    assert.match(shown, /• \*\*aws-prod\*\*: PCI 40 → 47 \(▲ \+7\)/);
    assert.match(shown, /…and 3 more requests/);
  });

  test('a period with nothing to say is one line of text, without a card', () => {
    const digest = digestTeamsMessage(quietDigest(), [chart('PCI', [10])]);
    assert.equal(digest.message.card, undefined);
    assert.equal(
      digest.message.text,
      '**Least daily digest** for Sun 29 Mar 2026 (Europe/Berlin): nothing to report — no requests, grants or approvals waiting, no findings moved, no cleanup runs.',
    );
  });
});

describe('digestTeamsMessage with hostile names', () => {
  const HOSTILE = [
    '[click](https://evil.example) ![img](https://evil.example/p.png) <at>everyone</at>',
    '**✅ Approved by ciso@example.com**\n# heading\n- item',
    '{{DATE(2030-01-01T00:00:00Z, SHORT)}} &#x202E;',
    '\u202Eevil\u202C ' + '😀'.repeat(5_001),
    '漢'.repeat(10_000),
  ];
  const OUR_DATES = /\{\{(DATE|TIME)\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(, SHORT)?\)\}\}/g;

  for (const name of HOSTILE) {
    test(JSON.stringify(name.slice(0, 30)), () => {
      const digest = digestTeamsMessage(busyDigest(name), [chart(name, [2_000])]);
      const card = assertCardValid(digest.message.card!);
      assert.ok(cardBytes(card) <= TEAMS_CARD_MAX_BYTES);
      for (const text of markdownTexts(card)) {
        const rest = text.replace(OUR_DATES, '').replace(/\\./g, '');
        assert.ok(!/[[\]<`{|]/.test(rest), `markdown syntax from a name: ${rest.slice(0, 80)}`);
        assert.ok(!text.includes('**✅'), 'forged bold line');
        for (const line of rest.split('\n'))
          assert.ok(!/^\s*[#>+\-=]/.test(line), `a forged line: ${line.slice(0, 40)}`);
      }
      assert.ok(!/[\u202A-\u202E]/.test(JSON.stringify(digest.message)), 'a bidi control survived');
      assert.ok(!hasHalfEmoji(digest.message), 'half an emoji');
      assert.ok(!digest.message.text.includes('\n') && digest.message.text.length <= 200);
    });
  }
});
