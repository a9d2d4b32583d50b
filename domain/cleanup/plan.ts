import { isScored } from '../findings/assess';
import { parseAwsPolicy } from '../inventory/aws-policy';
import { usedSince } from '../inventory/coverage';
import {
  isMembership,
  type ActionCatalogue,
  type CollectionRun,
  type GrantPath,
  type Identity,
  type PolicyDocument,
} from '../inventory/model';
import { attachUsage, copyGrant, usageFacts, VerdictMemo } from '../inventory/verdicts';
import type { GrantedAction, IdentityView } from '../inventory/view';
import { INLINE_POLICY_PREFIX } from '../lease';
import { markedStatements, narrowAwsPolicy } from './aws-document';
import { azureRoleChange } from './azure-role';
import { Gates, type PathGate } from './gating';
import {
  assignmentSpec,
  attachmentSpec,
  Holding,
  inlineSpec,
  managedPolicySpec,
  memberSpec,
  roleDefinitionSpec,
  ssoKey,
  ssoSpec,
  type HeldThrough,
  type HolderRef,
  type ObjectSpec,
} from './holding';
import { AWS_GUARD_POLICY_NAME, AWS_STAGED_POLICY_PREFIX } from './model';
import { PERMISSION_SET_WORDS, PermissionSets, permissionSetPolicySpec } from './permission-sets';
import type {
  CleanupChangeKind,
  CleanupChanges,
  CleanupDecision,
  CleanupHold,
  CleanupHoldReason,
  CleanupItem,
  CleanupObject,
  CleanupObjectKind,
  CleanupPlan,
  CleanupRules,
} from './model';
import { UnknownReasons } from './unknown-reasons';
import { byText, day, lastSegment, plural } from './words';

/**
 * The cleanup plan of one system (issue 13): from one snapshot's identity views, what may be taken away
 * and what is held back, and why. Pure; one pass over the views, which may be a stream: what the planner
 * keeps between identities is the plan itself and, per shared object (a customer-managed policy, a
 * group's policy, attachment or assignment, a permission set's inline policy, an Azure custom role),
 * how each action stands across its holders.
 *
 * Decisions made here (the model's comments say the same where they concern its fields):
 * - Verdicts are worked out again for the cleanup window [at − windowDays, run.windowTo] (attachUsage).
 *   Only `unused` is a candidate; `unknown` is held as not-enough-data, one hold per identity naming why.
 * - An identity is judged as a whole first: excluded (identity pattern, tag, IAM path or scope prefix,
 *   service-linked role or GCP service agent, break-glass), or younger than the window, and nothing of it
 *   is planned; it still holds back every action it holds in a shared object. Its creation time unknown,
 *   the first time one of its own paths was seen stands in; neither known → too new (never guessed old).
 *   Disabled identities, groups, permission sets, leases and credentials other than AWS keys and console
 *   passwords are not planned for themselves (groups are planned through their members); a disabled
 *   identity neither counts for nor against removing an action from an object it shares. Least's own
 *   inline policies (a lease's `least-<lease>`, the inactive guard) are never planned, and an identity
 *   with a lease running is not inactive.
 * - A path first seen (grantedAt) within the grace period, or whose scope is under an excluded prefix,
 *   plans nothing and holds back what its identity holds through it in a shared object. A group's path
 *   counts from the later of its own first sighting and the member's joining. grantedAt unknown → old only
 *   when the identity is known older than the grace period.
 * - Shared objects: an action goes only when some holder shows it unused and no holder used it, shows it
 *   unknown, or holds it through a held-back path. Actions a holder could not use (denied, outside a
 *   boundary) neither count for nor against. A customer-managed policy that is also a permissions
 *   boundary is never narrowed; policies held through a permission set are held back whole by it.
 * - Own copies: a role or user holding a shared customer-managed policy through its own attachment (not
 *   a group's), with unused actions the policy keeps only for its other holders, is also offered a copy
 *   narrowed to what it used (`own-copy` on that attachment, item id `own-copy:aws-policy-attachment:
 *   <principal ARN>|<policy ARN>`), applied only on an owner's explicit Remove. The same gating holds:
 *   a held-back holder has no unused actions to offer, and an attachment that is detached needs no copy.
 * - An inactive identity (everything it holds unused, nothing used or active in the window, scored,
 *   older than the window, no held-back path, no Sid-marked statement) gets one item — AWS guard, Azure
 *   removal of its own assignments, GCP disable — and counts as unused for the shared objects it holds.
 *   With `changes.inactiveIdentities` off it is planned path by path like any other.
 * - An inline policy all of whose statements go is deleted: `narrow-policy` with `after: null`. A
 *   customer-managed policy is never emptied: an attachment all of whose actions are unused by its
 *   holders is detached, and a policy every attachment of which is detached is not also narrowed.
 * - Identity Center (permission-sets.ts): an assignment goes when wholly unused. A user holds a set
 *   through its own assignment, each assigned group it is in, or both: each assignment is planned on its
 *   own (a group's is the group's, across its members). A permission set's inline policy is a shared
 *   object (`aws-permission-set-policy`, key = set ARN) across every holder by any assignment, narrowed
 *   as a customer-managed policy is (Sid marker, NotAction, length, grace and gating alike; a holder
 *   given the set within the grace period by any assignment holds it back), but only when the
 *   inventory shows the set provisioned to this system's account alone: provisioned elsewhere, or not
 *   known where, its unused actions are held as cannot-narrow (their use there is not seen). A set
 *   every assignment of which goes is not also narrowed; its only policy is never emptied, and an
 *   inline policy left with nothing beside other policies is deleted. What a set brings through its
 *   AWS-managed or customer-managed policies is not narrowed: held as cannot-narrow on the assignment.
 * - Azure (azure-role.ts): an assignment goes when wholly unused. A custom role (roleType CustomRole) is
 *   a shared object (`azure-role-definition`, key = role definition id) across every principal assigned
 *   it at any scope of the system, by its own or a group's assignment: `narrow-policy` takes out of its
 *   `actions` the entries all of whose operations are removable, and changes nothing else (notActions,
 *   dataActions, notDataActions, name, assignable scopes). A read is never judged unused (the Activity
 *   Log records writes, deletes and actions only: held as not-enough-data). A wildcard entry goes only
 *   when every operation it grants (the inventory's expansion, from the catalogue read at collection,
 *   less its block's notActions) is removable; a partly used one is kept whole and held as
 *   cannot-narrow, never expanded. A role assignable at any scope beyond the system's subscription is
 *   held whole (cannot-narrow): it may be assigned where Least sees no use. A role is never narrowed to
 *   no actions (held; its unused assignments go instead), and one every assignment of which goes is
 *   not also narrowed. Built-in roles are never edited: their unused operations are held as
 *   managed-by-cloud on an assignment in use.
 * - GCP roles are not narrowed: a binding member goes when wholly unused, otherwise the unused actions
 *   are held as cannot-narrow; a GCP binding on an ancestor of the system's resource is held too
 *   (removing it there reaches beyond the system).
 * - An item kept or snoozed by an owner (decision still running at `at`), or whose change the rules do
 *   not allow, becomes a hold per identity it concerns.
 *
 * Its parts: gating.ts (exclusions, too new, grace period), holding.ts (each cloud object and how its
 * actions stand across holders), aws-document.ts (the narrowed AWS policy), permission-sets.ts (what
 * sets Identity Center permission sets apart), azure-role.ts (the narrowed Azure custom role),
 * unknown-reasons.ts (the words of a not-enough-data hold).
 */

