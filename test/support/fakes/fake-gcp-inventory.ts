import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { policySchema, type Policy } from '../../../domain/policy/schema';
import type { FakeResourceManager } from './fake-resource-manager';

/**
 * A local fake of the Google APIs the GCP inventory collector reads beside Resource Manager, on
 * 127.0.0.1, spoken to by the real clients over HTTP/JSON: IAM v1 (`roles.get` for predefined roles,
 * `projects.roles.get` / `organizations.roles.get` for custom ones, service accounts and their keys,
 * paged by `nextPageToken`; one account's get, disable and enable, for cleanup), the Recommender's
 * `insights` list (paged) and Logging v2 `entries:list` (paged, filtered by `logName` and `timestamp` as
 * the collector writes them). Errors look like Google's (`{ error: { code, message, status } }`); the
 * next matching call can be made to fail.
 */

export interface FakeRole {
  name: string;
  title: string;
  includedPermissions: unknown;
  stage?: string;
}

export interface FakeServiceAccount {
  email: string;
  uniqueId: string;
  disabled?: boolean;
  keys: { id: string; keyType: 'USER_MANAGED' | 'SYSTEM_MANAGED'; validAfterTime: string; disabled?: boolean }[];
}

export interface FakeCallRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

const STATUS: Record<number, string> = {
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export class FakeGcpInventory {
  readonly calls: FakeCallRecord[] = [];
  readonly roles = new Map<string, FakeRole>();
  /** Project id → its service accounts. */
  readonly serviceAccounts = new Map<string, FakeServiceAccount[]>();
  /** Insight parent (`projects/p/locations/global/insightTypes/…`) → insights as the REST API returns them. */
  readonly insights = new Map<string, Record<string, unknown>[]>();
  /** Resource (`projects/p`, `folders/f`) → log entries as Logging returns them, `logName` included. */
  readonly logEntries = new Map<string, Record<string, unknown>[]>();
  /** Bodies of `entries:list` calls, in order. */
  readonly entriesRequests: Record<string, unknown>[] = [];
  private readonly faults: { pathPart: string; status: number }[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly token: string,
  ) {}

  /** `token`: the bearer token to accept, the Resource Manager fake's, so one auth client serves both. */
  static async start(resourceManager: FakeResourceManager): Promise<FakeGcpInventory> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeGcpInventory(server, `http://127.0.0.1:${port}`, resourceManager.token);
    server.on('request', (request, response) => fake.handle(request, response));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  failNext(pathPart: string, status: number): void {
    this.faults.push({ pathPart, status });
  }

  callsTo(pathPart: string): FakeCallRecord[] {
    return this.calls.filter((call) => call.path.includes(pathPart));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const call: FakeCallRecord = {
      method: request.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      status: 200,
    };
    this.calls.push(call);
    const send = (status: number, body: unknown): void => {
      call.status = status;
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string): void =>
      send(status, { error: { code: status, message, status: STATUS[status] ?? 'UNKNOWN' } });

    const fault = this.faults.findIndex((candidate) => call.path.includes(candidate.pathPart));
    if (fault >= 0) {
      const { status } = this.faults.splice(fault, 1)[0]!;
      fail(status, `injected ${status}`);
      return;
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      fail(401, 'Request had invalid authentication credentials.');
      return;
    }
    if (call.path === '/v2/entries:list' && call.method === 'POST') {
      void this.listEntries(request).then(([status, body]) =>
        status === 200 ? send(200, body) : fail(status, String(body)),
      );
      return;
    }
    const path = call.path.replace(/^\/v1\//, '');
    const role = /^((?:(?:projects|organizations)\/[^/]+\/)?roles\/[^/]+)$/.exec(path);
    if (role) {
      const found = this.roles.get(role[1]!);
      if (!found) return fail(404, `Role ${role[1]} not found.`);
      return send(200, { ...found, etag: 'BwX=' });
    }
    const accounts = /^projects\/([^/]+)\/serviceAccounts$/.exec(path);
    if (accounts) {
      const list = this.serviceAccounts.get(accounts[1]!) ?? [];
      const start = Number(call.query.pageToken ?? 0);
      const size = Number(call.query.pageSize ?? 100);
      const page = list.slice(start, start + size).map((account) => ({
        name: `projects/${accounts[1]}/serviceAccounts/${account.email}`,
        projectId: accounts[1],
        uniqueId: account.uniqueId,
        email: account.email,
        ...(account.disabled ? { disabled: true } : {}),
      }));
      return send(200, {
        accounts: page,
        ...(start + size < list.length ? { nextPageToken: String(start + size) } : {}),
      });
    }
    const account = /^projects\/([^/]+)\/serviceAccounts\/([^/:]+)(?::(disable|enable))?$/.exec(path);
    if (account) return this.serviceAccount(call.method, account[1]!, account[2]!, account[3], send, fail);
    const keys = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys$/.exec(path);
    if (keys) {
      const account = (this.serviceAccounts.get(keys[1]!) ?? []).find((candidate) => candidate.email === keys[2]);
      if (!account) return fail(404, `Service account ${keys[2]} does not exist.`);
      const wanted = url.searchParams.getAll('keyTypes');
      return send(200, {
        keys: account.keys
          .filter((key) => wanted.length === 0 || wanted.includes(key.keyType))
          .map((key) => ({
            name: `projects/${keys[1]}/serviceAccounts/${account.email}/keys/${key.id}`,
            validAfterTime: key.validAfterTime,
            validBeforeTime: '9999-12-31T23:59:59Z',
            keyAlgorithm: 'KEY_ALG_RSA_2048',
            keyOrigin: 'GOOGLE_PROVIDED',
            keyType: key.keyType,
            ...(key.disabled ? { disabled: true } : {}),
          })),
      });
    }
    const insights = /^(.+\/insightTypes\/[^/]+)\/insights$/.exec(path);
    if (insights) {
      const list = this.insights.get(insights[1]!);
      if (!list) return fail(403, `Permission denied on ${insights[1]}.`);
      const start = Number(call.query.pageToken ?? 0);
      const size = Number(call.query.pageSize ?? 100);
      return send(200, {
        insights: list.slice(start, start + size),
        ...(start + size < list.length ? { nextPageToken: String(start + size) } : {}),
      });
    }
    fail(404, `No route for ${call.path} in the fake.`);
  }

  /**
   * `GET projects/P/serviceAccounts/EMAIL` and `POST …:disable` / `:enable` (empty answers, as Google's),
   * which flip the account's `disabled` flag. `-` as the project finds the account in any project.
   */
  private serviceAccount(
    method: string,
    project: string,
    email: string,
    verb: string | undefined,
    send: (status: number, body: unknown) => void,
    fail: (status: number, message: string) => void,
  ): void {
    const projects = project === '-' ? [...this.serviceAccounts.keys()] : [project];
    const home = projects.find((id) => (this.serviceAccounts.get(id) ?? []).some((a) => a.email === email));
    const found = home ? this.serviceAccounts.get(home)!.find((a) => a.email === email)! : undefined;
    if (!found) return fail(404, `Service account projects/${project}/serviceAccounts/${email} not found.`);
    if (verb && method === 'POST') {
      found.disabled = verb === 'disable';
      return send(200, {});
    }
    if (verb || method !== 'GET') return fail(404, `No route for ${method} ${email}:${verb ?? ''} in the fake.`);
    send(200, {
      name: `projects/${home}/serviceAccounts/${found.email}`,
      projectId: home,
      uniqueId: found.uniqueId,
      email: found.email,
      oauth2ClientId: found.uniqueId,
      etag: 'MDEwMjE5MjA=',
      ...(found.disabled ? { disabled: true } : {}),
    });
  }

  /** Entries of one resource whose log the filter names, within its time bounds, oldest first, paged. */
  private async listEntries(request: http.IncomingMessage): Promise<[number, unknown]> {
    let text = '';
    for await (const part of request) text += String(part);
    const body = JSON.parse(text || '{}') as {
      resourceNames?: string[];
      filter?: string;
      pageSize?: number;
      pageToken?: string;
    };
    this.entriesRequests.push(body);
    const resource = body.resourceNames?.[0] ?? '';
    const list = this.logEntries.get(resource);
    if (!list) return [403, `Permission denied on ${resource}.`];
    const filter = body.filter ?? '';
    const logNames = [...(/logName=\(([^)]*)\)/.exec(filter)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    const from = /timestamp>="([^"]+)"/.exec(filter)?.[1];
    const to = /timestamp<="([^"]+)"/.exec(filter)?.[1];
    const matching = list
      .filter((entry) => logNames.includes(String(entry.logName)))
      .filter((entry) => {
        const at = Date.parse(String(entry.timestamp));
        // an entry without a readable time is returned, as Logging would return a malformed payload
        if (Number.isNaN(at)) return true;
        return (!from || at >= Date.parse(from)) && (!to || at <= Date.parse(to));
      });
    const start = Number(body.pageToken ?? 0);
    const size = Number(body.pageSize ?? 50);
    return [
      200,
      {
        entries: matching.slice(start, start + size),
        ...(start + size < matching.length ? { nextPageToken: String(start + size) } : {}),
      },
    ];
  }
}

