import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local fake of what the Azure inventory collector reads, on 127.0.0.1, spoken to by the real SDK
 * clients: ARM's role assignments for a subscription (every scope under it, and one inherited from a
 * management group) with `nextLink` paging, role definitions by id, the provider-operations list
 * (`$expand=resourceTypes`, paged), the Monitor Activity Log (`$filter` must carry an
 * `eventTimestamp ge` start, as ARM requires; paged), and Microsoft Graph's users (with
 * `signInActivity`), groups, service principals and `transitiveMemberOf`, paged by `@odata.nextLink`.
 * It can fail the next matching call (429 with Retry-After, 5xx) and records every call.
 */

export const INVENTORY_SUBSCRIPTION = '22222222-3333-4444-5555-666666666666';
export const INVENTORY_TENANT = '77777777-8888-4999-8aaa-bbbbbbbbbbbb';

export interface InventoryCall {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeAzureAssignment {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: 'User' | 'Group' | 'ServicePrincipal';
  condition?: string;
}

export interface FakeRoleDefinitionBody {
  roleName: string;
  type: 'BuiltInRole' | 'CustomRole';
  /** Anything: a malformed definition is served as given. */
  permissions: unknown;
  /** Where the role may be assigned; `/` (everywhere) when not given, as for built-in roles. */
  assignableScopes?: string[];
}

export interface FakeProviderOperation {
  name: string;
  isDataAction?: boolean;
}

export interface FakeProvider {
  name: string;
  operations: FakeProviderOperation[];
  resourceTypes: { name: string; operations: FakeProviderOperation[] }[];
}

export interface FakeGraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  createdDateTime: string;
  lastSignInDateTime?: string;
  lastNonInteractiveSignInDateTime?: string;
}

export interface FakeGraphGroup {
  id: string;
  displayName: string;
  /** Direct members: user, service principal or group ids. */
  members: string[];
}

export interface FakeGraphServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
}

interface Fault {
  match: (call: { method: string; path: string }) => boolean;
  status: number;
  headers: Record<string, string>;
}

const lower = (value: string): string => value.toLowerCase();

export class FakeAzureInventory {
  readonly calls: InventoryCall[] = [];
  readonly assignments: FakeAzureAssignment[] = [];
  /** Role definition id (the full ARM id, lower case) → definition. */
  readonly roleDefinitions = new Map<string, FakeRoleDefinitionBody & { id: string }>();
  readonly providers: FakeProvider[] = [];
  /** Activity Log events exactly as ARM returns them (JSON). */
  readonly events: Record<string, unknown>[] = [];
  readonly users: FakeGraphUser[] = [];
  readonly groups: FakeGraphGroup[] = [];
  readonly servicePrincipals: FakeGraphServicePrincipal[] = [];
  /** Page sizes: ARM lists, provider operations (providers per page), Activity Log events; Graph uses `$top`. */
  pageSize = { arm: 2, providers: 2, events: 3 };
  /** Graph refuses `signInActivity` (no licence or no AuditLog.Read.All). */
  signInActivityForbidden = false;

  private readonly faults: Fault[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly subscriptionId: string,
  ) {}

