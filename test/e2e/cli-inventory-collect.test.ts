import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { IdentityView } from '../../domain/inventory/view';
import type { PolicyInput } from '../../domain/policy/schema';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { startStack, type Stack } from '../support/stacks/stack';
import { leastInProcess } from '../support/generators/least-cli';

/**
 * `least inventory collect` as an operator runs it: the CLI starts the collect workflow on the dev
 * server, a worker wired as in production collects the moto account through the broker role, and
 * `least inventory show` then reads the new snapshot from PostgreSQL.
 */

let stack: Stack;
let stopWorker: () => Promise<void>;
const saved = { ...process.env };

const least = leastInProcess;

before(async () => {
  let written: PolicyInput | undefined;
  stack = await startStack('dev', {
    policy: (input) => {
      const [system] = input.authorizationSystems;
      if (system?.cloud === 'aws') system.inventory = { accessAdvisor: false };
      written = structuredClone(input);
    },
  });
  ({ stop: stopWorker } = await stack.startWorker());
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'least-collect-')), 'policy.yaml');
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

describe('least inventory collect', () => {
  it('collects the account through the worker, prints where it stands and a summary', async () => {
    const run = await least('inventory', 'collect', '--system', 'aws-prod');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^aws-prod: collecting as workflow collect-aws-prod-\S+$/m);
    const summary = /^aws-prod: done, run (\S+) is current — (.*)$/m.exec(run.out);
    assert.ok(summary, run.out);
    assert.match(summary[2]!, /\b\d+ identities\b/);
    assert.equal((await stack.store.inventory.currentRun('aws-prod'))?.runId, summary[1]);
  });

  it("then shows a role's granted actions from that snapshot", async () => {
    const run = await least('inventory', 'show', APP_ROLE, '--system', 'aws-prod', '--json');
    assert.equal(run.code, 0, run.out);
    const view = JSON.parse(run.out) as IdentityView;
    assert.equal(view.identity.id, `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`);
    // its inline `baseline-logs` policy; no usage source is configured, so nothing is known of its use
    const puts = view.granted.find((action) => action.action === 'logs:PutLogEvents');
    assert.ok(puts, JSON.stringify(view.granted));
    assert.equal(puts.verdict ?? 'unknown', 'unknown');
    assert.deepEqual(
      view.paths.map((p) => [p.kind, p.via]),
      [['inline-policy', 'baseline-logs']],
    );
  });

  it('refuses a system the policy does not name, exit 1', async () => {
    const run = await least('inventory', 'collect', '--system', 'unknown');
    assert.equal(run.code, 1);
    assert.match(run.out, /^error: no authorization system "unknown" in the policy file$/m);
  });
});
