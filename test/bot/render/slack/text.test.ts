import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { people } from '../../../../bot/render/slack/status';
import {
  escapeMrkdwn,
  mention,
  plainText,
  quoted,
  slackDate,
  userLine,
  userText,
} from '../../../../bot/render/slack/text';

describe('escapeMrkdwn', () => {
  test('escapes the three characters Slack parses, so no mention or disguised link survives', () => {
    assert.equal(escapeMrkdwn('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
    for (const hostile of [
      '<!channel>',
      '<!here|x>',
      '<@U999>',
      '<http://evil.example|bank.example>',
      '<#C123>',
      '<!subteam^S1>',
    ]) {
      const escaped = escapeMrkdwn(hostile);
      assert.ok(!escaped.includes('<') && !escaped.includes('>'), `${hostile} → ${escaped}`);
    }
    assert.equal(escapeMrkdwn('&amp;'), '&amp;amp;', 'what a person typed is shown as typed');
  });

  test('breaks literal @channel, @here and @everyone but leaves e-mail addresses alone', () => {
    const escaped = escapeMrkdwn('@channel ping @HERE and @everyone!');
    assert.ok(!/(^|\s)@(channel|here|everyone)\b/i.test(escaped), escaped);
    assert.match(escaped, /@\u2060channel/);
    assert.equal(escapeMrkdwn('ops@here.example and a@channel.io'), 'ops@here.example and a@channel.io');
  });

  test('drops bidi overrides and control characters, keeps emoji, accents and newlines', () => {
    assert.equal(escapeMrkdwn('\u202Eevil\u202C\u2066x\u2069\u0007'), 'evilx');
    assert.equal(escapeMrkdwn('🚨 e\u0301 ﷺ\nnext'), '🚨 e\u0301 ﷺ\nnext');
  });
});

describe('userText', () => {
  test('never cuts an entity in half at a clip boundary', () => {
    for (const text of ['&'.repeat(50), 'a&b'.repeat(30), '<>'.repeat(40), 'x&amp;'.repeat(20)]) {
      for (let max = 1; max < 40; max += 1) {
        const out = userText(text, max);
        assert.ok(out.length <= max, `${max}: ${out}`);
        const body = out.endsWith('…') ? out.slice(0, -1) : out;
        assert.ok(!/&[a-z]*$/.test(body), `half an entity at max ${max}: ${JSON.stringify(out)}`);
        assert.ok(!/[<>]/.test(out));
      }
    }
  });

  test('keeps text that fits whole', () => {
    assert.equal(userText('a & b', 9), 'a &amp; b');
    assert.equal(userText('a & b', 8), 'a &amp;…');
    assert.equal(userText('a & b', 7), 'a …');
  });

  test('userLine keeps a reason from forging a line of the card; quoted marks every line as quoted', () => {
    assert.equal(userLine('OPS-1\n*Approved by ceo@example.com*', 100), 'OPS-1 *Approved by ceo@example.com*');
    assert.equal(quoted('need it\n*Approved by ceo*', 100), '>need it\n>*Approved by ceo*');
    assert.equal(quoted('a\n\n\n\n\nb', 100), '>a\n>\n>b');
    assert.ok(quoted('\n'.repeat(5000) + 'x'.repeat(5000), 3000).length <= 3000);
  });

  test('plainText is one clipped line, unescaped (Slack parses nothing in plain_text)', () => {
    assert.equal(plainText('R&D\n <team>', 20), 'R&D <team>');
    assert.equal(plainText('x'.repeat(100), 75).length, 75);
  });
});

describe('mention', () => {
  test('mentions a Slack user id, else shows the escaped e-mail', () => {
    assert.equal(mention('U123ABC', 'dev@example.com'), '<@U123ABC>');
    assert.equal(mention('W0ENTERPRISE', 'dev@example.com'), '<@W0ENTERPRISE>');
    assert.equal(mention(undefined, 'dev@example.com'), 'dev@example.com');
    assert.equal(mention('C123ABC', 'dev@example.com'), 'dev@example.com');
    assert.equal(mention('U123>|<!channel', '<!here>@example.com'), '&lt;!here&gt;@example.com');
  });

  test('people names the first five and counts the rest', () => {
    assert.equal(people([]), 'nobody');
    assert.equal(people(['a@x', 'b@x']), 'a@x, b@x');
    assert.equal(people(['1', '2', '3', '4', '5', '6', '7']), '1, 2, 3, 4, 5 and 2 more');
  });
});

describe('slackDate', () => {
  test('formats a time for each reader, with the ISO time as fallback', () => {
    assert.equal(
      slackDate('2024-05-01T10:00:00.000Z'),
      '<!date^1714557600^{date_short_pretty} {time}|2024-05-01T10:00:00.000Z>',
    );
    assert.equal(slackDate('<!channel>'), '&lt;!channel&gt;');
  });
});