  static async start(): Promise<FakeAzureInventory> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeAzureInventory(server, `http://127.0.0.1:${port}`, INVENTORY_SUBSCRIPTION);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => fake.handle(request, response));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next call whose path contains `pathPart` answers `status` (with these headers). */
  failNext(pathPart: string, status: number, headers: Record<string, string> = {}): void {
    this.faults.push({ match: (call) => lower(call.path).includes(lower(pathPart)), status, headers });
  }

  callsTo(pathPart: string): InventoryCall[] {
    return this.calls.filter((call) => lower(call.path).includes(lower(pathPart)));
  }

  addRoleDefinition(guid: string, body: FakeRoleDefinitionBody): string {
    const id = `/subscriptions/${this.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    this.roleDefinitions.set(lower(id), { ...body, id });
    return id;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    // the SDK sends `//subscriptions/…` for an id-based path: collapse it, or URL would read a host
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), this.url);
    const call: InventoryCall = {
      method: request.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      status: 200,
    };
    this.calls.push(call);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const faultAt = this.faults.findIndex((fault) => fault.match(call));
    if (faultAt >= 0) {
      const [fault] = this.faults.splice(faultAt, 1);
      const code = fault!.status === 429 ? 'TooManyRequests' : 'InternalServerError';
      send(fault!.status, { error: { code, message: `Injected ${fault!.status}.` } }, fault!.headers);
      return;
    }
    if (!request.headers.authorization?.startsWith('Bearer ')) {
      send(401, { error: { code: 'AuthenticationFailed', message: 'The Authorization header is missing.' } });
      return;
    }
    const [status, body] = call.path.startsWith('/v1.0/') ? this.graph(call, url) : this.arm(call, url);
    send(status, body);
  }

  // ---- ARM ----------------------------------------------------------------------------------------

  private arm(call: InventoryCall, url: URL): [number, unknown] {
    const path = lower(call.path);
    const subscription = `/subscriptions/${lower(this.subscriptionId)}`;
    if (path === `${subscription}/providers/microsoft.authorization/roleassignments`) {
      return this.page(
        url,
        this.pageSize.arm,
        this.assignments.map((assignment) => this.assignmentJson(assignment)),
      );
    }
    if (path.includes('/providers/microsoft.authorization/roledefinitions/')) {
      const definition = this.roleDefinitions.get(path);
      if (!definition) {
        return [
          404,
          { error: { code: 'RoleDefinitionDoesNotExist', message: 'The specified role definition does not exist.' } },
        ];
      }
      return [
        200,
        {
          id: definition.id,
          name: definition.id.split('/').pop(),
          type: 'Microsoft.Authorization/roleDefinitions',
          properties: {
            roleName: definition.roleName,
            type: definition.type,
            description: `${definition.roleName} (fake)`,
            assignableScopes: definition.assignableScopes ?? ['/'],
            permissions: definition.permissions,
            createdOn: '2015-02-02T21:55:09.8806423Z',
            updatedOn: '2024-01-01T00:00:00.0000000Z',
          },
        },
      ];
    }
    if (path === '/providers/microsoft.authorization/provideroperations') {
      const expand = call.query.$expand === 'resourceTypes';
      const providers = this.providers.map((provider) => ({
        id: `/providers/Microsoft.Authorization/providerOperations/${provider.name}`,
        name: provider.name,
        type: 'Microsoft.Authorization/providerOperations',
        displayName: provider.name,
        operations: provider.operations.map((operation) => this.operationJson(operation)),
        resourceTypes: expand
          ? provider.resourceTypes.map((resourceType) => ({
              name: resourceType.name,
              displayName: resourceType.name,
              operations: resourceType.operations.map((operation) => this.operationJson(operation)),
            }))
          : [],
      }));
      return this.page(url, this.pageSize.providers, providers);
    }
    if (path === `${subscription}/providers/microsoft.insights/eventtypes/management/values`) {
      const filter = call.query.$filter ?? '';
      const start = /eventTimestamp ge '([^']+)'/i.exec(filter)?.[1];
      const end = /eventTimestamp le '([^']+)'/i.exec(filter)?.[1];
      if (!start || Number.isNaN(Date.parse(start))) {
        return [
          400,
          { error: { code: 'BadRequest', message: 'The $filter must specify a start time (eventTimestamp ge).' } },
        ];
      }
      if (Date.parse(start) < Date.now() - 90 * 86_400_000) {
        return [
          400,
          { error: { code: 'BadRequest', message: 'The start time cannot be more than 90 days in the past.' } },
        ];
      }
      const events = this.events.filter((event) => {
        const at = Date.parse(String(event.eventTimestamp));
        return Number.isNaN(at) || (at >= Date.parse(start) && (!end || at <= Date.parse(end)));
      });
      return this.page(url, this.pageSize.events, events);
    }
    return [404, { error: { code: 'InvalidResourceType', message: `No route for ${call.path} in the fake.` } }];
  }

  private operationJson(operation: FakeProviderOperation): unknown {
    return {
      name: operation.name,
      displayName: operation.name,
      description: '',
      origin: 'user,system',
      isDataAction: operation.isDataAction ?? false,
    };
  }

  private assignmentJson(assignment: FakeAzureAssignment): unknown {
    return {
      id: `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`,
      name: assignment.name,
      type: 'Microsoft.Authorization/roleAssignments',
      properties: {
        roleDefinitionId: assignment.roleDefinitionId,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        scope: assignment.scope,
        condition: assignment.condition ?? null,
        conditionVersion: assignment.condition ? '2.0' : null,
        createdOn: '2024-03-01T10:00:00.0000000Z',
      },
    };
  }

  /** ARM paging: `$skiptoken` in a `nextLink` that repeats the query. */
  private page(url: URL, size: number, items: unknown[]): [number, unknown] {
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const value = items.slice(skip, skip + size);
    if (skip + size >= items.length) return [200, { value }];
    const next = new URL(url.toString());
    next.searchParams.set('$skiptoken', String(skip + size));
    return [200, { value, nextLink: `${this.url}${next.pathname}${next.search}` }];
  }

  // ---- Microsoft Graph ----------------------------------------------------------------------------

  private graph(call: InventoryCall, url: URL): [number, unknown] {
    const select = (url.searchParams.get('$select') ?? '').split(',');
    const [, , collection, id, relation, cast] = call.path.split('/');
    if (collection === 'users' && !id) {
      if (select.includes('signInActivity') && this.signInActivityForbidden) {
        return [
          403,
          {
            error: {
              code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
              message: "Neither tenant is B2C or tenant doesn't have premium license",
            },
          },
        ];
      }
      return this.graphPage(
        url,
        this.users.map((user) => ({
          id: user.id,
          userPrincipalName: user.userPrincipalName,
          displayName: user.displayName,
          accountEnabled: user.accountEnabled,
          createdDateTime: user.createdDateTime,
          userType: 'Member',
          ...(select.includes('signInActivity')
            ? {
                signInActivity: {
                  lastSignInDateTime: user.lastSignInDateTime ?? null,
                  lastNonInteractiveSignInDateTime: user.lastNonInteractiveSignInDateTime ?? null,
                  lastSuccessfulSignInDateTime: null,
                },
              }
            : {}),
        })),
      );
    }
    if (collection === 'groups' && !id) {
      return this.graphPage(
        url,
        this.groups.map((group) => ({
          id: group.id,
          displayName: group.displayName,
          createdDateTime: '2023-05-05T00:00:00Z',
        })),
      );
    }
    if (collection === 'servicePrincipals' && !id) {
      return this.graphPage(
        url,
        this.servicePrincipals.map((principal) => ({
          ...principal,
          accountEnabled: true,
          createdDateTime: '2023-06-06T00:00:00Z',
        })),
      );
    }
    if ((collection === 'users' || collection === 'servicePrincipals') && id && relation === 'transitiveMemberOf') {
      if (cast && cast !== 'microsoft.graph.group') return [400, { error: { code: 'BadRequest', message: 'cast' } }];
      return this.graphPage(
        url,
        this.transitiveGroupsOf(id).map((group) => ({ '@odata.type': '#microsoft.graph.group', id: group.id })),
      );
    }
    return [404, { error: { code: 'Request_ResourceNotFound', message: `No route for ${call.path} in the fake.` } }];
  }

  private transitiveGroupsOf(memberId: string): FakeGraphGroup[] {
    const found = new Map<string, FakeGraphGroup>();
    let frontier = [lower(memberId)];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const group of this.groups) {
        if (found.has(group.id) || !group.members.some((member) => frontier.includes(lower(member)))) continue;
        found.set(group.id, group);
        next.push(lower(group.id));
      }
      frontier = next;
    }
    return [...found.values()];
  }

  /** Graph paging: `$top` items, then an `@odata.nextLink` with a `$skiptoken`. */
  private graphPage(url: URL, items: unknown[]): [number, unknown] {
    const top = Number(url.searchParams.get('$top') ?? 100);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const value = items.slice(skip, skip + top);
    if (skip + top >= items.length) return [200, { value }];
    const next = new URL(url.toString());
    next.searchParams.set('$skiptoken', String(skip + top));
    return [200, { value, '@odata.nextLink': `${this.url}${next.pathname}${next.search}` }];
  }
}