export interface CleanupPlanInput {
  rules: CleanupRules;
  /** The snapshot planned from. */
  run: CollectionRun;
  /** Every identity of the snapshot (groups included), read once: it may be a stream. */
  views: Iterable<IdentityView>;
  documents: (documentId: string) => PolicyDocument | undefined;
  /** The AWS catalogue, to rewrite AWS policies; without it they are held as cannot-narrow. */
  catalogue?: ActionCatalogue;
  /** Who answers for an identity, in order of preference; empty → the fallback channel. */
  ownersOf: (identity: Identity) => string[];
  /** Owners' answers by item id; only keep and snooze matter, and only while running at `at`. */
  decisions: ReadonlyMap<string, CleanupDecision>;
  /**
   * When a path was first seen, for the grace period: asked with the id of the identity the path belongs
   * to (a group's own id for a path it holds) and the path. Undefined: not known.
   */
  grantedAt?: (identityId: string, path: GrantPath) => string | undefined;
  /** Now (ISO). */
  at: string;
}

export function planCleanup(input: CleanupPlanInput): CleanupPlan {
  const planner = cleanupPlanner(input);
  for (const view of input.views) planner.add(view);
  return planner.plan();
}

/** The same planner fed a page at a time (views streamed from PostgreSQL), then asked for the plan once. */
export interface CleanupPlanner {
  add(view: IdentityView): void;
  plan(): CleanupPlan;
}

export function cleanupPlanner(input: Omit<CleanupPlanInput, 'views'>): CleanupPlanner {
  return new Planner(input);
}

const DAY_MS = 86_400_000;
/** Which `changes` switch allows each kind of change. */
const SWITCH: Record<CleanupChangeKind, keyof CleanupChanges> = {
  'narrow-policy': 'actions',
  'detach-policy': 'attachments',
  'delete-assignment': 'assignments',
  'remove-member': 'bindings',
  'deactivate-key': 'accessKeys',
  'remove-password': 'passwords',
  'guard-principal': 'inactiveIdentities',
  'remove-assignments': 'inactiveIdentities',
  'disable-service-account': 'inactiveIdentities',
  'own-copy': 'actions',
};

/** The paths of one view that lead to one object, and what the identity holds through them. */
interface Local {
  spec: ObjectSpec;
  /** Shared: other identities may hold the object (it is planned once every view was read). */
  shared: boolean;
  paths: number[];
  held: HeldThrough[];
  /** Held through a permission set: holds back every action whatever its verdict. */
  blocker: boolean;
  /** The attachment this policy path is (aws-policy). */
  attachment?: string;
  /** aws-policy: the identity's own attachment of it, when no group's brings it too (an own copy may replace it). */
  own?: ObjectSpec;
  gate?: PathGate;
}

type PendingItem = Omit<CleanupItem, 'object'> & { spec: ObjectSpec };
type PendingHold = Omit<CleanupHold, 'object'> & { spec?: ObjectSpec };

class Planner implements CleanupPlanner {
  private readonly rules: CleanupRules;
  private readonly window: { from: string; to: string };
  private readonly from: number;
  private readonly gates: Gates;
  private readonly memo = new VerdictMemo();
  private readonly items: PendingItem[] = [];
  private readonly holds: PendingHold[] = [];
  private readonly shared = new Map<string, Holding>();
  private readonly names = new Map<string, string>();
  private readonly permissionSets = new PermissionSets();
  private readonly unknownReasons: UnknownReasons;

