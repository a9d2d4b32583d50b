import { createAzureProvider, type AzureProvider, type AzureProviderOptions } from '../../../activities/cloud/azure';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { policySchema, type AuthorizationSystem, type Policy, type PolicyInput } from '../../../domain/policy/schema';

/**
 * A local fake of the two Azure APIs Least calls: Azure Resource Manager's Microsoft.Authorization
 * routes (role assignments, PIM role assignment schedule requests and instances, role definitions) and
 * Microsoft Graph's user lookup. Role definitions are built-in ones known by name, or whole custom
 * roles (permissions, assignable scopes) that can be read and put again, as cleanup narrows them.
 * It is a real HTTP server on 127.0.0.1 that the real
 * AuthorizationManagementClient talks to, so serialization, paging, the retry pipeline and the bearer
 * token all run as in production. It answers like ARM: `{ error: { code, message } }` bodies, 201 on
 * create, 204 on deleting what is not there, 409 RoleAssignmentExists, and it can be told to fail the
 * next matching call (e.g. 429 with Retry-After) or to serve stale reads after a write, as ARM's
 * eventually consistent reads do.
 */

export const FAKE_SUBSCRIPTION_ID = '11111111-2222-3333-4444-555555555555';
export const FAKE_TENANT_ID = '99999999-8888-7777-6666-555555555555';
/** What the tests' static credential hands out. */
export const FAKE_ARM_TOKEN = 'fake-azure-token';

const AUTHZ = '/providers/microsoft.authorization/';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ArmCall {
  method: string;
  /** The path without query, leading slashes collapsed to one. */
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: unknown;
  /** The status the fake answered with. */
  status: number;
  /** Date.now() when the fake received the call. */
  at: number;
}

export interface FakeRoleAssignment {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  description?: string;
  /** An ABAC condition and its version ('2.0'), as ARM stores them. */
  condition?: string;
  conditionVersion?: string;
  createdOn: string;
}

export interface FakeScheduleInstance {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  startDateTime: string;
  endDateTime?: string;
  originRoleAssignmentId: string;
}

export interface FakeScheduleRequest {
  name: string;
  scope: string;
  /** The request body exactly as the client sent it. */
  body: { properties: Record<string, unknown> };
  status: string;
}

interface FakeUser {
  upn: string;
  objectId: string;
  enabled: boolean;
}

/** A custom role definition as ARM keeps it. */
export interface FakeRoleDefinition {
  /** The GUID: the definition's name. */
  name: string;
  /** Where it is defined: `/subscriptions/<id>`. */
  scope: string;
  roleName: string;
  roleType: 'CustomRole';
  description?: string;
  permissions: {
    actions: string[];
    notActions: string[];
    dataActions: string[];
    notDataActions: string[];
    /** A permission condition (ARM's preview API versions): served as stored. */
    condition?: string;
    conditionVersion?: string;
  }[];
  assignableScopes: string[];
  updatedOn: string;
}

interface ArmState {
  assignments: Map<string, FakeRoleAssignment>;
  instances: Map<string, FakeScheduleInstance>;
  /** Custom role definitions by GUID (lower case). */
  roles: Map<string, FakeRoleDefinition>;
}

export type CallMatch =
  { method?: string; path?: RegExp | string } | ((call: { method: string; path: string }) => boolean);

interface Fault {
  match: CallMatch;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class ArmFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const lower = (value: string): string => value.toLowerCase();
const assignmentKey = (scope: string, name: string): string => `${lower(scope)}|${lower(name)}`;
const roleGuidOf = (roleDefinitionId: string): string => lower(roleDefinitionId.split('/').pop() ?? '');

const cloneRole = (role: FakeRoleDefinition): FakeRoleDefinition => structuredClone(role);

function cloneState(state: ArmState): ArmState {
  return {
    assignments: new Map([...state.assignments].map(([key, value]) => [key, { ...value }])),
    instances: new Map([...state.instances].map(([key, value]) => [key, { ...value }])),
    roles: new Map([...state.roles].map(([key, value]) => [key, cloneRole(value)])),
  };
}

export class FakeArm {
  readonly calls: ArmCall[] = [];
  /** Role definitions the subscription has: GUID (lower case) → role name. */
  readonly knownRoleDefinitions = new Map<string, string>();
  /** Scopes (lower case) that exist: the subscription and its resource groups. */
  readonly knownScopes = new Set<string>();
  /** Every PIM schedule request accepted, in order. */
  readonly scheduleRequests: FakeScheduleRequest[] = [];
  /** Page size of list answers; lists longer than this carry a nextLink. */
  pageSize = 50;

