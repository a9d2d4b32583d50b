import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { awsSystemInput } from '../support/fakes/aws-fixtures';
import { LEAD, REQUESTER, startStack, type Stack } from '../support/stacks/stack';
import type { PolicyInput } from '../../domain/policy/schema';
import { leastInProcess as cli } from '../support/generators/least-cli';

/**
 * An operator follows a request from the CLI into Temporal's web UI: with TEMPORAL_UI_URL set, every
 * verb that prints one request ends with the link to its workflow; without it (an external Temporal),
 * no link; `--json` is unchanged.
 */

let stack: Stack;
let dir: string;
const saved = { ...process.env };

before(async () => {
  stack = await startStack('dev');
  await stack.startWorker();
  const policy: PolicyInput = {
    version: 1,
    authorizationSystems: [awsSystemInput(stack.account, stack.motoUrl)],
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: 'aws-prod',
        grant: { kind: 'aws-identity-center', permissionSetArn: stack.account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers: { users: [LEAD] },
      },
    ],
  };
  dir = mkdtempSync(path.join(os.tmpdir(), 'least-cli-link-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, YAML.stringify(policy));
  Object.assign(process.env, {
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    LEAST_POLICY_FILE: policyFile,
  });
});

after(async () => {
  process.env = saved;
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('least CLI links to the Temporal web UI', { timeout: 60_000 }, () => {
  it('prints the workflow link under a request when TEMPORAL_UI_URL is set, and none otherwise', async () => {
    delete process.env.TEMPORAL_UI_URL;
    const requested = await cli(
      'request',
      '--as',
      REQUESTER,
      '--entitlement',
      'prod-read-only',
      '--duration',
      '1h',
      '--reason',
      'follow it in the UI',
    );
    assert.equal(requested.code, 0, requested.out);
    assert.doesNotMatch(requested.out, /temporal:/, 'an external Temporal without TEMPORAL_UI_URL: no link');
    const id = /r-[a-z0-9]{10}/.exec(requested.out)?.[0];
    assert.ok(id, requested.out);

    process.env.TEMPORAL_UI_URL = 'https://temporal.example.com/';
    const shown = await cli('show', id);
    assert.equal(shown.code, 0, shown.out);
    assert.match(
      shown.out,
      new RegExp(`^temporal: https://temporal\\.example\\.com/namespaces/default/workflows/${id}$`, 'm'),
    );
    const json = await cli('show', id, '--json');
    assert.equal(JSON.parse(json.out).request.requestId, id, 'JSON output stays one parseable document');

    const denied = await cli('deny', id, '--as', LEAD, '--reason', 'not today');
    assert.equal(denied.code, 0, denied.out);
    assert.match(denied.out, new RegExp(`workflows/${id}$`, 'm'));
  });
});
