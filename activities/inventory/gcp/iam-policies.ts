import { expandGcpRole, gcpMemberIdentity, GcpSkipReason } from '../../../domain/inventory/gcp-role';
import type { DocumentAction, GrantPath, Identity, PolicyDocument, SkippedItem } from '../../../domain/inventory/model';
import { googleFailure } from '../../cloud/gcp/errors';
import { targetOf, type GcpSystem } from '../../cloud/gcp/errors';
import { contentId, gcpRoleBody } from '../documents';
import type { GcpRoleCatalogue } from '../catalogue/gcp';
import type { CollectContext, PageResult } from '../collector';
import type { GcpInventoryClients } from './clients';

/**
 * One page per resource: the system's project or folder first, then each ancestor up to the
 * organization. A binding on the target is a `binding` path; a binding on an ancestor reaches the
 * target by inheritance, an `inherited` path through that ancestor. Each role is read once per
 * collection and stored as a document with its permissions. An ancestor Least may not read ends the
 * walk, reported; the target itself must be readable.
 */

export const GcpPolicySkipReason = {
  /** Least may not read an ancestor's policy (or its parent): inherited grants from there are unknown. */
  AncestorDenied: 'gcp.policy.ancestor-denied',
  /** A binding names a role IAM does not have (deleted custom role). */
  RoleNotFound: 'gcp.role.not-found',
} as const;

interface Document {
  document: PolicyDocument;
  actions: DocumentAction[];
}

function isDenied(error: unknown): boolean {
  const failure = googleFailure(error);
  return failure?.httpStatus === 403 || failure?.status === 'PERMISSION_DENIED';
}

export async function collectIamPolicyPage(
  clients: GcpInventoryClients,
  system: GcpSystem,
  cursor: string | undefined,
  context: CollectContext,
  catalogue: GcpRoleCatalogue,
): Promise<PageResult> {
  const target = targetOf(system);
  const resource = cursor ?? target.resource;
  const onTarget = resource === target.resource;
  const skipped: SkippedItem[] = [];

  let policy;
  try {
    policy = await clients.iamPolicy(system, resource);
  } catch (error) {
    if (onTarget || !isDenied(error)) throw error;
    const denied: SkippedItem = { reason: GcpPolicySkipReason.AncestorDenied, item: resource, detail: String(error) };
    await context.sink.skipped([denied]);
    return { counts: { policies: 0, skipped: 1 } };
  }

  const identities = new Map<string, Identity>();
  const documents = new Map<string, Document>();
  const paths: GrantPath[] = [];
  for (const binding of policy.bindings ?? []) {
    const roleName = binding.role ?? '';
    const role = roleName ? await catalogue.role(roleName) : undefined;
    if (!role) {
      skipped.push({ reason: GcpPolicySkipReason.RoleNotFound, item: roleName || '(no role)', detail: resource });
      continue;
    }
    const body = gcpRoleBody(roleName, role);
    const documentId = contentId(body);
    if (!documents.has(documentId)) {
      const expanded = expandGcpRole(documentId, body);
      skipped.push(...expanded.skipped);
      documents.set(documentId, {
        document: {
          id: documentId,
          cloud: 'gcp',
          kind: 'gcp-role',
          name: roleName,
          managedByCloud: roleName.startsWith('roles/'),
          body,
        },
        actions: expanded.actions,
      });
    }
    for (const member of binding.members ?? []) {
      const identity = gcpMemberIdentity(member);
      if ('skip' in identity) {
        skipped.push({ ...identity.skip, detail: `${roleName} on ${resource}` });
        continue;
      }
      identities.set(member, {
        systemId: system.id,
        id: member,
        kind: identity.kind,
        name: identity.name,
        nature: identity.nature,
        tags: {},
      });
      paths.push({
        systemId: system.id,
        identityId: member,
        kind: onTarget ? 'binding' : 'inherited',
        documentId,
        ...(onTarget ? {} : { via: resource }),
        scope: target.resource,
        conditional: Boolean(binding.condition?.expression),
      });
    }
    context.heartbeat({ resource, role: roleName });
  }

  // the parent is read before anything is written, so a failure repeats the page cleanly
  let next: string | undefined;
  try {
    next = await clients.parentOf(system, resource);
  } catch (error) {
    if (!isDenied(error)) throw error;
    skipped.push({ reason: GcpPolicySkipReason.AncestorDenied, item: resource, detail: 'its parent cannot be read' });
  }

  if (identities.size > 0) await context.sink.identities([...identities.values()]);
  if (documents.size > 0) await context.sink.documents([...documents.values()]);
  if (paths.length > 0) await context.sink.grantPaths(paths);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  return {
    ...(next ? { next } : {}),
    counts: {
      policies: 1,
      bindings: policy.bindings?.length ?? 0,
      identities: identities.size,
      documents: documents.size,
      grantPaths: paths.length,
      skipped: skipped.length,
    },
  };
}

export { GcpSkipReason };