/* ---------- an organization, folder and project as the GCP inventory tests find them ---------- */

export const GCP_PROJECT = 'shop-prod-123';
export const GCP_FOLDER = '111';
export const GCP_ORGANIZATION = '999';
const INSIGHTS_PARENT = `projects/${GCP_PROJECT}/locations/global/insightTypes/google.iam.policy.Insight`;

const VIEWER = [
  'compute.instances.get',
  'compute.instances.list',
  'resourcemanager.projects.get',
  'resourcemanager.projects.getIamPolicy',
  'storage.buckets.get',
  'storage.buckets.list',
];
const EDITOR = [
  ...VIEWER,
  'compute.instances.create',
  'compute.instances.delete',
  'iam.serviceAccounts.actAs',
  'storage.buckets.create',
];

export function seedGcpInventory(resourceManager: FakeResourceManager, fake: FakeGcpInventory, now = new Date()): void {
  resourceManager.knownFolders.add(GCP_FOLDER);
  resourceManager.parents.set(`projects/${GCP_PROJECT}`, `folders/${GCP_FOLDER}`);
  resourceManager.parents.set(`folders/${GCP_FOLDER}`, `organizations/${GCP_ORGANIZATION}`);
  resourceManager.setPolicy(`organizations/${GCP_ORGANIZATION}`, {
    bindings: [{ role: 'roles/viewer', members: ['group:auditors@example.com'] }],
  });
  resourceManager.setPolicy(`folders/${GCP_FOLDER}`, {
    bindings: [
      { role: 'roles/editor', members: ['user:ada@example.com'] },
      {
        role: `organizations/${GCP_ORGANIZATION}/roles/deployer`,
        members: ['serviceAccount:ci@shop-prod-123.iam.gserviceaccount.com'],
      },
    ],
  });
  resourceManager.setPolicy(`projects/${GCP_PROJECT}`, {
    version: 3,
    bindings: [
      { role: 'roles/owner', members: ['user:grace@example.com'] },
      {
        role: `projects/${GCP_PROJECT}/roles/bucketReader`,
        members: ['user:ada@example.com'],
        condition: { title: 'until-2031', expression: 'request.time < timestamp("2031-01-01T00:00:00Z")' },
      },
      { role: 'roles/storage.objectViewer', members: ['allUsers', 'deleted:user:old@example.com?uid=123'] },
      { role: `projects/${GCP_PROJECT}/roles/gone`, members: ['user:ada@example.com'] },
    ],
  });

  fake.roles.set('roles/viewer', { name: 'roles/viewer', title: 'Viewer', includedPermissions: VIEWER, stage: 'GA' });
  fake.roles.set('roles/editor', { name: 'roles/editor', title: 'Editor', includedPermissions: EDITOR, stage: 'GA' });
  fake.roles.set('roles/owner', {
    name: 'roles/owner',
    title: 'Owner',
    includedPermissions: [...EDITOR, 'resourcemanager.projects.setIamPolicy'],
    stage: 'GA',
  });
  fake.roles.set('roles/storage.objectViewer', {
    name: 'roles/storage.objectViewer',
    title: 'Storage Object Viewer',
    includedPermissions: ['storage.objects.get', 'storage.objects.list'],
    stage: 'GA',
  });
  fake.roles.set(`projects/${GCP_PROJECT}/roles/bucketReader`, {
    name: `projects/${GCP_PROJECT}/roles/bucketReader`,
    title: 'Bucket reader',
    includedPermissions: ['storage.buckets.get', 'storage.objects.get', 'not a permission'],
    stage: 'GA',
  });
  fake.roles.set(`organizations/${GCP_ORGANIZATION}/roles/deployer`, {
    name: `organizations/${GCP_ORGANIZATION}/roles/deployer`,
    title: 'Deployer',
    includedPermissions: ['run.services.create', 'run.services.update', 'iam.serviceAccounts.actAs'],
    stage: 'GA',
  });

  fake.serviceAccounts.set(GCP_PROJECT, [
    {
      email: 'ci@shop-prod-123.iam.gserviceaccount.com',
      uniqueId: '1001',
      keys: [
        { id: 'k-user-1', keyType: 'USER_MANAGED', validAfterTime: '2024-05-01T00:00:00Z' },
        { id: 'k-system-1', keyType: 'SYSTEM_MANAGED', validAfterTime: '2025-01-01T00:00:00Z' },
      ],
    },
    { email: 'web@shop-prod-123.iam.gserviceaccount.com', uniqueId: '1002', keys: [] },
    {
      email: 'old@shop-prod-123.iam.gserviceaccount.com',
      uniqueId: '1003',
      disabled: true,
      keys: [{ id: 'k-user-2', keyType: 'USER_MANAGED', validAfterTime: '2021-01-01T00:00:00Z', disabled: true }],
    },
  ]);

  const refreshed = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1, 6)).toISOString();
  const insight = (id: string, content: Record<string, unknown> | undefined): Record<string, unknown> => ({
    name: `${INSIGHTS_PARENT}/insights/${id}`,
    description: 'Permission usage of a binding',
    ...(content ? { content } : {}),
    lastRefreshTime: refreshed,
    observationPeriod: '7776000s',
    stateInfo: { state: 'ACTIVE' },
    category: 'SECURITY',
    insightSubtype: 'PERMISSIONS_USAGE',
    etag: '"e1"',
  });
  fake.insights.set(INSIGHTS_PARENT, [
    insight('i-ada-editor', {
      role: 'roles/editor',
      member: 'user:ada@example.com',
      exercisedPermissions: [{ permission: 'compute.instances.get' }, { permission: 'compute.instances.list' }],
      inferredPermissions: [],
      currentTotalPermissionsCount: String(EDITOR.length),
    }),
    insight('i-grace-owner', {
      role: 'roles/owner',
      member: 'user:grace@example.com',
      exercisedPermissions: [],
      inferredPermissions: [],
      currentTotalPermissionsCount: String(EDITOR.length + 1),
    }),
    insight('i-empty', undefined),
    insight('i-ci-deployer', {
      role: `organizations/${GCP_ORGANIZATION}/roles/deployer`,
      member: 'serviceAccount:ci@shop-prod-123.iam.gserviceaccount.com',
      exercisedPermissions: [{ permission: 'run.services.update' }],
    }),
  ]);
}

/** A policy with one GCP system on the fakes (a project or a folder) and one entitlement on it. */
export function gcpInventoryPolicy(
  systemId: string,
  endpoint: string,
  target: { projectId: string } | { folderId: string },
  inventory: Record<string, unknown> = {},
): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: [{ id: systemId, cloud: 'gcp', endpoint, inventory, ...target }],
    entitlements: [
      {
        id: 'viewer',
        title: 'View',
        system: systemId,
        grant: { kind: 'gcp-iam-binding', role: 'roles/viewer' },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
}
