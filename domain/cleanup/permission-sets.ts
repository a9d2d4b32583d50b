import type { Identity } from '../inventory/model';
import type { ObjectSpec } from './holding';
import { plural } from './words';

/**
 * Identity Center permission sets in a cleanup plan (issue 13, shared objects). A permission set's inline
 * policy is one object shared by every user holding the set through any assignment in this system, their
 * own or a group's: it is narrowed as a customer-managed policy is, to what no holder used. What sets it
 * apart, and lives here:
 * - A permission set is provisioned per account and may be assigned in accounts outside this system,
 *   whose use Least does not see. It is narrowed only when the inventory shows it provisioned to this
 *   system's account alone; not known (a snapshot from before the collector read it) counts as elsewhere.
 * - Its assignments go when wholly unused; a set every assignment of which goes is not also narrowed,
 *   and an inline policy that is the set's only policy is never emptied (its assignments go instead).
 *   With other policies beside it, one left with nothing is deleted.
 * - Its AWS-managed and customer-managed policies are not narrowed: what only they bring is held on
 *   the assignment.
 */

/**
 * The longest inline policy a permission set can carry into an account: Identity Center makes it an
 * inline policy of a role there, and IAM takes 10,240 characters for a role (its API takes 32,768).
 */
const PERMISSION_SET_POLICY_CHARS = 10_240;

export function permissionSetPolicySpec(
  permissionSetArn: string,
  documentId: string | undefined,
  account: string,
  otherPolicies: boolean,
): ObjectSpec {
  return {
    treatment: 'aws-sso-policy',
    kind: 'aws-permission-set-policy',
    key: permissionSetArn,
    name: (nameOf) => `permission set ${nameOf(permissionSetArn)}`,
    ...(documentId !== undefined ? { documentId } : {}),
    maxChars: PERMISSION_SET_POLICY_CHARS,
    account,
    otherPolicies,
  };
}

/** The permission set of an assignment key (`<principal>|<permission set ARN>|<account>`, holding.ts ssoKey). */
function permissionSetOf(assignmentKey: string): string {
  return assignmentKey.split('|')[1] ?? '';
}

/** How a plan words what it holds back of a permission set, or does to it. */
export const PERMISSION_SET_WORDS = {
  managedNotNarrowed:
    'the permission set is in use, and these come from its AWS-managed or customer-managed policies, which are not narrowed (only its inline policy is)',
  onlyPolicyEmptied:
    "every action of its inline policy would go, and it is the permission set's only policy: the set would grant nothing, so its unused assignments are deleted instead",
  deletedSuffix: "; nothing is left, so the permission set's inline policy is deleted (its other policies stay)",
} as const;

/** What the plan knows of each permission set across the views: where it is provisioned, and its assignments. */
export class PermissionSets {
  private readonly provisioned = new Map<string, readonly string[] | undefined>();
  private readonly assignments = new Map<string, Set<string>>();
  private readonly deleted = new Set<string>();
  /** Per assignment, the actions it brings through the set's managed policies. */
  private readonly managed = new Map<string, Set<string>>();

  /** The permission set itself, as the snapshot lists it. */
  add(identity: Identity): void {
    this.provisioned.set(identity.id, identity.provisionedAccounts);
  }

  /** An assignment of a set, seen on one of its holders. */
  assigned(assignmentKey: string): void {
    const arn = permissionSetOf(assignmentKey);
    let found = this.assignments.get(arn);
    if (!found) this.assignments.set(arn, (found = new Set()));
    found.add(assignmentKey);
  }

  /** An action the assignment brings through one of the set's managed (not inline) policies. */
  throughManaged(assignmentKey: string, action: string): void {
    let found = this.managed.get(assignmentKey);
    if (!found) this.managed.set(assignmentKey, (found = new Set()));
    found.add(action);
  }

  managedActions(assignmentKey: string): ReadonlySet<string> {
    return this.managed.get(assignmentKey) ?? new Set();
  }

  /** The plan deletes this assignment. */
  deleting(assignmentKey: string): void {
    this.deleted.add(assignmentKey);
  }

  /** Every assignment of the set this system holds is deleted: nothing is left to narrow it for. */
  allDeleted(permissionSetArn: string): boolean {
    const seen = this.assignments.get(permissionSetArn);
    if (!seen || seen.size === 0) return false;
    for (const key of seen) if (!this.deleted.has(key)) return false;
    return true;
  }

  /** Why the set's policy may not be narrowed from this system's use alone; undefined when it may. */
  elsewhere(spec: ObjectSpec): string | undefined {
    const accounts = this.provisioned.get(spec.key);
    if (accounts === undefined)
      return (
        'which accounts the permission set is provisioned to is not in this inventory: it may be in use ' +
        'in accounts Least does not see (collect again to read it)'
      );
    const others = [...new Set(accounts)].filter((account) => account !== spec.account).sort();
    if (others.length === 0) return undefined;
    const shown =
      others.length > 3 ? `${others.slice(0, 3).join(', ')} and ${others.length - 3} more` : others.join(', ');
    return (
      `the permission set is also provisioned to ${others.length} ${plural(others.length, 'other account')} (${shown}), ` +
      'whose use Least does not see: narrowing it would narrow it there too'
    );
  }
}