  constructor(private readonly input: Omit<CleanupPlanInput, 'views'>) {
    this.rules = input.rules;
    const now = Date.parse(input.at);
    this.window = { from: new Date(now - input.rules.windowDays * DAY_MS).toISOString(), to: input.run.windowTo };
    this.unknownReasons = new UnknownReasons(this.window);
    this.from = Date.parse(this.window.from);
    this.gates = new Gates(input.rules, this.window, input.at, input.grantedAt);
  }

  add(view: IdentityView): void {
    const { identity } = view;
    if (identity.nature === 'group') {
      this.names.set(identity.id, identity.name);
      if (identity.kind === 'aws-permission-set') this.permissionSets.add(identity);
      return;
    }
    if (identity.kind === 'aws-access-key' || identity.kind === 'aws-console-password') {
      this.credential(identity);
      return;
    }
    if (identity.nature === 'credential' || identity.kind === 'least-lease' || identity.disabled) return;

    const granted = view.granted.map(copyGrant);
    attachUsage(granted, view.usage, view.coverage, identity, this.window, this.memo);
    const holder: HolderRef = {
      id: identity.id,
      name: identity.name,
      kind: identity.kind,
      owners: this.input.ownersOf(identity),
    };
    const unused = granted.filter((g) => g.verdict === 'unused').length;
    const locals = this.locals(view, granted);

    const whole = this.gates.identity(view);
    if (whole) {
      if (unused > 0) this.hold(holder, whole.reason, whole.detail, unused);
      for (const local of locals) if (local.shared) this.register(local, holder, true);
      return;
    }

    if (this.inactive(view, holder, granted, locals)) {
      for (const local of locals) if (local.shared) this.register(local, holder, false);
      return;
    }

    const unknown = granted.filter((g) => g.verdict === 'unknown');
    if (unknown.length > 0)
      this.hold(holder, 'not-enough-data', this.unknownReasons.detail(view, unknown), unknown.length);
    for (const local of locals) {
      if (local.gate && !local.blocker) {
        const count = local.held.filter((h) => h.verdict === 'unused').length;
        if (count > 0) this.hold(holder, local.gate.reason, local.gate.detail, count, local.spec);
      }
      if (local.shared) this.register(local, holder, local.gate !== undefined);
      else {
        const own = new Holding(local.spec);
        own.add(holder, local.held, local.gate !== undefined);
        this.conclude(own);
      }
    }
  }

  plan(): CleanupPlan {
    // attachments and assignments first: a customer-managed policy or a permission set needs to know which go
    const holdings = [...this.shared.values()];
    const late = (h: Holding): boolean =>
      h.spec.treatment === 'aws-policy' || h.spec.treatment === 'aws-sso-policy' || h.spec.treatment === 'azure-role';
    for (const h of holdings) if (!late(h)) this.conclude(h);
    for (const h of holdings) if (late(h)) this.conclude(h);

    const nameOf = (id: string): string => this.names.get(id) ?? lastSegment(id);
    const objects = new Map<ObjectSpec, CleanupObject>();
    const objectOf = (spec: ObjectSpec): CleanupObject => {
      let object = objects.get(spec);
      if (!object) objects.set(spec, (object = { kind: spec.kind, key: spec.key, name: spec.name(nameOf) }));
      return object;
    };
    const items: CleanupItem[] = this.items
      .map(({ spec, ...rest }): CleanupItem => {
        const { itemId, systemId, change, ...fields } = rest;
        return { itemId, systemId, change, object: objectOf(spec), ...fields };
      })
      .sort((a, b) => byText(a.itemId, b.itemId));
    const holds: CleanupHold[] = this.holds
      .map(({ spec, ...rest }): CleanupHold => {
        const { identityId, identityName, ...fields } = rest;
        return spec ? { identityId, identityName, object: objectOf(spec), ...fields } : rest;
      })
      .sort(
        (a, b) =>
          byText(a.identityId, b.identityId) ||
          byText(a.object?.key ?? '', b.object?.key ?? '') ||
          byText(a.reason, b.reason) ||
          byText(a.detail, b.detail),
      );
    const identities = new Set<string>();
    let actions = 0;
    for (const item of items) {
      for (const i of item.identities) identities.add(i.id);
      actions += item.actions ?? 0;
    }
    return {
      systemId: this.rules.systemId,
      cloud: this.rules.cloud,
      mode: this.rules.mode,
      collectionRunId: this.input.run.runId,
      window: this.window,
      plannedAt: this.input.at,
      items,
      holds,
      counts: { identities: identities.size, items: items.length, actions, holds: holds.length },
    };
  }

  /* ---------- one identity ---------- */

