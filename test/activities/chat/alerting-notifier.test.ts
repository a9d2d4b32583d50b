import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { occurrenceOf } from '../../../activities/chat/alerting-notifier';
import { ALERT_LINE_MAX, countOccurrence, newEpisode, type AlertState } from '../../../domain/alert/model';
import { ID, state } from '../../bot/render/fixtures';

/**
 * Which access notices become alerts, and what their line says. The triggers themselves run on the
 * real workflow in test/e2e/alerts-*.test.ts; this pins the words and the limits.
 */

describe('occurrenceOf', () => {
  test('each access trigger becomes its rule, about the entitlement or the system, once per request', () => {
    const breakGlass = occurrenceOf({ kind: 'break-glass', state: state('active') });
    assert.deepEqual(
      [breakGlass?.rule, breakGlass?.subject, breakGlass?.occurrenceId],
      ['break-glass-used', 'prod-admin', `${ID}:break-glass`],
    );
    const highRisk = occurrenceOf({ kind: 'granted', state: state('active', { rules: { risk: 'high' } }) });
    assert.deepEqual([highRisk?.rule, highRisk?.subject], ['high-risk-granted', 'prod-admin']);
    assert.match(highRisk!.line, /approved by lead-a@example\.com, lead-b@example\.com \(r-abc123defg\)$/);
    const retrying = occurrenceOf({ kind: 'failed', state: state('active'), detail: 'Revocation is retrying: x' });
    assert.deepEqual([retrying?.rule, retrying?.subject], ['revocation-retrying', 'aws-prod']);
    const failed = occurrenceOf({ kind: 'failed', state: state('failed'), detail: 'AccessDenied' });
    assert.deepEqual([failed?.rule, failed?.subject], ['grant-failed', 'aws-prod']);
  });

  test('ordinary notices raise nothing', () => {
    assert.equal(occurrenceOf({ kind: 'granted', state: state('active') }), undefined, 'a low-risk grant');
    assert.equal(occurrenceOf({ kind: 'failed', state: state('revoked') }), undefined);
    assert.equal(occurrenceOf({ kind: 'approved', state: state('approved') }), undefined);
    assert.equal(occurrenceOf({ kind: 'revoked', state: state('revoked') }), undefined);
  });

  test('a long reason or cloud error is cut, never the request id at the end of the line', () => {
    const long = `AccessDenied ${'x'.repeat(2_000)}`;
    const lines = [
      occurrenceOf({ kind: 'break-glass', state: state('active', { request: { reason: long } }) }),
      occurrenceOf({ kind: 'failed', state: state('active'), detail: long }),
      occurrenceOf({ kind: 'failed', state: state('failed', { failure: { code: 'X', message: long } }) }),
    ].map((o) => o!.line);
    for (const line of lines) {
      assert.ok(line.length <= ALERT_LINE_MAX, `${line.length} characters`);
      assert.ok(line.endsWith(`… (${ID})`), line.slice(-40));
      // and the alert keeps it as it is
      const alert: AlertState = {
        workflowId: 'alert:x',
        series: 'run-1',
        setup: {} as AlertState['setup'],
        episode: newEpisode(1, '2026-12-02T09:00:00.000Z'),
        seen: [],
      };
      countOccurrence(alert, { rule: 'grant-failed', subject: 's', occurrenceId: 'o', at: '', line }, '');
      assert.ok(alert.episode.lines[0]!.endsWith(`(${ID})`));
    }
  });
});
