import type { Cloud, IdentityKind } from '../inventory/model';

/**
 * The unused-permission cleanup (issue 13): what a plan holds, what each item would change in the cloud,
 * and why something was left alone. Pure data, JSON-safe, shared by the planner (domain/cleanup/plan.ts),
 * the store, the `cleanup` workflow, the chat cards and the CLI.
 *
 * Everything a plan may do is reversible: a policy gets a narrower document (the old one is kept in the
 * snapshot), an attachment or assignment is removed (and can be put back), a key is deactivated (not
 * deleted), an inactive identity is made harmless by a guard, never deleted. A console password is only
 * ever reported unless an owner explicitly asks for its removal.
 */

export type CleanupMode = 'report' | 'enforce';

/** What a plan may change, per system (the policy file's `cleanup.changes`); all true by default. */
export interface CleanupChanges {
  /** Unused actions removed from inline and customer-managed policies (AWS) and custom roles (Azure). */
  actions: boolean;
  /** Unused managed-policy attachments detached (AWS). */
  attachments: boolean;
  /** Unused Identity Center and Azure role assignments deleted. */
  assignments: boolean;
  /** Unused GCP binding members removed. */
  bindings: boolean;
  /** Access keys unused for the window deactivated. */
  accessKeys: boolean;
  /** Console passwords unused for the window reported; removed only on an owner's explicit Remove. */
  passwords: boolean;
  /** Inactive identities made harmless: AWS deny-all guard, Azure assignments removed, GCP account disabled. */
  inactiveIdentities: boolean;
}

/** Who and what a plan never touches (the policy file's `cleanup.exclude`). */
export interface CleanupExclusions {
  /** Identity ids or names, `*` as a wildcard, case-insensitive. */
  identities: string[];
  /** Tags (`key: value`, value `*` for any) that exclude an identity carrying them. */
  tags: Record<string, string>;
  /** IAM paths (AWS) or scopes (Azure, GCP) prefixes under which nothing is touched. */
  paths: string[];
  /** AWS service-linked roles (`/aws-service-role/`), Azure and GCP service agents: always excluded unless false. */
  serviceLinked: boolean;
  /** Break-glass identities (ids or names, wildcards): never changed whatever their usage. */
  breakGlass: string[];
  /** Statements whose `Sid` starts with this marker are kept as they are (AWS). */
  sidPrefix?: string;
}

export interface CleanupRules {
  systemId: string;
  cloud: Cloud;
  mode: CleanupMode;
  /** Unused for this many days makes a permission a candidate (≥ 30; 90 by default). */
  windowDays: number;
  /** Days between the announcement and any change (7 by default). */
  noticeDays: number;
  /** A permission granted less than this many days ago is never a candidate (14 by default). */
  graceDays: number;
  /**
   * Staged removal (AWS): before a policy loses actions, a deny guard for exactly those actions is put on
   * its holders for this many days, so a mistake costs a denied call, not an outage. Absent: off.
   */
  stagingDays?: number;
  changes: CleanupChanges;
  exclude: CleanupExclusions;
  /**
   * Where the system reaches, as its cloud names scopes: an Azure subscription's `/subscriptions/<id>`.
   * A custom role assignable beyond it is never narrowed (it may be used where Least does not look).
   */
  scope?: string;
}

