import type { Identity, IdentityKind, PolicyDocument } from '../inventory/model';
import type { ViewPath } from '../inventory/view';
import type { CleanupObjectKind } from './model';
import { byText, lastSegment } from './words';

/**
 * The cloud objects a cleanup plan changes (a policy, an attachment, an assignment, a binding member), as
 * the planner keeps them while it reads the identities: what each object is, and, for each action held
 * through it, how it stands across the object's holders. An action goes only when some holder shows it
 * unused and no holder used it, shows it unknown or holds it through a held-back path.
 */

/** IAM's limits on a policy document's length, in characters. */
const MANAGED_POLICY_CHARS = 6_144;
const INLINE_POLICY_CHARS: Partial<Record<IdentityKind, number>> = {
  'aws-iam-user': 2_048,
  'aws-iam-group': 5_120,
  'aws-iam-role': 10_240,
};

type Treatment =
  | 'aws-inline'
  | 'aws-policy'
  | 'aws-attachment'
  | 'aws-sso'
  /** A permission set's inline policy (permission-sets.ts): narrowed across every holder of the set. */
  | 'aws-sso-policy'
  | 'azure-assignment'
  /** An Azure custom role definition, shared by every principal assigned it (azure-role.ts). */
  | 'azure-role'
  | 'gcp-member'
  /** Nothing can be planned for it: its unused actions are held as cannot-narrow (`stuck` says why). */
  | 'stuck'
  /** An identity or credential as a whole: planned directly, never through a holding. */
  | 'identity';

/** A cloud object as the planner handles it; its name is worked out once every group's name is known. */
export interface ObjectSpec {
  treatment: Treatment;
  kind: CleanupObjectKind;
  key: string;
  name: (nameOf: (id: string) => string) => string;
  documentId?: string;
  /** aws-attachment: the policy attached, and whether AWS manages it; azure-assignment: a built-in role. */
  policyArn?: string;
  managedByCloud?: boolean;
  /** azure-assignment: the custom role it assigns (the role definition's id), narrowed as a shared object. */
  role?: string;
  /** aws-inline / aws-policy: the longest document IAM takes. */
  maxChars?: number;
  /** stuck: why nothing can be planned for it. */
  stuck?: string;
  /** aws-sso-policy: the system's account, and whether the permission set holds policies besides this one. */
  account?: string;
  otherPolicies?: boolean;
}

export interface HolderRef {
  id: string;
  name: string;
  kind: IdentityKind;
  owners: string[];
}

/** One action one holder holds through an object. */
export interface HeldThrough {
  action: string;
  verdict: 'used' | 'unused' | 'unknown';
  /** The last day it was used, when the data knows one. */
  lastUsed?: string;
}

/** How one holder stands on an object: its unused actions through it, or held back whole. */
export interface Standing {
  holder: HolderRef;
  unused: readonly string[];
  blocked: boolean;
  /** How many actions it holds through the object. */
  held: number;
  /** The last use of one of its unused actions, before the window. */
  lastUsed?: string;
  /** aws-policy: its own attachment, when the policy reaches it only that way (not through a group). */
  own?: ObjectSpec;
}

interface ActionTally {
  unused: number;
  blocked: number;
  lastUsed?: string;
}

/** An object and how every action held through it stands across its holders. */
export class Holding {
  readonly actions = new Map<string, ActionTally>();
  readonly standings: Standing[] = [];
  /** aws-policy: the attachments of it seen, and those planned for detaching; azure-role: its assignments. */
  readonly attachments = new Set<string>();
  readonly detached = new Set<string>();
  /** aws-policy: an identity whose permissions boundary it is. */
  boundaryOf?: string;
  /** Holders with the same unused actions share one list. */
  private readonly lists = new Map<string, readonly string[]>();

  constructor(readonly spec: ObjectSpec) {}

  add(holder: HolderRef, held: readonly HeldThrough[], blocked: boolean, own?: ObjectSpec): void {
    const unused: string[] = [];
    let lastUsed: string | undefined;
    for (const h of held) {
      let tally = this.actions.get(h.action);
      if (!tally) this.actions.set(h.action, (tally = { unused: 0, blocked: 0 }));
      if (!blocked && h.verdict === 'unused') {
        tally.unused += 1;
        unused.push(h.action);
        if (h.lastUsed !== undefined && (lastUsed === undefined || h.lastUsed > lastUsed)) lastUsed = h.lastUsed;
      } else tally.blocked += 1;
      if (h.lastUsed !== undefined && (tally.lastUsed === undefined || h.lastUsed > tally.lastUsed))
        tally.lastUsed = h.lastUsed;
    }
    const signature = unused.join('\n');
    let list = this.lists.get(signature);
    if (!list) this.lists.set(signature, (list = unused.sort(byText)));
    this.standings.push({
      holder,
      unused: list,
      blocked,
      held: held.length,
      ...(lastUsed !== undefined ? { lastUsed } : {}),
      ...(own ? { own } : {}),
    });
  }

