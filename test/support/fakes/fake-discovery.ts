import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { FAKE_ARM_TOKEN } from './fake-arm';

/**
 * What `least inventory discover` reads outside AWS, on 127.0.0.1, for the real clients: ARM's
 * subscription list (`GET /subscriptions?api-version=2022-12-01`, paged by an absolute `nextLink` with a
 * `$skiptoken`) and Resource Manager v3's hierarchy over HTTP/JSON (`GET /v3/projects/ID`,
 * `GET /v3/projects?parent=…` and `GET /v3/folders?parent=…`, paged by `nextPageToken`). Bearer tokens
 * are checked; errors are shaped as each cloud shapes them; the next call under a path can be made to fail.
 */

export interface FakeSubscription {
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: string;
}

export interface FakeProject {
  projectId: string;
  displayName: string;
  /** `folders/ID` or `organizations/ID`. */
  parent: string;
  state: 'ACTIVE' | 'DELETE_REQUESTED';
}

export interface FakeFolder {
  /** `folders/ID`. */
  name: string;
  parent: string;
}

const PROJECT_STATES = ['STATE_UNSPECIFIED', 'ACTIVE', 'DELETE_REQUESTED'];

export const FAKE_GCP_DISCOVERY_TOKEN = 'fake-gcp-discovery-token';

const GOOGLE_STATUS: Record<number, string> = { 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 503: 'UNAVAILABLE' };

export class FakeDiscovery {
  readonly subscriptions: FakeSubscription[] = [];
  readonly projects: FakeProject[] = [];
  readonly folders: FakeFolder[] = [];
  /** Items per page of every list. */
  pageSize = 2;
  /** Each request's method, path and query, in order. */
  readonly calls: string[] = [];
  private readonly failures: { path: string; status: number }[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeDiscovery> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeDiscovery(server, `http://127.0.0.1:${port}`);
    server.on('request', (request, response) => fake.handle(request, response));
    return fake;
  }

  /** The next call whose path starts with `path` answers `status`. */
  failNext(path: string, status: number): void {
    this.failures.push({ path, status });
  }

  /** An OAuth2 client holding the token the Resource Manager routes accept. */
  gcpAuthClient(): OAuth2Client {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: FAKE_GCP_DISCOVERY_TOKEN, expiry_date: Date.now() + 24 * 3600 * 1000 });
    return client;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    this.calls.push(`${request.method} ${url.pathname}${decodeURIComponent(url.search)}`);
    const arm = !url.pathname.startsWith('/v3/');
    const [status, body] = this.answer(request, url, arm);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private answer(request: http.IncomingMessage, url: URL, arm: boolean): [number, unknown] {
    const token = arm ? FAKE_ARM_TOKEN : FAKE_GCP_DISCOVERY_TOKEN;
    if (request.headers.authorization !== `Bearer ${token}`) return this.error(arm, 401, 'no valid bearer token');
    const failure = this.failures.findIndex((f) => url.pathname.startsWith(f.path));
    if (failure >= 0) {
      const { status } = this.failures.splice(failure, 1)[0]!;
      return this.error(arm, status, `the caller does not have permission for ${url.pathname}`);
    }
    if (request.method !== 'GET') return this.error(arm, 405, `${request.method} is not served`);
    if (url.pathname === '/subscriptions') {
      if (url.searchParams.get('api-version') !== '2022-12-01') return this.error(arm, 400, 'unknown api-version');
      const [value, skip] = this.page(this.subscriptions, url.searchParams.get('$skiptoken'));
      const next = new URL(url);
      next.searchParams.set('$skiptoken', String(skip));
      return [
        200,
        {
          value: value.map((s) => ({ id: `/subscriptions/${s.subscriptionId}`, ...s })),
          ...(skip === undefined ? {} : { nextLink: next.toString() }),
        },
      ];
    }
    if (url.pathname === '/v3/projects' || url.pathname === '/v3/folders') {
      const parent = url.searchParams.get('parent');
      if (!parent) return this.error(arm, 400, 'parent is required');
      const all = url.pathname === '/v3/projects' ? this.projects : this.folders;
      const [page, skip] = this.page(
        all.filter((item) => item.parent === parent),
        url.searchParams.get('pageToken'),
      );
      const items = page.map((item) => ('projectId' in item ? this.projectJson(item, url) : item));
      const key = url.pathname === '/v3/projects' ? 'projects' : 'folders';
      return [200, { [key]: items, ...(skip === undefined ? {} : { nextPageToken: `after-${skip}` }) }];
    }
    const project = /^\/v3\/projects\/([^/:]+)$/.exec(url.pathname);
    if (project) {
      const found = this.projects.find((p) => p.projectId === project[1]);
      // Google answers 403 for a project that does not exist, as for one the caller may not see
      return found ? [200, this.projectJson(found, url)] : this.error(arm, 403, 'the caller does not have permission');
    }
    return this.error(arm, 404, `no route ${url.pathname}`);
  }

  /** A project as Google sends it: its state a number when the client asks for `enum-encoding=int`. */
  private projectJson(project: FakeProject, url: URL): Record<string, unknown> {
    const numbered = url.searchParams.get('$alt')?.includes('enum-encoding=int');
    return {
      name: `projects/${project.projectId}`,
      ...project,
      state: numbered ? PROJECT_STATES.indexOf(project.state) : project.state,
    };
  }

  /** One page from an offset token (`3` or `after-3`); the offset of the next page if there is one. */
  private page<T>(items: T[], token: string | null): [T[], number | undefined] {
    const from = token ? Number(token.replace(/^after-/, '')) : 0;
    const to = from + this.pageSize;
    return [items.slice(from, to), to < items.length ? to : undefined];
  }

  private error(arm: boolean, status: number, message: string): [number, unknown] {
    if (arm) {
      const code =
        status === 403 ? 'AuthorizationFailed' : status === 401 ? 'InvalidAuthenticationToken' : 'BadRequest';
      return [status, { error: { code, message } }];
    }
    return [status, { error: { code: status, message, status: GOOGLE_STATUS[status] ?? 'INVALID_ARGUMENT' } }];
  }
}
