import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  acknowledgedThrough,
  ALERT_LINE_MAX,
  ALERT_LINES_SHOWN,
  alertWorkflowId,
  checkAcknowledge,
  countOccurrence,
  newEpisode,
  OCCURRENCE_IDS_KEPT,
  type AcknowledgeInput,
  type AlertOccurrence,
  type AlertSetup,
  type AlertState,
} from '../../../domain/alert/model';
import { ErrorCode } from '../../../domain/errors';

/** One alert's life as the `alert` workflow keeps it: what is counted, what a message shows, who may acknowledge. */

const SETUP: AlertSetup = {
  rule: 'break-glass-used',
  subject: 'payments-logs',
  severity: 'critical',
  title: 'Break-glass access used',
  targets: [{ platform: 'slack', channel: 'CALERTS001' }],
  acknowledgers: ['sec@example.com', 'viewer@example.com'],
  acknowledgerGroups: ['SSECOPS01'],
  everyone: false,
  throttleSeconds: 900,
  openForSeconds: 7 * 86400,
};

/** The alert's life: its workflow's first run id. */
const SERIES = '0192f3a4-0000-7000-8000-000000000001';

/** Counted as the workflow counts it: received at the occurrence's own time. */
const count = (state: AlertState, o: AlertOccurrence): boolean => countOccurrence(state, o, o.at);

function occurrence(i: number, extra: Partial<AlertOccurrence> = {}): AlertOccurrence {
  return {
    rule: 'break-glass-used',
    subject: 'payments-logs',
    occurrenceId: `r-${String(i).padStart(10, '0')}:break-glass`,
    at: new Date(Date.UTC(2026, 11, 2, 9, 0, i)).toISOString(),
    line: `oncall@example.com took payments-logs #${i}`,
    ...extra,
  };
}

function stateWith(setup: Partial<AlertSetup> = {}): AlertState {
  return {
    workflowId: alertWorkflowId('break-glass-used', 'payments-logs', 'least'),
    series: SERIES,
    setup: { ...SETUP, ...setup },
    episode: newEpisode(1, occurrence(0).at),
    seen: [],
  };
}

const ack = (by: string, extra: Partial<AcknowledgeInput> = {}): AcknowledgeInput => ({
  by,
  series: SERIES,
  episode: 1,
  via: 'slack',
  ...extra,
});

describe('countOccurrence', () => {
  test('a retried raise (the same occurrence id) is counted once', () => {
    const state = stateWith();
    assert.equal(count(state, occurrence(1)), true);
    assert.equal(count(state, occurrence(1)), false);
    assert.equal(count(state, occurrence(2)), true);
    assert.equal(count(state, { ...occurrence(1), line: 'the same id told differently' }), false);
    assert.equal(state.episode.count, 2);
    assert.deepEqual(state.episode.lines, [
      'oncall@example.com took payments-logs #1',
      'oncall@example.com took payments-logs #2',
    ]);
    assert.equal(state.episode.lastAt, occurrence(2).at);
  });

  test('the message keeps the latest lines, newest last, while the count keeps them all', () => {
    const state = stateWith();
    for (let i = 1; i <= 12; i++) count(state, occurrence(i));
    assert.equal(state.episode.count, 12);
    assert.equal(state.episode.lines.length, ALERT_LINES_SHOWN);
    assert.deepEqual(
      state.episode.lines.map((line) => line.split('#')[1]),
      ['8', '9', '10', '11', '12'],
    );
  });

  test('a huge or multi-line line is made one line and cut to its limit', () => {
    const state = stateWith();
    count(state, occurrence(1, { line: `  first\nsecond\r\n\tthird ${'x'.repeat(5_000)}` }));
    const [line] = state.episode.lines;
    assert.equal(line!.length, ALERT_LINE_MAX);
    assert.ok(line!.startsWith('first second third x'), line!.slice(0, 40));
    assert.ok(!/\s{2,}|\n/.test(line!));
  });

  test('a cut at the limit never leaves half an emoji', () => {
    const state = stateWith();
    count(state, occurrence(1, { line: `a${'😀'.repeat(ALERT_LINE_MAX)}` }));
    const [line] = state.episode.lines;
    assert.equal(line!.length, ALERT_LINE_MAX - 1);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(line!), 'no lone high surrogate');
  });

  test('the latest time is when the workflow received it, never moved back', () => {
    const state = stateWith();
    countOccurrence(state, occurrence(5), '2026-12-02T09:10:00.000Z');
    countOccurrence(state, occurrence(6), '2026-12-02T09:09:00.000Z');
    assert.equal(state.episode.lastAt, '2026-12-02T09:10:00.000Z');
  });

  test('the ids remembered stay bounded, the newest kept', () => {
    const state = stateWith();
    for (let i = 0; i < OCCURRENCE_IDS_KEPT + 50; i++) count(state, occurrence(i));
    assert.equal(state.seen.length, OCCURRENCE_IDS_KEPT);
    assert.equal(state.seen.at(-1), occurrence(OCCURRENCE_IDS_KEPT + 49).occurrenceId);
    // a recent one is still recognised
    assert.equal(count(state, occurrence(OCCURRENCE_IDS_KEPT + 49)), false);
  });
});

