import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { createAwsProvider, type AwsProviderOptions } from '../../activities/cloud/aws';
import type { CloudProvider } from '../../activities/cloud/provider';
import { alertWorkflowId } from '../../domain/alert/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { PolicyInput } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { endUpdate } from '../../workflows/messages';
import { WorkflowUpdateStage } from '@temporalio/client';
import { APP_ROLE } from '../support/fakes/aws-fixtures';
import type { FakeSlackMessage } from '../support/fakes/fake-slack';
import { LEAD, LEAD2, REQUESTER, STRANGER, submitRequest } from '../support/stacks/stack';
import { buttonsIn, startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';
import { ALERT_ACK_ACTION } from '../../bot/render/alert';

/**
 * The access workflow's other rule alerts in Slack, each from its real trigger on real components
 * (Temporal dev server, PostgreSQL, moto through the real AWS SDK, the Slack fake under the real
 * WebClient): a high-risk entitlement granted after its two approvals, a revocation the cloud refuses
 * (the grant still live), and a grant the cloud cannot make. Each is one message in the channel the
 * policy names for its severity, saying who, what and why.
 */

const CRITICAL = 'CALERTCRIT';
const HIGH = 'CALERTHIGH';
const MEDIUM = 'CALERTMED1';
const ONCALL = 'oncall@example.com';
/** A role the policy maps a person to, deleted from the account since. */
const DELETED_ROLE = 'refunds-operator-deleted';

function withAlerts(input: PolicyInput): void {
  input.alerts = {
    channels: {
      critical: [{ platform: 'slack', channel: CRITICAL }],
      high: [{ platform: 'slack', channel: HIGH }],
      medium: [{ platform: 'slack', channel: MEDIUM }],
    },
  };
  // Mallory's role was deleted from the account after the policy was written: AWS refuses the grant.
  input.principals = { ...input.principals, [STRANGER]: { 'aws-prod': { awsIamRole: DELETED_ROLE } } };
  input.entitlements.push({
    id: 'refund-tool',
    title: 'Run the refund tool',
    system: 'aws-prod',
    grant: {
      kind: 'aws-iam-inline-policy',
      statements: [
        { actions: ['lambda:InvokeFunction'], resources: ['arn:aws:lambda:us-east-1:123456789012:function:refund'] },
      ],
    },
    requesters: { everyone: true },
    approvers: { users: [LEAD] },
    autoApprove: { requesters: { everyone: true }, maxDuration: '1h' },
  });
}

/**
 * The production AWS provider on moto, except that while `refuseRevoke` is set the cloud answers every
 * revocation with AccessDenied: what a broker role that lost `iam:DeleteRolePolicy` gets.
 */
class RevokeRefusingAws implements CloudProvider {
  refuseRevoke = false;
  readonly inner: ReturnType<typeof createAwsProvider>;

  constructor(options: AwsProviderOptions) {
    this.inner = createAwsProvider(options);
  }

  resolvePrincipal: CloudProvider['resolvePrincipal'] = (...args) => this.inner.resolvePrincipal(...args);
  grant: CloudProvider['grant'] = (...args) => this.inner.grant(...args);
  extend: CloudProvider['extend'] = (...args) => this.inner.extend(...args);
  check: CloudProvider['check'] = (...args) => this.inner.check(...args);
  listObserved: CloudProvider['listObserved'] = (...args) => this.inner.listObserved(...args);
  revoke: CloudProvider['revoke'] = async (...args) => {
    if (this.refuseRevoke)
      throw new DomainError(
        ErrorCode.CloudAccessDenied,
        'AccessDenied: least-broker is not authorized to perform iam:DeleteRolePolicy',
      );
    return this.inner.revoke(...args);
  };
}

describe('rule alerts from the access workflow', { timeout: 240_000 }, () => {
  let slack: SlackStack;
  let aws: RevokeRefusingAws;

  before(async () => {
    slack = await startSlackStack('dev', {
      policy: withAlerts,
      clouds: ({ store }) => {
        aws = new RevokeRefusingAws({ polling: { firstDelayMs: 20, maxDelayMs: 200 }, claims: store.cloudClaims });
        return { aws };
      },
    });
    await slack.startWorker();
  });

  after(async () => {
    await slack?.close();
    aws?.inner.close();
  });

  async function alertIn(
    channel: string,
    predicate: (message: FakeSlackMessage) => boolean,
  ): Promise<FakeSlackMessage> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = slack.fake.messagesIn(channel).find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no such alert in ${channel}: ${JSON.stringify(slack.fake.messagesIn(channel)).slice(0, 800)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** chat.postMessage calls into a channel whose words match. */
  function postsIn(channel: string, words: RegExp): number {
    return slack.fake.calls.filter(
      (c) => c.method === 'chat.postMessage' && c.args.channel === channel && words.test(textOf(c.args.blocks)),
    ).length;
  }

  async function alertCount(rule: Parameters<typeof alertWorkflowId>[0], subject: string): Promise<number> {
    const state = await slack.stack.env.client.workflow
      .getHandle(alertWorkflowId(rule, subject, slack.stack.taskQueue))
      .query(alertStateQuery);
    return state.episode.count;
  }

  it('posts one high alert for a high-risk grant, naming the requester and both approvers', async () => {
    const id = await submitRequest(slack.stack, {
      requester: REQUESTER,
      entitlementId: 'prod-admin',
      duration: '1h',
      reason: 'rotate the KMS keys',
      ticket: 'OPS-1',
    });
    for (const approver of [LEAD, LEAD2]) {
      const decided = await slack.stack.access.decide(id, approver, 'approve');
      assert.ok(decided.ok, JSON.stringify(decided));
    }
    await slack.stack.waitForStatus(id, 'active');

    const posted = await alertIn(HIGH, (m) => textOf(m.blocks).includes('High-risk entitlement granted'));
    const words = textOf(posted.blocks);
    assert.match(words, /🟠 \*High · High-risk entitlement granted\* · `prod-admin`/);
    assert.match(
      words,
      new RegExp(
        `ada@example\\.com · Administrator in production \\(prod-admin\\) on aws-prod until \\S+, approved by lead@example\\.com, lead2@example\\.com \\(${id}\\)`,
      ),
    );
    assert.ok(
      buttonsIn(posted.blocks).some((b) => b.action_id === ALERT_ACK_ACTION),
      'the alert offers Acknowledge',
    );
    assert.equal(postsIn(HIGH, /High-risk entitlement granted/), 1);
    assert.equal(slack.fake.messagesIn(CRITICAL).length, 0, 'nothing critical happened');
    assert.equal(await alertCount('high-risk-granted', 'prod-admin'), 1);
  });

  it('posts one high alert when the cloud refuses a revocation, while the grant is still live', async () => {
    const id = await submitRequest(slack.stack, {
      requester: ONCALL,
      entitlementId: 'payments-logs',
      duration: '15m',
      reason: 'refund stuck INC-77',
    });
    await slack.stack.waitForStatus(id, 'active');
    aws.refuseRevoke = true;
    try {
      // "I'm done": the update is accepted at once, and answers only once the grant is gone (not here)
      await slack.stack.env.client.workflow
        .getHandle(id)
        .startUpdate(endUpdate, { args: [{ by: ONCALL, reason: 'done' }], waitForStage: WorkflowUpdateStage.ACCEPTED });

      const posted = await alertIn(HIGH, (m) => textOf(m.blocks).includes('Revocation retrying'));
      const words = textOf(posted.blocks);
      assert.match(words, /🟠 \*High · Revocation retrying\* · `aws-prod`/);
      assert.match(
        words,
        new RegExp(
          `oncall@example\\.com · Read payment logs \\(payments-logs\\) on aws-prod: Revocation is retrying: AccessDenied: least-broker is not authorized to perform iam:DeleteRolePolicy \\(${id}\\)`,
        ),
      );
      // the alert tells of a grant that is still there: the request is active and the policy still on the role
      const now = await slack.stack.access.status(id);
      assert.equal(now.ok && now.state.status, 'active');
      const policies = await slack.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
      assert.ok(
        (policies.PolicyNames ?? []).some((name) => name.includes(id)),
        `the lease's inline policy is still on ${APP_ROLE}: ${JSON.stringify(policies.PolicyNames)}`,
      );
      assert.equal(postsIn(HIGH, /Revocation retrying/), 1);
      assert.equal(await alertCount('revocation-retrying', 'aws-prod'), 1);
      // an ordinary grant is no high-risk grant
      assert.equal(postsIn(HIGH, /High-risk entitlement granted/), 1);
    } finally {
      aws.refuseRevoke = false;
    }
  });

  it('posts one medium alert for a grant the cloud cannot make, with why', async () => {
    const id = await submitRequest(slack.stack, {
      requester: STRANGER,
      entitlementId: 'refund-tool',
      duration: '30m',
      reason: 'INC-80 refund a customer',
    });
    const failed = await slack.stack.waitForStatus(id, 'failed');
    assert.equal(failed.failure?.code, ErrorCode.CloudPrincipalUnknown);

    const posted = await alertIn(MEDIUM, (m) => textOf(m.blocks).includes('Grant failed'));
    const words = textOf(posted.blocks);
    assert.match(words, /🟡 \*Medium · Grant failed\* · `aws-prod`/);
    assert.ok(words.includes(`mallory@example.com · Run the refund tool (refund-tool) on aws-prod: `), words);
    assert.ok(words.includes(`IAM role "${DELETED_ROLE}", which does not exist`), words);
    assert.ok(words.includes(`(${id})`), words);
    // a moment later, still the one message and the one occurrence
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(postsIn(MEDIUM, /Grant failed/), 1);
    assert.equal(await alertCount('grant-failed', 'aws-prod'), 1);
    assert.equal(slack.fake.messagesIn(MEDIUM).length, 1);
  });
});