  /** The objects the identity holds something through, each with the actions it holds that way. */
  private locals(view: IdentityView, granted: readonly GrantedAction[]): Local[] {
    const { identity, paths } = view;
    const cloud = this.rules.cloud;
    const locals = new Map<string, Local>();
    const byPath: Local[][] = paths.map(() => []);
    const local = (key: string, make: () => Omit<Local, 'paths' | 'held'>, k: number): Local => {
      let found = locals.get(key);
      if (!found) locals.set(key, (found = { ...make(), paths: [], held: [] }));
      if (found.paths[found.paths.length - 1] !== k) found.paths.push(k);
      if (!byPath[k]!.includes(found)) byPath[k]!.push(found);
      return found;
    };
    // Identity Center: the permission sets held, each through the identity's own assignment, the
    // assignments of groups it belongs to, or both; and whether the set has policies besides its inline one
    const permissionSets = new Map<
      string,
      { account: string; principals: string[]; assigned: number[]; otherPolicies: boolean }
    >();
    paths.forEach((p, k) => {
      if (p.kind !== 'permission-set' || p.via === undefined) return;
      let set = permissionSets.get(p.via);
      if (!set)
        permissionSets.set(p.via, (set = { account: p.scope, principals: [], assigned: [], otherPolicies: false }));
      const principal = p.inheritedFrom ?? identity.id;
      if (!set.principals.includes(principal)) set.principals.push(principal);
      set.assigned.push(k);
    });
    for (const p of paths) {
      const set = p.inheritedFrom !== undefined ? permissionSets.get(p.inheritedFrom) : undefined;
      if (set && p.kind === 'managed-policy') set.otherPolicies = true;
    }

    paths.forEach((p, k) => {
      const document = p.documentId === undefined ? undefined : this.input.documents(p.documentId);
      if (p.kind === 'permissions-boundary') {
        if (cloud === 'aws' && p.via !== undefined && document && !document.managedByCloud)
          this.policyHolding(p.via, p.documentId).boundaryOf ??= identity.name;
        return;
      }
      if (isMembership(p.kind) || p.documentId === undefined) return;
      const principal = p.inheritedFrom ?? identity.id;
      const shared = p.inheritedFrom !== undefined;

      const permissionSet = p.inheritedFrom !== undefined ? permissionSets.get(p.inheritedFrom) : undefined;
      if (permissionSet) {
        const arn = p.inheritedFrom!;
        for (const owner of permissionSet.principals) {
          const spec = ssoSpec(owner, arn, permissionSet.account, identity);
          local(`${spec.kind}|${spec.key}`, () => ({ spec, shared: owner !== identity.id, blocker: false }), k);
        }
        if (cloud === 'aws' && p.kind === 'inline-policy') {
          const { account, otherPolicies } = permissionSet;
          const spec = permissionSetPolicySpec(arn, p.documentId, account, otherPolicies);
          local(`${spec.kind}|${spec.key}`, () => ({ spec, shared: true, blocker: false }), k);
        }
        if (p.kind === 'managed-policy' && p.via !== undefined && document && !document.managedByCloud) {
          const spec = this.policyHolding(p.via, p.documentId).spec;
          local(
            `${spec.kind}|${spec.key}|permission-set`,
            () => ({ spec, shared: true, blocker: true, attachment: `permission set ${arn}` }),
            k,
          );
        }
        return;
      }

      if (cloud === 'aws' && p.kind === 'inline-policy' && p.via !== undefined) {
        if (isLeastPolicy(p.via)) return;
        const spec = inlineSpec(principal, p.via, p.documentId, shared ? 'aws-iam-group' : identity.kind, identity);
        local(`${spec.kind}|${spec.key}`, () => ({ spec, shared, blocker: false }), k);
      } else if (cloud === 'aws' && p.kind === 'managed-policy' && p.via !== undefined) {
        const arn = p.via;
        const managedByCloud = document?.managedByCloud ?? arn.includes(':iam::aws:');
        const spec = attachmentSpec(principal, arn, managedByCloud, identity);
        local(`${spec.kind}|${spec.key}`, () => ({ spec, shared, blocker: false }), k);
        if (!managedByCloud) {
          const policy = this.policyHolding(arn, p.documentId).spec;
          local(
            `${policy.kind}|${policy.key}`,
            () => ({ spec: policy, shared: true, blocker: false, attachment: spec.key }),
            k,
          );
        }
      } else if (cloud === 'azure' && p.kind === 'role-assignment' && p.via !== undefined) {
        // a custom role is one object across every principal assigned it, at any scope of the system
        const role = document && !document.managedByCloud ? this.roleHolding(document, p.via).spec : undefined;
        const spec = assignmentSpec(p, document, role);
        local(`${spec.kind}|${spec.key}`, () => ({ spec, shared, blocker: false }), k);
        if (role) local(`${role.kind}|${role.key}`, () => ({ spec: role, shared: true, blocker: false }), k);
      } else if (cloud === 'gcp' && (p.kind === 'binding' || p.kind === 'inherited')) {
        const spec = memberSpec(p, document, principal);
        local(`${spec.kind}|${spec.key}`, () => ({ spec, shared, blocker: false }), k);
      }
    });

    // the assignment paths belong to the assignment too (for the grace period and excluded scopes), and
    // to the set's inline policy: a holder given the set lately, by any assignment, holds its actions back
    for (const [arn, set] of permissionSets) {
      const policy = locals.get(`aws-permission-set-policy|${arn}`);
      for (const owner of set.principals) {
        const key = ssoKey(owner, arn, set.account);
        const found = locals.get(`aws-sso-assignment|${key}`);
        if (!found) continue;
        this.permissionSets.assigned(key);
        for (const target of policy ? [found, policy] : [found])
          for (const k of set.assigned) if (!target.paths.includes(k)) target.paths.push(k);
      }
    }

    for (const g of granted) {
      for (const k of g.paths) {
        for (const found of byPath[k] ?? []) {
          if (found.spec.treatment === 'aws-sso' && paths[k]!.kind !== 'inline-policy')
            this.permissionSets.throughManaged(found.spec.key, g.action);
          // several paths of one object bring the action once
          if (found.held[found.held.length - 1]?.action === g.action) continue;
          const lastUsed = g.usage?.lastUsed;
          found.held.push({
            action: g.action,
            verdict: g.verdict ?? 'unknown',
            ...(lastUsed !== undefined ? { lastUsed } : {}),
          });
        }
      }
    }
    const all = [...locals.values()];
    for (const found of all) {
      const gate = found.blocker ? undefined : this.gates.paths(view, found.paths);
      if (gate) found.gate = gate;
      if (found.spec.treatment === 'aws-policy' && !found.blocker) {
        const own = locals.get(`aws-policy-attachment|${identity.id}|${found.spec.key}`)?.spec;
        if (own && found.paths.every((k) => paths[k]!.inheritedFrom === undefined)) found.own = own;
      }
    }
    return all;
  }

