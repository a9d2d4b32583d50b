import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { textWidth } from '../../../../bot/render/charts/font-metrics';
import { distinctLabels, fitLabel, plainLabel } from '../../../../bot/render/charts/labels';

/** Names from clouds and people made plain before a chart measures or draws them. */

describe('chart labels', () => {
  test('controls, bidirectional overrides, line breaks and lone surrogates go; runs of space become one', () => {
    assert.equal(plainLabel('evil\u202egnp.exe'), 'evil gnp.exe');
    assert.equal(plainLabel('a\u2066b\u2069c\u200fd'), 'a b c d');
    assert.equal(plainLabel('one\ntwo\r\n\tthree\u0000four\u0085five'), 'one two three four five');
    assert.equal(plainLabel('half \ud83d pair'), 'half \ufffd pair');
    assert.equal(plainLabel('emoji 🔑 stays'), 'emoji 🔑 stays');
    assert.equal(plainLabel('\u202e\n  '), '(unnamed)');
  });

  test('markup is left as text: escaping is the SVG writer’s job, not a reason to change the name', () => {
    assert.equal(plainLabel('<b>&amp;"x"</b>'), '<b>&amp;"x"</b>');
  });

  test('a 10,000-character name is cut to the character limit with …', () => {
    const label = plainLabel('q'.repeat(10_000), 30);
    assert.equal(label, `${'q'.repeat(29)}…`);
  });

  test('fitLabel cuts to a width in pixels of the shipped font', () => {
    assert.equal(fitLabel('aws-prod', 140, 12), 'aws-prod');
    const cut = fitLabel('W'.repeat(50), 140, 12);
    assert.ok(cut.endsWith('…') && textWidth(cut, 12) <= 140);
    assert.ok(textWidth(`W${cut}`, 12) > 140, 'as long as fits, not shorter');
    assert.equal(fitLabel('i'.repeat(30), 140, 12), 'i'.repeat(30), 'narrow letters fit more');
  });

  test('labels made distinct, also from names already taken', () => {
    assert.deepEqual(distinctLabels(['a…', 'b', 'a…', 'a…'], ['b']), ['a…', 'b (2)', 'a… (2)', 'a… (3)']);
  });
});
