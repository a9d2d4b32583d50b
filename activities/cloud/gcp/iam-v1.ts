import type { iam_v1 } from '@googleapis/iam';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { isLoopback } from '../loopback';
import type { GcpSystem } from './errors';
import { type GcpAuthClient, iamSdk } from './resource-manager';

/** A Google API root URL Least may send a system's token to: https, or plain http to a local fake only. */
export function checkedUrl(system: GcpSystem, url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(url))) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `GCP system "${system.id}" would send its token to ${url}: use https (plain http only for a local fake).`,
    );
  }
  return parsed;
}

/** IAM v1 clients (`@googleapis/iam`: roles and service accounts), one per system and root URL. */
export class IamV1Clients {
  private readonly clients = new Map<string, iam_v1.Iam>();

  /** `rootUrl`: e.g. `http://127.0.0.1:PORT/` for a local fake (default `https://iam.googleapis.com/`). */
  constructor(
    private readonly authClient: GcpAuthClient | undefined,
    private readonly rootUrl: string | undefined,
  ) {}

  for(system: GcpSystem): iam_v1.Iam {
    const rootUrl = this.rootUrl ? checkedUrl(system, this.rootUrl).toString() : undefined;
    const key = `${system.id}|${rootUrl ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = iamSdk().iam({
        version: 'v1',
        ...(rootUrl ? { rootUrl } : {}),
        ...(this.authClient ? { auth: this.authClient as never } : {}),
        // retried by withTransientRetry, honouring Retry-After, like every other Google call here
        retry: false,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  clear(): void {
    this.clients.clear();
  }
}