  /** The one item that makes an inactive identity harmless, when it is one and the rules allow it. */
  private inactive(
    view: IdentityView,
    holder: HolderRef,
    granted: readonly GrantedAction[],
    locals: readonly Local[],
  ): boolean {
    const { identity } = view;
    if (!this.rules.changes.inactiveIdentities || !isScored(identity) || granted.length === 0) return false;
    // a lease of Least's own runs on it: access somebody asked for lately, not forgotten
    if (view.paths.some((p) => p.kind === 'inline-policy' && p.via?.startsWith(INLINE_POLICY_PREFIX))) return false;
    if (granted.some((g) => g.verdict !== 'unused')) return false;
    const facts = usageFacts(view.usage, identity);
    if (usedSince(facts.identityLastActivity, this.from)) return false;
    if (locals.some((l) => l.gate !== undefined)) return false;

    let change: CleanupChangeKind;
    let kind: CleanupObjectKind;
    if (identity.kind === 'aws-iam-role' || identity.kind === 'aws-iam-user') {
      const sid = this.rules.exclude.sidPrefix;
      if (sid !== undefined) {
        for (const p of view.paths) {
          const body = p.documentId !== undefined ? this.input.documents(p.documentId)?.body : undefined;
          if (body !== undefined && markedStatements(body, sid).length > 0) return false;
        }
      }
      [change, kind] = ['guard-principal', 'aws-principal'];
    } else if (
      identity.kind === 'azure-user' ||
      identity.kind === 'azure-service-principal' ||
      identity.kind === 'azure-managed-identity'
    ) {
      // its own assignments go; those of its groups are shared and planned with the other members
      if (!view.paths.some((p) => p.kind === 'role-assignment' && p.inheritedFrom === undefined)) return false;
      [change, kind] = ['remove-assignments', 'azure-principal'];
    } else if (identity.kind === 'gcp-service-account') {
      [change, kind] = ['disable-service-account', 'gcp-service-account'];
    } else return false;

    const lastUsed = facts.identityLastActivity?.slice(0, 10);
    const spec: ObjectSpec = { treatment: 'identity', kind, key: identity.id, name: () => identity.name };
    const planned = this.propose(spec, change, [{ holder, actions: granted.length }], {
      reason: `inactive: all ${granted.length} granted ${plural(granted.length, 'action')} ${this.since(lastUsed)}`,
      ...(lastUsed !== undefined ? { lastUsed } : {}),
      actions: granted.length,
    });
    // its own assignments of custom roles go with it, as deleted assignments do
    if (planned && change === 'remove-assignments')
      for (const local of locals)
        if (local.spec.treatment === 'azure-assignment' && local.spec.role !== undefined && !local.shared)
          this.shared.get(`azure-role-definition|${local.spec.role}`)?.detached.add(local.spec.key);
    return true;
  }

  /** An access key or console password: unused for the window and older than it. */
  private credential(identity: Identity): void {
    if (identity.disabled) return;
    if (usedSince(identity.lastActivityAt, this.from)) return;
    const key = identity.kind === 'aws-access-key';
    const holder: HolderRef = {
      id: identity.id,
      name: identity.name,
      kind: identity.kind,
      owners: this.input.ownersOf(identity),
    };
    const whole = this.gates.credential(identity);
    if (whole) {
      this.hold(holder, whole.reason, whole.detail);
      return;
    }
    const lastUsed = identity.lastActivityAt?.slice(0, 10);
    // past the gate, its creation time is known
    const created = day(identity.createdAt!);
    const spec: ObjectSpec = {
      treatment: 'identity',
      kind: key ? 'aws-access-key' : 'aws-console-password',
      key: key && identity.parentId ? `${identity.parentId}#${identity.id}` : identity.id,
      name: () => identity.name,
    };
    this.propose(spec, key ? 'deactivate-key' : 'remove-password', [{ holder }], {
      reason: lastUsed ? `unused since ${lastUsed}` : `never used (created ${created})`,
      ...(lastUsed !== undefined ? { lastUsed } : {}),
      ...(key ? {} : { explicitOnly: true }),
    });
  }

  /* ---------- objects ---------- */

  private holding(local: Local): Holding {
    const key = `${local.spec.kind}|${local.spec.key}`;
    let found = this.shared.get(key);
    if (!found) this.shared.set(key, (found = new Holding(local.spec)));
    return found;
  }

  /** An Azure custom role's holding, which learns each assignment of it (to tell when every one goes). */
  private roleHolding(document: PolicyDocument, assignment: string): Holding {
    const spec = roleDefinitionSpec(document);
    const key = `${spec.kind}|${spec.key}`;
    let found = this.shared.get(key);
    if (!found) this.shared.set(key, (found = new Holding(spec)));
    found.attachments.add(assignment);
    return found;
  }

  private policyHolding(arn: string, documentId: string | undefined): Holding {
    const key = `aws-managed-policy|${arn}`;
    let found = this.shared.get(key);
    if (!found) this.shared.set(key, (found = new Holding(managedPolicySpec(arn, documentId))));
    return found;
  }

  private register(local: Local, holder: HolderRef, blocked: boolean): void {
    const holding = this.holding(local);
    holding.add(holder, local.held, blocked || local.blocker, local.own);
    if (local.attachment !== undefined) holding.attachments.add(local.attachment);
  }