/** The cloud object an item changes: one policy, one attachment, one assignment, one binding member, one key. */
export type CleanupObjectKind =
  /** An inline policy of a user, group or role: key `<principal ARN>#<policy name>`. */
  | 'aws-inline-policy'
  /** A customer-managed policy, shared by every identity attached to it: key = policy ARN. */
  | 'aws-managed-policy'
  /** One identity's attachment of a managed policy: key `<principal ARN>|<policy ARN>`. */
  | 'aws-policy-attachment'
  /** An Identity Center account assignment: key `<principal id>|<permission set ARN>|<account>`. */
  | 'aws-sso-assignment'
  /**
   * An Identity Center permission set's inline policy, shared by every user and group assigned the set:
   * key = permission set ARN. Changed in Identity Center, then provisioned to every account it is in.
   */
  | 'aws-permission-set-policy'
  /** An access key: key `<user ARN>#<key id>` (the key id alone when its user is not known). */
  | 'aws-access-key'
  /** A user's login profile: key `<user ARN>#console-password` (the identity's id). */
  | 'aws-console-password'
  /** An AWS user or role as a whole (the deny-all guard): key = its ARN. */
  | 'aws-principal'
  /** An Azure role assignment: key = its id. */
  | 'azure-role-assignment'
  /**
   * An Azure custom role definition, shared by every principal assigned it at any scope of the system:
   * key = its id (`/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`).
   */
  | 'azure-role-definition'
  /** Every role assignment of an inactive Azure principal: key = its object id. */
  | 'azure-principal'
  /**
   * One member of one GCP binding: key `<resource>|<role>|<member>|<'*' or ''>`. The inventory
   * keeps whether a binding has a condition, not its title: a conditional key means the member's bindings
   * of that role on that resource that carry a condition.
   */
  | 'gcp-binding-member'
  /** An inactive GCP service account as a whole (disabled): key = its member (`serviceAccount:…`). */
  | 'gcp-service-account';

export type CleanupChangeKind =
  /**
   * Remove unused actions from a policy document: a new default version, or the inline policy put again
   * (a permission set's, then provisioned again).
   */
  | 'narrow-policy'
  /** Detach a managed policy from one identity. */
  | 'detach-policy'
  /** Delete an Identity Center or Azure role assignment. */
  | 'delete-assignment'
  /** Remove a member from a GCP binding (etag read-modify-write). */
  | 'remove-member'
  /** Set an access key Inactive. */
  | 'deactivate-key'
  /** Delete a login profile: only on an owner's explicit Remove; restoring needs a password reset. */
  | 'remove-password'
  /** Attach Least's deny-all guard policy to an inactive AWS role or user. */
  | 'guard-principal'
  /** Delete every role assignment of an inactive Azure principal. */
  | 'remove-assignments'
  /** Disable an inactive GCP service account. */
  | 'disable-service-account'
  /**
   * Give one role or user its own copy of a shared customer-managed policy, narrowed to what it used:
   * the copy is made and attached, then the shared policy detached from it (object: that attachment).
   * Only on an owner's explicit Remove; restoring attaches the shared policy again and deletes the copy.
   */
  | 'own-copy';

export interface CleanupObject {
  kind: CleanupObjectKind;
  /** Stable key within the system (see CleanupObjectKind). */
  key: string;
  /** What people call it: policy name, role name, key id, "roles/editor on my-project". */
  name: string;
}

/**
 * One proposed change. Its id is stable across runs for the same object and change, so an owner's Keep
 * (remembered 180 days) and a Snooze attach to it and not to one run.
 */
export interface CleanupItem {
  /**
   * `<change>:<object kind>:<object key>`; for narrow-policy and own-copy the removed actions are part of
   * what is decided, not of the id (an own-copy's object is the holder's attachment of the shared policy).
   */
  itemId: string;
  systemId: string;
  change: CleanupChangeKind;
  object: CleanupObject;
  /** The identities whose access the change reduces (every holder of a shared object). */
  identities: { id: string; name: string; kind: IdentityKind }[];
  /** For narrow-policy and own-copy: the actions the new document no longer allows, sorted. */
  removeActions?: string[];
  /** For narrow-policy on a shared object: actions unused by this identity but kept because another holder used them (or its use is unknown). */
  keptForOthers?: string[];
  /**
   * For narrow-policy: the document before and the right-sized one after (AWS policy JSON). `after: null`
   * deletes an inline policy none of whose statements is left (the snapshot keeps it, so it can be put
   * back); a managed policy is never narrowed to nothing: its unused attachments are detached instead.
   * A permission set's inline policy is deleted only when the set keeps other policies; its only policy
   * is never emptied (its unused assignments are deleted instead).
   * For own-copy: the shared policy's document, and its copy's.
   * For an Azure custom role: its `permissions` blocks before and after, every list present
   * (domain/cleanup/azure-role.ts); only `actions` entries go, and a role is never narrowed to none.
   */
  before?: unknown;
  after?: unknown;
  /** How many actions the change takes away (a shared object's counted once; none for keys and passwords). */
  actions?: number;
  /** Plain words: "unused since 2026-08-02 (90-day window)", "no use of any of its 14 actions in 90 days". */
  reason: string;
  /** The last recorded use of anything the change takes away, when any (before the window). */
  lastUsed?: string;
  /** Only on an owner's explicit Remove (console passwords, own copies), never in enforce mode on silence. */
  explicitOnly?: boolean;
  /** The owner asked for, in order of preference (tag, mapping, system owners); empty → the fallback channel. */
  owners: string[];
}

