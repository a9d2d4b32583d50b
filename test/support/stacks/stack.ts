import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';
import {
  bundleWorkflowCode,
  Runtime,
  DefaultLogger,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { LeastActivities } from '../../../activities';
import { LogNotifier, type LogMessage } from '../../../activities/chat/log-notifier';
import { PgStore } from '../../../activities/store/pg-store';
import { AccessClient, type AccessClientDeps, type SubmitInput } from '../../../bot/access-client';
import type { Notifier } from '../../../activities/chat/notifier';
import type { CloudProvider } from '../../../activities/cloud/provider';
import type { InventoryCollector } from '../../../activities/inventory/collector';
import type { CleanupExecutor } from '../../../activities/cleanup/port';
import type { Cloud } from '../../../domain/inventory/model';
import { policySchema, type Policy, type PolicyInput } from '../../../domain/policy/schema';
import type { RequestState, RequestStatus } from '../../../domain/request';
import { WORKFLOWS_PATH } from '../../../app/worker';
import { accessClient, buildActivities } from '../../../app/runtime';
import { LogCleanupNotifier, type CleanupLogMessage } from '../../../activities/chat/log-cleanup-notifier';
import type { CleanupNotifier } from '../../../activities/chat/cleanup-notifier';
import { AlertClient } from '../../../bot/alert-client';
import type { AlertPoster } from '../../../activities/chat/alert-poster';
import type { AccessMetrics } from '../../../activities/metrics';
import { CleanupClient } from '../../../bot/cleanup-client';
import { findingsClient } from '../../../app/findings';
import type { FindingsClient } from '../../../bot/findings-client';
import { freshStore, type TestDatabase } from '../launch/database';
import { resetMoto } from '../fakes/moto';
import { testServices } from '../launch/services';
import {
  APP_ROLE,
  awsSystemInput,
  createAwsAccount,
  operatorClients,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../fakes/aws-fixtures';

/**
 * The whole product on real components for one test file: Temporal (dev server or time-skipping),
 * a fresh PostgreSQL database, moto with a realistic account, the worker's activities as app/runtime.ts wires them,
 * the log notifier recording what people would be told, and the AccessClient front ends use.
 */

export const REQUESTER = 'ada@example.com';
export const LEAD = 'lead@example.com';
export const LEAD2 = 'lead2@example.com';
export const ADMIN = 'sec@example.com';
export const STRANGER = 'mallory@example.com';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

/** Quiet SDK logs; must run before any connection or worker exists. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** Workflows are bundled once per test process; every worker reuses the bundle. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  installRuntime();
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

export function stackPolicy(
  account: AwsAccount,
  motoUrl: string,
  overrides: (input: PolicyInput) => void = () => undefined,
): Policy {
  const input: PolicyInput = {
    version: 1,
    authorizationSystems: [awsSystemInput(account, motoUrl)],
    groups: { leads: [LEAD, LEAD2], oncall: ['oncall@example.com'] },
    admins: { users: [ADMIN] },
    principals: {
      [REQUESTER]: { 'aws-prod': { awsIamRole: APP_ROLE } },
      'oncall@example.com': { 'aws-prod': { awsIamRole: APP_ROLE } },
    },
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: 'aws-prod',
        grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers: { users: [LEAD] },
        approval: { pendingTimeout: '2h', reminderEvery: '30m' },
      },
      {
        id: 'payments-logs',
        title: 'Read payment logs',
        system: 'aws-prod',
        grant: {
          kind: 'aws-iam-inline-policy',
          statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::payments-logs/*'] }],
        },
        requesters: { everyone: true },
        approvers: { groups: ['leads'] },
        extension: { maxTotal: '6h' },
        autoApprove: { requesters: { groups: ['oncall'] }, maxDuration: '15m' },
        breakGlass: { requesters: { groups: ['oncall'] }, maxDuration: '1h' },
        notify: [{ platform: 'log', channel: 'security-alerts' }],
      },
      {
        id: 'prod-admin',
        title: 'Administrator in production',
        system: 'aws-prod',
        risk: 'high',
        grant: { kind: 'aws-identity-center', permissionSetArn: account.adminPermissionSetArn },
        requesters: { everyone: true },
        approvers: { groups: ['leads'], required: 2 },
        limits: { maxDuration: '2h', ticketPattern: '^OPS-\\d+$' },
        extension: { requiresApproval: true, maxTotal: '4h' },
      },
    ],
  };
  overrides(input);
  return policySchema.parse(input);
}

export interface Stack {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  store: PgStore;
  account: AwsAccount;
  motoUrl: string;
  policy: Policy;
  messages: LogMessage[];
  /** What the cleanup's log notifier "posted" (announcements, summaries, reminders, reports). */
  cleanupMessages: CleanupLogMessage[];
  activities: LeastActivities;
  access: AccessClient;
  /** The findings client every front end uses, over the stack's store and policy. */
  findings: FindingsClient;
  /** The cleanup client every front end uses (owners' answers, Show diff, Restore), wired as app/runtime.ts does. */
  cleanup: CleanupClient;
  /** Acknowledge on rule alerts, wired as app/runtime.ts does. */
  alerts: AlertClient;
  taskQueue: string;
  /** Starts a worker on the stack's task queue; stop it with `shutdown()`. */
  startWorker(): Promise<{ worker: Worker; running: Promise<void>; stop(): Promise<void> }>;
  waitForStatus(requestId: string, status: RequestStatus, timeoutMs?: number): Promise<RequestState>;
  aws: ReturnType<typeof operatorClients>;
  close(): Promise<void>;
}

export interface StackOptions {
  policy?: (input: PolicyInput) => void;
  /** Front-end notifiers (Slack, Teams) beside the log notifier every stack records. */
  notifiers?: (parts: { store: PgStore; policy: Policy }) => Notifier[];
  /** Extra access-client wiring a front end brings (e.g. Slack user groups); the cleanup client gets its groups too. */
  access?: (parts: { store: PgStore; policy: Policy }) => Partial<AccessClientDeps>;
  /** Front-end cleanup notifiers (Slack, Teams) beside the log one every stack records. */
  cleanupNotifiers?: (parts: { store: PgStore; policy: Policy }) => CleanupNotifier[];
  /**
   * Providers for the other clouds (AWS is always there, on moto), or an AWS provider wrapped to inject
   * a fault (it gets the store for its claims); their owner closes them.
   */
  clouds?: (parts: { store: PgStore }) => Partial<Record<Cloud, CloudProvider>>;
  /** Inventory collectors for the other clouds, pointed at their fakes (AWS collects from moto). */
  collectors?: () => Partial<Record<'azure' | 'gcp', InventoryCollector>>;
  /** Cleanup executors pointed at the other clouds' fakes, or one wrapped to inject a fault; their owner closes them. */
  cleanupExecutors?: () => Partial<Record<Cloud, CleanupExecutor>>;
  /** Where rule alerts are posted (a Slack or Teams poster on a fake); none: alerts reach no channel. */
  alertPosters?: (parts: { store: PgStore; policy: Policy }) => AlertPoster[];
  /** The worker's metrics, as the main job passes them to buildActivities (app/worker-metrics.ts). */
  metrics?: AccessMetrics;
}

export async function startStack(kind: 'dev' | 'time-skipping', options: StackOptions = {}): Promise<Stack> {
  const services = testServices();
  installRuntime();
  useDummyAwsCredentials();
  await resetMoto(services.motoUrl);
  const account = await createAwsAccount(services.motoUrl);
  const policy = stackPolicy(account, services.motoUrl, options.policy);
  const { db, store } = await freshStore();
  const env =
    kind === 'dev'
      ? await TestWorkflowEnvironment.createFromExistingServer({ address: services.temporalAddress })
      : await startTimeSkipping(services.timeSkippingServer);
  const messages: LogMessage[] = [];
  const cleanupMessages: CleanupLogMessage[] = [];
  // The worker's production wiring; only the emulator's pace, the other clouds' fakes and the notifiers differ.
  const built = buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    {
      aws: { polling: { firstDelayMs: 20, maxDelayMs: 200 } },
      clouds: options.clouds?.({ store }) ?? {},
      collectors: options.collectors?.() ?? {},
      cleanupExecutors: options.cleanupExecutors?.() ?? {},
      notifiers: [
        new LogNotifier((message) => messages.push(message)),
        ...(options.notifiers?.({ store, policy }) ?? []),
      ],
      cleanupNotifiers: [
        new LogCleanupNotifier((message) => cleanupMessages.push(message)),
        ...(options.cleanupNotifiers?.({ store, policy }) ?? []),
      ],
      alertPosters: options.alertPosters?.({ store, policy }) ?? [],
    },
    options.metrics ? { metrics: options.metrics } : {},
  );
  const { activities } = built;
  const taskQueue = `least-test-${randomBytes(4).toString('hex')}`;
  const frontEndAccess = options.access?.({ store, policy }) ?? {};
  const access = accessClient({
    temporal: env.client,
    taskQueue,
    policy: () => policy,
    store,
    ...frontEndAccess,
  });
  const cleanup = new CleanupClient({
    temporal: env.client,
    taskQueue,
    store: store.cleanup,
    policy: () => policy,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    ...(frontEndAccess.externalGroups ? { externalGroups: frontEndAccess.externalGroups } : {}),
  });
  const alerts = new AlertClient({
    temporal: env.client,
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    ...(frontEndAccess.externalGroups ? { externalGroups: frontEndAccess.externalGroups } : {}),
  });
  const workers: { stop(): Promise<void> }[] = [];
  const stack: Stack = {
    env,
    db,
    store,
    account,
    motoUrl: services.motoUrl,
    policy,
    messages,
    cleanupMessages,
    activities,
    access,
    findings: findingsClient({ store, policy: () => policy }),
    cleanup,
    alerts,
    taskQueue,
    aws: operatorClients(services.motoUrl),
    async startWorker() {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities,
      });
      const running = worker.run();
      const handle = {
        worker,
        running,
        stop: async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        },
      };
      workers.push(handle);
      return handle;
    },
    async waitForStatus(requestId, status, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: RequestState | undefined;
      while (Date.now() < deadline) {
        const outcome = await access.status(requestId);
        if (outcome.ok) {
          last = outcome.state;
          if (last.status === status) return last;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `request ${requestId} did not become ${status}; last seen ${last?.status ?? 'nothing'} ${JSON.stringify(last?.failure ?? '')}`,
      );
    },
    async close() {
      for (const worker of workers) await worker.stop().catch(() => undefined);
      await built.close();
      await env.teardown();
      await db.drop();
    },
  };
  return stack;
}

/** The SDK gives the server 5 s to start; on a cold machine retry the start, not the test. */
async function startTimeSkipping(path: string): Promise<TestWorkflowEnvironment> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
      // The test server takes search attributes through the operator API rather than a start flag.
      const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
      await env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, keyword])),
      });
      return env;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Submits through the AccessClient the front ends use; a refusal fails the caller with its code. */
export async function submitRequest(stack: Stack, overrides: Partial<SubmitInput> = {}): Promise<string> {
  const outcome = await stack.access.submit({
    requester: REQUESTER,
    entitlementId: 'prod-read-only',
    duration: '1h',
    reason: 'investigate INC-42',
    origin: { platform: 'cli' },
    ...overrides,
  });
  if (!outcome.ok) throw new Error(`submit refused: ${JSON.stringify(outcome)}`);
  return outcome.state.request.requestId;
}