  /** What to do with an object once every holder it will have is known. */
  private conclude(h: Holding): void {
    const { spec } = h;
    switch (spec.treatment) {
      case 'aws-inline':
        this.narrow(h);
        return;
      case 'aws-policy':
        this.narrow(h);
        this.ownCopies(h);
        return;
      case 'aws-attachment': {
        if (h.wholly()) {
          const planned = this.remove(h, 'detach-policy');
          if (planned && !spec.managedByCloud && spec.policyArn !== undefined)
            this.shared.get(`aws-managed-policy|${spec.policyArn}`)?.detached.add(spec.key);
        } else if (spec.managedByCloud)
          this.holdUnused(
            h,
            'managed-by-cloud',
            'AWS-managed policy: never edited, detached only when none of its actions is used',
          );
        return;
      }
      case 'aws-sso':
        // what the set's inline policy brings is narrowed with the set (aws-sso-policy); the rest is held
        if (h.wholly()) {
          if (this.remove(h, 'delete-assignment')) this.permissionSets.deleting(spec.key);
        } else
          this.holdUnused(
            h,
            'cannot-narrow',
            PERMISSION_SET_WORDS.managedNotNarrowed,
            this.permissionSets.managedActions(spec.key),
          );
        return;
      case 'aws-sso-policy':
        if (!this.permissionSets.allDeleted(spec.key)) this.narrow(h);
        return;
      case 'azure-assignment':
        // a custom role's unused operations are the role's to lose (azure-role), across all its holders
        if (h.wholly()) {
          if (this.remove(h, 'delete-assignment') && spec.role !== undefined)
            this.shared.get(`azure-role-definition|${spec.role}`)?.detached.add(spec.key);
        } else if (spec.managedByCloud)
          this.holdUnused(
            h,
            'managed-by-cloud',
            'built-in role: never edited; its assignment is deleted only when none of its operations is used',
          );
        else if (spec.role === undefined)
          this.holdUnused(h, 'cannot-narrow', 'the role assignment is in use and its role definition was not read');
        return;
      case 'azure-role':
        this.narrowRole(h);
        return;
      case 'gcp-member':
        if (h.wholly()) this.remove(h, 'remove-member');
        else this.holdUnused(h, 'cannot-narrow', 'the binding is in use: GCP roles are not narrowed');
        return;
      case 'stuck':
        this.holdUnused(h, 'cannot-narrow', spec.stuck ?? 'cannot be changed');
        return;
      case 'identity':
        return;
    }
  }

  /** Takes a whole attachment, assignment or binding member away. */
  private remove(h: Holding, change: CleanupChangeKind): boolean {
    const affected = h.standings.filter((s) => s.unused.length > 0);
    const actions = h.actions.size;
    const lastUsed = h.lastUsedOf(h.actions.keys());
    return this.propose(
      h.spec,
      change,
      affected.map((s) => ({ holder: s.holder, actions: s.unused.length })),
      {
        reason: `all ${actions} of its ${plural(actions, 'action')} ${this.since(lastUsed)}${holdersWords(affected.length)}`,
        ...(lastUsed !== undefined ? { lastUsed } : {}),
        actions,
      },
    );
  }

  /** Removes the actions no holder needs from an AWS inline or customer-managed policy, or a permission set's. */
  private narrow(h: Holding): void {
    const { spec } = h;
    const policy = spec.treatment === 'aws-policy';
    if (policy && h.attachments.size > 0 && [...h.attachments].every((a) => h.detached.has(a))) return;
    const removable = h.removable();
    if (removable.length === 0) return;
    const wanted = new Set(removable);
    const stand = (reason: CleanupHoldReason, detail: string, actions: ReadonlySet<string> = wanted): void =>
      this.holdUnused(h, reason, detail, actions);
    if (policy && h.boundaryOf !== undefined) {
      stand(
        'cannot-narrow',
        `also the permissions boundary of ${h.boundaryOf}: narrowing it would narrow the boundary`,
      );
      return;
    }
    const permissionSet = spec.treatment === 'aws-sso-policy';
    const elsewhere = permissionSet ? this.permissionSets.elsewhere(spec) : undefined;
    if (elsewhere !== undefined) return stand('cannot-narrow', elsewhere);
    const document = spec.documentId !== undefined ? this.input.documents(spec.documentId) : undefined;
    if (!document) return stand('cannot-narrow', 'the policy document is not in the snapshot');
    const catalogue = this.input.catalogue;
    if (!catalogue) return stand('cannot-narrow', 'no AWS action catalogue to rewrite the policy with');
    const sidPrefix = this.rules.exclude.sidPrefix;
    const result = narrowAwsPolicy(document.body, wanted, catalogue, {
      ...(sidPrefix !== undefined ? { sidPrefix } : {}),
      ...(spec.maxChars !== undefined ? { maxChars: spec.maxChars } : {}),
    });
    if (!result.document) return stand('cannot-narrow', result.cannotNarrow ?? 'the policy is not readable');
    if (result.keptByMarker.length > 0)
      stand(
        'excluded',
        `statements whose Sid starts with ${sidPrefix ?? ''} are kept as written`,
        new Set(result.keptByMarker),
      );
    if (result.keptByNotAction.length > 0)
      stand('cannot-narrow', result.cannotNarrow ?? 'a NotAction statement', new Set(result.keptByNotAction));
    if (result.tooLong) {
      stand(
        'cannot-narrow',
        `the narrowed policy would be ${result.tooLong.chars} characters, over IAM's ${result.tooLong.max}`,
        new Set(result.removed),
      );
      return;
    }
    if (result.removed.length === 0) return;
    if (policy && result.empty) {
      stand(
        'cannot-narrow',
        'every action would go and a managed policy cannot be empty: it is detached where no holder uses it',
      );
      return;
    }
    if (permissionSet && result.empty && !spec.otherPolicies)
      return stand('cannot-narrow', PERMISSION_SET_WORDS.onlyPolicyEmptied);
    const removed = new Set(result.removed);
    const affected = h.standings
      .map((s) => ({ holder: s.holder, actions: s.unused.filter((a) => removed.has(a)).length }))
      .filter((s) => s.actions > 0);
    const keptForOthers = h.keptForOthers();
    const lastUsed = h.lastUsedOf(result.removed);
    const count = result.removed.length;
    const before = parseAwsPolicy(document.body);
    this.propose(spec, 'narrow-policy', affected, {
      removeActions: result.removed,
      ...(keptForOthers.length > 0 ? { keptForOthers } : {}),
      before: before.ok ? before.document : document.body,
      after: result.empty ? null : result.document,
      reason:
        `${count} ${plural(count, 'action')} ${this.since(lastUsed)}${holdersWords(affected.length)}` +
        (result.empty
          ? permissionSet
            ? PERMISSION_SET_WORDS.deletedSuffix
            : '; nothing is left, so the inline policy is deleted'
          : ''),
      ...(lastUsed !== undefined ? { lastUsed } : {}),
      actions: count,
    });
  }

