import type { Coverage, GrantPath, Identity, SkippedItem } from '../../../domain/inventory/model';
import type { AzureSystem } from '../../cloud/azure/errors';
import type { CollectContext, PageResult } from '../collector';
import { type AzureInventoryClients, GraphError } from './clients';

/**
 * The tenant's principals from Microsoft Graph, a page at a time: users (with `signInActivity`, the
 * last sign-in Entra reports), then groups, then service principals (managed identities among them).
 * Each user's and service principal's groups, transitively, become group-membership paths, so a role
 * assigned to a group reaches its nested members. The cursor says which list and which Graph link.
 */

type Phase = 'users' | 'groups' | 'servicePrincipals';
const PHASES: Phase[] = ['users', 'groups', 'servicePrincipals'];

interface PrincipalCursor {
  phase: Phase;
  link?: string;
  /** false once Graph refused `signInActivity` (no AuditLog.Read.All, or no Entra ID P1 licence). */
  signIn?: boolean;
}

export const AzurePrincipalSkipReason = {
  /** Graph refused `signInActivity`: last sign-in is unknown for every user of this collection. */
  SignInUnavailable: 'azure.sign-in.unavailable',
  /** A directory object without an id. */
  PrincipalInvalid: 'azure.principal.invalid',
} as const;

interface GraphUser {
  id?: string;
  displayName?: string;
  userPrincipalName?: string;
  accountEnabled?: boolean;
  createdDateTime?: string;
  userType?: string;
  signInActivity?: {
    lastSignInDateTime?: string | null;
    lastNonInteractiveSignInDateTime?: string | null;
    lastSuccessfulSignInDateTime?: string | null;
  };
}

interface GraphGroup {
  id?: string;
  displayName?: string;
  createdDateTime?: string;
}

interface GraphServicePrincipal {
  id?: string;
  displayName?: string;
  appId?: string;
  servicePrincipalType?: string;
  accountEnabled?: boolean;
  createdDateTime?: string;
}

const USER_FIELDS = 'id,displayName,userPrincipalName,accountEnabled,createdDateTime,userType';

function firstLink(phase: Phase, pageSize: number, signIn: boolean): string {
  switch (phase) {
    case 'users':
      return `/v1.0/users?$select=${USER_FIELDS}${signIn ? ',signInActivity' : ''}&$top=${pageSize}`;
    case 'groups':
      return `/v1.0/groups?$select=id,displayName,createdDateTime&$top=${pageSize}`;
    case 'servicePrincipals':
      return `/v1.0/servicePrincipals?$select=id,displayName,appId,servicePrincipalType,accountEnabled,createdDateTime&$top=${pageSize}`;
  }
}

function parseCursor(cursor: string | undefined): PrincipalCursor {
  if (!cursor) return { phase: 'users' };
  const parsed = JSON.parse(cursor) as PrincipalCursor;
  return PHASES.includes(parsed.phase) ? parsed : { phase: 'users' };
}

/** The latest of the times Entra reports; interactive, non-interactive and successful sign-ins all count. */
function lastSignIn(user: GraphUser): string | undefined {
  const times = [
    user.signInActivity?.lastSignInDateTime,
    user.signInActivity?.lastNonInteractiveSignInDateTime,
    user.signInActivity?.lastSuccessfulSignInDateTime,
  ].filter((time): time is string => typeof time === 'string' && !Number.isNaN(Date.parse(time)));
  if (times.length === 0) return undefined;
  return new Date(Math.max(...times.map((time) => Date.parse(time)))).toISOString();
}

