import { Client, Connection } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { createActivities } from '../activities';
import { createAwsProvider, type AwsProviderOptions } from '../activities/cloud/aws';
import type { CloudProvider } from '../activities/cloud/provider';
import { createAzureProvider } from '../activities/cloud/azure';
import { createGcpProvider } from '../activities/cloud/gcp';
import { createAwsCollector } from '../activities/inventory/aws';
import { createAzureCollector } from '../activities/inventory/azure';
import { createGcpCollector } from '../activities/inventory/gcp';
import type { InventoryCollector } from '../activities/inventory/collector';
import { FanOutNotifier, type Notifier } from '../activities/chat/notifier';
import { LogNotifier } from '../activities/chat/log-notifier';
import { SlackNotifier } from '../activities/chat/slack-notifier';
import { TeamsNotifier } from '../activities/chat/teams-notifier';
import type { TeamsPoster } from '../activities/chat/teams-poster';
import { slackClientOptions } from '../bot/slack/client-options';
import { SlackDirectory } from '../bot/slack/directory';
import type { TeamsCredentials } from '../bot/teams/adapter';
import { PgStore } from '../activities/store/pg-store';
import { AccessClient, type AccessClientDeps } from '../bot/access-client';
import type { AuthorizationSystem, Policy } from '../domain/policy/schema';
import type { Cloud } from '../domain/inventory/model';
import type { Config } from './config';
import { newRequestId } from './ids';
import { loadPolicyFile } from './policy-file';
import { findingsClient, requesterFindings } from './findings';
import type { CleanupExecutor } from '../activities/cleanup/port';
import { createAwsCleanup } from '../activities/cleanup/aws';
import { createAzureCleanup } from '../activities/cleanup/azure';
import { createGcpCleanup } from '../activities/cleanup/gcp';
import type { CleanupNotifier } from '../activities/chat/cleanup-notifier';
import { FanOutCleanupNotifier } from '../activities/chat/cleanup-fan-out';
import { LogCleanupNotifier } from '../activities/chat/log-cleanup-notifier';
import { SlackCleanupNotifier } from '../activities/chat/slack-cleanup-notifier';
import { TeamsCleanupNotifier } from '../activities/chat/teams-cleanup-notifier';
import { CleanupClient } from '../bot/cleanup-client';
import { AlertClient } from '../bot/alert-client';
import type { DigestPoster } from '../activities/chat/digest-poster';
import { SlackDigestPoster } from '../activities/chat/slack-digest-poster';
import { TeamsDigestPoster } from '../activities/chat/teams-digest-poster';
import type { AlertPoster } from '../activities/chat/alert-poster';
import { SlackAlertPoster } from '../activities/chat/slack-alert-poster';
import { TeamsAlertPoster } from '../activities/chat/teams-alert-poster';
import { chartLinks } from './file-links';
import type { AccessMetrics } from '../activities/metrics';
import type { TemporalUi } from '../bot/render/alert';
import { EMBEDDED_TEMPORAL_ADDRESS, temporalConnectionOptions } from './temporal-connection';
import type { WorkflowClientInterceptor } from '@temporalio/client';

export { EMBEDDED_TEMPORAL_ADDRESS } from './temporal-connection';

export function temporalAddress(config: Config): string {
  return config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS;
}

/** Where a request's workflow opens in Temporal's web UI, when a UI is known (TEMPORAL_UI_URL or the embedded one). */
export function temporalUi(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>): TemporalUi | undefined {
  return config.temporalUiUrl ? { baseUrl: config.temporalUiUrl, namespace: config.temporalNamespace } : undefined;
}

/**
 * Store, policy and Temporal client: what every process (worker, bot, CLI) starts from. `interceptors`
 * trace the client's calls when tracing is on (app/tracing.ts).
 */
export async function connectCore(
  config: Config,
  options: { policy?: Policy; interceptors?: WorkflowClientInterceptor[] } = {},
) {
  const policy = options.policy ?? loadPolicyFile(config.policyFile);
  const store = PgStore.connect(config.databaseUrl);
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({
    connection,
    namespace: config.temporalNamespace,
    ...(options.interceptors ? { interceptors: { workflow: options.interceptors } } : {}),
  });
  const slack = config.slack ? slackClients(config.slack.botToken, config.slack.apiUrl, () => policy) : undefined;
  const access = accessClient({
    temporal,
    taskQueue: config.taskQueue,
    policy: () => policy,
    store,
    ...(slack ? { externalGroups: () => slack.directory.externalGroups() } : {}),
  });
  const findings = findingsClient({
    store,
    policy: () => policy,
    ...(slack ? { externalGroups: () => slack.directory.externalGroups() } : {}),
  });
  const cleanup = new CleanupClient({
    temporal,
    taskQueue: config.taskQueue,
    store: store.cleanup,
    policy: () => policy,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    ...(slack ? { externalGroups: () => slack.directory.externalGroups() } : {}),
  });
  const alerts = new AlertClient({
    temporal,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    ...(slack ? { externalGroups: () => slack.directory.externalGroups() } : {}),
    log: (msg, extra) => console.log(JSON.stringify({ level: 'warn', component: 'alerts', msg, ...extra })),
  });
  return {
    policy,
    store,
    temporal,
    access,
    /** Acknowledge on rule alerts, for the chat front ends. */
    alerts,
    findings,
    /** Owners' cleanup answers, diffs and restores, for the chat front ends. */
    cleanup,
    /** The requester's standing on a request's system, for approvers' cards (the notifiers and Teams' refresh). */
    requesterFindings: requesterFindings(store, () => policy),
    slack,
    teams: config.teams,
    /** Signed links to files the bot serves (reports, large digest pictures), when configured. */
    links: config.links,
    close: async () => {
      await connection.close();
      await store.close();
    },
  };
}