describe('checkAcknowledge', () => {
  test('a named acknowledger may, however the address is written', () => {
    assert.deepEqual(checkAcknowledge(stateWith(), ack('  Sec@Example.COM ')), { ok: true });
  });

  test('a stranger is refused with who may', () => {
    const verdict = checkAcknowledge(stateWith(), ack('mallory@example.com'));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertNotAuthorized);
    assert.match(verdict.message, /may not acknowledge/);
  });

  test('a group the stranger claims is only what the front end found, and must be one the policy names', () => {
    const verdict = checkAcknowledge(stateWith(), ack('mallory@example.com', { groups: ['SOTHER001'] }));
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertNotAuthorized);
  });

  test('a click on an older message is told to acknowledge the latest', () => {
    const state = stateWith();
    state.episode = newEpisode(2, occurrence(1).at);
    const verdict = checkAcknowledge(state, ack('sec@example.com', { episode: 1 }));
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertSuperseded);
    // and a number from the future is no better
    const ahead = checkAcknowledge(state, ack('sec@example.com', { episode: 3 }));
    assert.ok(!ahead.ok);
    assert.equal(ahead.code, ErrorCode.AlertSuperseded);
  });

  test('a button of an earlier alert with the same id (another series) is told that alert closed', () => {
    const verdict = checkAcknowledge(stateWith(), ack('sec@example.com', { series: 'an-earlier-run-id' }));
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertClosed);
  });

  test('a second acknowledgement is told who gave the first', () => {
    const state = stateWith();
    state.episode.acknowledged = { by: 'viewer@example.com', at: '2026-12-02T09:05:00.000Z', via: 'teams' };
    const verdict = checkAcknowledge(state, ack('sec@example.com'));
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertAlreadyAcknowledged);
    assert.match(verdict.message, /viewer@example\.com at 2026-12-02T09:05:00\.000Z/);
  });

  test('an alert that closed unacknowledged cannot be acknowledged', () => {
    const state = stateWith();
    state.episode.expired = true;
    const verdict = checkAcknowledge(state, ack('sec@example.com'));
    assert.ok(!verdict.ok);
    assert.equal(verdict.code, ErrorCode.AlertClosed);
  });

  test('a member of a Slack user group the policy names may, and the acknowledgement names the group', () => {
    const state = stateWith();
    const input = ack('grace@example.com', { groups: ['SOTHER001', 'SSECOPS01'] });
    assert.deepEqual(checkAcknowledge(state, input), { ok: true });
    assert.equal(acknowledgedThrough(state, input), 'SSECOPS01');
  });

  test('someone named in person counts as themselves, not through a group', () => {
    const state = stateWith();
    assert.equal(acknowledgedThrough(state, ack('sec@example.com', { groups: ['SSECOPS01'] })), undefined);
    assert.equal(acknowledgedThrough(stateWith({ everyone: true }), ack('anyone@example.com')), undefined);
  });

  test('everyone may when the policy says so', () => {
    assert.deepEqual(checkAcknowledge(stateWith({ everyone: true }), ack('anyone@example.com')), { ok: true });
  });
});

describe('alertWorkflowId', () => {
  test('readable, and the same for the same rule and subject', () => {
    assert.equal(
      alertWorkflowId('grant-failed', 'aws-prod', 'least'),
      alertWorkflowId('grant-failed', 'aws-prod', 'least'),
    );
    assert.match(alertWorkflowId('grant-failed', 'aws-prod', 'least'), /^alert:grant-failed:aws-prod:[0-9a-f]{8}$/);
    assert.notEqual(
      alertWorkflowId('grant-failed', 'aws-prod', 'least'),
      alertWorkflowId('revocation-retrying', 'aws-prod', 'least'),
    );
    // two deployments (task queues) sharing a namespace never share an alert
    assert.notEqual(
      alertWorkflowId('grant-failed', 'aws-prod', 'least'),
      alertWorkflowId('grant-failed', 'aws-prod', 'least-eu'),
    );
  });

  test('subjects that read the same once made plain stay apart', () => {
    const subjects = ['prod admin', 'prod/admin', 'prod_admin', 'prod\nadmin', 'prod<admin', 'prod admín'];
    const ids = subjects.map((s) => alertWorkflowId('high-risk-granted', s, 'least'));
    assert.equal(new Set(ids).size, subjects.length, ids.join('\n'));
    for (const id of ids) assert.match(id, /^alert:high-risk-granted:prod_adm/);
  });

  test('bounded and plain for a huge or hostile subject', () => {
    const huge = `${'<!channel> '.repeat(2_000)}\u202E`;
    const id = alertWorkflowId('out-of-band-grant', huge, 'least');
    assert.ok(id.length <= 200, `${id.length} characters`);
    assert.match(id, /^[A-Za-z0-9._@:-]+$/);
    assert.notEqual(id, alertWorkflowId('out-of-band-grant', `${huge} `, 'least'));
  });
});
