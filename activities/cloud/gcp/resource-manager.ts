import { setTimeout as sleep } from 'node:timers/promises';
import type { FoldersClient, ProjectsClient, protos } from '@google-cloud/resource-manager';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { type GcpSystem, type GcpTarget, googleFailure, isTransient, targetOf } from './errors';
import { isLoopback } from '../loopback';

/**
 * The Resource Manager IAM calls, one client per system. Every client speaks HTTP/JSON (gax's REST
 * transport), in production as in tests, so the errors Least classifies are the ones the fake produces.
 */

/*
 * The Google SDKs (and google-gax, googleapis-common under them) load with the first call that needs
 * them, not with the worker: a worker without GCP systems never holds them (issue 15). `require`
 * caches, like a static import; see activities/cloud/azure/connections.ts for why not `import()`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, as said above */
export const resourceManagerSdk = (): typeof import('@google-cloud/resource-manager') =>
  require('@google-cloud/resource-manager');
export const recommenderSdk = (): typeof import('@google-cloud/recommender') => require('@google-cloud/recommender');
export const iamSdk = (): typeof import('@googleapis/iam') => require('@googleapis/iam');
export const loggingSdk = (): typeof import('@googleapis/logging') => require('@googleapis/logging');
/* eslint-enable @typescript-eslint/no-require-imports */

export type IamPolicy = protos.google.iam.v1.IPolicy;
export type IamBinding = protos.google.iam.v1.IBinding;

type ClientOptions = NonNullable<ConstructorParameters<typeof ProjectsClient>[0]>;
/** google-auth-library's AuthClient (or GoogleAuth), as the SDK accepts it. */
export type GcpAuthClient = NonNullable<ClientOptions['authClient']>;

export interface RetryTuning {
  /** Re-reads after a concurrent policy change (409 ABORTED / 412). */
  conflictRetries: number;
  /** Extra attempts of one call after 429 or 503. */
  transientRetries: number;
  /** Base of the jittered exponential backoff. */
  retryDelayMs: number;
  /** Longest wait Least accepts inside one call; a longer Retry-After is left to Temporal's retries. */
  maxRetryDelayMs: number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = {
  conflictRetries: 5,
  transientRetries: 3,
  retryDelayMs: 250,
  maxRetryDelayMs: 20_000,
};

/** Full jitter: spreads writers that collided so they do not collide again. */
export function backoffMs(tuning: RetryTuning, attempt: number): number {
  const ceiling = Math.min(tuning.maxRetryDelayMs, tuning.retryDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** One Resource Manager call, retried while Google throttles or is unavailable, honouring Retry-After. */
export async function withTransientRetry<T>(tuning: RetryTuning, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = googleFailure(error);
      if (!isTransient(failure) || attempt >= tuning.transientRetries) throw error;
      const wait = failure?.retryAfterMs ?? backoffMs(tuning, attempt);
      if (wait > tuning.maxRetryDelayMs) throw error;
      await sleep(wait);
    }
  }
}

/** Connection options for `system.endpoint` (a local fake or a private endpoint); none for Google itself. */
export function endpointOptions(system: GcpSystem): Pick<ClientOptions, 'apiEndpoint' | 'port' | 'protocol'> {
  if (!system.endpoint) return {};
  const url = new URL(system.endpoint);
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'https' && !(protocol === 'http' && isLoopback(system.endpoint))) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `GCP system "${system.id}" has endpoint ${system.endpoint}: use https (plain http is allowed only for a local fake on a loopback address).`,
    );
  }
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  return { apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''), port, protocol };
}

/** What the binding code needs from Resource Manager: a fresh version-3 read and an etag-guarded write. */
export interface IamPolicyStore {
  target: GcpTarget;
  read(): Promise<IamPolicy>;
  /** Fails with 409 ABORTED when the etag in `policy` is no longer current. */
  write(policy: IamPolicy): Promise<IamPolicy>;
}

type IamClient = ProjectsClient | FoldersClient;

export interface IamPolicyStores {
  storeFor(system: GcpSystem): IamPolicyStore;
  close(): Promise<void>;
}

export function createIamPolicyStores(authClient: GcpAuthClient | undefined, tuning: RetryTuning): IamPolicyStores {
  const clients = new Map<string, IamClient>();

  const clientFor = (system: GcpSystem, target: GcpTarget): IamClient => {
    const options: ClientOptions = {
      fallback: true,
      ...endpointOptions(system),
      ...(authClient ? { authClient } : {}),
    };
    // keyed by the whole connection, so a reloaded policy that moves a system gets a new client
    const key = JSON.stringify([system.id, target.resource, options.apiEndpoint, options.port, options.protocol]);
    let client = clients.get(key);
    if (!client) {
      const { FoldersClient, ProjectsClient } = resourceManagerSdk();
      // without an authClient the SDK uses Application Default Credentials
      client = target.kind === 'project' ? new ProjectsClient(options) : new FoldersClient(options);
      clients.set(key, client);
    }
    return client;
  };

  return {
    storeFor(system) {
      const target = targetOf(system);
      const client = clientFor(system, target);
      return {
        target,
        async read() {
          const [policy] = await withCredentialErrors(system, () =>
            withTransientRetry(tuning, () =>
              client.getIamPolicy({ resource: target.resource, options: { requestedPolicyVersion: 3 } }),
            ),
          );
          return policy;
        },
        async write(policy) {
          const [written] = await withCredentialErrors(system, () =>
            withTransientRetry(tuning, () => client.setIamPolicy({ resource: target.resource, policy })),
          );
          return written;
        },
      };
    },
    async close() {
      const open = [...clients.values()];
      clients.clear();
      await Promise.all(open.map((client) => client.close()));
    },
  };
}

/** google-auth-library's words when Application Default Credentials find nothing to use. */
const NO_CREDENTIALS = /Could not load the default credentials|Could not refresh access token|invalid_grant/i;

/** No usable Google credentials will not fix themselves on retry: fail the grant at once, saying what to set. */
async function withCredentialErrors<T>(system: GcpSystem, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof Error) || error instanceof DomainError || !NO_CREDENTIALS.test(error.message)) throw error;
    throw new DomainError(
      ErrorCode.CloudCredentialsUnavailable,
      `The worker has no usable Google credentials for system ${system.id} ("${error.message.split('\n')[0]}"). ` +
        'Set GOOGLE_APPLICATION_CREDENTIALS or run the worker with a workload identity (docs/gcp-setup.md).',
    );
  }
}