export async function collectPrincipalPage(
  clients: AzureInventoryClients,
  system: AzureSystem,
  cursor: string | undefined,
  context: CollectContext,
  pageSize: number,
): Promise<PageResult> {
  const graph = clients.graph(system);
  const state = parseCursor(cursor);
  const skipped: SkippedItem[] = [];
  let signIn = state.signIn !== false;
  const link = state.link ?? firstLink(state.phase, pageSize, signIn);

  let page: Awaited<ReturnType<typeof graph.page<Record<string, unknown>>>>;
  try {
    page = await graph.page<Record<string, unknown>>(link);
  } catch (error) {
    // Entra answers 403 for signInActivity without the licence or AuditLog.Read.All: go on without it
    if (!(error instanceof GraphError) || error.statusCode !== 403 || state.phase !== 'users' || !signIn) throw error;
    signIn = false;
    skipped.push({ reason: AzurePrincipalSkipReason.SignInUnavailable, item: system.id, detail: error.message });
    page = await graph.page<Record<string, unknown>>(firstLink('users', pageSize, false));
  }

  const identities: Identity[] = [];
  const coverage: Coverage[] = [];
  const paths: GrantPath[] = [];
  for (const item of page.value) {
    const id = typeof item.id === 'string' ? item.id.toLowerCase() : undefined;
    if (!id) {
      skipped.push({ reason: AzurePrincipalSkipReason.PrincipalInvalid, item: JSON.stringify(item).slice(0, 200) });
      continue;
    }
    if (state.phase === 'users') {
      const user = item as GraphUser;
      const last = lastSignIn(user);
      identities.push({
        systemId: system.id,
        id,
        kind: 'azure-user',
        name: user.userPrincipalName ?? user.displayName ?? id,
        nature: 'human',
        tags: user.userType ? { userType: user.userType } : {},
        ...(user.createdDateTime ? { createdAt: user.createdDateTime } : {}),
        ...(last ? { lastActivityAt: last } : {}),
        ...(user.accountEnabled === false ? { disabled: true } : {}),
      });
      if (signIn) {
        coverage.push({
          systemId: system.id,
          identityId: id,
          source: 'sign-in',
          granularity: 'last-activity',
          from: context.window.from,
          to: context.window.to,
          actions: 'all',
          note: 'Entra signInActivity: the last sign-in only, not which actions were used',
        });
      }
    } else if (state.phase === 'groups') {
      const group = item as GraphGroup;
      identities.push({
        systemId: system.id,
        id,
        kind: 'azure-group',
        name: group.displayName ?? id,
        nature: 'group',
        tags: {},
        ...(group.createdDateTime ? { createdAt: group.createdDateTime } : {}),
      });
    } else {
      const principal = item as GraphServicePrincipal;
      identities.push({
        systemId: system.id,
        id,
        kind:
          principal.servicePrincipalType === 'ManagedIdentity' ? 'azure-managed-identity' : 'azure-service-principal',
        name: principal.displayName ?? principal.appId ?? id,
        nature: 'workload',
        tags: principal.appId ? { appId: principal.appId } : {},
        ...(principal.createdDateTime ? { createdAt: principal.createdDateTime } : {}),
        ...(principal.accountEnabled === false ? { disabled: true } : {}),
      });
    }
    if (state.phase !== 'groups') {
      const collection = state.phase === 'users' ? 'users' : 'servicePrincipals';
      const groups = await graph.all<{ id?: string }>(
        `/v1.0/${collection}/${encodeURIComponent(id)}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=${pageSize}`,
        () => context.heartbeat({ phase: state.phase, principal: id }),
      );
      for (const group of groups) {
        if (typeof group.id !== 'string') continue;
        paths.push({
          systemId: system.id,
          identityId: id,
          kind: 'group-membership',
          via: group.id.toLowerCase(),
          scope: '*',
          conditional: false,
        });
      }
    }
  }

  if (identities.length > 0) await context.sink.identities(identities);
  if (paths.length > 0) await context.sink.grantPaths(paths);
  if (coverage.length > 0) await context.sink.coverage(coverage);
  if (skipped.length > 0) await context.sink.skipped(skipped);

  const nextPhase = PHASES[PHASES.indexOf(state.phase) + 1];
  const nextCursor: PrincipalCursor | undefined = page.next
    ? { phase: state.phase, link: page.next, signIn }
    : nextPhase
      ? { phase: nextPhase, signIn }
      : undefined;
  return {
    ...(nextCursor ? { next: JSON.stringify(nextCursor) } : {}),
    counts: {
      identities: identities.length,
      grantPaths: paths.length,
      coverage: coverage.length,
      skipped: skipped.length,
    },
  };
}