export type Core = Awaited<ReturnType<typeof connectCore>>;

/** The access client over the store: what it reads of held grants and requests, and where it audits. */
export function accessClient(
  deps: Pick<AccessClientDeps, 'temporal' | 'taskQueue' | 'policy'> & Partial<AccessClientDeps> & { store: PgStore },
): AccessClient {
  const { store, ...rest } = deps;
  return new AccessClient({
    heldEntitlements: (requester) => store.heldEntitlements(requester),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    newRequestId,
    findRequests: async (query) => (await store.listRequests(query)).map((record) => record.state),
    ...rest,
  });
}

/** What tests (and only tests) put in place of production parts; everything else is wired as in production. */
export interface ActivityOverrides {
  /** Providers used instead of the production ones, per cloud; their owner closes them. */
  clouds?: Partial<Record<AuthorizationSystem['cloud'], CloudProvider>>;
  /** Options for the production AWS provider (an emulator's polling pace); claims always come from the store. */
  aws?: Omit<AwsProviderOptions, 'claims'>;
  /** Notifiers used instead of `defaultNotifiers(core)`. */
  notifiers?: Notifier[];
  /** Inventory collectors used instead of the production ones, per cloud. */
  collectors?: Partial<Record<Cloud, InventoryCollector>>;
  /** Cleanup executors used instead of the production ones, per cloud (their owner closes them). */
  cleanupExecutors?: Partial<Record<Cloud, CleanupExecutor>>;
  /** Cleanup notifiers used instead of `defaultCleanupNotifiers(core)`. */
  cleanupNotifiers?: CleanupNotifier[];
  /** Digest posters used instead of `defaultDigestPosters(core)`. */
  digestPosters?: DigestPoster[];
  /** Alert posters used instead of `defaultAlertPosters(core)`. */
  alertPosters?: AlertPoster[];
}

/** What the worker's operators see of it: its metrics, and the web UI its messages link a request to. */
export interface ActivityObservability {
  /** The worker's Prometheus series (app/worker-metrics.ts); none: nothing is counted. */
  metrics?: AccessMetrics;
  /** Rule alerts about a request link to its workflow there. */
  temporalUi?: TemporalUi;
}

/** The worker's activities and a `close` for the cloud clients' pooled connections. */
export function buildActivities(
  core: Pick<Core, 'store' | 'policy' | 'slack' | 'teams'> & Partial<Pick<Core, 'links'>>,
  overrides: ActivityOverrides = {},
  observability: ActivityObservability = {},
) {
  const { metrics, temporalUi: ui } = observability;
  const closers: (() => void | Promise<void>)[] = [];
  const made = <P extends { close(): void | Promise<void> }>(provider: P): P => {
    closers.push(() => provider.close());
    return provider;
  };
  const { store } = core;
  // Azure and GCP credentials are looked up on first use (environment, workload or managed identity),
  // so a deployment with AWS only needs nothing for them.
  const clouds: Partial<Record<AuthorizationSystem['cloud'], CloudProvider>> = {
    aws:
      overrides.clouds?.aws ??
      made(
        createAwsProvider({
          ...overrides.aws,
          // Identity Center assignments Least made are told from identical ones made outside it by these.
          claims: store.cloudClaims,
        }),
      ),
    azure: overrides.clouds?.azure ?? made(createAzureProvider()),
    gcp: overrides.clouds?.gcp ?? made(createGcpProvider()),
  };
  // Like the providers, the Azure and GCP collectors find their credentials on first use.
  const collectors: Record<Cloud, InventoryCollector> = {
    aws: overrides.collectors?.aws ?? made(createAwsCollector()),
    azure: overrides.collectors?.azure ?? made(createAzureCollector()),
    gcp: overrides.collectors?.gcp ?? made(createGcpCollector()),
  };
  // Cleanup changes the clouds through its own executors (snapshot, apply, verify, restore), in broker
  // sessions named for cleanup, with credentials found on first use like the providers'.
  const executors: Record<Cloud, CleanupExecutor> = {
    aws: overrides.cleanupExecutors?.aws ?? made(createAwsCleanup()),
    azure: overrides.cleanupExecutors?.azure ?? made(createAzureCleanup()),
    gcp: overrides.cleanupExecutors?.gcp ?? made(createGcpCleanup()),
  };
  const cleanupNotifier = new FanOutCleanupNotifier(overrides.cleanupNotifiers ?? defaultCleanupNotifiers(core));
  const activities = createActivities({
    store,
    clouds,
    notifier: new FanOutNotifier(overrides.notifiers ?? defaultNotifiers(core)),
    policy: () => core.policy,
    inventory: { store: store.inventory, collectors },
    findings: { inventory: store.inventory, findings: store.findings },
    permissionSets: store.inventory,
    cleanup: {
      cleanup: store.cleanup,
      inventory: store.inventory,
      reads: store.cleanupReads,
      executors,
      notifier: cleanupNotifier,
      denials: store.cleanupDenials,
    },
    digest: { store: store.digests, posters: overrides.digestPosters ?? defaultDigestPosters(core) },
    alerts: { posters: overrides.alertPosters ?? defaultAlertPosters(core, ui), facts: store.alertFacts },
    anomalies: store.anomalies,
    ...(metrics ? { metrics } : {}),
  });
  return {
    activities,
    close: async () => {
      for (const close of closers) await close();
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
        requesterFindings: requesterFindings(core.store, () => core.policy),
      }),
    );
  }
  if (core.teams) {
    notifiers.push(
      new TeamsNotifier({
        poster: teamsPoster(core.teams),
        store: core.store,
        policy: () => core.policy,
        requesterFindings: requesterFindings(core.store, () => core.policy),
      }),
    );
  }
  return notifiers;
}