  /** Unused by some holder, held back by none. */
  removable(): string[] {
    const found: string[] = [];
    for (const [action, tally] of this.actions) if (tally.unused > 0 && tally.blocked === 0) found.push(action);
    return found.sort(byText);
  }

  /** Unused by some holder but used, unknown or held back for another. */
  keptForOthers(): string[] {
    const found: string[] = [];
    for (const [action, tally] of this.actions) if (tally.unused > 0 && tally.blocked > 0) found.push(action);
    return found.sort(byText);
  }

  /** Every action held through it is removable. */
  wholly(): boolean {
    if (this.actions.size === 0) return false;
    for (const tally of this.actions.values()) if (tally.blocked > 0) return false;
    return true;
  }

  lastUsedOf(actions: Iterable<string>): string | undefined {
    let last: string | undefined;
    for (const action of actions) {
      const day = this.actions.get(action)?.lastUsed;
      if (day !== undefined && (last === undefined || day > last)) last = day;
    }
    return last;
  }
}

/* ---------- objects by cloud ---------- */

export function inlineSpec(
  principal: string,
  policyName: string,
  documentId: string | undefined,
  principalKind: IdentityKind,
  identity: Identity,
): ObjectSpec {
  const chars = INLINE_POLICY_CHARS[principalKind];
  return {
    treatment: 'aws-inline',
    kind: 'aws-inline-policy',
    key: `${principal}#${policyName}`,
    name: (nameOf) => `${policyName} (inline in ${principal === identity.id ? identity.name : nameOf(principal)})`,
    ...(documentId !== undefined ? { documentId } : {}),
    ...(chars !== undefined ? { maxChars: chars } : {}),
  };
}

export function attachmentSpec(
  principal: string,
  arn: string,
  managedByCloud: boolean,
  identity: Identity,
): ObjectSpec {
  return {
    treatment: 'aws-attachment',
    kind: 'aws-policy-attachment',
    key: `${principal}|${arn}`,
    name: (nameOf) => `${lastSegment(arn)} on ${principal === identity.id ? identity.name : nameOf(principal)}`,
    policyArn: arn,
    managedByCloud,
  };
}

export function ssoKey(principal: string, permissionSet: string, account: string): string {
  return `${principal}|${permissionSet}|${account}`;
}

export function ssoSpec(principal: string, permissionSet: string, account: string, identity: Identity): ObjectSpec {
  return {
    treatment: 'aws-sso',
    kind: 'aws-sso-assignment',
    key: ssoKey(principal, permissionSet, account),
    name: (nameOf) =>
      `${nameOf(permissionSet)} on ${account} for ${principal === identity.id ? identity.name : nameOf(principal)}`,
  };
}

export function assignmentSpec(
  path: ViewPath,
  document: PolicyDocument | undefined,
  customRole?: ObjectSpec,
): ObjectSpec {
  const role = document?.name ?? path.documentName ?? path.documentId ?? 'role';
  return {
    treatment: 'azure-assignment',
    kind: 'azure-role-assignment',
    key: path.via!,
    name: () => `${role} on ${path.scope}`,
    ...(document?.managedByCloud ? { managedByCloud: true } : {}),
    ...(customRole ? { role: customRole.key } : {}),
  };
}

/** An Azure custom role definition (key: its id), shared by every principal assigned it in the system. */
export function roleDefinitionSpec(document: PolicyDocument): ObjectSpec {
  const body = document.body as { id?: unknown; roleName?: unknown } | null;
  const id = typeof body?.id === 'string' && body.id !== '' ? body.id : document.name;
  const roleName = typeof body?.roleName === 'string' && body.roleName !== '' ? body.roleName : document.name;
  return {
    treatment: 'azure-role',
    kind: 'azure-role-definition',
    key: id,
    name: () => roleName,
    documentId: document.id,
  };
}

/** A GCP binding member: the binding's resource, role, member and whether it has a condition. */
export function memberSpec(path: ViewPath, document: PolicyDocument | undefined, member: string): ObjectSpec {
  const role = document?.name ?? path.documentName ?? path.documentId ?? 'role';
  const resource = path.kind === 'inherited' && path.via !== undefined ? path.via : path.scope;
  const spec: ObjectSpec = {
    treatment: path.kind === 'inherited' ? 'stuck' : 'gcp-member',
    kind: 'gcp-binding-member',
    // `*`: every conditional binding of the role with the member (the inventory has no condition titles)
    key: `${resource}|${role}|${member}|${path.conditional ? '*' : ''}`,
    name: () => `${role} on ${resource}`,
  };
  if (path.kind === 'inherited')
    spec.stuck = `bound on ${resource}, above this system's ${path.scope}: removing it there would reach beyond the system`;
  return spec;
}

/** A customer-managed policy, shared by every attachment of it (and the identity it bounds, if any). */
export function managedPolicySpec(arn: string, documentId: string | undefined): ObjectSpec {
  return {
    treatment: 'aws-policy',
    kind: 'aws-managed-policy',
    key: arn,
    name: () => lastSegment(arn),
    ...(documentId !== undefined ? { documentId } : {}),
    maxChars: MANAGED_POLICY_CHARS,
  };
}
