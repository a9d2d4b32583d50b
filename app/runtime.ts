import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { createActivities } from '../activities';
import { createAwsProvider } from '../activities/cloud/aws';
import { createAzureProvider } from '../activities/cloud/azure';
import { createGcpProvider } from '../activities/cloud/gcp';
import { FanOutNotifier, type Notifier } from '../activities/chat/notifier';
import { LogNotifier } from '../activities/chat/log-notifier';
import { SlackNotifier } from '../activities/chat/slack-notifier';
import { TeamsNotifier } from '../activities/chat/teams-notifier';
import { AdapterTeamsPoster } from '../activities/chat/teams-poster';
import { slackClientOptions } from '../bot/slack/app';
import { SlackDirectory } from '../bot/slack/directory';
import { teamsAdapter } from '../bot/teams/app';
import { PgStore } from '../activities/store/pg-store';
import { AccessClient } from '../bot/access-client';
import type { Policy } from '../domain/policy/schema';
import type { Config } from './config';
import { newRequestId } from './ids';
import { loadPolicyFile } from './policy-file';

/** The address the embedded dev server listens on, and where the CLI looks when none is configured. */
export const EMBEDDED_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function temporalAddress(config: Config): string {
  return config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS;
}

/** Store, policy and Temporal client: what every process (worker, bot, CLI) starts from. */
export async function connectCore(config: Config, options: { policy?: Policy } = {}) {
  const policy = options.policy ?? loadPolicyFile(config.policyFile);
  const store = PgStore.connect(config.databaseUrl);
  const connection = await Connection.connect({ address: temporalAddress(config) });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const slack = config.slack ? slackClients(config.slack.botToken, config.slack.apiUrl, () => policy) : undefined;
  const access = new AccessClient({
    temporal,
    taskQueue: config.taskQueue,
    policy: () => policy,
    heldEntitlements: (requester) => store.heldEntitlements(requester),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    newRequestId,
    findRequests: async (query) => (await store.listRequests(query)).map((record) => record.state),
    ...(slack ? { externalGroups: () => slack.directory.externalGroups() } : {}),
  });
  return {
    policy,
    store,
    temporal,
    access,
    slack,
    teams: config.teams,
    close: async () => {
      await connection.close();
      await store.close();
    },
  };
}

export type Core = Awaited<ReturnType<typeof connectCore>>;

/** The worker's activities and a `close` for the cloud clients' pooled connections. */
export function buildActivities(
  core: Pick<Core, 'store' | 'policy' | 'slack' | 'teams'>,
  notifiers: Notifier[] = defaultNotifiers(core),
) {
  const aws = createAwsProvider();
  // Azure and GCP credentials are looked up on first use (environment, workload or managed identity),
  // so a deployment with AWS only needs nothing for them.
  const azure = createAzureProvider();
  const gcp = createGcpProvider();
  const activities = createActivities({
    store: core.store,
    clouds: { aws, azure, gcp },
    notifier: new FanOutNotifier(notifiers),
    policy: () => core.policy,
  });
  return {
    activities,
    close: async () => {
      aws.close();
      azure.close();
      await gcp.close();
    },
  };
}

/** The log always; Slack and Teams when they are configured. */
export function defaultNotifiers(core: Pick<Core, 'store' | 'policy' | 'slack' | 'teams'>): Notifier[] {
  const notifiers: Notifier[] = [new LogNotifier()];
  if (core.slack) {
    notifiers.push(
      new SlackNotifier({
        client: core.slack.client,
        store: core.store,
        people: core.slack.directory,
        policy: () => core.policy,
      }),
    );
  }
  if (core.teams) {
    notifiers.push(
      new TeamsNotifier({
        poster: new AdapterTeamsPoster(teamsAdapter(core.teams)),
        store: core.store,
        policy: () => core.policy,
      }),
    );
  }
  return notifiers;
}

/** One Web API client and directory per process, shared by the bot, the access client and the notifier. */
export function slackClients(botToken: string, apiUrl: string | undefined, policy: () => Policy) {
  const client = new WebClient(botToken, slackClientOptions(apiUrl));
  return { client, directory: new SlackDirectory({ client, policy }) };
}

/** A first run has no policy of its own yet: run on the example, and say so loudly. */
export function withPolicyFallback(config: Config): Config {
  if (process.env.LEAST_POLICY_FILE || existsSync(config.policyFile)) return config;
  const example = 'config/policy.example.yaml';
  console.warn(
    JSON.stringify({
      level: 'warn',
      msg: `${config.policyFile} not found: running on ${example}. Copy it to ${config.policyFile} and edit it for your accounts.`,
    }),
  );
  return { ...config, policyFile: example };
}
