import type { AccessLevel, DocumentAction, IdentityKind, IdentityNature, SkippedItem } from './model';

/**
 * GCP roles expanded to permissions. A role (`roles.get`) lists its `includedPermissions` outright, so
 * the role is its own catalogue: no wildcards to expand. The access level comes from the permission's
 * verb (`service.resource.verb`).
 */

/** Why a GCP item was skipped; reported on the run, grouped by these strings. */
export const GcpSkipReason = {
  /** The role has no `includedPermissions` array of strings. */
  RoleInvalid: 'gcp.role.invalid',
  /** A permission that is not `service.resource.verb`. */
  PermissionInvalid: 'gcp.permission.invalid',
  /** A member that names no identity Least keeps (allUsers, domain:, principalSet://…). */
  MemberUnsupported: 'gcp.member.unsupported',
  /** A member that was deleted (`deleted:user:…?uid=…`): the binding is stale. */
  MemberDeleted: 'gcp.member.deleted',
} as const;

/**
 * Verb → access level (documented in docs/gcp-setup.md too):
 * - `setIamPolicy` (any resource) → Permissions management;
 * - `setLabels`, `setTags` and anything on `tagBindings` / `tagValueBindings` → Tagging;
 * - `list*`, `search*` → List;
 * - `get*` (including `getIamPolicy`) and `read*` → Read, except `getAccessToken` / `getOpenIdToken`;
 * - everything else (`create`, `update`, `delete`, `actAs`, `signBlob`, …) → Write, the conservative
 *   reading.
 */
export function gcpAccessLevels(permission: string): AccessLevel[] {
  const parts = permission.split('.');
  const verb = parts[parts.length - 1] ?? '';
  const resource = (parts[parts.length - 2] ?? '').toLowerCase();
  if (verb === 'setIamPolicy') return ['Permissions management'];
  if (verb === 'setLabels' || verb === 'setTags' || resource === 'tagbindings' || resource === 'tagvaluebindings') {
    return ['Tagging'];
  }
  // minting a credential is not a read, whatever its verb says
  if (verb === 'getAccessToken' || verb === 'getOpenIdToken') return ['Write'];
  if (/^(list|search)/.test(verb)) return ['List'];
  if (/^(get|read)/.test(verb)) return ['Read'];
  return ['Write'];
}

const PERMISSION = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+\.[a-zA-Z0-9]+$/;

/** Every permission a role includes; `role` is the role as `roles.get` returns it. */
export function expandGcpRole(
  documentId: string,
  role: unknown,
): { actions: DocumentAction[]; skipped: SkippedItem[] } {
  const permissions = (role as { includedPermissions?: unknown } | null)?.includedPermissions ?? [];
  const name = String((role as { name?: unknown } | null)?.name ?? documentId);
  if (!Array.isArray(permissions) || typeof role !== 'object') {
    return {
      actions: [],
      skipped: [{ reason: GcpSkipReason.RoleInvalid, item: name, detail: 'includedPermissions is not an array' }],
    };
  }
  const skipped: SkippedItem[] = [];
  const seen = new Set<string>();
  for (const permission of permissions) {
    if (typeof permission !== 'string' || !PERMISSION.test(permission)) {
      skipped.push({ reason: GcpSkipReason.PermissionInvalid, item: name, detail: String(permission) });
      continue;
    }
    seen.add(permission);
  }
  const actions = [...seen].sort().map((permission): DocumentAction => ({
    documentId,
    action: permission,
    effect: 'allow',
    accessLevels: gcpAccessLevels(permission),
    // a binding reaches everything under the resource it is on; that resource is on the grant path
    resourceReach: 'all',
    conditional: false,
  }));
  return { actions, skipped };
}

export interface GcpMemberIdentity {
  kind: IdentityKind;
  nature: IdentityNature;
  /** The e-mail address the member names. */
  name: string;
}

/** What an IAM policy member (`user:ada@example.com`) is as an identity, or why it is none. */
export function gcpMemberIdentity(member: string): GcpMemberIdentity | { skip: SkippedItem } {
  if (member.startsWith('deleted:')) return { skip: { reason: GcpSkipReason.MemberDeleted, item: member } };
  const at = member.indexOf(':');
  const type = at < 0 ? member : member.slice(0, at);
  const name = at < 0 ? '' : member.slice(at + 1);
  if (type === 'user' && name) return { kind: 'gcp-user', nature: 'human', name };
  if (type === 'group' && name) return { kind: 'gcp-group', nature: 'group', name };
  if (type === 'serviceAccount' && name) return { kind: 'gcp-service-account', nature: 'workload', name };
  return { skip: { reason: GcpSkipReason.MemberUnsupported, item: member } };
}