  /**
   * Removes from an Azure custom role the `actions` entries whose operations no holder needs (the
   * rules, and what is held back and why, are azure-role.ts's). A role every assignment of which is
   * deleted is not also narrowed.
   */
  private narrowRole(h: Holding): void {
    const { spec } = h;
    if (h.attachments.size > 0 && [...h.attachments].every((a) => h.detached.has(a))) return;
    const removable = h.removable();
    if (removable.length === 0) return;
    const document = spec.documentId !== undefined ? this.input.documents(spec.documentId) : undefined;
    const outcome = azureRoleChange(document?.body, removable, h.actions.keys(), this.rules.scope);
    for (const hold of outcome.holds) this.holdUnused(h, hold.reason, hold.detail, hold.actions);
    if (!outcome.change) return;
    const { removed: gone, before, after } = outcome.change;
    const removed = new Set(gone);
    const affected = h.standings
      .map((s) => ({ holder: s.holder, actions: s.unused.filter((a) => removed.has(a)).length }))
      .filter((s) => s.actions > 0);
    const keptForOthers = h.keptForOthers();
    const lastUsed = h.lastUsedOf(gone);
    const count = gone.length;
    this.propose(spec, 'narrow-policy', affected, {
      removeActions: gone,
      ...(keptForOthers.length > 0 ? { keptForOthers } : {}),
      before,
      after,
      reason: `${count} ${plural(count, 'operation')} ${this.since(lastUsed)}${holdersWords(affected.length)}`,
      ...(lastUsed !== undefined ? { lastUsed } : {}),
      actions: count,
    });
  }

  /**
   * Offers each role or user holding a shared customer-managed policy through its own attachment a copy
   * narrowed to what it used, where that takes away more than the shared policy can lose (actions kept
   * only for the other holders). The copy's document is the shared one narrowed as `narrow` narrows it
   * (Sid marker, NotAction and length limits alike); a holder held back (excluded, too new, grace period,
   * a held-back path) has no unused actions here, and one whose attachment is detached needs no copy.
   */
  private ownCopies(h: Holding): void {
    const forOthers = new Set(h.keptForOthers());
    if (forOthers.size === 0) return;
    const document = h.spec.documentId !== undefined ? this.input.documents(h.spec.documentId) : undefined;
    const catalogue = this.input.catalogue;
    if (!document || !catalogue) return;
    const before = parseAwsPolicy(document.body);
    if (!before.ok) return;
    const sidPrefix = this.rules.exclude.sidPrefix;
    const policy = h.spec.name(lastSegment);
    // holders with the same unused actions share one list (Holding.add), and so one narrowed copy
    const narrowed = new Map<readonly string[], ReturnType<typeof narrowAwsPolicy>>();
    for (const s of h.standings) {
      const kind = s.holder.kind;
      if (!s.own || s.blocked || (kind !== 'aws-iam-role' && kind !== 'aws-iam-user')) continue;
      if (h.detached.has(s.own.key) || !s.unused.some((a) => forOthers.has(a))) continue;
      let result = narrowed.get(s.unused);
      if (!result)
        narrowed.set(
          s.unused,
          (result = narrowAwsPolicy(document.body, new Set(s.unused), catalogue, {
            ...(sidPrefix !== undefined ? { sidPrefix } : {}),
            ...(h.spec.maxChars !== undefined ? { maxChars: h.spec.maxChars } : {}),
          })),
        );
      if (!result.document || result.empty || result.tooLong) continue;
      const beyond = result.removed.filter((a) => forOthers.has(a)).length;
      if (beyond === 0) continue;
      const count = result.removed.length;
      const kept = Math.max(s.held - count, 0);
      this.propose(s.own, 'own-copy', [{ holder: s.holder, actions: count }], {
        removeActions: result.removed,
        before: before.document,
        after: result.document,
        reason:
          `its own copy of ${policy} keeps ${kept} of its ${s.held} ${plural(s.held, 'action')} and leaves out ` +
          `${count} ${this.since(s.lastUsed)}; ${beyond} of them ${beyond === 1 ? 'stays' : 'stay'} in ${policy} ` +
          'for its other holders',
        ...(s.lastUsed !== undefined ? { lastUsed: s.lastUsed } : {}),
        actions: count,
        explicitOnly: true,
      });
    }
  }

