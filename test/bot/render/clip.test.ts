import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clip, cut } from '../../../bot/render/clip';
import { LONE_SURROGATE } from './hostile';

describe('clip', () => {
  test('leaves short text alone and cuts long text to exactly max, ending with …', () => {
    assert.equal(clip('short', 10), 'short');
    assert.equal(clip('abcdefghij', 10), 'abcdefghij');
    assert.equal(clip('abcdefghijk', 10), 'abcdefghi…');
    assert.equal(clip('abc', 1), '…');
    assert.equal(clip('abc', 0), '');
  });

  test('never splits an emoji in half', () => {
    const text = '😀'.repeat(20);
    for (let max = 1; max < 30; max += 1) {
      const clipped = clip(text, max);
      assert.ok(clipped.length <= max, `max ${max}`);
      assert.ok(!LONE_SURROGATE.test(clipped), `max ${max}: ${JSON.stringify(clipped)}`);
    }
  });
});

describe('cut', () => {
  test('takes max units, one fewer rather than half an emoji, and adds nothing', () => {
    const cases: [text: string, max: number, expected: string][] = [
      ['abc', 5, 'abc'],
      ['abcdef', 3, 'abc'],
      ['ab😀', 3, 'ab'],
      ['ab😀', 4, 'ab😀'],
    ];
    for (const [text, max, expected] of cases) assert.equal(cut(text, max), expected, `${text} at ${max}`);
  });
});
