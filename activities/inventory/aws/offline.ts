import type { z as Zod } from 'zod';
import type {
  ActionCatalogue,
  GrantPath,
  Identity,
  IdentityNature,
  SkippedItem,
} from '../../../domain/inventory/model';
import type { CredentialRow } from './credential-report';
import { DocumentBatch, isAwsManagedPolicy, parsePolicyText } from './documents';
import { AwsSkipReason } from './skip-reasons';

/**
 * GetAccountAuthorizationDetails output → identities, documents and grant paths, with no IAM client:
 * the collector's `authorization` step calls it on each page it fetched, and `least inventory import`
 * on a file written by `aws iam get-account-authorization-details`. One mapping for both.
 */

/** A policy body as IAM's query API sends it (URL-encoded text) or as the AWS CLI writes it (a JSON object). */
export type PolicyText = string | Record<string, unknown>;
type When = Date | string;

interface InlinePolicy {
  PolicyName?: string;
  PolicyDocument?: PolicyText;
}
interface Attached {
  PolicyArn?: string;
}
interface Tagged {
  Tags?: { Key?: string; Value?: string }[];
}
interface Boundary {
  PermissionsBoundary?: { PermissionsBoundaryArn?: string };
}

export interface AuthorizationDetails {
  UserDetailList?: (Tagged &
    Boundary & {
      Arn?: string;
      UserName?: string;
      Path?: string;
      CreateDate?: When;
      GroupList?: string[];
      UserPolicyList?: InlinePolicy[];
      AttachedManagedPolicies?: Attached[];
    })[];
  GroupDetailList?: {
    Arn?: string;
    GroupName?: string;
    Path?: string;
    CreateDate?: When;
    GroupPolicyList?: InlinePolicy[];
    AttachedManagedPolicies?: Attached[];
  }[];
  RoleDetailList?: (Tagged &
    Boundary & {
      Arn?: string;
      RoleName?: string;
      Path?: string;
      CreateDate?: When;
      AssumeRolePolicyDocument?: PolicyText;
      RoleLastUsed?: { LastUsedDate?: When };
      RolePolicyList?: InlinePolicy[];
      AttachedManagedPolicies?: Attached[];
    })[];
  Policies?: {
    Arn?: string;
    AttachmentCount?: number;
    PermissionsBoundaryUsageCount?: number;
    PolicyVersionList?: { Document?: PolicyText; VersionId?: string; IsDefaultVersion?: boolean }[];
  }[];
  IsTruncated?: boolean;
  Marker?: string;
}

/** What the mapping remembers across pages of one run: managed policy ARN → document id, group name → ARN. */
export interface DetailsMemory {
  policyDocuments: Map<string, string>;
  groupArns: Map<string, string>;
  /** Keep every listed policy, AWS-managed ones nothing holds too (a comparison with tools that report them). */
  everyPolicy?: boolean;
}

/** What the mapping cannot find in the output itself; the collector asks IAM, an import looks in the file. */
export interface DetailsLookups {
  /** The document id of a managed policy the output holds but does not list; undefined when skipped. */
  managedDocument(arn: string): Promise<string | undefined>;
  /** The ARNs of a user's groups, named only by name in the output. */
  groupArns(userName: string, names: string[]): Promise<string[]>;
  /** The user's credential report row, when there is a report. */
  credentialRow(userArn: string): CredentialRow | undefined;
}

const IAM_SCOPE = '*';

