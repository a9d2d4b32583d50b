/**
 * Makes a large account from a small one: `aws iam get-account-authorization-details` output (GAAD)
 * replicated N times, every copy's users, groups, roles, instance profiles and customer-managed
 * policies renamed (name, id and ARN unique per copy) and every reference between them rewritten to
 * the same copy's entity, so copy k is the original account with `-c<k>` names. Copy 0 is the input
 * itself, unchanged, so 1 copy gives back the input.
 *
 * AWS-managed policies (`arn:aws:iam::aws:policy/…`) are one set per account in real life: by default
 * they stay a single shared entry that every copy attaches to (their AttachmentCount multiplied),
 * which also keeps Cloudsplaining's default exclusions (`AdministratorAccess`, `*ServiceRolePolicy`, …,
 * matched on the unchanged names and paths) working the same on every copy. `awsManaged: 'copied'`
 * renames them per copy instead (ARNs that do not exist in AWS; exclusions by exact name then miss).
 *
 * References are rewritten where they are exact strings: the ARN of a renamed entity anywhere in the
 * copy (attachments, instance profiles, permissions boundaries, trust and permission policy documents),
 * and names and ids in the fields that hold them (UserName, UserId, GroupList, PolicyName of attached
 * managed policies, …): ids and names only there, because files reuse one as the other (a policy id
 * equal to its name). Substrings (a role name inside a bucket name, `role/app-*` patterns) are left
 * alone. Inline policy names are only unique per principal and are kept.
 */

export interface GaadPolicyRef {
  PolicyName: string;
  PolicyArn: string;
}

export interface GaadInlinePolicy {
  PolicyName: string;
  PolicyDocument: unknown;
}

export interface GaadUser {
  UserName: string;
  UserId: string;
  Arn: string;
  Path?: string;
  GroupList?: string[];
  UserPolicyList?: GaadInlinePolicy[];
  AttachedManagedPolicies?: GaadPolicyRef[];
  [field: string]: unknown;
}

export interface GaadGroup {
  GroupName: string;
  GroupId: string;
  Arn: string;
  Path?: string;
  GroupPolicyList?: GaadInlinePolicy[];
  AttachedManagedPolicies?: GaadPolicyRef[];
  [field: string]: unknown;
}

export interface GaadInstanceProfile {
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  Roles?: { RoleName: string; RoleId: string; Arn: string; [field: string]: unknown }[];
  [field: string]: unknown;
}

export interface GaadRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path?: string;
  RolePolicyList?: GaadInlinePolicy[];
  AttachedManagedPolicies?: GaadPolicyRef[];
  InstanceProfileList?: GaadInstanceProfile[];
  [field: string]: unknown;
}

export interface GaadPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path?: string;
  AttachmentCount?: number;
  PolicyVersionList?: { Document: unknown; IsDefaultVersion?: boolean; VersionId?: string }[];
  [field: string]: unknown;
}

export interface Gaad {
  UserDetailList: GaadUser[];
  GroupDetailList: GaadGroup[];
  RoleDetailList: GaadRole[];
  Policies: GaadPolicy[];
  [field: string]: unknown;
}

export interface ReplicateOptions {
  /** 'shared' (default): one entry per AWS-managed policy for all copies; 'copied': renamed per copy. */
  awsManaged?: 'shared' | 'copied';
}

export function isAwsManagedArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
}

/** Throws unless the value has the four lists of a GAAD document. */
export function asGaad(value: unknown, what = 'input'): Gaad {
  const doc = value as Partial<Gaad> | null;
  for (const list of ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const) {
    if (!doc || !Array.isArray(doc[list]))
      throw new Error(`${what} is not get-account-authorization-details output: "${list}" is not a list`);
  }
  return doc as Gaad;
}

export function gaadCounts(gaad: Gaad): { users: number; groups: number; roles: number; policies: number } {
  return {
    users: gaad.UserDetailList.length,
    groups: gaad.GroupDetailList.length,
    roles: gaad.RoleDetailList.length,
    policies: gaad.Policies.length,
  };
}

export function copySuffix(copy: number): string {
  return `-c${copy}`;
}

/** The ARN with its trailing name (after the last `/`) replaced; the name must be that tail. */
function renamedArn(arn: string, name: string, newName: string): string {
  if (!arn.endsWith(`/${name}`)) throw new Error(`ARN ${arn} does not end with its name ${name}`);
  return `${arn.slice(0, arn.length - name.length)}${newName}`;
}

/** Ids stay upper-case alphanumerics (AIDA…, AROA…, ANPA…): the copy number is appended after a "C". */
function renamedId(id: string, copy: number): string {
  return `${id}C${copy}`;
}

/** Deep copy in which every string equal to a key of `strings` (ARNs) becomes its value. */
function rewrite<T>(value: T, strings: Map<string, string>): T {
  if (typeof value === 'string') return (strings.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => rewrite(item, strings)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = rewrite(inner, strings);
    return out as T;
  }
  return value;
}

/** Old → new name for one kind of entity in one copy. */
type Names = Map<string, string>;

function renameRef(ref: GaadPolicyRef, policyNames: Names): GaadPolicyRef {
  // the ARN was already rewritten by rewrite(); only a renamed policy gets a new name
  return { ...ref, PolicyName: policyNames.get(ref.PolicyName) ?? ref.PolicyName };
}