/** The log always; Slack and Teams when they are configured (owners are reached where they are). */
export function defaultCleanupNotifiers(core: Pick<Core, 'store' | 'slack' | 'teams'>): CleanupNotifier[] {
  const notifiers: CleanupNotifier[] = [new LogCleanupNotifier()];
  if (core.slack)
    notifiers.push(
      new SlackCleanupNotifier({
        client: core.slack.client,
        people: core.slack.directory,
        messages: core.store.cleanupMessages,
      }),
    );
  if (core.teams)
    notifiers.push(
      new TeamsCleanupNotifier({
        poster: teamsPoster(core.teams),
        conversations: core.store,
        messages: core.store.cleanupMessages,
      }),
    );
  return notifiers;
}

/** Slack and Teams where they are configured: a digest for a platform without a poster is undelivered (and says so). */
export function defaultDigestPosters(
  core: Pick<Core, 'store' | 'slack' | 'teams'> & Partial<Pick<Core, 'links'>>,
): DigestPoster[] {
  const posters: DigestPoster[] = [];
  if (core.slack) posters.push(new SlackDigestPoster({ client: core.slack.client }));
  if (core.teams)
    posters.push(
      new TeamsDigestPoster({
        poster: teamsPoster(core.teams),
        conversations: core.store,
        ...(core.links ? { links: chartLinks(core.store.sharedFiles, core.links) } : {}),
      }),
    );
  return posters;
}

/** Slack and Teams where they are configured: an alert for a platform without a poster is undelivered there. */
export function defaultAlertPosters(core: Pick<Core, 'store' | 'slack' | 'teams'>, ui?: TemporalUi): AlertPoster[] {
  const posters: AlertPoster[] = [];
  if (core.slack) posters.push(new SlackAlertPoster({ client: core.slack.client, ...(ui ? { ui } : {}) }));
  if (core.teams)
    posters.push(
      new TeamsAlertPoster({
        poster: teamsPoster(core.teams),
        conversations: core.store,
        ...(ui ? { ui } : {}),
      }),
    );
  return posters;
}

/** One Web API client and directory per process, shared by the bot, the access client and the notifier. */
export function slackClients(botToken: string, apiUrl: string | undefined, policy: () => Policy) {
  const client = new WebClient(botToken, slackClientOptions(apiUrl));
  return { client, directory: new SlackDirectory({ client, policy }) };
}

/**
 * A worker's Teams poster. The Agents SDK and its adapter load with the first message posted, not with
 * the worker: a worker without Teams, or with Teams but nothing to post yet, never pays for them.
 */
export function teamsPoster(credentials: TeamsCredentials): TeamsPoster {
  let made: Promise<TeamsPoster> | undefined;
  // a failed load is not kept: the next post tries again
  const poster = (): Promise<TeamsPoster> =>
    (made ??= Promise.all([import('../bot/teams/adapter'), import('../activities/chat/teams-poster')])
      .then(([{ teamsAdapter }, { AdapterTeamsPoster }]) => new AdapterTeamsPoster(teamsAdapter(credentials)))
      .catch((error: unknown) => {
        made = undefined;
        throw error;
      }));
  return {
    post: async (reference, activity) => (await poster()).post(reference, activity),
    update: async (reference, activityId, activity) => (await poster()).update(reference, activityId, activity),
  };
}
