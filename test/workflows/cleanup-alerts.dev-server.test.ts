import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { alertWorkflowId } from '../../domain/alert/model';
import type { CleanupRunState } from '../../domain/cleanup/run';
import type { GrantPath, Identity } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import {
  awsPolicyDocument,
  createRole,
  inlinePolicyDocument,
  putInlinePolicy,
  startCleanupRun,
} from '../support/checks/cleanup-run';
import { waitUntil } from '../support/checks/assertions';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn, writeSnapshot } from '../support/checks/findings-snapshot';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import type { FakeSlackMessage } from '../support/fakes/fake-slack';
import { startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';
import { ADMIN, LEAD2, REQUESTER } from '../support/stacks/stack';

/**
 * The cleanup's rule alert (issue 14, item 3) from its real trigger, on the Temporal dev server,
 * PostgreSQL, moto and the Slack fake under the real WebClient: an enforce-mode run with a two-second
 * notice narrows Ada's `billing-data` inline policy in moto; Ada restores it through the cleanup client
 * every front end uses, and the medium channel is told who put back what, from which run, and why (the
 * reason she typed stays text).
 */

const ALERTS = 'CALERTCLN1';
const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();

const ROLE = 'billing-api';
const POLICY_NAME = 'billing-data';
const DOCUMENT = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::billing-data/*',
    },
  ],
};
const REASON = 'quarter-end <!channel> replay <https://evil.example|OPS-9>';

let slack: SlackStack;
let runId = '';
let removed: CleanupRunState;

function withCleanupAndAlerts(input: PolicyInput): void {
  const system = input.authorizationSystems[0] as Record<string, unknown>;
  system.owners = { users: [LEAD2] };
  system.cleanup = {
    mode: 'enforce',
    notice: '2s',
    owners: { mapping: { [ROLE]: REQUESTER }, channel: { platform: 'log', channel: 'cleanup' } },
  };
  input.alerts = { channels: { medium: [{ platform: 'slack', channel: ALERTS }] } };
}

before(async () => {
  slack = await startSlackStack('dev', { policy: withCleanupAndAlerts });
  const { stack } = slack;
  const catalogue = await loadAwsCatalogue();
  await createRole(stack.aws.iam, ROLE);
  await putInlinePolicy(stack.aws.iam, ROLE, POLICY_NAME, DOCUMENT);
  const who: Identity = {
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, ROLE, 'aws-iam-role', 'workload'),
    createdAt: iso(400),
    lastActivityAt: iso(2),
  };
  const doc = awsPolicyDocument(catalogue, `${ROLE}/${POLICY_NAME}`, DOCUMENT);
  const path: GrantPath = grantPath(who, doc.document.id, {
    kind: 'inline-policy',
    via: POLICY_NAME,
    scope: ACCOUNT_ID,
  });
  const snapshot = (runKey: string, window: { from: string; to: string }) => ({
    runId: runKey,
    systemId: SYSTEM_ID,
    window,
    identities: [who],
    documents: [doc],
    paths: [path],
    usage: [usedOn(who, 's3:GetObject', iso(3).slice(0, 10))],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  });
  // the same grant a month earlier too: past the grace period
  await writeSnapshot(stack.store, snapshot('cleanup-alerts-old', { from: iso(120), to: iso(30) }));
  await writeSnapshot(stack.store, snapshot('cleanup-alerts-now', { from: iso(90), to: iso(0) }));
  await slack.startWorker();
  runId = await startCleanupRun(stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
  removed = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
});

after(async () => {
  await slack?.close();
});

describe('a cleanup restore is alerted', { timeout: 180_000 }, () => {
  it('tells the medium channel who restored which change of which run, and why', async () => {
    const item = removed.items.find((i) => i.change === 'narrow-policy' && i.identities.includes(ROLE));
    assert.ok(item, JSON.stringify(removed.items));
    assert.equal(item.outcome, 'removed');
    assert.equal(slack.fake.messagesIn(ALERTS).length, 0, 'the removal itself alerts nobody');

    const outcome = await slack.stack.cleanup.restore({ runId, item: item.itemId, reason: REASON }, REQUESTER);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.deepEqual(
      outcome.result.items.map((i) => [i.itemId, i.status]),
      [[item.itemId, 'restored']],
    );
    assert.deepEqual(await inlinePolicyDocument(slack.stack.aws.iam, ROLE, POLICY_NAME), DOCUMENT);

    let posted: FakeSlackMessage | undefined;
    await waitUntil(
      () => {
        posted = slack.fake.messagesIn(ALERTS).find((m) => textOf(m.blocks).includes('Cleanup change restored'));
        return posted !== undefined;
      },
      `the restore is posted in ${ALERTS}`,
      30_000,
    );
    const words = textOf(posted!.blocks);
    assert.match(words, /Medium · Cleanup change restored/);
    assert.match(words, new RegExp(SYSTEM_ID));
    const line = words.split('\n').find((l) => l.startsWith('• '));
    assert.ok(line, words);
    // who, what, which change of which run, why (before the cloud's long detail, which the line may cut)
    assert.ok(
      line.startsWith(
        `• ${REQUESTER} restored aws-inline-policy ${POLICY_NAME} (inline in ${ROLE}) (narrow-policy) from run ${runId} — quarter-end `,
      ),
      line,
    );
    assert.match(line, /OPS-9[^:]*: Put inline policy billing-data of IAM role billing-api/);
    // what she typed stays text: no broadcast and no disguised link reach the channel
    assert.ok(!words.includes('<!channel>'), words);
    assert.ok(!words.includes('<https://evil.example'), words);
    assert.equal(
      slack.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ALERTS).length,
      1,
    );
    const state = await slack.stack.env.client.workflow
      .getHandle(alertWorkflowId('cleanup-restored', SYSTEM_ID, slack.stack.taskQueue))
      .describe();
    assert.equal(state.type, 'alert');
  });
});