/** Why something that looked unused is not in the plan. */
export type CleanupHoldReason =
  /** Usage data does not cover the whole window at the granularity the change needs. */
  | 'not-enough-data'
  /** An identity younger than the window. */
  | 'identity-too-new'
  /** Granted less than the grace period ago. */
  | 'grace-period'
  /** Excluded by the policy (identity, tag, path, service-linked, break-glass, Sid marker). */
  | 'excluded'
  /** An owner chose Keep (until it expires). */
  | 'kept'
  /** An owner snoozed it (until it expires). */
  | 'snoozed'
  /** The policy does not allow this kind of change for the system. */
  | 'change-not-allowed'
  /** The object cannot be narrowed safely (NotAction, a document that could not be read). */
  | 'cannot-narrow'
  /** Cloud-managed: AWS-managed policies and Azure built-in roles are detached or unassigned, never edited. */
  | 'managed-by-cloud'
  /** Beyond the changes one run takes on (MAX_ITEMS_PER_RUN): planned again by the next run. */
  | 'deferred';

export interface CleanupHold {
  identityId: string;
  identityName: string;
  object?: CleanupObject;
  reason: CleanupHoldReason;
  /** Plain words, e.g. "CloudTrail covers 41 of 90 days for this role", "Sid LeastKeep*". */
  detail: string;
  /** How many granted actions this hold keeps out of the plan. */
  actions?: number;
}

export interface CleanupPlan {
  systemId: string;
  cloud: Cloud;
  mode: CleanupMode;
  /** The inventory snapshot planned from. */
  collectionRunId: string;
  window: { from: string; to: string };
  plannedAt: string;
  items: CleanupItem[];
  holds: CleanupHold[];
  counts: { identities: number; items: number; actions: number; holds: number };
}

/** An owner's answer on an item. */
export type CleanupDecisionKind = 'keep' | 'remove' | 'snooze';

export interface CleanupDecision {
  itemId: string;
  kind: CleanupDecisionKind;
  by: string;
  at: string;
  reason?: string;
  /** Keep: 180 days; Snooze: 7 or 30 days. */
  until?: string;
}

/** What happened to an item in a run. */
export type CleanupOutcome =
  | 'removed'
  /** Staged removal (AWS): the removal set is denied by a guard for the staging period, then removed. */
  | 'staged'
  | 'kept'
  | 'snoozed'
  | 'reported'
  | 'skipped'
  | 'replanned'
  | 'failed'
  | 'restored';

export const KEEP_DAYS = 180;
/**
 * The changes one run announces and acts on. Owners cannot weigh twenty thousand changes in a week, and a
 * run's state (every item's owners and answers) must stay well inside Temporal's payload limit; the rest
 * are held as `deferred`, biggest removals first, and the next run plans them again.
 */
export const MAX_ITEMS_PER_RUN = 1000;
export const SNOOZE_DAYS = [7, 30] as const;
export const MIN_WINDOW_DAYS = 30;
export const DEFAULT_WINDOW_DAYS = 90;
export const DEFAULT_NOTICE_DAYS = 7;
export const DEFAULT_GRACE_DAYS = 14;

/** The name of Least's deny-all guard policy on an inactive AWS role or user (inline, so it leaves with the identity). */
export const AWS_GUARD_POLICY_NAME = 'LeastInactiveGuard';

/** The prefix of Least's staged-removal deny policies (inline on each holder, one per item). */
export const AWS_STAGED_POLICY_PREFIX = 'LeastStagedRemoval-';