/* ---------- a subscription and tenant as the inventory tests find them ---------- */

export const OWNER_ROLE = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
export const CONTRIBUTOR_ROLE = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
export const READER_ROLE = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
export const BLOB_READER_ROLE = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
export const VM_READER_ROLE = 'c0c0c0c0-0000-4000-8000-000000000001';
export const BROKEN_ROLE = 'c0c0c0c0-0000-4000-8000-000000000002';
export const DELETED_ROLE = 'c0c0c0c0-0000-4000-8000-000000000003';

export const AZ = {
  ada: 'a1a1a1a1-0000-4000-8000-000000000001',
  grace: 'a1a1a1a1-0000-4000-8000-000000000002',
  linus: 'a1a1a1a1-0000-4000-8000-000000000003',
  platform: 'b2b2b2b2-0000-4000-8000-000000000001',
  oncall: 'b2b2b2b2-0000-4000-8000-000000000002',
  auditors: 'b2b2b2b2-0000-4000-8000-000000000003',
  vmIdentity: 'c3c3c3c3-0000-4000-8000-000000000001',
  ciApp: 'c3c3c3c3-0000-4000-8000-000000000002',
} as const;

const op = (name: string, isDataAction = false): FakeProviderOperation => ({ name, isDataAction });

/** Built-in definitions as Azure publishes them (Contributor's notActions in full), two custom ones and a broken one. */
export function seedAzureInventory(fake: FakeAzureInventory, now = new Date()): void {
  const sub = `/subscriptions/${fake.subscriptionId}`;
  fake.providers.push(
    {
      name: 'Microsoft.Authorization',
      operations: [op('Microsoft.Authorization/elevateAccess/action')],
      resourceTypes: [
        {
          name: 'roleAssignments',
          operations: ['read', 'write', 'delete'].map((verb) => op(`Microsoft.Authorization/roleAssignments/${verb}`)),
        },
        {
          name: 'roleDefinitions',
          operations: ['read', 'write', 'delete'].map((verb) => op(`Microsoft.Authorization/roleDefinitions/${verb}`)),
        },
        { name: 'locks', operations: ['read', 'write'].map((verb) => op(`Microsoft.Authorization/locks/${verb}`)) },
      ],
    },
    {
      name: 'Microsoft.Compute',
      operations: [],
      resourceTypes: [
        {
          name: 'virtualMachines',
          operations: ['read', 'write', 'delete', 'start/action'].map((verb) =>
            op(`Microsoft.Compute/virtualMachines/${verb}`),
          ),
        },
        { name: 'disks', operations: ['read', 'write', 'delete'].map((verb) => op(`Microsoft.Compute/disks/${verb}`)) },
        {
          name: 'galleries',
          operations: [op('Microsoft.Compute/galleries/read'), op('Microsoft.Compute/galleries/share/action')],
        },
      ],
    },
    {
      name: 'Microsoft.Storage',
      operations: [],
      resourceTypes: [
        {
          name: 'storageAccounts',
          operations: [
            op('Microsoft.Storage/storageAccounts/read'),
            op('Microsoft.Storage/storageAccounts/write'),
            op('Microsoft.Storage/storageAccounts/listKeys/action'),
          ],
        },
        {
          name: 'storageAccounts/blobServices',
          operations: [
            op('Microsoft.Storage/storageAccounts/blobServices/containers/read'),
            op('Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action'),
            op('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true),
            op('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write', true),
          ],
        },
      ],
    },
    {
      name: 'Microsoft.Resources',
      operations: [op('Microsoft.Resources/tags/write'), op('Microsoft.Resources/deployments/write')],
      resourceTypes: [
        {
          name: 'subscriptions/resourceGroups',
          operations: [
            op('Microsoft.Resources/subscriptions/resourceGroups/read'),
            op('Microsoft.Resources/subscriptions/resourceGroups/write'),
          ],
        },
      ],
    },
    { name: 'Microsoft.Subscription', operations: [op('Microsoft.Subscription/cancel/action')], resourceTypes: [] },
  );

  const owner = fake.addRoleDefinition(OWNER_ROLE, {
    roleName: 'Owner',
    type: 'BuiltInRole',
    permissions: [{ actions: ['*'], notActions: [], dataActions: [], notDataActions: [] }],
  });
  const contributor = fake.addRoleDefinition(CONTRIBUTOR_ROLE, {
    roleName: 'Contributor',
    type: 'BuiltInRole',
    permissions: [
      {
        actions: ['*'],
        notActions: [
          'Microsoft.Authorization/*/Delete',
          'Microsoft.Authorization/*/Write',
          'Microsoft.Authorization/elevateAccess/Action',
          'Microsoft.Blueprint/blueprintAssignments/write',
          'Microsoft.Blueprint/blueprintAssignments/delete',
          'Microsoft.Compute/galleries/share/action',
          'Microsoft.Purview/consents/write',
          'Microsoft.Purview/consents/delete',
          'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
          'Microsoft.Subscription/cancel/action',
          'Microsoft.Subscription/enable/action',
        ],
        dataActions: [],
        notDataActions: [],
      },
    ],
  });
  const reader = fake.addRoleDefinition(READER_ROLE, {
    roleName: 'Reader',
    type: 'BuiltInRole',
    permissions: [{ actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] }],
  });
  const blobReader = fake.addRoleDefinition(BLOB_READER_ROLE, {
    roleName: 'Storage Blob Data Reader',
    type: 'BuiltInRole',
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/read',
          'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
        ],
        notActions: [],
        dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
        notDataActions: [],
      },
    ],
  });
  const vmReader = fake.addRoleDefinition(VM_READER_ROLE, {
    roleName: 'VM Reader (custom)',
    type: 'CustomRole',
    permissions: [{ actions: ['Microsoft.Compute/*/read'], notActions: ['Microsoft.Compute/disks/*'] }],
    assignableScopes: [sub, `${sub}/resourceGroups/rg-app`],
  });
  const broken = fake.addRoleDefinition(BROKEN_ROLE, {
    roleName: 'Broken (custom)',
    type: 'CustomRole',
    permissions: [{ actions: ['Microsoft.Compute/*/read', 42] }],
  });
  const deleted = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${DELETED_ROLE}`;

  const rg = `${sub}/resourceGroups/rg-app`;
  fake.assignments.push(
    { name: 'ra-1', scope: sub, roleDefinitionId: owner, principalId: AZ.ada, principalType: 'User' },
    { name: 'ra-2', scope: rg, roleDefinitionId: contributor, principalId: AZ.platform, principalType: 'Group' },
    {
      name: 'ra-3',
      scope: `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`,
      roleDefinitionId: reader,
      principalId: AZ.vmIdentity,
      principalType: 'ServicePrincipal',
    },
    {
      name: 'ra-4',
      scope: '/providers/Microsoft.Management/managementGroups/mg-root',
      roleDefinitionId: reader,
      principalId: AZ.auditors,
      principalType: 'Group',
    },
    {
      name: 'ra-5',
      scope: `${rg}/providers/Microsoft.Storage/storageAccounts/stapp`,
      roleDefinitionId: blobReader,
      principalId: AZ.grace,
      principalType: 'User',
      condition: "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
    },
    { name: 'ra-6', scope: rg, roleDefinitionId: vmReader, principalId: AZ.ciApp, principalType: 'ServicePrincipal' },
    { name: 'ra-7', scope: rg, roleDefinitionId: broken, principalId: AZ.grace, principalType: 'User' },
    { name: 'ra-8', scope: rg, roleDefinitionId: deleted, principalId: AZ.linus, principalType: 'User' },
  );

  const daysAgo = (days: number, hour = 10): string =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, hour, 15)).toISOString();
  fake.users.push(
    {
      id: AZ.ada,
      userPrincipalName: 'ada@example.com',
      displayName: 'Ada',
      accountEnabled: true,
      createdDateTime: '2022-01-01T00:00:00Z',
      lastSignInDateTime: daysAgo(3),
      lastNonInteractiveSignInDateTime: daysAgo(1),
    },
    {
      id: AZ.grace,
      userPrincipalName: 'grace@example.com',
      displayName: 'Grace',
      accountEnabled: true,
      createdDateTime: '2022-02-01T00:00:00Z',
    },
    {
      id: AZ.linus,
      userPrincipalName: 'linus@example.com',
      displayName: 'Linus',
      accountEnabled: false,
      createdDateTime: '2022-03-01T00:00:00Z',
      lastSignInDateTime: daysAgo(200),
    },
  );
  fake.groups.push(
    { id: AZ.platform, displayName: 'platform', members: [AZ.oncall] },
    { id: AZ.oncall, displayName: 'platform-oncall', members: [AZ.linus, AZ.ciApp] },
    { id: AZ.auditors, displayName: 'auditors', members: [AZ.grace] },
  );
  fake.servicePrincipals.push(
    {
      id: AZ.vmIdentity,
      appId: 'd4d4d4d4-0000-4000-8000-000000000001',
      displayName: 'vm1',
      servicePrincipalType: 'ManagedIdentity',
    },
    {
      id: AZ.ciApp,
      appId: 'd4d4d4d4-0000-4000-8000-000000000002',
      displayName: 'ci-deployer',
      servicePrincipalType: 'Application',
    },
  );

  const event = (
    caller: string | undefined,
    action: string,
    status: string,
    at: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    authorization: { action, scope: rg },
    caller: caller === AZ.ada ? 'ada@example.com' : caller,
    claims: caller ? { 'http://schemas.microsoft.com/identity/claims/objectidentifier': caller } : {},
    category: { value: 'Administrative', localizedValue: 'Administrative' },
    eventDataId: `ev-${fake.events.length + 1}`,
    eventName: { value: status === 'Started' ? 'BeginRequest' : 'EndRequest' },
    eventTimestamp: at,
    httpRequest: { clientIpAddress: '203.0.113.7', method: 'PUT' },
    level: 'Informational',
    operationName: { value: action },
    resourceId: `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`,
    status: { value: status },
    subStatus: { value: status === 'Succeeded' ? 'OK' : '' },
    submissionTimestamp: at,
    subscriptionId: fake.subscriptionId,
    tenantId: INVENTORY_TENANT,
    ...extra,
  });
  fake.events.push(
    event(AZ.ada, 'Microsoft.Compute/virtualMachines/write', 'Started', daysAgo(2, 9)),
    event(AZ.ada, 'Microsoft.Compute/virtualMachines/write', 'Succeeded', daysAgo(2, 9)),
    event(AZ.ada, 'Microsoft.Compute/virtualMachines/write', 'Succeeded', daysAgo(2, 14)),
    event(AZ.ada, 'Microsoft.Authorization/roleAssignments/write', 'Failed', daysAgo(2, 15), {
      subStatus: { value: 'Forbidden' },
    }),
    event(AZ.ciApp, 'Microsoft.Compute/virtualMachines/start/action', 'Succeeded', daysAgo(5, 3)),
    event(undefined, 'Microsoft.Advisor/recommendations/write', 'Succeeded', daysAgo(4), {
      caller: 'Microsoft.Advisor',
    }),
    { ...event(AZ.grace, 'Microsoft.Compute/disks/write', 'Succeeded', daysAgo(1)), eventTimestamp: 'not a time' },
  );
}
