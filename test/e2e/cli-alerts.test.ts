import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { createAlertActivities } from '../../activities/alert';
import { alertWorkflowId } from '../../domain/alert/model';
import type { PolicyInput } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { leastInProcess as least } from '../support/generators/least-cli';
import { ADMIN, STRANGER, startStack, type Stack } from '../support/stacks/stack';

/**
 * `least alerts` and `least alerts ack` as an operator runs them, on the real stack: an alert raised
 * into its workflow on the dev server is listed with its count; a stranger's acknowledgement is refused
 * (exit 1, audited) and an admin's is recorded, as the chat button would.
 */

const saved = { ...process.env };
let stack: Stack;
let stopWorker: (() => Promise<void>) | undefined;

before(async () => {
  let written: PolicyInput | undefined;
  stack = await startStack('dev', {
    policy: (input) => {
      // a log-only channel is enough: the CLI reads the alert from its workflow
      input.alerts = { channels: { high: [{ platform: 'slack', channel: 'CALERTCLI1' }] } };
      written = structuredClone(input);
    },
  });
  ({ stop: stopWorker } = await stack.startWorker());
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'least-alerts-')), 'policy.yaml');
  writeFileSync(file, YAML.stringify(written));
  Object.assign(process.env, {
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    LEAST_POLICY_FILE: file,
  });
});

after(async () => {
  process.env = saved;
  await stopWorker?.();
  await stack?.close();
});

describe('least alerts', { timeout: 120_000 }, () => {
  it('lists an open alert with its count, refuses a stranger and records the admin who acknowledges it', async () => {
    const raiser = createAlertActivities({
      policy: () => stack.policy,
      posters: [],
      temporal: () => ({ client: stack.env.client, taskQueue: stack.taskQueue }),
    });
    await raiser.raiseAlerts(
      [1, 2, 3].map((i) => ({
        rule: 'out-of-band-grant' as const,
        subject: 'aws-prod',
        occurrenceId: `cli-${i}`,
        at: new Date().toISOString(),
        line: `grant ${i} made outside Least`,
      })),
    );
    const workflowId = alertWorkflowId('out-of-band-grant', 'aws-prod', stack.taskQueue);
    const deadline = Date.now() + 20_000;
    while ((await stack.env.client.workflow.getHandle(workflowId).query(alertStateQuery)).episode.count < 3) {
      if (Date.now() > deadline) throw new Error('the alert never counted three');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // visibility catches up with a new workflow within a moment
    let listed = await least('alerts');
    for (let i = 0; i < 50 && !listed.out.includes(workflowId); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      listed = await least('alerts');
    }
    assert.equal(listed.code, 0, listed.out);
    assert.match(listed.out, /1 open alert:/);
    assert.match(
      listed.out,
      new RegExp(`${workflowId}\\s+high\\s+Grant made outside Least · aws-prod\\s+×3\\s+not acknowledged`),
    );

    const refused = await least('alerts', 'ack', workflowId, '--as', STRANGER);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /refused: You may not acknowledge alerts/);

    const done = await least('alerts', 'ack', workflowId, '--as', ADMIN, '--json');
    assert.equal(done.code, 0, done.out);
    const answer = JSON.parse(done.out) as { ok: boolean; episode: { acknowledged: { by: string; via: string } } };
    assert.deepEqual(
      [answer.ok, answer.episode.acknowledged.by, answer.episode.acknowledged.via],
      [true, ADMIN, 'cli'],
    );

    const rows = await stack.db.pool.query<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_log WHERE action LIKE 'alert.acknowledge%' ORDER BY seq`,
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.action, r.actor]),
      [
        ['alert.acknowledge_refused', STRANGER],
        ['alert.acknowledged', ADMIN],
      ],
    );
    const usage = await least('alerts', 'ack', 'not-an-alert', '--as', ADMIN);
    assert.equal(usage.code, 2);
  });
});
