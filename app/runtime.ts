import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { createAwsProvider } from '../activities/cloud/aws';
import { FanOutNotifier, type Notifier } from '../activities/chat/notifier';
import { LogNotifier } from '../activities/chat/log-notifier';
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
  const access = new AccessClient({
    temporal,
    taskQueue: config.taskQueue,
    policy: () => policy,
    heldEntitlements: (requester) => store.heldEntitlements(requester),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    newRequestId,
  });
  return {
    policy,
    store,
    temporal,
    access,
    close: async () => {
      await connection.close();
      await store.close();
    },
  };
}

export type Core = Awaited<ReturnType<typeof connectCore>>;

/** The worker's activities and a `close` for the cloud clients' pooled connections. */
export function buildActivities(core: Pick<Core, 'store' | 'policy'>, notifiers: Notifier[] = [new LogNotifier()]) {
  const aws = createAwsProvider();
  const activities = createActivities({
    store: core.store,
    clouds: { aws },
    notifier: new FanOutNotifier(notifiers),
    policy: () => core.policy,
  });
  return { activities, close: () => aws.close() };
}

/** A first run has no policy of its own yet: run on the example, and say so loudly. */
export function withPolicyFallback(config: Config): Config {
  if (process.env.LEAST_POLICY_FILE || existsSync(config.policyFile)) return config;
  const example = 'config/policy.example.yaml';
  console.warn(JSON.stringify({ level: 'warn', msg: `${config.policyFile} not found: running on ${example}. Copy it to ${config.policyFile} and edit it for your accounts.` }));
  return { ...config, policyFile: example };
}

