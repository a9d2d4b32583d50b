import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';

/**
 * Google Cloud Resource Manager v3's IAM policy methods over HTTP/JSON, as the real SDK's REST transport
 * calls them (`POST /v3/projects/ID:getIamPolicy`, `:setIamPolicy`, folders likewise), with the
 * semantics Least depends on: opaque base64 etags that change on every write, 409 ABORTED for a stale
 * etag, version 3 required for conditions (a lower read gets Google's `_withcond_` stand-ins), 400 for
 * unknown roles and members and for conditions on basic roles, 403 for unknown projects and folders (as
 * Google answers; 404 on request), bearer tokens checked, errors as `{ error: { code, message, status } }`.
 */

export interface FakeCondition {
  title: string;
  description?: string;
  expression: string;
}

export interface FakeBinding {
  role: string;
  members: string[];
  condition?: FakeCondition;
}

/** A policy as GCP returns it in JSON: empty fields left out. */
export interface FakePolicy {
  version: number;
  etag: string;
  bindings: FakeBinding[];
}

export type FakeMethod = 'getIamPolicy' | 'setIamPolicy';

export interface FakeCall {
  method: FakeMethod;
  /** `projects/p` or `folders/123`. */
  resource: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  status: number;
}

interface Failure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Hook = (fake: FakeResourceManager) => void | Promise<void>;

const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

class GoogleError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const newEtag = (): string => randomBytes(8).toString('base64');

/** Drops what GCP leaves out of its JSON: empty strings, empty conditions, repeated members. */
function normalise(binding: FakeBinding): FakeBinding {
  const members = [...new Set(binding.members ?? [])];
  const condition = binding.condition;
  if (!condition || (!condition.title && !condition.expression)) return { role: binding.role, members };
  // fields in proto order, as Google prints them
  const kept = {
    expression: condition.expression,
    title: condition.title,
    ...(condition.description ? { description: condition.description } : {}),
  };
  return { role: binding.role, members, condition: kept };
}

const copy = <T>(value: T): T => structuredClone(value);

export class FakeResourceManager {
  /** The access token the fake accepts; give the SDK an auth client that sends it. */
  readonly token = `fake-gcp-token-${randomBytes(4).toString('hex')}`;
  readonly calls: FakeCall[] = [];
  readonly knownRoles = new Set([
    'roles/browser',
    'roles/viewer',
    'roles/editor',
    'roles/owner',
    'roles/logging.viewer',
    'roles/storage.objectViewer',
    'roles/bigquery.dataViewer',
    'roles/cloudsql.client',
    'roles/iam.securityReviewer',
  ]);
  readonly knownProjects = new Set<string>();
  readonly knownFolders = new Set<string>();
  /** Members GCP answers "does not exist" for (deleted users, mistyped service accounts). */
  readonly missingMembers = new Set<string>();
  /** What an unknown project or folder gets: Google usually answers 403 so as not to reveal existence. */
  missingResourceStatus: 403 | 404 = 403;

