import type { FoldersClient, OrganizationsClient, ProjectsClient } from '@google-cloud/resource-manager';
import type { RecommenderClient } from '@google-cloud/recommender';
import type { iam_v1 } from '@googleapis/iam';
import type { logging_v2 } from '@googleapis/logging';
import type { GcpSystem } from '../../cloud/gcp/errors';
import { checkedUrl, IamV1Clients } from '../../cloud/gcp/iam-v1';
import {
  endpointOptions,
  type GcpAuthClient,
  type IamPolicy,
  loggingSdk,
  recommenderSdk,
  resourceManagerSdk,
  type RetryTuning,
  withTransientRetry,
} from '../../cloud/gcp/resource-manager';

/**
 * The clients a GCP collection uses, per system: Resource Manager (projects, folders, organizations:
 * IAM policies and the hierarchy) through the grant side's endpoint rules, IAM v1 (`@googleapis/iam`:
 * roles and service accounts), the Recommender and Logging v2 (`@googleapis/logging`: audit log
 * entries), each over HTTP/JSON. IAM, the Recommender and Logging have their own endpoints; a loopback override is allowed for local fakes only, as for Resource Manager.
 */

export interface GcpEndpoints {
  /** IAM v1 root URL, e.g. `http://127.0.0.1:PORT/` (default `https://iam.googleapis.com/`). */
  iam?: string;
  /** Recommender endpoint URL (default Google's). */
  recommender?: string;
  /** Logging v2 root URL (default `https://logging.googleapis.com/`). */
  logging?: string;
}

type ResourceKind = 'projects' | 'folders' | 'organizations';

export class GcpInventoryClients {
  private readonly resourceManagers = new Map<string, ProjectsClient | FoldersClient | OrganizationsClient>();
  private readonly recommenders = new Map<string, RecommenderClient>();
  private readonly iams: IamV1Clients;
  private readonly loggings = new Map<string, logging_v2.Logging>();

  constructor(
    private readonly authClient: GcpAuthClient | undefined,
    private readonly endpoints: GcpEndpoints,
    readonly tuning: RetryTuning,
  ) {
    this.iams = new IamV1Clients(authClient, endpoints.iam);
  }

  private resourceManager(system: GcpSystem, kind: ResourceKind) {
    const options = {
      fallback: true as const,
      ...endpointOptions(system),
      ...(this.authClient ? { authClient: this.authClient } : {}),
    };
    const key = JSON.stringify([system.id, kind, options.apiEndpoint, options.port]);
    let client = this.resourceManagers.get(key);
    if (!client) {
      const { FoldersClient, OrganizationsClient, ProjectsClient } = resourceManagerSdk();
      client =
        kind === 'projects'
          ? new ProjectsClient(options)
          : kind === 'folders'
            ? new FoldersClient(options)
            : new OrganizationsClient(options);
      this.resourceManagers.set(key, client);
    }
    return client;
  }

  /** A version-3 read of the IAM policy of `projects/…`, `folders/…` or `organizations/…`. */
  async iamPolicy(system: GcpSystem, resource: string): Promise<IamPolicy> {
    const client = this.resourceManager(system, resource.split('/')[0] as ResourceKind);
    const [policy] = await withTransientRetry(this.tuning, () =>
      client.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } }),
    );
    return policy;
  }

  /** The parent (`folders/…` or `organizations/…`) of a project or folder, if it has one. */
  async parentOf(system: GcpSystem, resource: string): Promise<string | undefined> {
    if (resource.startsWith('projects/')) {
      const client = this.resourceManager(system, 'projects') as ProjectsClient;
      const [project] = await withTransientRetry(this.tuning, () => client.getProject({ name: resource }));
      return project.parent || undefined;
    }
    if (resource.startsWith('folders/')) {
      const client = this.resourceManager(system, 'folders') as FoldersClient;
      const [folder] = await withTransientRetry(this.tuning, () => client.getFolder({ name: resource }));
      return folder.parent || undefined;
    }
    return undefined;
  }

  iam(system: GcpSystem): iam_v1.Iam {
    return this.iams.for(system);
  }

  logging(system: GcpSystem): logging_v2.Logging {
    const rootUrl = this.endpoints.logging ? checkedUrl(system, this.endpoints.logging).toString() : undefined;
    const key = `${system.id}|${rootUrl ?? ''}`;
    let client = this.loggings.get(key);
    if (!client) {
      client = loggingSdk().logging({
        version: 'v2',
        ...(rootUrl ? { rootUrl } : {}),
        ...(this.authClient ? { auth: this.authClient as never } : {}),
        retry: false, // as for IAM: withTransientRetry does it
      });
      this.loggings.set(key, client);
    }
    return client;
  }

  recommender(system: GcpSystem): RecommenderClient {
    const url = this.endpoints.recommender ? checkedUrl(system, this.endpoints.recommender) : undefined;
    const key = `${system.id}|${url?.toString() ?? ''}`;
    let client = this.recommenders.get(key);
    if (!client) {
      const protocol = url?.protocol.replace(/:$/, '');
      const { RecommenderClient } = recommenderSdk();
      client = new RecommenderClient({
        fallback: true,
        ...(url
          ? {
              apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''),
              port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
              protocol,
            }
          : {}),
        ...(this.authClient ? { authClient: this.authClient } : {}),
      });
      this.recommenders.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const open = [...this.resourceManagers.values(), ...this.recommenders.values()];
    this.resourceManagers.clear();
    this.recommenders.clear();
    this.iams.clear();
    this.loggings.clear();
    await Promise.all(open.map((client) => client.close()));
  }
}
