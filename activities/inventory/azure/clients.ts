import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenCredential } from '@azure/core-auth';
import type { MonitorClient } from '@azure/arm-monitor';
import { type ArmRetry, AzureConnections, monitorSdk } from '../../cloud/azure/connections';
import type { AzureSystem } from '../../cloud/azure/errors';

/**
 * The clients an Azure collection uses, one set per worker: the grant side's AzureConnections (its
 * credential, its ARM client with the loopback rules), a MonitorClient per system built by the same
 * rules, and a small Microsoft Graph reader that follows `@odata.nextLink` and waits out throttling.
 */
export class AzureInventoryClients {
  readonly connections: AzureConnections;

  constructor(
    credential: TokenCredential | undefined,
    private readonly retry: ArmRetry,
  ) {
    this.connections = new AzureConnections(credential, retry);
  }

  arm(system: AzureSystem) {
    return this.connections.arm(system);
  }

  monitor(system: AzureSystem): MonitorClient {
    const { MonitorClient } = monitorSdk();
    return this.connections.armClient('monitor', system, (...args) => new MonitorClient(...args));
  }

  graph(system: AzureSystem): GraphReader {
    return new GraphReader(this.connections, system, this.retry);
  }

  close(): void {
    this.connections.close();
  }
}

/** A failed Graph call, with the status the collector and the activity layer classify. */
export class GraphError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

export interface GraphPage<T> {
  value: T[];
  next?: string;
}

export class GraphReader {
  private readonly base: string;

  constructor(
    private readonly connections: AzureConnections,
    system: AzureSystem,
    private readonly retry: ArmRetry,
  ) {
    this.base = connections.graphBase(system);
  }

  /** One page: `pathOrLink` is a path under the Graph base or a nextLink Graph gave (same host only). */
  async page<T>(pathOrLink: string): Promise<GraphPage<T>> {
    const url = pathOrLink.startsWith('/') ? `${this.base}${pathOrLink}` : pathOrLink;
    if (new URL(url).origin !== new URL(this.base).origin) {
      // a token never follows a link to another host
      throw new GraphError(400, `Microsoft Graph sent a nextLink to another host: ${new URL(url).host}`);
    }
    const body = (await this.get(url)) as { value?: unknown; '@odata.nextLink'?: unknown };
    const value = Array.isArray(body.value) ? (body.value as T[]) : [];
    const next = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    return { value, ...(next ? { next } : {}) };
  }

  /** Every item of a (small) list, every page followed. */
  async all<T>(path: string, heartbeat: () => void): Promise<T[]> {
    const items: T[] = [];
    let link: string | undefined = path;
    while (link) {
      const page: GraphPage<T> = await this.page<T>(link);
      items.push(...page.value);
      link = page.next;
      heartbeat();
    }
    return items;
  }

  /** GET with Graph's throttling answered: 429 and 5xx waited out (Retry-After first), then thrown. */
  private async get(url: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url, {
        headers: {
          authorization: `Bearer ${await this.connections.graphToken()}`,
          accept: 'application/json',
          consistencylevel: 'eventual',
        },
        signal: AbortSignal.timeout(60_000),
      });
      if (response.ok) return response.json();
      const text = (await response.text()).slice(0, 300);
      const transient = response.status === 429 || response.status >= 500;
      if (!transient || attempt >= this.retry.maxRetries) {
        throw new GraphError(
          response.status,
          `Microsoft Graph answered ${response.status} for ${new URL(url).pathname}: ${text}`,
        );
      }
      const header = response.headers.get('retry-after');
      const retryAfter = header === null ? Number.NaN : Number(header);
      const wait =
        Number.isFinite(retryAfter) && retryAfter >= 0
          ? retryAfter * 1000
          : Math.min(this.retry.maxRetryDelayInMs, this.retry.retryDelayInMs * 2 ** attempt);
      await sleep(Math.min(wait, this.retry.maxRetryDelayInMs));
    }
  }
}
