import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { AzureSystem } from './errors';
import { isLoopback } from '../loopback';

/*
 * The Azure SDKs load with the first call that needs them, not with the worker: a worker without Azure
 * systems never holds them (issue 15). `require`, which caches, rather than `import()`: under tsx,
 * `import()` takes a dual package's ESM build (@azure/identity, @azure/arm-monitor) and would load a
 * second copy of @azure/core-* beside the CommonJS one @azure/arm-authorization uses.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, as said above */
export const authorizationSdk = (): typeof import('@azure/arm-authorization') => require('@azure/arm-authorization');
export const monitorSdk = (): typeof import('@azure/arm-monitor') => require('@azure/arm-monitor');
const identitySdk = (): typeof import('@azure/identity') => require('@azure/identity');
/* eslint-enable @typescript-eslint/no-require-imports */

/** What every ARM SDK client shares: a pipeline our loopback rules can adjust. */
interface ArmSdkClient {
  pipeline: AuthorizationManagementClient['pipeline'];
}

interface ArmClientOptions {
  endpoint: string;
  retryOptions: ArmRetry;
  userAgentOptions: { userAgentPrefix: string };
  allowInsecureConnection?: boolean;
}

/**
 * One credential for the worker and one ARM client per authorization system. The SDK's pipeline
 * retries 429 (honouring Retry-After) and 5xx itself, `retry.maxRetries` times, before anything
 * reaches the activity's own retry policy.
 */

export interface ArmRetry {
  maxRetries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
}

export const DEFAULT_RETRY: ArmRetry = { maxRetries: 4, retryDelayInMs: 1_000, maxRetryDelayInMs: 30_000 };

export const ARM_ENDPOINT = 'https://management.azure.com';
export const GRAPH_ENDPOINT = 'https://graph.microsoft.com';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

type ArmPipeline = AuthorizationManagementClient['pipeline'];
type ArmPolicy = Parameters<ArmPipeline['addPolicy']>[0];

/**
 * core-rest-pipeline's bearer policy refuses every http URL, even with allowInsecureConnection set. For
 * a loopback endpoint only, it is swapped for this one, which does the same header and still refuses
 * anything that is not loopback; real endpoints keep the SDK's policy untouched.
 */
function loopbackBearerPolicy(credential: TokenCredential, scope: string): ArmPolicy {
  return {
    name: 'leastLoopbackBearerPolicy',
    async sendRequest(request, next) {
      if (!request.url.toLowerCase().startsWith('https://') && !isLoopback(request.url)) {
        throw new Error(`Refusing to send an Azure token over plain http to ${new URL(request.url).host}`);
      }
      const token = await credential.getToken(scope, { abortSignal: request.abortSignal });
      if (!token) throw new Error(`The Azure credential returned no token for ${scope}`);
      request.headers.set('Authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}

/** What @azure/identity throws when no credential in the chain can be used at all. */
const UNAVAILABLE = ['CredentialUnavailableError', 'AggregateAuthenticationError'];

/**
 * No usable Azure identity will not fix itself on retry: the grant fails at once with a message
 * that says what to set, instead of retrying for minutes.
 */
function failFastWhenUnavailable(credential: TokenCredential): TokenCredential {
  return {
    async getToken(scopes, options) {
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        if (!(error instanceof Error) || !UNAVAILABLE.includes(error.name)) throw error;
        throw new DomainError(
          ErrorCode.CloudCredentialsUnavailable,
          `The worker has no usable Azure credentials ("${error.message.split('\n')[0]}"). Set AZURE_TENANT_ID, ` +
            'AZURE_CLIENT_ID and a secret or certificate, or run it with a managed or workload identity (docs/azure-setup.md).',
        );
      }
    },
  };
}

export class AzureConnections {
  private credentialInUse: TokenCredential | undefined;
  private readonly clients = new Map<string, ArmSdkClient>();

  constructor(
    private readonly given: TokenCredential | undefined,
    private readonly retry: ArmRetry,
  ) {}

  /** DefaultAzureCredential reads the environment; made on first use so importing this module needs none. */
  credential(): TokenCredential {
    this.credentialInUse ??= failFastWhenUnavailable(this.given ?? new (identitySdk().DefaultAzureCredential)());
    return this.credentialInUse;
  }

  arm(system: AzureSystem): AuthorizationManagementClient {
    const { AuthorizationManagementClient } = authorizationSdk();
    return this.armClient('authorization', system, (...args) => new AuthorizationManagementClient(...args));
  }

  /**
   * An ARM SDK client for the system, one per kind, system and endpoint, all built by the same rules:
   * plain http and our own bearer policy only for a loopback endpoint (a local fake).
   */
  armClient<C extends ArmSdkClient>(
    kind: string,
    system: AzureSystem,
    make: (credential: TokenCredential, subscriptionId: string, options: ArmClientOptions) => C,
  ): C {
    const endpoint = (system.endpoint ?? ARM_ENDPOINT).replace(/\/+$/, '');
    const cacheKey = `${kind}|${system.id}|${system.subscriptionId}|${endpoint}`;
    let client = this.clients.get(cacheKey) as C | undefined;
    if (!client) {
      const loopback = isLoopback(endpoint);
      client = make(this.credential(), system.subscriptionId, {
        endpoint,
        retryOptions: this.retry,
        userAgentOptions: { userAgentPrefix: 'least' },
        // set only for a local fake; a real endpoint is https and never needs it
        ...(loopback ? { allowInsecureConnection: true } : {}),
      });
      if (loopback) {
        client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
        client.pipeline.addPolicy(loopbackBearerPolicy(this.credential(), `${ARM_ENDPOINT}/.default`), {
          phase: 'Sign',
        });
      }
      this.clients.set(cacheKey, client);
    }
    return client;
  }

  /** Microsoft Graph base URL; a non-https override is accepted only on loopback. */
  graphBase(system: AzureSystem): string {
    const base = (system.graphEndpoint ?? GRAPH_ENDPOINT).replace(/\/+$/, '');
    if (!base.toLowerCase().startsWith('https://') && !isLoopback(base)) {
      throw new Error(`graphEndpoint ${base} of system "${system.id}" must be https`);
    }
    return base;
  }

  async graphToken(): Promise<string> {
    const token = await this.credential().getToken(GRAPH_SCOPE);
    if (!token) throw new Error(`The Azure credential returned no token for ${GRAPH_SCOPE}`);
    return token.token;
  }

  close(): void {
    this.clients.clear();
  }
}
