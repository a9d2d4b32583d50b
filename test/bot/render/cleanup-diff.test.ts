import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffDocuments } from '../../../bot/render/cleanup-diff';

/** The line diff behind Show diff: what changed, three lines around it, and gaps for the rest. */

const lines = (n: number, changed: Record<number, string> = {}) =>
  Array.from({ length: n }, (_, i) => changed[i] ?? `line ${i}`).join('\n');

describe('document diff', () => {
  test('equal documents have no lines', () => {
    assert.deepEqual(diffDocuments({ a: 1 }, { a: 1 }), { lines: [], removed: 0, added: 0, truncated: false });
  });

  test('a changed line in the middle: three lines of context each side, the rest as gaps', () => {
    const diff = diffDocuments(lines(20), lines(20, { 10: 'changed' }));
    assert.deepEqual(
      diff.lines.map((l) => `${l.kind}:${l.text}`),
      [
        'gap:7',
        'same:line 7',
        'same:line 8',
        'same:line 9',
        'removed:line 10',
        'added:changed',
        'same:line 11',
        'same:line 12',
        'same:line 13',
        'gap:6',
      ],
    );
    assert.equal(diff.removed, 1);
    assert.equal(diff.added, 1);
  });

  test('a removed line keeps the lines around it as they are', () => {
    const diff = diffDocuments(
      lines(5),
      lines(5)
        .split('\n')
        .filter((l) => l !== 'line 2')
        .join('\n'),
    );
    assert.deepEqual(
      diff.lines.map((l) => l.kind),
      ['same', 'same', 'removed', 'same', 'same'],
    );
  });

  test('a document that goes is all removed lines; a huge one is compared only in part', () => {
    const gone = diffDocuments({ Version: '2012-10-17' }, null);
    assert.deepEqual(
      gone.lines.map((l) => l.kind),
      ['removed', 'removed', 'removed'],
    );
    const huge = diffDocuments(lines(5000), lines(5000, { 4999: 'x' }));
    assert.equal(huge.truncated, true);
    assert.equal(huge.removed + huge.added, 0, 'the change past the compared part is not claimed');
  });
});
