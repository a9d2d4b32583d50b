import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAlertAck } from '../../../bot/alert-client';
import { ALERT_ACK_ACTION, encodeAlertAck } from '../../../bot/render/alert';
import { alertSlackMessage } from '../../../bot/render/slack/alert';
import { alertTeamsMessage } from '../../../bot/render/teams/alert';
import { ALERT_LINE_MAX, ALERT_LINES_SHOWN, type AlertEpisode, type AlertSetup } from '../../../domain/alert/model';
import { episode, SERIES, SETUP, WORKFLOW_ID } from './alert-fixtures';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { buttons as slackButtons, mrkdwnTexts } from './slack/fixtures';
import { buttons as teamsButtons, shown } from './teams/fixtures';
import { hasHalfEmoji } from './hostile';

/** A rule alert as Slack and Teams show it, what they accept, what nobody can forge through it, and its button's value. */

const slackMessage = (setup: AlertSetup, shown: AlertEpisode) =>
  alertSlackMessage({ workflowId: WORKFLOW_ID, series: SERIES, setup, episode: shown });
const teamsMessage = (setup: AlertSetup, shown: AlertEpisode) =>
  alertTeamsMessage({ workflowId: WORKFLOW_ID, series: SERIES, setup, episode: shown });

/** What a requester, a cloud or a policy author could put in a line or a subject. */
const HOSTILE = [
  '<!channel> wake up',
  '<!here|here> and <!everyone>',
  'ping <@U0ADMIN01> and <@W0ADMIN02|boss> and <#C0GENERAL>',
  'see <http://evil.example/login|https://bank.example> now',
  '<https://evil.example>',
  '@channel plain and @here too',
  '*Approved by the CISO* `code` ~strike~',
  '\u202Egnp.exe\u202C bidi',
];
const HOSTILE_LINE = HOSTILE.join(' ');

describe('alertSlackMessage', () => {
  test('the headline, the count, the lines and Acknowledge while open', () => {
    const message = slackMessage(SETUP, episode());
    assertWithinSlackLimits('message', message.blocks);
    const text = mrkdwnTexts(message.blocks).join('\n');
    assert.match(text, /🔴 \*Critical · Break-glass access used\* · `payments-logs`/);
    assert.match(text, /at <!date\^1796202000\^/);
    assert.match(text, /• oncall@example\.com · Read payment logs \(payments-logs\) on aws-prod for 30 min: INC-9/);
    assert.equal(message.text, 'Critical: Break-glass access used (payments-logs)');
    const [button, ...others] = slackButtons(message.blocks);
    assert.deepEqual(others, []);
    assert.equal(button?.action_id, ALERT_ACK_ACTION);
    assert.equal(button?.text, 'Acknowledge');
    assert.deepEqual(parseAlertAck(button!.value!), { workflowId: WORKFLOW_ID, series: SERIES, episode: 1 });
  });

  test('a burst says how many and that only the latest are shown', () => {
    const lines = Array.from({ length: ALERT_LINES_SHOWN }, (_, i) => `grant #${i}`);
    const message = slackMessage(SETUP, episode({ count: 1234, lines, lastAt: '2026-12-02T09:07:00.000Z', number: 3 }));
    const text = mrkdwnTexts(message.blocks).join('\n');
    assert.match(
      text,
      /×1,234 since <!date\^1796202000\^[^>]+> \(latest <!date\^1796202420\^[^>]+>\) · the latest 5 below/,
    );
    assert.equal(message.text, 'Critical: Break-glass access used (payments-logs) ×1234');
    assert.deepEqual(parseAlertAck(slackButtons(message.blocks)[0]!.value!), {
      workflowId: WORKFLOW_ID,
      series: SERIES,
      episode: 3,
    });
  });

  test('acknowledged: says who and when, through a group when it was one, and offers no button', () => {
    const message = slackMessage(
      SETUP,
      episode({ acknowledged: { by: 'grace@example.com', at: '2026-12-02T09:05:00.000Z', via: 'slack', group: 'S1' } }),
    );
    const text = mrkdwnTexts(message.blocks).join('\n');
    assert.match(
      text,
      /✅ Acknowledged by grace@example\.com <!date\^1796202300\^[^>]+> \(through a Slack user group\)/,
    );
    assert.deepEqual(slackButtons(message.blocks), []);
  });

  test('closed unacknowledged: says so, and offers no button', () => {
    const message = slackMessage(SETUP, episode({ expired: true }));
    assert.match(
      mrkdwnTexts(message.blocks).join('\n'),
      /Closed: nobody acknowledged it within 7d of its last occurrence/,
    );
    assert.deepEqual(slackButtons(message.blocks), []);
  });

  test('no broadcast, mention or spoofed link from a line or a subject reaches Slack', () => {
    const message = slackMessage(
      { ...SETUP, subject: HOSTILE_LINE },
      episode({
        count: 9,
        lines: HOSTILE,
        acknowledged: { by: HOSTILE_LINE, at: '2026-12-02T09:05:00.000Z', via: 'slack' },
      }),
    );
    assertWithinSlackLimits('message', message.blocks);
    const texts = [...mrkdwnTexts(message.blocks), message.text];
    for (const text of texts) {
      // every `<` Slack reads is one of ours: the dates
      const tags = text.match(/<[^>]*>?/g) ?? [];
      assert.deepEqual(
        tags.filter((tag) => !/^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:.Z-]+>$/.test(tag)),
        [],
        text,
      );
      assert.ok(!/(?<![\w.+-])@(channel|here|everyone)\b/.test(text), text);
      assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text), 'no bidi override survives');
    }
    const all = texts.join('\n');
    assert.ok(all.includes('&lt;!channel&gt; wake up'), 'the line still reads as typed');
    assert.ok(all.includes('&lt;http://evil.example/login|https://bank.example&gt;'));
  });

  test('five lines of 300 characters, a huge subject and a huge count stay within Block Kit limits', () => {
    for (const char of ['x', '<', '&', '😀']) {
      const line = char.repeat(ALERT_LINE_MAX);
      const message = slackMessage(
        { ...SETUP, subject: char.repeat(5_000) },
        episode({ count: Number.MAX_SAFE_INTEGER, lines: Array.from({ length: ALERT_LINES_SHOWN }, () => line) }),
      );
      assertWithinSlackLimits('message', message);
      assert.ok(!hasHalfEmoji(message), `no half emoji for ${char}`);
      assert.match(mrkdwnTexts(message.blocks).join('\n'), /×9,007,199,254,740,991 since/);
    }
  });
});

