import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { userText } from '../../../../bot/render/teams';
import { people } from '../../../../bot/render/teams/status';
import { clipEscaped, escapeMarkdown, plainText, teamsDate, userLine } from '../../../../bot/render/teams/text';
import { LONE_SURROGATE } from '../hostile';
/** An odd run of backslashes at the end: the last one would escape whatever the card puts next. */
const DANGLING_ESCAPE = /(?<!\\)(\\\\)*\\$/;

describe('escapeMarkdown', () => {
  test('a markdown link shows as typed, with nothing a client could follow', () => {
    assert.equal(escapeMarkdown('[click](https://evil.example)'), '\\[click\\](https://evil.example)');
    assert.equal(escapeMarkdown('![img](https://evil.example/x.png)'), '!\\[img\\](https://evil.example/x.png)');
    assert.equal(escapeMarkdown('<https://evil.example>'), '\\<https://evil.example>');
  });

  test('a Teams mention tag is not a tag any more', () => {
    assert.equal(escapeMarkdown('<at>everyone</at>'), '\\<at>everyone\\</at>');
  });

  test('emphasis, code, strikethrough and tables are escaped; words with underscores are left alone', () => {
    assert.equal(escapeMarkdown('**bold** and _it_'), '\\*\\*bold\\*\\* and \\_it\\_');
    assert.equal(escapeMarkdown('`code` ~~gone~~ a|b'), '\\`code\\` \\~\\~gone\\~\\~ a\\|b');
    assert.equal(escapeMarkdown('first_last@example.com prod_admin'), 'first_last@example.com prod_admin');
    assert.equal(escapeMarkdown('__init__'), '\\_\\_init\\_\\_');
  });

  test('headings, quotes, lists and rules are escaped only where they start a line', () => {
    assert.equal(escapeMarkdown('# heading'), '\\# heading');
    assert.equal(escapeMarkdown('a\n  - item\n+ more\n> quote\n==='), 'a\n  \\- item\n\\+ more\n\\> quote\n\\===');
    assert.equal(escapeMarkdown('1. first\n2) second'), '1\\. first\n2\\) second');
    assert.equal(escapeMarkdown('a - b # c > d 1. e'), 'a - b # c > d 1. e', 'mid-line they are plain text');
  });

  test('a backslash cannot undo the escape after it', () => {
    assert.equal(escapeMarkdown('\\[x](y)'), '\\\\\\[x\\](y)');
  });

  test('entities cannot smuggle in a bidi override; a plain ampersand stays', () => {
    assert.equal(escapeMarkdown('&#x202E;evil &amp; R&D'), '\\&#x202E;evil \\&amp; R&D');
  });

  test('Teams date functions in user text are not expanded', () => {
    const escaped = escapeMarkdown('{{DATE(2024-05-01T10:00:00Z, SHORT)}}');
    assert.ok(!/\{\{DATE\(/.test(escaped), escaped);
  });

  test('drops controls, bidi overrides and invisible characters; keeps emoji sequences, accents and newlines', () => {
    assert.equal(escapeMarkdown('\u202Eevil\u202C\u2066x\u2069\u0007\u200B\u200E\uFEFF\u00AD'), 'evilx');
    assert.equal(escapeMarkdown('a\u200Db'), 'ab', 'a joiner between letters hides nothing useful');
    assert.equal(escapeMarkdown('👩\u200D💻 e\u0301 ﷺ\nnext'), '👩\u200D💻 e\u0301 ﷺ\nnext');
    assert.equal(escapeMarkdown('tag\u{E0041}\u{E007F}s'), 'tags');
  });
});

describe('userText and userLine', () => {
  test('userText keeps each line, as its own paragraph', () => {
    assert.equal(userText('one\ntwo\r\n\r\n\r\nthree  ', 100), 'one\n\ntwo\n\nthree');
  });

  test('userLine collapses to one line, so a name cannot forge a line of the card', () => {
    assert.equal(userLine('OPS-1\n**Approved by the CISO**', 100), 'OPS-1 \\*\\*Approved by the CISO\\*\\*');
  });

  test('clips to max, ending with …, never in the middle of an escape or an emoji', () => {
    for (const text of ['[]'.repeat(50), 'a*'.repeat(50), '\\'.repeat(50), '😀'.repeat(40), '😀['.repeat(30)]) {
      for (let max = 1; max < 60; max += 1) {
        const out = userText(text, max);
        assert.ok(out.length <= max, `${max}: ${out}`);
        assert.ok(!LONE_SURROGATE.test(out), `half an emoji at ${max}: ${JSON.stringify(out)}`);
        const body = out.endsWith('…') ? out.slice(0, -1) : out;
        assert.ok(!DANGLING_ESCAPE.test(body), `half an escape at ${max}: ${JSON.stringify(out)}`);
      }
    }
  });

  test('a 10k reason is clipped to its share', () => {
    const out = userText('x'.repeat(10_000), 2000);
    assert.equal(out.length, 2000);
    assert.ok(out.endsWith('…'));
  });

  test('clipEscaped drops the backslash of a cut escape', () => {
    assert.equal(clipEscaped('ab\\[cd', 4), 'ab…');
    assert.equal(clipEscaped('a\\\\bcd', 4), 'a\\\\…', 'an escaped backslash is whole');
  });
});

describe('plainText', () => {
  test('plainText keeps markdown characters (nothing parses them) but not controls or newlines', () => {
    assert.equal(plainText('**a**\n[b](c)\u202E', 100), '**a** [b](c)');
    assert.equal(plainText('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
  });
});

describe('people and teamsDate', () => {
  test('people names five and counts the rest, escaped', () => {
    assert.equal(people([]), 'nobody');
    assert.equal(people(['a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x', '[g](h)@x']), 'a@x, b@x, c@x, d@x, e@x and 2 more');
    assert.equal(people(['[g](h)@x']), '\\[g\\](h)@x');
  });

  test('teamsDate is the DATE/TIME pair Teams localises, in whole UTC seconds', () => {
    assert.equal(
      teamsDate('2024-05-01T09:05:00.123Z'),
      '{{DATE(2024-05-01T09:05:00Z, SHORT)}} {{TIME(2024-05-01T09:05:00Z)}}',
    );
    assert.equal(
      teamsDate('2024-05-01T11:05:00+02:00'),
      '{{DATE(2024-05-01T09:05:00Z, SHORT)}} {{TIME(2024-05-01T09:05:00Z)}}',
    );
    assert.equal(teamsDate('[not](a date)'), '\\[not\\](a date)');
  });
});
