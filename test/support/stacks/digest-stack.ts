import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WebClient } from '@slack/web-api';
import { SlackDigestPoster } from '../../../activities/chat/slack-digest-poster';
import { TeamsDigestPoster } from '../../../activities/chat/teams-digest-poster';
import { SlackAlertPoster } from '../../../activities/chat/slack-alert-poster';
import { TeamsAlertPoster } from '../../../activities/chat/teams-alert-poster';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import type { PgStore } from '../../../activities/store/pg-store';
import { buildActivities } from '../../../app/runtime';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { policySchema, type Policy, type PolicyInput } from '../../../domain/policy/schema';
import { FAKE_BOT_TOKEN, FakeSlack } from '../fakes/fake-slack';
import { FakeTeamsConnector } from '../fakes/fake-teams';
import { channelConversation } from '../generators/teams-requests';
import { freshStore, type TestDatabase } from '../launch/database';
import { testServices } from '../launch/services';
import { workflowBundle } from './stack';

/**
 * What a digest needs, on real components: Temporal (dev server or time-skipping), a fresh
 * PostgreSQL, the worker's activities as app/runtime.ts builds them with the Slack and Teams digest
 * posters pointed at the local fakes (the real WebClient, the real Agents SDK adapter), and Least
 * already added to the Teams channel. No cloud is touched, so there is no moto here.
 */

export const SLACK_CHANNEL = 'CDIGEST001';
export const TEAMS_CHANNEL = '19:digests0123@thread.tacv2';
/** The project's root, where the worker process runs. */
const ROOT = path.resolve(__dirname, '../../..');
const BOT = { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' };

export interface DigestStack {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  store: PgStore;
  slack: FakeSlack;
  teams: FakeTeamsConnector;
  policy: Policy;
  taskQueue: string;
  /** Starts a worker; `store` replaces the store the activities use (to inject a fault). */
  startWorker(options?: { store?: PgStore }): Promise<{ stop(): Promise<void> }>;
  /** Starts another worker in a process of its own (one worker per task queue fits in a process). */
  startWorkerProcess(): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

export function digestPolicy(digests: NonNullable<PolicyInput['digests']>): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: 'aws-prod',
        cloud: 'aws',
        accountId: '123456789012',
        brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
      },
      { id: 'gcp-finance', cloud: 'gcp', projectId: 'finance-prod-1' },
    ],
    entitlements: [
      {
        id: 'prod-db-readonly',
        title: 'Production database read-only',
        system: 'aws-prod',
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['rds:Describe*'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
    digests,
  } satisfies PolicyInput);
}

export async function startDigestStack(kind: 'dev' | 'time-skipping', policy: Policy): Promise<DigestStack> {
  const services = testServices();
  // Installs the SDK's runtime (quiet logs) before any connection exists, and starts bundling.
  const bundle = workflowBundle();
  const { db, store } = await freshStore();
  const slack = await FakeSlack.start();
  const teams = await FakeTeamsConnector.start();
  const env =
    kind === 'dev'
      ? await TestWorkflowEnvironment.createFromExistingServer({ address: services.temporalAddress })
      : await timeSkipping(services.timeSkippingServer);
  const conversation = channelConversation({ teamId: TEAMS_CHANNEL });
  await store.saveTeamsConversation({
    kind: 'channel',
    conversationId: conversation.id,
    reference: {
      channelId: 'msteams',
      serviceUrl: teams.url,
      conversation: { id: conversation.id, conversationType: 'channel', tenantId: conversation.tenantId },
      agent: BOT,
    },
  });
  const taskQueue = `least-digest-${randomBytes(4).toString('hex')}`;
  const stops: (() => Promise<void>)[] = [];
  return {
    env,
    db,
    store,
    slack,
    teams,
    policy,
    taskQueue,
    async startWorker(options = {}) {
      const used = options.store ?? store;
      const built = digestStackActivities(used, policy, slack.apiUrl);
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await bundle,
        activities: built.activities,
      });
      const running = worker.run();
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await built.close();
      };
      stops.push(stop);
      return { stop };
    },
    async startWorkerProcess() {
      const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['test/support/launch/digest-worker.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: services.temporalAddress,
          TEMPORAL_TASK_QUEUE: taskQueue,
          DATABASE_URL: db.url,
          LEAST_TEST_SLACK_API_URL: slack.apiUrl,
          LEAST_TEST_POLICY_JSON: JSON.stringify(policy),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker process not ready in 90 s:\n${output}`)), 90_000);
        const read = (chunk: Buffer): void => {
          output += chunk.toString('utf8');
          if (/^ready$/m.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', read);
        child.stderr!.on('data', read);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`worker process exited (${code}):\n${output}`));
        });
      });
      const stop = async (): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      };
      stops.push(stop);
      return { stop };
    },
    async close() {
      for (const stop of stops) await stop().catch(() => undefined);
      await env.teardown();
      await slack.stop();
      await teams.stop();
      await db.drop();
    },
  };
}

/** The SDK gives the server 5 s to start; on a cold machine retry the start, not the test. */
async function timeSkipping(path: string): Promise<TestWorkflowEnvironment> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The store, with `appendAudit` failing once for the given action: a worker lost right after posting. */
export function auditFailingOnce(store: PgStore, action: string): PgStore {
  let failed = false;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendAudit')
        return async (entry: { action: string }, at?: string) => {
          if (!failed && entry.action === action) {
            failed = true;
            throw new Error('connection to PostgreSQL lost (injected)');
          }
          return target.appendAudit(entry as never, at);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The worker's activities as app/runtime.ts builds them, with the Slack and Teams digest and alert
 * posters pointed at the local fakes (the real WebClient, the real Agents SDK adapter). Shared by the
 * stack's worker and the worker in a process of its own (test/support/launch/digest-worker.ts).
 */
export function digestStackActivities(store: PgStore, policy: Policy, slackApiUrl: string) {
  // The WebClient's own retries would wait in real time; Temporal's activity retries are what count here.
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(slackApiUrl), retryConfig: { retries: 0 } });
  const teams = (): AdapterTeamsPoster => new AdapterTeamsPoster(teamsAdapter({}));
  return buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    {
      digestPosters: [
        new SlackDigestPoster({ client }),
        new TeamsDigestPoster({ poster: teams(), conversations: store }),
      ],
      alertPosters: [new SlackAlertPoster({ client }), new TeamsAlertPoster({ poster: teams(), conversations: store })],
    },
  );
}