  /**
   * Adds an item, unless the rules do not allow its change or an owner kept or snoozed it: then each
   * identity it concerns gets a hold. Whether the item went into the plan.
   */
  private propose(
    spec: ObjectSpec,
    change: CleanupChangeKind,
    affected: readonly { holder: HolderRef; actions?: number }[],
    fields: Pick<
      CleanupItem,
      'reason' | 'lastUsed' | 'explicitOnly' | 'removeActions' | 'keptForOthers' | 'before' | 'after' | 'actions'
    >,
  ): boolean {
    const itemId = `${change}:${spec.kind}:${spec.key}`;
    const concerned = uniqueHolders(affected);
    const holdAll = (reason: CleanupHoldReason, detail: string): false => {
      for (const { holder, actions } of concerned) this.hold(holder, reason, detail, actions, spec);
      return false;
    };
    const allowed = SWITCH[change];
    if (!this.rules.changes[allowed])
      return holdAll(
        'change-not-allowed',
        `the policy does not allow ${change} here (cleanup.changes.${allowed} is off)`,
      );
    const decision = this.input.decisions.get(itemId);
    if (decision && decision.kind !== 'remove' && running(decision, this.input.at)) {
      const until = decision.until ? ` until ${day(decision.until)}` : '';
      const why = decision.reason ? `: ${decision.reason}` : '';
      return holdAll(
        decision.kind === 'keep' ? 'kept' : 'snoozed',
        `${decision.kind === 'keep' ? 'kept' : 'snoozed'} by ${decision.by}${until}${why}`,
      );
    }
    const owners: string[] = [];
    for (const { holder } of concerned)
      for (const owner of holder.owners) if (!owners.includes(owner)) owners.push(owner);
    this.items.push({
      itemId,
      systemId: this.rules.systemId,
      change,
      spec,
      identities: concerned.map(({ holder }) => ({ id: holder.id, name: holder.name, kind: holder.kind })),
      ...fields,
      owners,
    });
    return true;
  }

  private hold(
    holder: Pick<HolderRef, 'id' | 'name'>,
    reason: CleanupHoldReason,
    detail: string,
    actions?: number,
    spec?: ObjectSpec,
  ): void {
    this.holds.push({
      identityId: holder.id,
      identityName: holder.name,
      ...(spec ? { spec } : {}),
      reason,
      detail,
      ...(actions !== undefined ? { actions } : {}),
    });
  }

  /** A hold for every holder with unused actions through the object (among `only`, when given). */
  private holdUnused(h: Holding, reason: CleanupHoldReason, detail: string, only?: ReadonlySet<string>): void {
    for (const s of h.standings) {
      const count = only ? s.unused.filter((a) => only.has(a)).length : s.unused.length;
      if (count > 0) this.hold(s.holder, reason, detail, count, h.spec);
    }
  }

  private since(lastUsed: string | undefined): string {
    return lastUsed !== undefined
      ? `unused since ${lastUsed}`
      : `never used in the ${this.rules.windowDays}-day window`;
  }
}

/* ---------- words and small rules ---------- */

/** Least's own inline policies: a lease's grant (it ends by itself) and the guard of an inactive identity. */
function isLeastPolicy(policyName: string): boolean {
  return (
    policyName.startsWith(INLINE_POLICY_PREFIX) ||
    policyName === AWS_GUARD_POLICY_NAME ||
    policyName.startsWith(AWS_STAGED_POLICY_PREFIX)
  );
}

function running(decision: CleanupDecision, at: string): boolean {
  return decision.until === undefined || Date.parse(decision.until) > Date.parse(at);
}

function uniqueHolders<T extends { holder: HolderRef }>(affected: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const a of affected) if (!seen.has(a.holder.id)) seen.set(a.holder.id, a);
  return [...seen.values()].sort((a, b) => byText(a.holder.id, b.holder.id));
}

function holdersWords(count: number): string {
  return count > 1 ? ` by any of its ${count} holders` : '';
}

/** `*` as a wildcard, case-insensitive. */

/**
 * The plan with at most `max` items: the biggest removals first (most actions, then an identity's
 * whole access), those applied only on an explicit Remove (own copies, passwords) after the rest; the
 * rest held as `deferred` for the next run, one hold per identity they concern.
 */
export function capPlan(plan: CleanupPlan, max: number): CleanupPlan {
  if (plan.items.length <= max) return plan;
  const ranked = [...plan.items].sort(
    (a, b) =>
      Number(a.explicitOnly === true) - Number(b.explicitOnly === true) ||
      (b.actions ?? b.removeActions?.length ?? 0) - (a.actions ?? a.removeActions?.length ?? 0) ||
      (a.itemId < b.itemId ? -1 : 1),
  );
  const kept = new Set(ranked.slice(0, max).map((item) => item.itemId));
  const items = plan.items.filter((item) => kept.has(item.itemId));
  const deferred = plan.items.filter((item) => !kept.has(item.itemId));
  const holds = [
    ...plan.holds,
    ...deferred.flatMap((item) =>
      item.identities.map((identity) => ({
        identityId: identity.id,
        identityName: identity.name,
        object: item.object,
        reason: 'deferred' as const,
        detail: `more than ${max} changes in this run: ${item.change} of ${item.object.name} is planned again next run`,
        ...(item.removeActions ? { actions: item.removeActions.length } : {}),
      })),
    ),
  ];
  return {
    ...plan,
    items,
    holds,
    counts: {
      ...plan.counts,
      items: items.length,
      actions: items.reduce((sum, item) => sum + (item.actions ?? item.removeActions?.length ?? 0), 0),
      holds: holds.length,
    },
  };
}
