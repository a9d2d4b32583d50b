import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../app/worker';
import { startStack } from '../support/stacks/stack';
import { HISTORIES, recordApproveGrantRevoke } from './record-history';

/** Committed histories must replay on today's workflow code: a determinism break fails here. */

const files = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of committed workflow histories', () => {
  before(async () => {
    if (process.env.LEAST_RECORD_HISTORY !== '1') return;
    const stack = await startStack('time-skipping');
    const { stop } = await stack.startWorker();
    try {
      await recordApproveGrantRevoke(stack, `approve-grant-revoke-${new Date().toISOString().slice(0, 10)}.json`);
    } finally {
      await stop();
      await stack.close();
    }
  });

  it('has at least one committed history', () => {
    assert.ok(
      readdirSync(HISTORIES).some((f) => f.endsWith('.json')),
      'record one with LEAST_RECORD_HISTORY=1',
    );
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, `replay-${file}`);
    });
  }
});