  private readonly policies = new Map<string, FakePolicy>();
  private readonly failures: Record<FakeMethod, Failure[]> = { getIamPolicy: [], setIamPolicy: [] };
  private readonly readHooks: Hook[] = [];
  private readonly lostAnswers: Record<FakeMethod, number[]> = { getIamPolicy: [], setIamPolicy: [] };

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  /** What a worker's credentials become at the SDK's auth boundary: an OAuth2 client holding the fake's token. */
  authClient(): OAuth2Client {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: this.token, expiry_date: Date.now() + 24 * 3600 * 1000 });
    return client;
  }

  static async start(): Promise<FakeResourceManager> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeResourceManager(server, `http://127.0.0.1:${port}`);
    server.on('request', (request, response) => void fake.handle(request, response));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The stored policy as a version-3 read returns it (an empty version-1 policy when none was written). */
  policyOf(resource: string): FakePolicy {
    return copy(this.stored(resource));
  }

  /** Writes a policy out of band (the console, gcloud, another tool): the etag changes. */
  setPolicy(resource: string, policy: { version?: number; bindings: FakeBinding[] }): FakePolicy {
    const [kind, id] = resource.split('/');
    (kind === 'folders' ? this.knownFolders : this.knownProjects).add(id!);
    const bindings = policy.bindings.map(normalise).filter((binding) => binding.members.length > 0);
    for (const binding of bindings) this.knownRoles.add(binding.role);
    const stored: FakePolicy = {
      version: policy.version ?? (bindings.some((b) => b.condition) ? 3 : 1),
      etag: newEtag(),
      bindings,
    };
    this.policies.set(resource, stored);
    return copy(stored);
  }

  /** Edits the stored policy out of band, as another writer would. */
  editPolicy(resource: string, edit: (bindings: FakeBinding[]) => FakeBinding[]): FakePolicy {
    const current = this.stored(resource);
    return this.setPolicy(resource, { version: current.version, bindings: edit(copy(current.bindings)) });
  }

  /** The next call of `method` fails with this status (and Google's error body unless one is given). */
  failNext(method: FakeMethod, status: number, body?: unknown, headers?: Record<string, string>): void {
    this.failures[method].push({ status, body, headers });
  }

  /** The next call of `method` is carried out, but its answer is lost: the client sees this status instead. */
  loseNextAnswer(method: FakeMethod, status = 503): void {
    this.lostAnswers[method].push(status);
  }

  /** Runs `hook` after the next read is answered from a snapshot and before it is sent: a writer in between. */
  onNextRead(hook: Hook): void {
    this.readHooks.push(hook);
  }

  /** The successful setIamPolicy calls. */
  writes(): FakeCall[] {
    return this.calls.filter((call) => call.method === 'setIamPolicy' && call.status === 200);
  }

  reset(): void {
    this.calls.length = 0;
    this.policies.clear();
    this.parents.clear();
    this.knownProjects.clear();
    this.knownFolders.clear();
    this.missingMembers.clear();
    this.failures.getIamPolicy.length = 0;
    this.failures.setIamPolicy.length = 0;
    this.readHooks.length = 0;
    this.lostAnswers.getIamPolicy.length = 0;
    this.lostAnswers.setIamPolicy.length = 0;
    this.missingResourceStatus = 403;
  }

  private stored(resource: string): FakePolicy {
    return this.policies.get(resource) ?? { version: 1, etag: 'ACAB', bindings: [] };
  }

  /** Where each project or folder sits (`projects/p` → `folders/1`, `folders/1` → `organizations/9`), for reads of the hierarchy. */
  readonly parents = new Map<string, string>();

  /**
   * Routes the inventory collector adds: `GET /v3/projects/ID`, `GET /v3/folders/ID` (their parent) and
   * `POST /v3/organizations/ID:getIamPolicy` (an organization's policy is stored like any other, by
   * `setPolicy('organizations/9', …)`). Answers true when it handled the request.
   */
  private hierarchy(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const path = new URL(request.url ?? '/', this.url).pathname;
    const get = /^\/v3\/(projects|folders)\/([^/:]+)$/.exec(path);
    const organization = /^\/v3\/(organizations\/[^/:]+):getIamPolicy$/.exec(path);
    if (!(request.method === 'GET' && get) && !(request.method === 'POST' && organization)) return false;
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      this.send(response, 401, this.errorBody(401, 'Request had invalid authentication credentials.'));
      return true;
    }
    if (organization) {
      const resource = organization[1]!;
      if (!this.policies.has(resource)) {
        this.send(response, 403, this.errorBody(403, `The caller does not have permission (${resource}).`));
        return true;
      }
      const policy = this.stored(resource);
      this.send(response, 200, { version: policy.version, etag: policy.etag, bindings: policy.bindings });
      return true;
    }
    const resource = `${get![1]}/${get![2]}`;
    const known = get![1] === 'projects' ? this.knownProjects : this.knownFolders;
    if (!known.has(get![2]!)) {
      this.send(
        response,
        403,
        this.errorBody(403, `The caller does not have permission (${resource}, or it may not exist).`),
      );
      return true;
    }
    const parent = this.parents.get(resource);
    this.send(response, 200, {
      name: resource,
      ...(get![1] === 'projects' ? { projectId: get![2] } : {}),
      ...(parent ? { parent } : {}),
      state: 'ACTIVE',
      displayName: get![2],
    });
    return true;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (this.hierarchy(request, response)) return;
    const route = /^\/v3\/((projects|folders)\/([^/:]+)):(getIamPolicy|setIamPolicy)$/.exec(
      new URL(request.url ?? '/', this.url).pathname,
    );
    let call: FakeCall | undefined;
    try {
      if (request.method !== 'POST' || !route)
        throw new GoogleError(404, `The requested URL ${request.url} was not found on this server.`);
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      call = {
        method: route[4] as FakeMethod,
        resource: route[1]!,
        body,
        authorization: request.headers.authorization,
        at: Date.now(),
        status: 200,
      };
      this.calls.push(call);
      if (request.headers.authorization !== `Bearer ${this.token}`) {
        throw new GoogleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      }
      const failure = this.failures[call.method].shift();
      if (failure) {
        call.status = failure.status;
        this.send(
          response,
          failure.status,
          failure.body ?? this.errorBody(failure.status, `injected ${failure.status}`),
          failure.headers,
        );
        return;
      }
      this.checkResource(route[2] as 'projects' | 'folders', route[3]!, call.method);
      if (call.method === 'getIamPolicy') {
        const options = body.options as { requestedPolicyVersion?: number } | undefined;
        const answer = this.read(call.resource, options?.requestedPolicyVersion ?? 0);
        const hook = this.readHooks.shift();
        if (hook) await hook(this);
        this.answer(response, call, answer);
      } else {
        this.answer(response, call, this.write(call.resource, body.policy as Partial<FakePolicy> | undefined));
      }
    } catch (error) {
      const status = error instanceof GoogleError ? error.code : 500;
      if (call) call.status = status;
      this.send(
        response,
        status,
        this.errorBody(status, (error as Error).message),
        error instanceof GoogleError ? error.headers : {},
      );
    }
  }

  private checkResource(kind: 'projects' | 'folders', id: string, method: FakeMethod): void {
    const known = kind === 'projects' ? this.knownProjects : this.knownFolders;
    if (known.has(id)) return;
    if (this.missingResourceStatus === 404)
      throw new GoogleError(404, `${kind === 'projects' ? 'Project' : 'Folder'} '${kind}/${id}' not found.`);
    const permission = `resourcemanager.${kind}.${method}`;
    throw new GoogleError(
      403,
      `The caller does not have permission (${permission} on ${kind}/${id}, or it may not exist).`,
    );
  }

  /** Google's answer to a read below version 3: conditional bindings renamed and stripped of their condition. */
  private read(resource: string, requestedVersion: number): unknown {
    const policy = this.stored(resource);
    const bindings =
      requestedVersion >= 3
        ? policy.bindings
        : policy.bindings.map((binding) =>
            binding.condition
              ? {
                  role: `${binding.role}_withcond_${createHash('sha256').update(JSON.stringify(binding.condition)).digest('hex').slice(0, 20)}`,
                  members: binding.members,
                }
              : binding,
          );
    const version = requestedVersion >= 3 ? policy.version : 1;
    return bindings.length > 0 ? { version, etag: policy.etag, bindings } : { version, etag: policy.etag };
  }

  private write(resource: string, policy: Partial<FakePolicy> | undefined): unknown {
    if (!policy) throw new GoogleError(400, 'Invalid JSON payload: policy is required.');
    const current = this.stored(resource);
    if (policy.etag !== undefined && policy.etag !== current.etag) {
      throw new GoogleError(
        409,
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      );
    }
    const version = policy.version ?? 0;
    const bindings = (policy.bindings ?? []).map(normalise).filter((binding) => binding.members.length > 0);
    for (const binding of bindings) {
      if (!this.knownRoles.has(binding.role))
        throw new GoogleError(400, `Role ${binding.role} is not supported for this resource.`);
      if (!binding.condition) continue;
      if (version < 3)
        throw new GoogleError(
          400,
          `Policy version ${version} cannot contain conditional role bindings; set version 3.`,
        );
      if (BASIC_ROLES.has(binding.role))
        throw new GoogleError(400, `Conditions are not supported for the basic role ${binding.role}.`);
      for (const member of binding.members) {
        if (member === 'allUsers' || member === 'allAuthenticatedUsers')
          throw new GoogleError(400, `Conditions cannot be used with ${member}.`);
      }
    }
    for (const member of bindings.flatMap((binding) => binding.members)) {
      if (this.missingMembers.has(member)) {
        const [type, name] = member.split(':');
        const what = type === 'serviceAccount' ? 'Service account' : type === 'group' ? 'Group' : 'User';
        throw new GoogleError(400, `${what} ${name} does not exist.`);
      }
    }
    const stored: FakePolicy = { version: Math.max(version, 1), etag: newEtag(), bindings };
    this.policies.set(resource, stored);
    return bindings.length > 0 ? stored : { version: stored.version, etag: stored.etag };
  }

  private answer(response: http.ServerResponse, call: FakeCall, body: unknown): void {
    const lost = this.lostAnswers[call.method].shift();
    if (lost === undefined) return this.send(response, 200, body);
    call.status = lost;
    this.send(response, lost, this.errorBody(lost, 'The service is currently unavailable.'));
  }

  private errorBody(code: number, message: string): unknown {
    return { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' } };
  }

  private send(
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    response.end(JSON.stringify(body));
  }
}