export async function mapAuthorizationDetails(
  details: AuthorizationDetails,
  systemId: string,
  documents: DocumentBatch,
  memory: DetailsMemory,
  lookups: DetailsLookups,
): Promise<{ identities: Identity[]; grantPaths: GrantPath[] }> {
  managedPolicies(details, documents, memory);
  for (const group of details.GroupDetailList ?? []) {
    if (group.GroupName && group.Arn) memory.groupArns.set(group.GroupName, group.Arn);
  }

  const identities: Identity[] = [];
  const grantPaths: GrantPath[] = [];
  const base = (arn: string, kind: Identity['kind'], name: string | undefined, nature: IdentityNature, path?: string) =>
    ({ systemId, id: arn, kind, name: name ?? arn, nature, tags: {}, path }) satisfies Identity;
  const path = (identityId: string, kind: GrantPath['kind'], documentId?: string, via?: string): void => {
    grantPaths.push({ systemId, identityId, kind, documentId, via, scope: IAM_SCOPE, conditional: false });
  };
  // policies held but not readable: the identity's findings say what they grant is unknown
  const unreadable = new Map<string, string[]>();
  const cannotRead = (identityId: string, name: string): void => {
    const list = unreadable.get(identityId);
    if (list) list.push(name);
    else unreadable.set(identityId, [name]);
  };
  const inline = (identityId: string, list: InlinePolicy[] | undefined): void => {
    for (const policy of list ?? []) {
      const name = `${identityId}#${policy.PolicyName ?? '?'}`;
      const id = addDocument(documents, policy.PolicyDocument, name, false);
      if (id) path(identityId, 'inline-policy', id, policy.PolicyName);
      else cannotRead(identityId, `inline policy ${policy.PolicyName ?? '?'}`);
    }
  };
  const attached = async (identityId: string, list: Attached[] | undefined): Promise<void> => {
    for (const { PolicyArn } of list ?? []) {
      if (!PolicyArn) continue;
      const id = await lookups.managedDocument(PolicyArn);
      if (id) path(identityId, 'managed-policy', id, PolicyArn);
      else cannotRead(identityId, PolicyArn);
    }
  };
  const boundary = async (identityId: string, arn: string | undefined): Promise<void> => {
    if (!arn) return;
    const id = await lookups.managedDocument(arn);
    if (id) path(identityId, 'permissions-boundary', id, arn);
    else cannotRead(identityId, `${arn} (permissions boundary)`);
  };

  for (const group of details.GroupDetailList ?? []) {
    if (!group.Arn) continue;
    identities.push({
      ...base(group.Arn, 'aws-iam-group', group.GroupName, 'group', group.Path),
      createdAt: iso(group.CreateDate),
    });
    inline(group.Arn, group.GroupPolicyList);
    await attached(group.Arn, group.AttachedManagedPolicies);
  }

  for (const user of details.UserDetailList ?? []) {
    if (!user.Arn) continue;
    const row = lookups.credentialRow(user.Arn);
    const nature = row && !row.passwordEnabled ? 'workload' : 'human';
    identities.push({
      ...base(user.Arn, 'aws-iam-user', user.UserName, nature, user.Path),
      ...tagged(user.Tags),
      createdAt: iso(user.CreateDate),
      lastActivityAt: latest([row?.passwordLastUsed, ...(row?.keysLastUsed ?? [])]),
    });
    if (row?.passwordEnabled) {
      // a console password is a credential of its own, so an unused one is a finding of its own
      identities.push({
        systemId,
        id: `${user.Arn}#console-password`,
        kind: 'aws-console-password',
        name: `${user.UserName ?? user.Arn} console password`,
        nature: 'credential',
        tags: {},
        parentId: user.Arn,
        ...(row.passwordLastChanged ? { createdAt: row.passwordLastChanged } : {}),
        ...(row.passwordLastUsed ? { lastActivityAt: row.passwordLastUsed } : {}),
      });
    }
    inline(user.Arn, user.UserPolicyList);
    await attached(user.Arn, user.AttachedManagedPolicies);
    await boundary(user.Arn, user.PermissionsBoundary?.PermissionsBoundaryArn);
    for (const groupArn of await lookups.groupArns(user.UserName ?? '', user.GroupList ?? []))
      path(user.Arn, 'group-membership', undefined, groupArn);
  }

  for (const role of details.RoleDetailList ?? []) {
    if (!role.Arn) continue;
    const trust = role.AssumeRolePolicyDocument === undefined ? undefined : parsePolicy(role.AssumeRolePolicyDocument);
    identities.push({
      ...base(role.Arn, 'aws-iam-role', role.RoleName, roleNature(role.Path, trust), role.Path),
      ...tagged(role.Tags),
      createdAt: iso(role.CreateDate),
      lastActivityAt: iso(role.RoleLastUsed?.LastUsedDate),
      // an unreadable trust policy is kept as its text, so findings say it could not be read
      ...(trust ? { trustPolicy: 'body' in trust ? trust.body : role.AssumeRolePolicyDocument } : {}),
    });
    inline(role.Arn, role.RolePolicyList);
    await attached(role.Arn, role.AttachedManagedPolicies);
    await boundary(role.Arn, role.PermissionsBoundary?.PermissionsBoundaryArn);
  }

  for (const identity of identities) {
    const names = unreadable.get(identity.id);
    if (names) identity.unreadable = names;
  }
  return { identities, grantPaths };
}

/** A body either way it comes: text is parsed (and URL-decoded), an object is taken as it is. */
function addDocument(
  documents: DocumentBatch,
  document: PolicyText | undefined,
  name: string,
  managedByCloud: boolean,
): string | undefined {
  return typeof document === 'object' && document !== null
    ? documents.addBody(document, name, managedByCloud)
    : documents.addText(document, name, managedByCloud);
}

