import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestLinks, workflowUiLink, type TemporalUi } from '../../../bot/render/alert';
import { alertSlackMessage } from '../../../bot/render/slack/alert';
import { alertTeamsMessage } from '../../../bot/render/teams/alert';
import { episode, SERIES, SETUP, WORKFLOW_ID } from './alert-fixtures';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { mrkdwnTexts } from './slack/fixtures';
import { shown } from './teams/fixtures';

/** Rule alerts about requests link each request to its workflow in Temporal's web UI, when one is configured. */

const UI: TemporalUi = { baseUrl: 'https://cloud.temporal.io', namespace: 'least.a1b2c' };
const ALERT = {
  workflowId: WORKFLOW_ID,
  series: SERIES,
  setup: SETUP,
  episode: episode({
    lastAt: '2026-12-02T09:05:00.000Z',
    count: 2,
    lines: [
      'oncall@example.com took payments-logs for 30 min: INC-9 (r-abcdefghij)',
      'frank@example.com took payments-logs for 1 h: INC-10 (r-k2m9x4q7pz)',
    ],
  }),
};

describe('workflowUiLink', () => {
  test("encodes the namespace and the workflow id into the UI's workflow path", () => {
    assert.equal(
      workflowUiLink({ baseUrl: 'http://127.0.0.1:8233', namespace: 'my ns/x' }, 'r-abcdefghij'),
      'http://127.0.0.1:8233/namespaces/my%20ns%2Fx/workflows/r-abcdefghij',
    );
  });
});

describe('requestLinks', () => {
  test('one per request id in the lines, newest first; none without a UI', () => {
    assert.deepEqual(
      requestLinks(ALERT.episode.lines, UI).map((link) => link.requestId),
      ['r-k2m9x4q7pz', 'r-abcdefghij'],
    );
    assert.deepEqual(requestLinks(ALERT.episode.lines, undefined), []);
    assert.deepEqual(requestLinks(['r-abc and r-0000000000 are not ids'], UI), []);
  });
});

describe('alert messages with a Temporal UI', () => {
  test('Slack: a context line of <url|id> links', () => {
    const message = alertSlackMessage(ALERT, UI);
    assertWithinSlackLimits('message', message.blocks);
    const texts = mrkdwnTexts(message.blocks).join('\n');
    assert.match(
      texts,
      /<https:\/\/cloud\.temporal\.io\/namespaces\/least\.a1b2c\/workflows\/r-abcdefghij\|r-abcdefghij>/,
    );
    assert.match(
      texts,
      /<https:\/\/cloud\.temporal\.io\/namespaces\/least\.a1b2c\/workflows\/r-k2m9x4q7pz\|r-k2m9x4q7pz>/,
    );
    assert.doesNotMatch(mrkdwnTexts(alertSlackMessage(ALERT).blocks).join('\n'), /temporal/i, 'no UI, no link');
  });

  test("Slack: a base URL's & < > | cannot break out of the link", () => {
    const texts = mrkdwnTexts(
      alertSlackMessage(ALERT, { baseUrl: 'https://t.example/a&b<c>|d', namespace: 'ns' }).blocks,
    );
    const line = texts.find((text) => text.startsWith('In Temporal'))!;
    assert.match(
      line,
      /<https:\/\/t\.example\/a&amp;b&lt;c&gt;%7Cd\/namespaces\/ns\/workflows\/r-k2m9x4q7pz\|r-k2m9x4q7pz>/,
    );
  });

  test('Teams: markdown links in a valid card', () => {
    const message = alertTeamsMessage(ALERT, UI);
    assertCardValid(message.card!);
    const text = shown(message.card);
    assert.match(
      text,
      /\[r-abcdefghij\]\(https:\/\/cloud\.temporal\.io\/namespaces\/least\.a1b2c\/workflows\/r-abcdefghij\)/,
    );
    assert.doesNotMatch(shown(alertTeamsMessage(ALERT).card), /In Temporal/);
  });

  test("Teams: a base URL's parentheses and spaces cannot end the link", () => {
    const text = shown(alertTeamsMessage(ALERT, { baseUrl: 'https://t.example/a(b) c', namespace: 'ns' }).card);
    assert.match(text, /\(https:\/\/t\.example\/a%28b%29%20c\/namespaces\/ns\/workflows\/r-k2m9x4q7pz\)/);
  });
});