describe('alertTeamsMessage', () => {
  test('one valid card with the headline, the lines and Acknowledge as a Universal Action', () => {
    const message = teamsMessage(SETUP, episode({ count: 3 }));
    const card = assertCardValid(message.card!);
    const text = shown(card);
    assert.match(text, /🔴 \*\*Critical · Break-glass access used\*\* · \*\*payments-logs\*\*/);
    assert.match(text, /×3 since \{\{DATE\(2026-12-02T09:00:00Z, SHORT\)\}\}/);
    assert.equal(message.text, 'Critical: Break-glass access used (payments-logs) ×3');
    const [button, ...others] = teamsButtons(card);
    assert.deepEqual(others, []);
    assert.equal(button?.type, 'Action.Execute');
    assert.equal(button?.verb, ALERT_ACK_ACTION);
    assert.equal(button?.title, 'Acknowledge');
    assert.deepEqual(parseAlertAck(String(button?.data?.value)), {
      workflowId: WORKFLOW_ID,
      series: SERIES,
      episode: 1,
    });
  });

  test('acknowledged: says who, and offers no button', () => {
    const message = teamsMessage(
      SETUP,
      episode({ acknowledged: { by: 'sec@example.com', at: '2026-12-02T09:05:00.000Z', via: 'teams' } }),
    );
    const card = assertCardValid(message.card!);
    assert.match(shown(card), /✅ Acknowledged by sec@example\.com \{\{DATE\(2026-12-02T09:05:00Z, SHORT\)\}\}/);
    assert.deepEqual(teamsButtons(card), []);
  });

  test('markdown links, mentions and emphasis from a line or a subject stay text', () => {
    const lines = [
      'see [https://bank.example](http://evil.example/login) now',
      '<at>Sec</at> approve this',
      '**Approved by the CISO** _really_',
      '{{DATE(2026-12-02T09:00:00Z, SHORT)}} forged',
      '\u202Egnp.exe',
    ];
    const message = teamsMessage(
      { ...SETUP, subject: '[payments](http://evil.example)' },
      episode({ count: 5, lines }),
    );
    const card = assertCardValid(message.card!);
    const text = shown(card);
    assert.ok(text.includes('\\[https://bank.example\\](http://evil.example/login)'), text);
    assert.ok(text.includes('\\<at>Sec\\</at>'), text);
    assert.ok(text.includes('\\*\\*Approved by the CISO\\*\\* \\_really\\_'), text);
    assert.ok(text.includes('\\{\\{DATE(2026-12-02T09:00:00Z, SHORT)}} forged'), text);
    assert.ok(text.includes('**\\[payments\\](http://evil.example)**'), text);
    // no unescaped link opener, mention tag or date function from anyone but us
    assert.ok(!/(?<!\\)\[/.test(text), text);
    assert.ok(!/(?<!\\)<at>/.test(text), text);
    assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(text));
    assert.equal((text.match(/(?<!\\)\{\{DATE\(/g) ?? []).length, 2, 'only the card’s own dates: since and latest');
  });

  test('five lines of 300 characters, a huge subject and a huge count make a card Teams takes', () => {
    for (const char of ['x', '[', '\\', '😀']) {
      const message = teamsMessage(
        { ...SETUP, subject: char.repeat(5_000) },
        episode({
          count: Number.MAX_SAFE_INTEGER,
          lines: Array.from({ length: ALERT_LINES_SHOWN }, () => char.repeat(ALERT_LINE_MAX)),
        }),
      );
      assertCardValid(message.card!);
      assert.ok(!hasHalfEmoji(message), `no half emoji for ${char}`);
    }
  });
});

describe('a line at its limit', () => {
  test('keeps the request id at its end once escaped, on both platforms', () => {
    const id = ' (r-abcdefghij)';
    const line = `${'{x} [y] <z> & '.repeat(100)}`.slice(0, ALERT_LINE_MAX - id.length) + id;
    assert.equal(line.length, ALERT_LINE_MAX);
    const slack = mrkdwnTexts(slackMessage(SETUP, episode({ lines: [line] })).blocks).join('\n');
    assert.match(slack, /\(r-abcdefghij\)$/m);
    const teams = shown(teamsMessage(SETUP, episode({ lines: [line] })).card);
    assert.match(teams, /\(r-abcdefghij\)$/m);
  });
});

describe('parseAlertAck', () => {
  test('reads back what the button carries', () => {
    const value = encodeAlertAck({ workflowId: WORKFLOW_ID, series: SERIES, episode: 42 });
    assert.deepEqual(parseAlertAck(value), { workflowId: WORKFLOW_ID, series: SERIES, episode: 42 });
  });

  test('refuses values that are not one Least made', () => {
    // the shape every case below breaks in one way: it is accepted as it stands
    assert.deepEqual(parseAlertAck('{"a":"alert:x","s":"run-1","e":1}'), {
      workflowId: 'alert:x',
      series: 'run-1',
      episode: 1,
    });
    const forged = [
      '',
      'not json',
      'null',
      '[]',
      '"alert:x"',
      '{}',
      '{"a":"alert:x","s":"run-1"}',
      '{"s":"run-1","e":1}',
      '{"a":"alert:x","e":1}',
      '{"a":"alert:x","s":"","e":1}',
      '{"a":"alert:x","s":1,"e":1}',
      `{"a":"alert:x","s":"${'r'.repeat(65)}","e":1}`,
      '{"a":"r-abcdefghij","s":"run-1","e":1}',
      '{"a":"cleanup:x","s":"run-1","e":1}',
      '{"a":"","s":"run-1","e":1}',
      '{"a":"alert:x","s":"run-1","e":0}',
      '{"a":"alert:x","s":"run-1","e":-1}',
      '{"a":"alert:x","s":"run-1","e":1.5}',
      '{"a":"alert:x","s":"run-1","e":"1"}',
      '{"a":"alert:x","s":"run-1","e":1e300}',
      '{"a":["alert:x"],"s":"run-1","e":1}',
      '{"a":"alert:x","s":"run-1","e":1,"by":"sec@example.com"}',
      '{"a":"alert:x","s":"run-1","e":1,"groups":["SSECOPS01"]}',
      '{"a":"alert:x","s":"run-1","e":1,"__proto__":{"by":"sec@example.com"}}',
      `{"a":"alert:${'x'.repeat(300)}","s":"run-1","e":1}`,
      `{"a":"alert:x","s":"run-1","e":1}${' '.repeat(500)}`,
      '{"a":"alert:x","s":"run-1","e":1',
    ];
    for (const value of forged) assert.equal(parseAlertAck(value), undefined, value);
  });

  test('an oversized value is refused before it is parsed', () => {
    assert.equal(parseAlertAck(`{"a":"alert:x","e":1,"pad":"${'x'.repeat(1_000_000)}"}`), undefined);
  });
});