function parsePolicy(document: PolicyText): { body: unknown } | { error: string } {
  return typeof document === 'string' ? parsePolicyText(document) : { body: document };
}

/** Managed policies listed in the output: their default versions become documents, remembered by ARN. */
function managedPolicies(details: AuthorizationDetails, documents: DocumentBatch, memory: DetailsMemory): void {
  for (const policy of details.Policies ?? []) {
    if (!policy.Arn) continue;
    const awsManaged = isAwsManagedPolicy(policy.Arn);
    // AWS keeps ~1,500 policies of its own; only those something holds matter here
    if (awsManaged && !memory.everyPolicy && !policy.AttachmentCount && !policy.PermissionsBoundaryUsageCount) continue;
    const version = policy.PolicyVersionList?.find((v) => v.IsDefaultVersion);
    const id = addDocument(documents, version?.Document, `${policy.Arn}:${version?.VersionId ?? '?'}`, awsManaged);
    if (id) memory.policyDocuments.set(policy.Arn, id);
  }
}

/** Tags as a map; an `owner` tag (any case) names who answers for the identity. */
function tagged(tags: Tagged['Tags']): Pick<Identity, 'tags' | 'owner'> {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) map[tag.Key] = tag.Value ?? '';
  const ownerKey = Object.keys(map).find((key) => key.toLowerCase() === 'owner');
  return ownerKey ? { tags: map, owner: map[ownerKey] } : { tags: map };
}

/** People reach roles through Identity Center or SAML federation; every other role is a workload's. */
function roleNature(
  path: string | undefined,
  trust: { body: unknown } | { error: string } | undefined,
): IdentityNature {
  if (path?.startsWith('/aws-reserved/sso.amazonaws.com/')) return 'human';
  const text = trust && 'body' in trust ? JSON.stringify(trust.body) : '';
  return /saml-provider\/|sts:AssumeRoleWithSAML/.test(text) ? 'human' : 'workload';
}

/** The AWS CLI writes `2023-03-09 10:41:34+00:00` or ISO text; the SDK gives Dates. A bad date is no date. */
function iso(date: When | undefined): string | undefined {
  if (date === undefined) return undefined;
  const parsed = typeof date === 'string' ? new Date(date.replace(' ', 'T')) : date;
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

function latest(dates: (string | undefined)[]): string | undefined {
  const known = dates.filter((date): date is string => Boolean(date)).sort();
  return known[known.length - 1];
}

/* ---------- an offline file: `aws iam get-account-authorization-details > file.json` ---------- */

/** Why an import skipped part of a file (`SkippedItem.reason`); never rename one. */
export const ImportSkipReason = {
  /** An entry of a list that is not a user, group, role or policy as IAM writes them. */
  ItemInvalid: 'aws.gaad.item.invalid',
  /** The file is one page of several (`IsTruncated`): what the other pages hold is missing. */
  FileTruncated: 'aws.gaad.truncated',
  /** A user's group that the file does not list. */
  GroupMissing: 'aws.gaad.group.missing',
} as const;

/** A file no part of which can be imported; the message says what was expected. */
export class OfflineImportError extends Error {
  override readonly name = 'OfflineImportError';
}

export interface OfflineImport {
  identities: Identity[];
  grantPaths: GrantPath[];
  documents: DocumentBatch;
  /** Managed policy ARN → the document of its default version, for every policy the file lists and held. */
  managedPolicies: ReadonlyMap<string, string>;
  /** Everything skipped: items of the file and parts of documents. */
  skipped: SkippedItem[];
}

const LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;

/** How zod checks each list's entries: it says what is wrong with one that does not fit. Built when first needed. */
function itemSchemas(z: typeof Zod) {
  const policyText = z.union([z.string(), z.record(z.string(), z.unknown())]);
  const when = z.union([z.string(), z.date()]);
  const inlineList = z.array(
    z.looseObject({ PolicyName: z.string().optional(), PolicyDocument: policyText.optional() }),
  );
  const attachedList = z.array(z.looseObject({ PolicyArn: z.string().optional() }));
  const tags = z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() }));
  const boundary = z.looseObject({ PermissionsBoundaryArn: z.string().optional() });
  const arn = z.string().startsWith('arn:', 'an ARN');
  return {
    UserDetailList: z.looseObject({
      Arn: arn,
      UserName: z.string().optional(),
      Path: z.string().optional(),
      CreateDate: when.optional(),
      GroupList: z.array(z.string()).optional(),
      UserPolicyList: inlineList.optional(),
      AttachedManagedPolicies: attachedList.optional(),
      PermissionsBoundary: boundary.optional(),
      Tags: tags.optional(),
    }),
    GroupDetailList: z.looseObject({
      Arn: arn,
      GroupName: z.string().optional(),
      Path: z.string().optional(),
      CreateDate: when.optional(),
      GroupPolicyList: inlineList.optional(),
      AttachedManagedPolicies: attachedList.optional(),
    }),
    RoleDetailList: z.looseObject({
      Arn: arn,
      RoleName: z.string().optional(),
      Path: z.string().optional(),
      CreateDate: when.optional(),
      AssumeRolePolicyDocument: policyText.optional(),
      RoleLastUsed: z.looseObject({ LastUsedDate: when.optional() }).optional(),
      RolePolicyList: inlineList.optional(),
      AttachedManagedPolicies: attachedList.optional(),
      PermissionsBoundary: boundary.optional(),
      Tags: tags.optional(),
    }),
    Policies: z.looseObject({
      Arn: arn,
      // the AWS CLI writes null for counts IAM left out (seen in real files)
      AttachmentCount: z
        .number()
        .nullish()
        .transform((n) => n ?? undefined),
      PermissionsBoundaryUsageCount: z
        .number()
        .nullish()
        .transform((n) => n ?? undefined),
      PolicyVersionList: z
        .array(
          z.looseObject({
            Document: policyText.optional(),
            VersionId: z.string().optional(),
            IsDefaultVersion: z.boolean().optional(),
          }),
        )
        .optional(),
    }),
  } as const;
}

