import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHARTS_IN_WORDS_NOTE, digestTeamsMessage } from '../../../bot/render/teams/digest';
import { busyDigest } from '../../support/generators/digest';

/** The card's choice by value: a data URI while one fits, then the chart's signed link, then words. */

const huge = `data:image/png;base64,${'A'.repeat(40_000)}`;
const LINK = 'https://least.example.com/files/AbCdEfGhIjKlMnOpQrStUv?exp=1796266800&sig=' + 's'.repeat(43);

describe('digestTeamsMessage with chart links', () => {
  it('shows a chart whose pictures do not fit by its link, and says nothing about words', () => {
    const digest = digestTeamsMessage(busyDigest(), [
      { title: 'PCI trend', alt: 'PCI over 90 days', pictures: [huge], link: LINK },
    ]);
    assert.deepEqual([digest.pictures, digest.words], [['PCI trend'], []]);
    const card = JSON.stringify(digest.message.card);
    assert.ok(card.includes(JSON.stringify(LINK)), 'the image URL is the link');
    assert.ok(!card.includes(huge.slice(0, 60)));
    assert.ok(!card.includes(CHARTS_IN_WORDS_NOTE));
  });

  it('prefers a data URI that fits over the link', () => {
    const small = 'data:image/png;base64,iVBORw0KGgo=';
    const digest = digestTeamsMessage(busyDigest(), [
      { title: 'PCI trend', alt: 'PCI over 90 days', pictures: [small], link: LINK },
    ]);
    const card = JSON.stringify(digest.message.card);
    assert.ok(card.includes(small) && !card.includes(LINK));
  });

  it('without a link, a chart with no room is told in words, with the note', () => {
    const digest = digestTeamsMessage(busyDigest(), [
      { title: 'PCI trend', alt: 'PCI over 90 days', pictures: [huge] },
    ]);
    assert.deepEqual(digest.words, ['PCI trend']);
    assert.ok(JSON.stringify(digest.message.card).includes(CHARTS_IN_WORDS_NOTE));
  });
});
