import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../app/worker';
import { buildWorkflowBundle } from '../../app/build-workflows';
import { APPROVE_PATH_PATCH, LEAN_LIFECYCLE_PATCH, PAIRED_STEPS_PATCH } from '../../workflows/access-request';
import { digestPolicy, startDigestStack } from '../support/stacks/digest-stack';
import { startStack } from '../support/stacks/stack';
import {
  cleanupReplayPolicy,
  HISTORIES,
  recordAlertLife,
  recordApproveGrantRevoke,
  recordCleanup,
  recordCollection,
  recordDigests,
  recordReconciliation,
  REPLAY_DIGESTS,
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

/** Whether the run recorded a patch's marker, i.e. ran the code from after that change. */
function hasPatch(file: string, patch: string): boolean {
  return readHistory(file).events.some((event) =>
    Object.values(event.markerRecordedEventAttributes?.details ?? {}).some((detail) =>
      detail.payloads?.some((payload) =>
        Buffer.from(payload.data ?? '', 'base64')
          .toString()
          .includes(patch),
      ),
    ),
  );
}

const hasApprovePathPatch = (file: string): boolean => hasPatch(file, APPROVE_PATH_PATCH);

/**
 * `LEAST_RECORD_HISTORY=1` re-records every shape before replaying; a comma list records only those named
 * (request, alert, collection, reconciliation, cleanup, digest), leaving the others' files alone.
 */
function recording(shape: string): boolean {
  const wanted = process.env.LEAST_RECORD_HISTORY?.split(',').map((s) => s.trim()) ?? [];
  return wanted.includes('1') || wanted.includes(shape);
}

describe('replay of committed workflow histories', () => {
  before(async () => {
    const day = new Date().toISOString().slice(0, 10);
    if (['request', 'alert', 'collection', 'reconciliation'].some(recording)) {
      // a Slack channel for high alerts: there is no poster here, so the alert records why it was not posted
      const stack = await startStack('time-skipping', {
        policy: (input) => {
          input.alerts = { channels: { high: [{ platform: 'slack', channel: 'CREPLAY001' }] } };
          // a collection of the account's identities and grants (no CloudTrail or Access Advisor here)
          (input.authorizationSystems[0] as Record<string, unknown>).inventory = { accessAdvisor: false };
        },
      });
      const { stop } = await stack.startWorker();
      try {
        // named after the newest patch it runs, so today's earlier shape keeps its file
        if (recording('request'))
          await recordApproveGrantRevoke(stack, `approve-grant-revoke-${day}-${PAIRED_STEPS_PATCH}.json`);
        if (recording('alert')) await recordAlertLife(stack, `alert-life-${day}.json`);
        if (recording('collection')) await recordCollection(stack, `collection-${day}.json`);
        if (recording('reconciliation')) await recordReconciliation(stack, `reconciliation-${day}.json`);
      } finally {
        await stop();
        await stack.close();
      }
    }
    // the cleanup and the digests wait in real time on the dev server (a notice of seconds, Schedules)
    if (recording('cleanup')) {
      const runs = [
        { staging: 0, files: { run: `cleanup-run-${day}.json`, restore: `cleanup-restore-${day}.json` } },
        { staging: 3, files: { run: `cleanup-staged-run-${day}.json` } },
      ];
      for (const { staging, files } of runs) {
        const stack = await startStack('dev', { policy: cleanupReplayPolicy({ stagingSeconds: staging }) });
        try {
          await stack.startWorker();
          await recordCleanup(stack, files);
        } finally {
          await stack.close();
        }
      }
    }
    if (recording('digest')) {
      const stack = await startDigestStack('dev', digestPolicy(REPLAY_DIGESTS));
      try {
        await stack.startWorker();
        const named = REPLAY_DIGESTS.map((entry) => [entry.id, `digest-${entry.platform}-${day}.json`]);
        await recordDigests(stack, Object.fromEntries(named));
      } finally {
        await stack.close();
      }
    }
  });

  it('has a committed history of every workflow: request, alert, collection, reconciliation, cleanup, digest', () => {
    // read now, not at load: a recording run (LEAST_RECORD_HISTORY=1) has just written them
    const committed = readdirSync(HISTORIES);
    for (const shape of [
      'approve-grant-revoke-',
      'alert-life-',
      'collection-',
      'reconciliation-',
      'cleanup-run-',
      'cleanup-staged-run-',
      'cleanup-restore-',
      'digest-slack-',
      'digest-teams-',
    ])
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

  it('covers runs of every request shape: before the approve-path patch, after it, lean, and paired', () => {
    // read when it runs: a recording in `before` may just have added one
    const requests = readdirSync(HISTORIES).filter((f) => f.startsWith('approve-grant-revoke-'));
    const paired = requests.filter((f) => hasPatch(f, PAIRED_STEPS_PATCH));
    const lean = requests.filter((f) => !paired.includes(f) && hasPatch(f, LEAN_LIFECYCLE_PATCH));
    const approvePath = requests.filter((f) => ![...paired, ...lean].includes(f) && hasApprovePathPatch(f));
    assert.ok(paired.length > 0, `no committed history has the ${PAIRED_STEPS_PATCH} marker`);
    assert.ok(lean.length > 0, `no committed history has the ${LEAN_LIFECYCLE_PATCH} marker without the paired one`);
    assert.ok(approvePath.length > 0, `no committed history has the ${APPROVE_PATH_PATCH} marker without the lean one`);
    const after = paired.length + lean.length + approvePath.length;
    assert.ok(after < requests.length, 'no committed history from before the patches');
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

  // the same for the cleanup's and the digest's shapes: their replays check those workflows' commands too
  for (const [shape, activity] of [
    ['cleanup-run-', 'applyCleanupItems'],
    ['cleanup-staged-run-', 'stageCleanupItems'],
    ['cleanup-restore-', 'restoreCleanupItems'],
    ['digest-', 'postDigest'],
  ] as const)
    it(`fails with a determinism error on a ${shape}… history whose ${activity} became another activity`, async () => {
      const file = files.find((f) => f.startsWith(shape));
      assert.ok(file, `no ${shape}… history`);
      const history = readHistory(file);
      const scheduled = history.events.find(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activity,
      );
      assert.ok(scheduled, `${file} schedules ${activity}`);
      scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'someOtherActivity';
      await assert.rejects(
        Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, `replay-broken-${file}`),
        DeterminismViolationError,
      );
    });

  it('replays every history from a bundle built ahead, as the image runs it (LEAST_WORKFLOW_BUNDLE)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'least-bundle-'));
    try {
      const codePath = path.join(dir, 'workflow-bundle.js');
      await buildWorkflowBundle(codePath);
      const histories = files.map((file) => ({
        workflowId: `prebuilt-${file}`,
        history: JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')),
      }));
      let replayed = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath } }, histories)) {
        assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
        replayed++;
      }
      assert.equal(replayed, files.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, `replay-${file}`);
    });
  }
});