type ItemSchemas = ReturnType<typeof itemSchemas>;
let schemas: ItemSchemas | undefined;

/*
 * The common case, checked without zod (loading it and copying every entry through it costs more than
 * the rest of a small import): an entry every field of which is plainly what the schema above wants is
 * taken as it is. Anything else, however slight the doubt, goes to zod, which keeps it or says why not.
 * Only what zod accepts passes here; a null count is read as no count either way.
 */
type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string';
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const listOf =
  (check: Check): Check =>
  (value) =>
    Array.isArray(value) && value.every(check);
const shaped =
  (fields: Record<string, Check>): Check =>
  (value) =>
    isRecord(value) && Object.entries(fields).every(([field, check]) => check(value[field]));
const isPolicyText: Check = (value) => isString(value) || isRecord(value);
const isArn: Check = (value) => isString(value) && (value as string).startsWith('arn:');
const isCount: Check = (value) => value === undefined || value === null || Number.isFinite(value);
const inlineListOk = optional(
  listOf(shaped({ PolicyName: optional(isString), PolicyDocument: optional(isPolicyText) })),
);
const attachedOk = optional(listOf(shaped({ PolicyArn: optional(isString) })));
const tagsOk = optional(listOf(shaped({ Key: optional(isString), Value: optional(isString) })));
const boundaryOk = optional(shaped({ PermissionsBoundaryArn: optional(isString) }));
const PLAINLY_VALID: Record<(typeof LISTS)[number], Check> = {
  UserDetailList: shaped({
    Arn: isArn,
    UserName: optional(isString),
    Path: optional(isString),
    CreateDate: optional(isString),
    GroupList: optional(listOf(isString)),
    UserPolicyList: inlineListOk,
    AttachedManagedPolicies: attachedOk,
    PermissionsBoundary: boundaryOk,
    Tags: tagsOk,
  }),
  GroupDetailList: shaped({
    Arn: isArn,
    GroupName: optional(isString),
    Path: optional(isString),
    CreateDate: optional(isString),
    GroupPolicyList: inlineListOk,
    AttachedManagedPolicies: attachedOk,
  }),
  RoleDetailList: shaped({
    Arn: isArn,
    RoleName: optional(isString),
    Path: optional(isString),
    CreateDate: optional(isString),
    AssumeRolePolicyDocument: optional(isPolicyText),
    RoleLastUsed: optional(shaped({ LastUsedDate: optional(isString) })),
    RolePolicyList: inlineListOk,
    AttachedManagedPolicies: attachedOk,
    PermissionsBoundary: boundaryOk,
    Tags: tagsOk,
  }),
  Policies: shaped({
    Arn: isArn,
    AttachmentCount: isCount,
    PermissionsBoundaryUsageCount: isCount,
    PolicyVersionList: optional(
      listOf(
        shaped({
          Document: optional(isPolicyText),
          VersionId: optional(isString),
          IsDefaultVersion: optional((value) => typeof value === 'boolean'),
        }),
      ),
    ),
  }),
};

