import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID, awsSystemInput } from '../support/fakes/aws-fixtures';
import { LEAD, REQUESTER, STRANGER, startStack, type Stack } from '../support/stacks/stack';
import type { PolicyInput } from '../../domain/policy/schema';
import { leastInProcess } from '../support/generators/least-cli';

/**
 * The admin CLI end to end, as an operator runs it: a policy file on disk, env config, real
 * Temporal (time-skipping), PostgreSQL and moto. request → approve → assignment in moto → expiry →
 * gone from moto → the audit chain verifies.
 */

let stack: Stack;
let stopWorker: () => Promise<void>;
const saved = { ...process.env };

const cli = leastInProcess;

async function assignments(): Promise<string[]> {
  const listed = await stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: stack.account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => a.PrincipalId!);
}

before(async () => {
  stack = await startStack('time-skipping');
  ({ stop: stopWorker } = await stack.startWorker());
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
        limits: { maxDuration: '4h' },
      },
    ],
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-cli-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, YAML.stringify(policy));
  Object.assign(process.env, {
    DATABASE_URL: stack.db.url,
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    LEAST_POLICY_FILE: policyFile,
  });
});

after(async () => {
  process.env = saved;
  await stopWorker?.();
  await stack?.close();
});

/** The requester asks through the CLI (as JSON); the request waits for a decision. */
async function requestPending(duration: string, reason: string): Promise<string> {
  const requested = await cli(
    'request',
    '--as',
    REQUESTER,
    '--entitlement',
    'prod-read-only',
    '--duration',
    duration,
    '--reason',
    reason,
    '--json',
  );
  assert.equal(requested.code, 0, requested.out);
  const id = JSON.parse(requested.out).request.requestId as string;
  await stack.waitForStatus(id, 'pending');
  return id;
}

describe('least CLI', () => {
  it('validates the policy file it runs with', async () => {
    const { code, out } = await cli('validate');
    assert.equal(code, 0, out);
    assert.match(out, /valid \(1 authorization systems, 1 entitlements\)/);
  });

  it('request → approve → granted in AWS → expiry → revoked and gone → audit verifies', async () => {
    const id = await requestPending('2h', 'rotate keys');

    const refused = await cli('approve', id, '--as', STRANGER);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /refused \(APPROVAL\.NOT_AUTHORIZED\)/);

    const approved = await cli('approve', id, '--as', LEAD);
    assert.equal(approved.code, 0, approved.out);
    await stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignments(), [stack.account.ada.userId]);
    const shown = await cli('show', id);
    assert.match(shown.out, /request {3}r-\w+ \(active\)/);
    assert.match(shown.out, /access portal/i);

    await stack.env.sleep('2h');
    await stack.waitForStatus(id, 'revoked');
    assert.deepEqual(await assignments(), []);

    const listed = await cli('list', '--as', REQUESTER);
    assert.match(listed.out, new RegExp(`${id}\\s+revoked\\s+prod-read-only`));
    const audit = await cli('verify-audit');
    assert.equal(audit.code, 0, audit.out);
    assert.match(audit.out, /audit log intact: \d+ rows verified/);
  });

  it('show says who approved a grant ended early, with the reason chat records for "done"', async () => {
    const id = await requestPending('1h', 'check a deploy');
    const waiting = await cli('approvals', '--as', LEAD);
    assert.match(waiting.out, new RegExp(`${id}\\s+pending\\s+prod-read-only`));
    const pending = await cli('show', id);
    assert.match(pending.out, /approval {2}waiting: 0 of 1 approvals/);

    assert.equal((await cli('approve', id, '--as', LEAD)).code, 0);
    await stack.waitForStatus(id, 'active');
    const done = await cli('done', id, '--as', REQUESTER);
    assert.equal(done.code, 0, done.out);
    await stack.waitForStatus(id, 'revoked');
    assert.deepEqual(await assignments(), []);

    const shown = await cli('show', id);
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, new RegExp(`approval {2}approved by ${LEAD.replace('.', '\\.')} at \\d{4}-`));
    assert.doesNotMatch(shown.out, /needs-approval/);
    // The words Slack's and Teams' "I'm done" record (their renderer tests show the same).
    assert.match(shown.out, /revoked {3}ended early by the holder; verified: /);
  });

  it('runs the reconciliation sweep now and prints its report', async () => {
    const { code, out } = await cli('reconcile', '--json');
    assert.equal(code, 0, out);
    const report = JSON.parse(out) as { removed: unknown[]; outOfBand: unknown[]; errors: unknown[] };
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.removed, []);
  });

  it('refuses bad input with a clear message, grants nothing, and audits it', async () => {
    const unknown = await cli(
      'request',
      '--as',
      REQUESTER,
      '--entitlement',
      'root-everything',
      '--duration',
      '1h',
      '--reason',
      'x',
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /ENTITLEMENT\.UNKNOWN.*no entitlement "root-everything"/);
    const tooLong = await cli(
      'request',
      '--as',
      REQUESTER,
      '--entitlement',
      'prod-read-only',
      '--duration',
      '99h',
      '--reason',
      'x',
    );
    assert.match(tooLong.out, /DURATION\.TOO_LONG/);
    const malformed = await cli(
      'request',
      '--as',
      REQUESTER,
      '--entitlement',
      'prod-read-only',
      '--duration',
      'forever',
      '--reason',
      'x',
    );
    assert.match(malformed.out, /DURATION\.MALFORMED/);
    const noSuch = await cli('approve', 'r-doesnotexist', '--as', LEAD);
    assert.match(noSuch.out, /REQUEST\.UNKNOWN/);
    const usage = await cli('frobnicate');
    assert.equal(usage.code, 2);
    assert.equal((await cli('request', '--bogus')).code, 2);
    assert.deepEqual(await assignments(), []);
    const refusals = (await stack.store.auditFor())
      .filter((row) => row.action === 'request.refused')
      .map((row) => row.detail.code);
    assert.deepEqual(refusals, ['ENTITLEMENT.UNKNOWN', 'DURATION.TOO_LONG', 'DURATION.MALFORMED']);
  });
});