export function replicateGaad(gaad: Gaad, copies: number, options: ReplicateOptions = {}): Gaad {
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`copies must be an integer ≥ 1, not ${copies}`);
  const copyAwsManaged = options.awsManaged === 'copied';
  const renamedPolicy = (policy: GaadPolicy): boolean => copyAwsManaged || !isAwsManagedArn(policy.Arn);
  const out: Gaad = { ...gaad, UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };

  for (let copy = 0; copy < copies; copy++) {
    if (copy === 0) {
      out.UserDetailList.push(...gaad.UserDetailList);
      out.GroupDetailList.push(...gaad.GroupDetailList);
      out.RoleDetailList.push(...gaad.RoleDetailList);
      out.Policies.push(
        ...gaad.Policies.map((policy) =>
          renamedPolicy(policy) ? policy : { ...policy, AttachmentCount: (policy.AttachmentCount ?? 0) * copies },
        ),
      );
      continue;
    }
    const suffix = copySuffix(copy);
    const strings = new Map<string, string>();
    const entity = (name: string, arn: string): string => {
      const newName = `${name}${suffix}`;
      strings.set(arn, renamedArn(arn, name, newName));
      return newName;
    };
    const id = (value: string): string => renamedId(value, copy);
    const users: Names = new Map();
    const groups: Names = new Map();
    const roles: Names = new Map();
    const profiles: Names = new Map();
    const policies: Names = new Map();
    for (const u of gaad.UserDetailList) users.set(u.UserName, entity(u.UserName, u.Arn));
    for (const g of gaad.GroupDetailList) groups.set(g.GroupName, entity(g.GroupName, g.Arn));
    for (const r of gaad.RoleDetailList) {
      roles.set(r.RoleName, entity(r.RoleName, r.Arn));
      for (const p of r.InstanceProfileList ?? [])
        profiles.set(p.InstanceProfileName, entity(p.InstanceProfileName, p.Arn));
    }
    for (const p of gaad.Policies) if (renamedPolicy(p)) policies.set(p.PolicyName, entity(p.PolicyName, p.Arn));

    // names and ids are set from the originals, field by field; rewrite() only touched ARNs
    const profileList = (
      originals: GaadInstanceProfile[] | undefined,
      copied: GaadInstanceProfile[] | undefined,
    ): GaadInstanceProfile[] | undefined =>
      copied?.map((p, i) => {
        const o = originals![i]!;
        return {
          ...p,
          InstanceProfileName: profiles.get(o.InstanceProfileName) ?? o.InstanceProfileName,
          InstanceProfileId: id(o.InstanceProfileId),
          Roles: p.Roles?.map((r, j) => {
            const or = o.Roles![j]!;
            return { ...r, RoleName: roles.get(or.RoleName) ?? or.RoleName, RoleId: id(or.RoleId) };
          }),
        };
      });
    const refs = (originals: GaadPolicyRef[] | undefined, copied: GaadPolicyRef[] | undefined) =>
      copied?.map((ref, i) => renameRef({ ...ref, PolicyName: originals![i]!.PolicyName }, policies));
    for (const o of gaad.UserDetailList) {
      const u = rewrite(o, strings);
      out.UserDetailList.push({
        ...u,
        UserName: users.get(o.UserName)!,
        UserId: id(o.UserId),
        GroupList: o.GroupList?.map((g) => groups.get(g) ?? g),
        AttachedManagedPolicies: refs(o.AttachedManagedPolicies, u.AttachedManagedPolicies),
      });
    }
    for (const o of gaad.GroupDetailList) {
      const g = rewrite(o, strings);
      out.GroupDetailList.push({
        ...g,
        GroupName: groups.get(o.GroupName)!,
        GroupId: id(o.GroupId),
        AttachedManagedPolicies: refs(o.AttachedManagedPolicies, g.AttachedManagedPolicies),
      });
    }
    for (const o of gaad.RoleDetailList) {
      const r = rewrite(o, strings);
      out.RoleDetailList.push({
        ...r,
        RoleName: roles.get(o.RoleName)!,
        RoleId: id(o.RoleId),
        AttachedManagedPolicies: refs(o.AttachedManagedPolicies, r.AttachedManagedPolicies),
        InstanceProfileList: profileList(o.InstanceProfileList, r.InstanceProfileList),
      });
    }
    for (const o of gaad.Policies) {
      if (!renamedPolicy(o)) continue;
      const p = rewrite(o, strings);
      out.Policies.push({ ...p, PolicyName: policies.get(o.PolicyName)!, PolicyId: id(o.PolicyId) });
    }
  }
  for (const [list, field] of [
    ['UserDetailList', 'Arn'],
    ['GroupDetailList', 'Arn'],
    ['RoleDetailList', 'Arn'],
    ['Policies', 'Arn'],
  ] as const) {
    const seen = new Set<string>();
    for (const item of out[list]) {
      const arn = item[field];
      if (seen.has(arn)) throw new Error(`replication made a duplicate ${list} ARN ${arn}`);
      seen.add(arn);
    }
  }
  return out;
}