/**
 * Reads a GetAccountAuthorizationDetails file (the AWS CLI's JSON, or the SDK's output serialised) for
 * an account: entries that cannot be read are skipped and reported, a file that is not such output at
 * all, or is another account's, throws OfflineImportError.
 */
export async function importAuthorizationDetails(
  text: string,
  account: { systemId: string; accountId: string },
  catalogue: ActionCatalogue,
  options: { everyPolicy?: boolean } = {},
): Promise<OfflineImport> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OfflineImportError(`the file is not JSON (${(error as Error).message})`);
  }
  const expected = `the JSON that \`aws iam get-account-authorization-details\` writes: an object with ${LISTS.join(', ')}`;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OfflineImportError(`the file is not ${expected}`);
  }
  const file = parsed as Record<string, unknown>;
  if (!LISTS.some((list) => list in file)) throw new OfflineImportError(`the file is not ${expected}`);
  const notLists = LISTS.filter((list) => list in file && !Array.isArray(file[list]));
  if (notLists.length > 0) {
    throw new OfflineImportError(`${notLists.join(', ')} must be a list in ${expected}`);
  }

  const skipped: SkippedItem[] = [];
  const details: AuthorizationDetails = {};
  for (const list of LISTS) {
    const entries = (file[list] as unknown[] | undefined) ?? [];
    const valid: unknown[] = [];
    for (const [index, entry] of entries.entries()) {
      if (PLAINLY_VALID[list](entry)) {
        valid.push(entry);
        continue;
      }
      schemas ??= itemSchemas((await import('zod')).z);
      const checked = schemas[list].safeParse(entry);
      if (checked.success) {
        valid.push(checked.data);
        continue;
      }
      const name = (entry as { Arn?: unknown } | null)?.Arn;
      const issue = checked.error.issues[0]!;
      skipped.push({
        reason: ImportSkipReason.ItemInvalid,
        item: typeof name === 'string' ? name : `${list}[${index}]`,
        detail: `${issue.path.join('.') || 'entry'}: ${issue.message}`,
      });
    }
    (details as Record<string, unknown>)[list] = valid;
  }
  if (file.IsTruncated === true) {
    skipped.push({
      reason: ImportSkipReason.FileTruncated,
      item: 'file',
      detail: 'IsTruncated is true: run the AWS CLI without --max-items so it writes every page',
    });
  }

  const identityArns = [...details.UserDetailList!, ...details.GroupDetailList!, ...details.RoleDetailList!].map(
    (entry) => entry.Arn!,
  );
  if (identityArns.length === 0) throw new OfflineImportError('the file holds no user, group or role that can be read');
  const accounts = new Set(identityArns.map((entryArn) => entryArn.split(':')[4]));
  if (!accounts.has(account.accountId)) {
    throw new OfflineImportError(
      `the file is of account ${[...accounts].join(', ')}, but system ${account.systemId} is account ${account.accountId}`,
    );
  }

  const documents = new DocumentBatch(catalogue);
  const memory: DetailsMemory = {
    policyDocuments: new Map(),
    groupArns: new Map(),
    ...(options.everyPolicy ? { everyPolicy: true } : {}),
  };
  const listed = new Set(details.Policies!.map((policy) => policy.Arn));
  const mapped = await mapAuthorizationDetails(details, account.systemId, documents, memory, {
    // a file cannot be asked again: what it does not hold is missing, and said so
    managedDocument: async (policyArn) => {
      const id = memory.policyDocuments.get(policyArn);
      if (id || listed.has(policyArn)) return id; // a listed policy that did not parse is skipped already
      listed.add(policyArn);
      documents.skipped.push({
        reason: AwsSkipReason.PolicyDocumentMissing,
        item: policyArn,
        detail: 'attached, but not in the file (write it with every --filter, or none)',
      });
      return undefined;
    },
    groupArns: async (userName, names) =>
      names.flatMap((name) => {
        const groupArn = memory.groupArns.get(name);
        if (!groupArn)
          skipped.push({ reason: ImportSkipReason.GroupMissing, item: name, detail: `group of ${userName}` });
        return groupArn ?? [];
      }),
    credentialRow: () => undefined,
  });
  return {
    ...mapped,
    documents,
    managedPolicies: memory.policyDocuments,
    skipped: [...skipped, ...documents.skipped],
  };
}
