import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../app/worker';
import { APPROVE_PATH_PATCH } from '../../workflows/access-request';
import { startStack } from '../support/stacks/stack';
import {
  HISTORIES,
  recordAlertLife,
  recordApproveGrantRevoke,
  recordCollection,
  recordReconciliation,
} from './record-history';

/** Committed histories must replay on today's workflow code: a determinism break fails here. */

const files = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

interface HistoryEvent {
  markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: string }[] }> };
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
}

function readHistory(file: string): { events: HistoryEvent[] } {
  return JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
}

/** Whether the run recorded the approve-path patch marker, i.e. ran the code from after that change. */
function hasApprovePathPatch(file: string): boolean {
  return readHistory(file).events.some((event) =>
    Object.values(event.markerRecordedEventAttributes?.details ?? {}).some((detail) =>
      detail.payloads?.some((payload) =>
        Buffer.from(payload.data ?? '', 'base64')
          .toString()
          .includes(APPROVE_PATH_PATCH),
      ),
    ),
  );
}

describe('replay of committed workflow histories', () => {
  before(async () => {
    if (process.env.LEAST_RECORD_HISTORY !== '1') return;
    // a Slack channel for high alerts: there is no poster here, so the alert records why it was not posted
    const stack = await startStack('time-skipping', {
      policy: (input) => {
        input.alerts = { channels: { high: [{ platform: 'slack', channel: 'CREPLAY001' }] } };
        // a collection of the account's identities and grants (no CloudTrail or Access Advisor here)
        (input.authorizationSystems[0] as Record<string, unknown>).inventory = { accessAdvisor: false };
      },
    });
    const { stop } = await stack.startWorker();
    const day = new Date().toISOString().slice(0, 10);
    try {
      await recordApproveGrantRevoke(stack, `approve-grant-revoke-${day}.json`);
      await recordAlertLife(stack, `alert-life-${day}.json`);
      await recordCollection(stack, `collection-${day}.json`);
      await recordReconciliation(stack, `reconciliation-${day}.json`);
    } finally {
      await stop();
      await stack.close();
    }
  });

  it('has a committed history of the access request, an alert, a collection and a reconciliation', () => {
    // read now, not at load: a recording run (LEAST_RECORD_HISTORY=1) has just written them
    const committed = readdirSync(HISTORIES);
    for (const shape of ['approve-grant-revoke-', 'alert-life-', 'collection-', 'reconciliation-'])
      assert.ok(
        committed.some((f) => f.startsWith(shape)),
        `no ${shape}… history: record one with LEAST_RECORD_HISTORY=1`,
      );
  });

  it('has at least one committed history', () => {
    assert.ok(
      readdirSync(HISTORIES).some((f) => f.endsWith('.json')),
      'record one with LEAST_RECORD_HISTORY=1',
    );
  });

  it('covers runs started before the approve-path patch and after it', () => {
    const requests = files.filter((f) => f.startsWith('approve-grant-revoke-'));
    const patched = requests.filter(hasApprovePathPatch);
    assert.ok(patched.length > 0, `no committed history has the ${APPROVE_PATH_PATCH} marker`);
    assert.ok(patched.length < requests.length, 'no committed history from before the patch');
  });

  it('fails with a determinism error on a history this code could not have made', async () => {
    const file = files.find(hasApprovePathPatch)!;
    const history = readHistory(file);
    const grant = history.events.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'grantLease',
    );
    assert.ok(grant, `${file} schedules grantLease`);
    grant.activityTaskScheduledEventAttributes!.activityType!.name = 'applyGrant';
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, 'replay-broken'),
      DeterminismViolationError,
    );
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, `replay-${file}`);
    });
  }
});