  private state: ArmState = { assignments: new Map(), instances: new Map(), roles: new Map() };
  private stale: ArmState | undefined;
  private staleReads = 0;
  private pendingLag = 0;
  private readonly faults: Fault[] = [];
  private readonly users = new Map<string, FakeUser>();
  private readonly principals = new Set<string>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly subscriptionId: string,
  ) {}

  static async start(options: { subscriptionId?: string } = {}): Promise<FakeArm> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeArm(server, `http://127.0.0.1:${port}`, options.subscriptionId ?? FAKE_SUBSCRIPTION_ID);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void fake.handle(request, response);
    });
    fake.knownScopes.add(lower(`/subscriptions/${fake.subscriptionId}`));
    return fake;
  }

  /** Back to an empty subscription: no assignments, requests, users, faults or lag; calls forgotten. */
  reset(): void {
    this.calls.length = 0;
    this.scheduleRequests.length = 0;
    this.faults.length = 0;
    this.knownRoleDefinitions.clear();
    this.knownScopes.clear();
    this.knownScopes.add(lower(`/subscriptions/${this.subscriptionId}`));
    this.users.clear();
    this.principals.clear();
    this.state = { assignments: new Map(), instances: new Map(), roles: new Map() };
    this.stale = undefined;
    this.staleReads = 0;
    this.pendingLag = 0;
    this.pageSize = 50;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers the next call that matches with this status (and ARM-style error body unless one is given). */
  failNext(match: CallMatch, status: number, body?: unknown, headers?: Record<string, string>): void {
    this.faults.push({ match, status, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
  }

  /** The next `count` reads after the next write see the state from before that write. */
  lagReads(count: number): void {
    this.pendingLag = count;
  }

  addUser(upn: string, objectId: string, enabled = true): void {
    this.users.set(lower(upn), { upn, objectId, enabled });
    this.principals.add(lower(objectId));
  }

  /** A principal ARM knows (a user, group or service principal) without a Graph entry. */
  addPrincipal(objectId: string): void {
    this.principals.add(lower(objectId));
  }

  roleAssignmentsAt(scope: string): FakeRoleAssignment[] {
    return [...this.state.assignments.values()].filter((assignment) => lower(assignment.scope) === lower(scope));
  }

  scheduleInstancesAt(scope: string): FakeScheduleInstance[] {
    return [...this.state.instances.values()].filter((instance) => lower(instance.scope) === lower(scope));
  }

  /** Someone assigns a role in the portal, without Least. */
  addRoleAssignment(
    assignment: Omit<FakeRoleAssignment, 'name' | 'createdOn' | 'principalType'> & {
      name?: string;
      principalType?: string;
    },
  ): FakeRoleAssignment {
    const stored: FakeRoleAssignment = {
      principalType: 'User',
      createdOn: new Date().toISOString(),
      ...assignment,
      name: assignment.name ?? randomUUID(),
    };
    this.state.assignments.set(assignmentKey(stored.scope, stored.name), stored);
    return stored;
  }

  /** Someone creates a custom role in the portal; assignments may then name it. */
  addCustomRole(
    role: Omit<FakeRoleDefinition, 'scope' | 'roleType' | 'updatedOn' | 'permissions'> & {
      permissions: Partial<FakeRoleDefinition['permissions'][number]>[];
    },
  ): FakeRoleDefinition {
    const stored: FakeRoleDefinition = {
      ...role,
      scope: `/subscriptions/${this.subscriptionId}`,
      roleType: 'CustomRole',
      permissions: role.permissions.map((block) => ({
        ...block,
        actions: block.actions ?? [],
        notActions: block.notActions ?? [],
        dataActions: block.dataActions ?? [],
        notDataActions: block.notDataActions ?? [],
      })),
      updatedOn: new Date().toISOString(),
    };
    this.state.roles.set(lower(role.name), stored);
    this.knownRoleDefinitions.set(lower(role.name), role.roleName);
    return cloneRole(stored);
  }

  /** A custom role as ARM holds it now (a copy), or undefined. */
  customRole(name: string): FakeRoleDefinition | undefined {
    const found = this.state.roles.get(lower(name));
    return found && cloneRole(found);
  }

  /** Someone edits a custom role in the portal, without Least. */
  editCustomRole(name: string, edit: (role: FakeRoleDefinition) => void): void {
    const found = this.state.roles.get(lower(name));
    if (!found) throw new Error(`the fake has no custom role ${name}`);
    edit(found);
    found.updatedOn = new Date().toISOString();
  }

  /** Someone makes a time-bound PIM assignment in the portal, without Least. */
  addScheduleInstance(
    instance: Omit<FakeScheduleInstance, 'name' | 'originRoleAssignmentId' | 'startDateTime'> & {
      startDateTime?: string;
    },
  ): FakeScheduleInstance {
    return this.activate(this.state, {
      ...instance,
      startDateTime: instance.startDateTime ?? new Date().toISOString(),
    });
  }

  callsTo(method: string, pattern: RegExp): ArmCall[] {
    return this.calls.filter((call) => call.method === method && pattern.test(call.path));
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    // parsed by hand: a path starting with // would otherwise be read as a host
    const [rawPath = '/', rawQuery = ''] = (request.url ?? '/').split('?', 2);
    const url = new URL(`${this.url}/?${rawQuery}`);
    const path = decodeURIComponent(rawPath).replace(/^\/+/, '/');
    const call: ArmCall = {
      method: request.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      ...(raw ? { body: JSON.parse(raw) as unknown } : {}),
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      response.writeHead(status, {
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...headers,
      });
      response.end(text);
    };

    const fault = this.takeFault(call);
    if (fault) {
      send(
        fault.status,
        fault.body ?? {
          error: {
            code: fault.status === 429 ? 'TooManyRequests' : 'InternalServerError',
            message: `Injected ${fault.status}.`,
          },
        },
        fault.headers,
      );
      return;
    }
    if (!call.authorization?.startsWith('Bearer ')) {
      send(401, {
        error: { code: 'AuthenticationFailed', message: 'Authentication failed. The Authorization header is missing.' },
      });
      return;
    }
    try {
      if (path.startsWith('/v1.0/users/')) {
        const [status, body] = this.graphUser(path.slice('/v1.0/users/'.length));
        send(status, body);
        return;
      }
      const [status, body] = this.arm(call, path);
      send(status, body);
    } catch (error) {
      if (error instanceof ArmFailure) send(error.status, { error: { code: error.code, message: error.message } });
      else send(500, { error: { code: 'InternalServerError', message: String(error) } });
    }
  }

  private takeFault(call: ArmCall): Fault | undefined {
    const index = this.faults.findIndex(({ match }) => {
      if (typeof match === 'function') return match(call);
      if (match.method && match.method !== call.method) return false;
      if (match.path === undefined) return true;
      return typeof match.path === 'string' ? call.path.includes(match.path) : match.path.test(call.path);
    });
    return index < 0 ? undefined : this.faults.splice(index, 1)[0];
  }

  private graphUser(upn: string): [number, unknown] {
    const user = this.users.get(lower(upn));
    if (!user) {
      return [
        404,
        {
          error: {
            code: 'Request_ResourceNotFound',
            message: `Resource '${upn}' does not exist or one of its queried reference-property objects are not present.`,
          },
        },
      ];
    }
    return [
      200,
      {
        '@odata.context':
          'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,accountEnabled)/$entity',
        id: user.objectId,
        userPrincipalName: user.upn,
        accountEnabled: user.enabled,
      },
    ];
  }

  // ---- ARM ----------------------------------------------------------------------------------------

  /** Reads see the pre-write snapshot while a lag is running. */
  private readView(): ArmState {
    if (this.stale && this.staleReads > 0) {
      this.staleReads -= 1;
      const view = this.stale;
      if (this.staleReads === 0) this.stale = undefined;
      return view;
    }
    return this.state;
  }

  private beforeWrite(): void {
    if (this.pendingLag > 0) {
      this.stale = cloneState(this.state);
      this.staleReads = this.pendingLag;
      this.pendingLag = 0;
    }
  }

  private arm(call: ArmCall, path: string): [number, unknown] {
    const at = lower(path).lastIndexOf(AUTHZ);
    if (at < 0) throw new ArmFailure(404, 'InvalidResourceType', `The resource type could not be found for ${path}.`);
    const scope = path.slice(0, at) || '/';
    const [collection, name, action] = path.slice(at + AUTHZ.length).split('/');
    const route = `${call.method} ${lower(collection ?? '')}${name ? '/{name}' : ''}${action ? `/${action}` : ''}`;
    const body = call.body as { properties?: Record<string, unknown> } | undefined;
    switch (route) {
      case 'GET roleassignments/{name}':
        return this.getAssignment(scope, name!);
      case 'PUT roleassignments/{name}':
        return this.putAssignment(scope, name!, body?.properties ?? {});
      case 'DELETE roleassignments/{name}':
        return this.deleteAssignment(scope, name!);
      case 'GET roleassignments':
        return this.listAssignments(call, scope);
      case 'PUT roledefinitions/{name}':
        return this.putRoleDefinition(scope, name!, body?.properties ?? {});
      case 'GET roledefinitions/{name}': {
        this.checkScope(scope);
        const custom = this.readView().roles.get(lower(name!));
        if (custom) return [200, this.roleResource(custom)];
        const roleName = this.knownRoleDefinitions.get(lower(name!));
        if (!roleName)
          throw new ArmFailure(404, 'RoleDefinitionDoesNotExist', 'The specified role definition does not exist.');
        return [
          200,
          {
            id: `/subscriptions/${this.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${name}`,
            name,
            type: 'Microsoft.Authorization/roleDefinitions',
            properties: { roleName, type: 'BuiltInRole', permissions: [], assignableScopes: ['/'] },
          },
        ];
      }
      case 'PUT roleassignmentschedulerequests/{name}':
        return this.putScheduleRequest(scope, name!, call.body as FakeScheduleRequest['body']);
      case 'GET roleassignmentschedulerequests/{name}': {
        const found = this.scheduleRequests.find(
          (request) => lower(request.name) === lower(name!) && lower(request.scope) === lower(scope),
        );
        if (!found)
          throw new ArmFailure(
            404,
            'RoleAssignmentScheduleRequestNotFound',
            `Role assignment schedule request ${name} not found.`,
          );
        return [200, this.requestResource(found)];
      }
      case 'GET roleassignmentschedulerequests':
        return this.page(
          call,
          scope,
          this.scheduleRequests
            .filter((request) => lower(request.scope) === lower(scope))
            .map((request) => this.requestResource(request)),
        );
      case 'GET roleassignmentscheduleinstances':
        return this.listInstances(call, scope);
      default:
        throw new ArmFailure(400, 'UnsupportedRoute', `The fake does not serve ${call.method} ${path}.`);
    }
  }

  private checkScope(scope: string): void {
    if (this.knownScopes.has(lower(scope))) return;
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(scope);
    if (!subscription) throw new ArmFailure(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
    if (!this.knownScopes.has(lower(`/subscriptions/${subscription[1]}`))) {
      throw new ArmFailure(404, 'SubscriptionNotFound', `The subscription '${subscription[1]}' could not be found.`);
    }
    const group = /\/resourceGroups\/([^/]+)/i.exec(scope);
    throw new ArmFailure(
      404,
      group ? 'ResourceGroupNotFound' : 'ResourceNotFound',
      group ? `Resource group '${group[1]}' could not be found.` : `The resource '${scope}' was not found.`,
    );
  }

  private roleResource(role: FakeRoleDefinition): unknown {
    return {
      id: `${role.scope}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
      name: role.name,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName: role.roleName,
        type: role.roleType,
        description: role.description ?? null,
        assignableScopes: role.assignableScopes,
        permissions: role.permissions,
        createdOn: '2026-01-05T10:00:00.0000000Z',
        updatedOn: role.updatedOn,
        createdBy: null,
        updatedBy: 'least-test',
      },
    };
  }

  /** Creates or replaces a custom role: built-in roles cannot be written, and a role needs a name and scopes. */
  private putRoleDefinition(scope: string, name: string, properties: Record<string, unknown>): [number, unknown] {
    this.checkScope(scope);
    if (!GUID.test(name))
      throw new ArmFailure(400, 'InvalidRoleDefinitionId', `The role definition ID '${name}' is not valid.`);
    const existing = this.state.roles.get(lower(name));
    if (!existing && this.knownRoleDefinitions.has(lower(name)))
      throw new ArmFailure(403, 'AuthorizationFailed', `Built-in role definition '${name}' cannot be modified.`);
    if (properties.type !== undefined && properties.type !== 'CustomRole')
      throw new ArmFailure(
        400,
        'InvalidRoleDefinitionType',
        `Role type '${String(properties.type)}' cannot be written.`,
      );
    const roleName = properties.roleName;
    const scopes = properties.assignableScopes;
    const permissions = properties.permissions;
    if (typeof roleName !== 'string' || roleName === '')
      throw new ArmFailure(400, 'RoleDefinitionNameNullOrEmpty', 'The role definition name cannot be null or empty.');
    if (!Array.isArray(scopes) || scopes.length === 0)
      throw new ArmFailure(400, 'InvalidAssignableScopes', 'At least one assignable scope must be given.');
    if (!Array.isArray(permissions) || permissions.length === 0)
      throw new ArmFailure(400, 'InvalidPermissions', 'The role definition must have permissions.');
    this.beforeWrite();
    const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
    const stored: FakeRoleDefinition = {
      name: existing?.name ?? name,
      scope,
      roleName,
      roleType: 'CustomRole',
      ...(typeof properties.description === 'string' ? { description: properties.description } : {}),
      permissions: permissions.map((block: Record<string, unknown>) => ({
        actions: list(block.actions),
        notActions: list(block.notActions),
        dataActions: list(block.dataActions),
        notDataActions: list(block.notDataActions),
      })),
      assignableScopes: scopes.map(String),
      updatedOn: new Date().toISOString(),
    };
    this.state.roles.set(lower(name), stored);
    this.knownRoleDefinitions.set(lower(name), roleName);
    return [201, this.roleResource(stored)];
  }

  private checkRoleDefinition(roleDefinitionId: unknown): string {
    const id = String(roleDefinitionId ?? '');
    const match = /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(
      id,
    );
    if (!match || !GUID.test(match[1]!))
      throw new ArmFailure(400, 'InvalidRoleDefinitionId', `The role definition ID '${id}' is not valid.`);
    if (!this.knownRoleDefinitions.has(lower(match[1]!))) {
      throw new ArmFailure(
        400,
        'RoleDefinitionDoesNotExist',
        `The specified role definition with ID '${match[1]}' does not exist.`,
      );
    }
    return id;
  }

  private checkPrincipal(principalId: unknown): string {
    const id = String(principalId ?? '');
    if (!GUID.test(id))
      throw new ArmFailure(400, 'InvalidPrincipalId', `A valid principal ID must be provided for role assignment.`);
    if (!this.principals.has(lower(id))) {
      throw new ArmFailure(
        400,
        'PrincipalNotFound',
        `Principal ${id.replace(/-/g, '')} does not exist in the directory ${FAKE_TENANT_ID}.`,
      );
    }
    return id;
  }

  private assignmentResource(assignment: FakeRoleAssignment): unknown {
    return {
      properties: {
        roleDefinitionId: assignment.roleDefinitionId,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        scope: assignment.scope,
        condition: assignment.condition ?? null,
        conditionVersion: assignment.conditionVersion ?? null,
        createdOn: assignment.createdOn,
        updatedOn: assignment.createdOn,
        createdBy: null,
        updatedBy: 'least-test',
        delegatedManagedIdentityResourceId: null,
        description: assignment.description ?? null,
      },
      id: `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`,
      type: 'Microsoft.Authorization/roleAssignments',
      name: assignment.name,
    };
  }

  private getAssignment(scope: string, name: string): [number, unknown] {
    const found = this.readView().assignments.get(assignmentKey(scope, name));
    if (!found) throw new ArmFailure(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
    return [200, this.assignmentResource(found)];
  }

  private putAssignment(scope: string, name: string, properties: Record<string, unknown>): [number, unknown] {
    this.checkScope(scope);
    const roleDefinitionId = this.checkRoleDefinition(properties.roleDefinitionId);
    const principalId = this.checkPrincipal(properties.principalId);
    const existing = this.state.assignments.get(assignmentKey(scope, name));
    if (existing) {
      if (
        roleGuidOf(existing.roleDefinitionId) !== roleGuidOf(roleDefinitionId) ||
        lower(existing.principalId) !== lower(principalId)
      ) {
        throw new ArmFailure(
          400,
          'RoleAssignmentUpdateNotPermitted',
          'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
        );
      }
      return [201, this.assignmentResource(existing)];
    }
    const duplicate = this.roleAssignmentsAt(scope).find(
      (assignment) =>
        roleGuidOf(assignment.roleDefinitionId) === roleGuidOf(roleDefinitionId) &&
        lower(assignment.principalId) === lower(principalId),
    );
    if (duplicate) throw new ArmFailure(409, 'RoleAssignmentExists', 'The role assignment already exists.');
    this.beforeWrite();
    const stored: FakeRoleAssignment = {
      name,
      scope,
      roleDefinitionId,
      principalId,
      principalType: String(properties.principalType ?? 'User'),
      ...(typeof properties.description === 'string' ? { description: properties.description } : {}),
      ...(typeof properties.condition === 'string' ? { condition: properties.condition } : {}),
      ...(typeof properties.conditionVersion === 'string' ? { conditionVersion: properties.conditionVersion } : {}),
      createdOn: new Date().toISOString(),
    };
    this.state.assignments.set(assignmentKey(scope, name), stored);
    return [201, this.assignmentResource(stored)];
  }

  private deleteAssignment(scope: string, name: string): [number, unknown] {
    const key = assignmentKey(scope, name);
    const existing = this.state.assignments.get(key);
    if (!existing) return [204, undefined];
    this.beforeWrite();
    this.state.assignments.delete(key);
    return [200, this.assignmentResource(existing)];
  }

  /** `atScope()` lists what is assigned at the scope and above it, as ARM does; `principalId eq '…'` filters. */
  private listAssignments(call: ArmCall, scope: string): [number, unknown] {
    const filter = call.query.$filter ?? '';
    const principal = /principalId eq '([^']+)'/i.exec(filter)?.[1];
    const atScope = /atScope\(\)/i.test(filter);
    const target = lower(scope);
    const listed = [...this.readView().assignments.values()].filter((assignment) => {
      const own = lower(assignment.scope);
      const above = target === own || target.startsWith(`${own}/`);
      const below = own.startsWith(`${target}/`);
      if (!(above || (!atScope && below))) return false;
      return !principal || lower(assignment.principalId) === lower(principal);
    });
    return this.page(
      call,
      scope,
      listed.map((assignment) => this.assignmentResource(assignment)),
    );
  }

  private page(call: ArmCall, scope: string, items: unknown[]): [number, unknown] {
    const skip = Number(call.query.$skiptoken ?? 0);
    const value = items.slice(skip, skip + this.pageSize);
    const next = skip + this.pageSize < items.length ? skip + this.pageSize : undefined;
    if (next === undefined) return [200, { value }];
    const query = new URLSearchParams({ ...call.query, $skiptoken: String(next) });
    return [200, { value, nextLink: `${this.url}${call.path}?${query.toString()}` }];
  }

  // ---- PIM ----------------------------------------------------------------------------------------

  private activate(
    state: ArmState,
    instance: Omit<FakeScheduleInstance, 'name' | 'originRoleAssignmentId'>,
  ): FakeScheduleInstance {
    // PIM materialises an active assignment as an ordinary role assignment, linked from the instance
    const assignment: FakeRoleAssignment = {
      name: randomUUID(),
      scope: instance.scope,
      roleDefinitionId: instance.roleDefinitionId,
      principalId: instance.principalId,
      principalType: 'User',
      createdOn: instance.startDateTime,
    };
    state.assignments.set(assignmentKey(assignment.scope, assignment.name), assignment);
    const stored: FakeScheduleInstance = {
      ...instance,
      name: randomUUID(),
      originRoleAssignmentId: `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`,
    };
    state.instances.set(stored.name, stored);
    return stored;
  }

  private activeInstance(
    state: ArmState,
    scope: string,
    roleDefinitionId: string,
    principalId: string,
  ): FakeScheduleInstance | undefined {
    return [...state.instances.values()].find(
      (instance) =>
        lower(instance.scope) === lower(scope) &&
        roleGuidOf(instance.roleDefinitionId) === roleGuidOf(roleDefinitionId) &&
        lower(instance.principalId) === lower(principalId) &&
        (!instance.endDateTime || Date.parse(instance.endDateTime) > Date.now()),
    );
  }

  private requestResource(request: FakeScheduleRequest): unknown {
    return {
      id: `${request.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${request.name}`,
      name: request.name,
      type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
      properties: {
        ...request.body.properties,
        scope: request.scope,
        principalType: 'User',
        status: request.status,
        createdOn: new Date().toISOString(),
      },
    };
  }

  private putScheduleRequest(scope: string, name: string, body: FakeScheduleRequest['body']): [number, unknown] {
    if (this.scheduleRequests.some((request) => lower(request.name) === lower(name))) {
      throw new ArmFailure(
        409,
        'RoleAssignmentRequestExists',
        `A role assignment schedule request with name ${name} already exists.`,
      );
    }
    this.checkScope(scope);
    const properties = body?.properties ?? {};
    const roleDefinitionId = this.checkRoleDefinition(properties.roleDefinitionId);
    const principalId = this.checkPrincipal(properties.principalId);
    const active = this.activeInstance(this.state, scope, roleDefinitionId, principalId);
    const schedule = (properties.scheduleInfo ?? {}) as {
      startDateTime?: string;
      expiration?: { type?: string; endDateTime?: string };
    };
    let status = 'Provisioned';
    switch (properties.requestType) {
      case 'AdminAssign':
        if (active) throw new ArmFailure(409, 'RoleAssignmentExists', 'The Role assignment already exists.');
        this.beforeWrite();
        this.activate(this.state, {
          scope,
          roleDefinitionId,
          principalId,
          startDateTime: schedule.startDateTime ?? new Date().toISOString(),
          ...(schedule.expiration?.type === 'AfterDateTime' && schedule.expiration.endDateTime
            ? { endDateTime: schedule.expiration.endDateTime }
            : {}),
        });
        break;
      case 'AdminExtend':
      case 'AdminUpdate':
        if (!active) throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
        this.beforeWrite();
        if (schedule.expiration?.endDateTime)
          this.state.instances.get(active.name)!.endDateTime = schedule.expiration.endDateTime;
        break;
      case 'AdminRemove': {
        if (!active) throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
        this.beforeWrite();
        this.state.instances.delete(active.name);
        const origin = active.originRoleAssignmentId.split('/').pop()!;
        this.state.assignments.delete(assignmentKey(scope, origin));
        status = 'Revoked';
        break;
      }
      default:
        throw new ArmFailure(
          400,
          'InvalidRequestType',
          `Request type ${String(properties.requestType)} is not supported by the fake.`,
        );
    }
    const stored: FakeScheduleRequest = { name, scope, body, status };
    this.scheduleRequests.push(stored);
    return [201, this.requestResource(stored)];
  }

  private listInstances(call: ArmCall, scope: string): [number, unknown] {
    const filter = call.query.$filter ?? '';
    const principal = /principalId eq '([^']+)'/i.exec(filter)?.[1];
    const role = /roleDefinitionId eq '([^']+)'/i.exec(filter)?.[1];
    const now = Date.now();
    const listed = [...this.readView().instances.values()].filter(
      (instance) =>
        lower(instance.scope) === lower(scope) &&
        (!instance.endDateTime || Date.parse(instance.endDateTime) > now) &&
        (!principal || lower(instance.principalId) === lower(principal)) &&
        (!role || roleGuidOf(instance.roleDefinitionId) === roleGuidOf(role)),
    );
    return this.page(
      call,
      scope,
      listed.map((instance) => ({
        id: `${instance.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/${instance.name}`,
        name: instance.name,
        type: 'Microsoft.Authorization/RoleAssignmentScheduleInstances',
        properties: {
          scope: instance.scope,
          roleDefinitionId: instance.roleDefinitionId,
          principalId: instance.principalId,
          principalType: 'User',
          roleAssignmentScheduleId: `${instance.scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${instance.name}`,
          originRoleAssignmentId: instance.originRoleAssignmentId,
          status: 'Provisioned',
          startDateTime: instance.startDateTime,
          endDateTime: instance.endDateTime ?? null,
          assignmentType: 'Assigned',
          memberType: 'Direct',
          createdOn: instance.startDateTime,
        },
      })),
    );
  }
}

/* ---------- an Azure subscription as the tests find it ---------- */

export const READER_ROLE = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
export const CONTRIBUTOR_ROLE = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
export const PAYMENTS_SCOPE = `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-payments`;
export const AZURE_SYSTEM_ID = 'azure-prod';
export const ADA = { upn: 'ada@example.com', objectId: 'a0a0a0a0-1111-4111-8111-000000000001' };
export const GRACE = { upn: 'grace@example.com', objectId: 'a0a0a0a0-1111-4111-8111-000000000002' };

/** The SDK's auth boundary in tests: a fixed token that never expires, and the scopes it was asked for. */
export function staticCredential(token = FAKE_ARM_TOKEN): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(scope: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 24 * 3600 * 1000 });
    },
  };
}

/** The subscription's roles, its payments resource group and two directory users. */
export function seedSubscription(fake: FakeArm): void {
  fake.knownRoleDefinitions.set(READER_ROLE, 'Reader');
  fake.knownRoleDefinitions.set(CONTRIBUTOR_ROLE, 'Contributor');
  fake.knownScopes.add(PAYMENTS_SCOPE.toLowerCase());
  fake.addUser(ADA.upn, ADA.objectId);
  fake.addUser(GRACE.upn, GRACE.objectId);
}

export function azurePolicy(fake: FakeArm, principals: PolicyInput['principals'] = {}): Policy {
  const approvers = { users: ['lead@example.com'] };
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: AZURE_SYSTEM_ID,
        cloud: 'azure',
        tenantId: FAKE_TENANT_ID,
        subscriptionId: fake.subscriptionId,
        endpoint: fake.url,
        graphEndpoint: fake.url,
      },
    ],
    principals,
    entitlements: [
      {
        id: 'payments-reader',
        title: 'Read the payments resource group',
        system: AZURE_SYSTEM_ID,
        grant: { kind: 'azure-role-assignment', roleDefinitionId: READER_ROLE, scope: PAYMENTS_SCOPE },
        requesters: { everyone: true },
        approvers,
      },
      {
        id: 'payments-contributor',
        title: 'Contribute to the payments resource group (PIM)',
        system: AZURE_SYSTEM_ID,
        grant: {
          kind: 'azure-pim-activation',
          roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR_ROLE}`,
          scope: PAYMENTS_SCOPE,
        },
        requesters: { everyone: true },
        approvers,
      },
    ],
  } satisfies PolicyInput);
}

export function azureSystemOf(policy: Policy): AuthorizationSystem {
  return policy.authorizationSystems[0]!;
}

/**
 * A provider test's starting point: the fake reset to a seeded subscription, the policy naming it,
 * and a provider with fast retries talking to it through a static credential.
 */
export function freshAzureContext(
  fake: FakeArm,
  options: { principals?: PolicyInput['principals']; provider?: AzureProviderOptions } = {},
): {
  policy: Policy;
  system: AuthorizationSystem;
  provider: AzureProvider;
  credential: ReturnType<typeof staticCredential>;
} {
  fake.reset();
  seedSubscription(fake);
  const policy = azurePolicy(fake, options.principals);
  const credential = staticCredential();
  const provider = createAzureProvider({
    credential,
    retry: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    consistency: { delaysMs: [5, 5, 5, 5] },
    ...options.provider,
  });
  return { policy, system: azureSystemOf(policy), provider, credential };
}
