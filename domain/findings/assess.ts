import { usedSince } from '../inventory/coverage';
import type { ActionCatalogue, Cloud, Coverage, Identity } from '../inventory/model';
import { endOfDay } from '../inventory/verdicts';
import type { ActionUsage, GrantedAction, IdentityView } from '../inventory/view';
import type {
  CoverageBasis,
  Finding,
  FindingKind,
  HeldAction,
  IdentityAssessment,
  PciScore,
  RiskCategory,
  RiskProfile,
  RiskRuleOptions,
  Severity,
  Suppressed,
} from './model';
import { grantedCreepIndex, pciTraits, type PciTraits } from './pci';
import { assessRiskByAction } from './risk';
import { superIdentity } from './super';
import { riskyTrust } from './trust';

/**
 * Everything findings say about one identity of one snapshot: a pure function of its view (what it
 * holds, what it used, how far the data reaches) and the system's settings. The activity streams views
 * to it in chunks; the CLI's offline scan calls it on an imported file.
 */

export interface AssessmentContext {
  cloud: Cloud;
  catalogue: ActionCatalogue;
  /** The system's account (AWS), for trust policies that reach outside it. */
  accountId?: string;
  /** Other accounts a role may trust without a finding (the organisation's own). */
  trustedAccounts?: readonly string[];
  /** No use for this many days makes an identity inactive; the collection's window when absent. */
  inactiveDays?: number;
  /** Suppressions in force; expired ones are ignored here. */
  suppressions?: readonly Suppression[];
  /** When the assessment is made (ISO): suppressions expire against it. */
  at: string;
  /** Shared by the identities of one assessment run: what depends only on what they hold is worked out once. */
  memo?: AssessMemo;
}

/** From the policy file or from chat / CLI; matches a finding by id, or every finding of an identity. */
export interface Suppression {
  systemId: string;
  identityId: string;
  /** Absent: every finding of the identity. */
  findingId?: string;
  reason: string;
  by: string;
  until: string;
  source: Suppressed['source'];
}

const DAY_MS = 86_400_000;
/** Categories whose unused presence makes an active identity over-provisioned. */
const HIGH_RISK: ReadonlySet<RiskCategory> = new Set([
  'PrivilegeEscalation',
  'ResourceExposure',
  'CredentialsExposure',
  'DataExfiltration',
  'InfrastructureModification',
]);
export const EVIDENCE_ACTIONS = 5;

export function assessIdentity(view: IdentityView, context: AssessmentContext): IdentityAssessment {
  const options = riskOptions(context);
  // each granted action scores with its categories (by position) and its verdict, none counting as unknown
  const { risk, categories, traits } = context.memo?.held(view, options) ?? heldRisk(view.granted, options);
  const counts = tally(view.granted);
  const coverage = coverageBasisOf(view.coverage, view.granted.length, counts.unknown);
  const lastUsed = lastUse(view.usage);
  const scored = isScored(view.identity);
  const pci = scored
    ? grantedCreepIndex(view.granted, traits, {
        escalations: risk.escalations,
        ...(lastUsed ? { lastUsed } : {}),
        coverage,
      })
    : undefined;
  return concludeAssessment(view, context, {
    held: view.granted,
    risk,
    counts,
    coverage,
    ...(lastUsed ? { lastUsed } : {}),
    scored,
    ...(pci ? { pci } : {}),
    unusedRisky: () => {
      const unusedRisky: { action: string; categories: readonly RiskCategory[] }[] = [];
      view.granted.forEach((a, k) => {
        if (a.verdict === 'unused' && isRisky(a.action, categories[k]!, risk))
          unusedRisky.push({ action: a.action, categories: categories[k]! });
      });
      return summariseRisky(unusedRisky);
    },
    holdsPower: () => holdsPower(view.granted),
  });
}

/** The options the risk rules run under for an assessment. */
export function riskOptions(context: Pick<AssessmentContext, 'cloud' | 'catalogue'>): RiskRuleOptions {
  return { cloud: context.cloud, catalogue: context.catalogue, mode: 'least' };
}

/** What the findings are concluded from, however it was worked out (one view, or a shared base and its delta). */
export interface Judgement {
  /** What the identity holds (verdicts are not read here). */
  held: readonly HeldAction[];
  risk: RiskProfile;
  counts: Counts;
  coverage: CoverageBasis;
  lastUsed?: string;
  scored: boolean;
  pci?: PciScore;
  /** The held actions shown unused that are high-risk or in an escalation path; asked only when it matters. */
  unusedRisky: () => RiskySummary;
  /** Whether it holds Write or Permissions management on all resources; asked only when it matters. */
  holdsPower: () => boolean;
}

/** The unused risky actions as the over-provisioned finding shows them. */
export interface RiskySummary {
  count: number;
  /** The first EVIDENCE_ACTIONS, in held order. */
  first: readonly string[];
  /** Their high-risk categories, sorted. */
  categories: RiskCategory[];
}

export function summariseRisky(
  unusedRisky: readonly { action: string; categories: readonly RiskCategory[] }[],
): RiskySummary {
  return {
    count: unusedRisky.length,
    first: unusedRisky.slice(0, EVIDENCE_ACTIONS).map((a) => a.action),
    categories: [...new Set(unusedRisky.flatMap((a) => a.categories))].filter((c) => HIGH_RISK.has(c)).sort(),
  };
}

/** An action that makes an active identity over-provisioned when unused: high-risk, or part of an escalation. */
/** A category whose unused presence makes an active identity over-provisioned. */
export function isHighRisk(category: RiskCategory): boolean {
  return HIGH_RISK.has(category);
}

export function isRisky(action: string, categories: readonly RiskCategory[], risk: RiskProfile): boolean {
  return categories.some((c) => HIGH_RISK.has(c)) || inEscalation(action, risk);
}

export function holdsPower(held: readonly HeldAction[]): boolean {
  return held.some(
    (g) => g.resourceReach === 'all' && g.accessLevels.some((l) => l === 'Write' || l === 'Permissions management'),
  );
}

/** The findings and the assessment of one identity from its judgement. */
export function concludeAssessment(
  view: Pick<IdentityView, 'identity' | 'run' | 'paths' | 'coverage'>,
  context: AssessmentContext,
  judged: Judgement,
): IdentityAssessment {
  const { identity } = view;
  const { risk, counts, coverage, lastUsed, scored, pci } = judged;

  const findings: Finding[] = [];
  const finding = (
    kind: FindingKind,
    fields: Omit<Finding, 'id' | 'systemId' | 'identityId' | 'identityName' | 'kind' | 'coverage'>,
    about?: string,
  ): void => {
    findings.push({
      id: findingId(kind, identity, about),
      systemId: identity.systemId,
      identityId: identity.id,
      identityName: identity.name,
      kind,
      ...fields,
      coverage,
    });
  };

  const superReason = superIdentity({
    cloud: context.cloud,
    catalogue: context.catalogue,
    held: judged.held,
    paths: view.paths.map((p) => ({ ...(p.documentName ? { documentName: p.documentName } : {}), scope: p.scope })),
  });
  if (superReason && identity.nature !== 'credential')
    finding('super-identity', {
      severity: identity.nature === 'group' ? 'high' : 'critical',
      title: `${superReason}; ${counts.used} of ${counts.granted} actions used in the window`,
      evidence: [superReason, ...usageLine(counts)],
    });

  if (context.cloud === 'aws' && identity.kind === 'aws-iam-role' && identity.trustPolicy !== undefined) {
    const trust = riskyTrust(identity.trustPolicy, context.accountId ?? '', context.trustedAccounts ?? []);
    if (trust.length > 0)
      finding('risky-trust', {
        severity: highest(trust.map((t) => t.severity)),
        title: trust[0]!.summary,
        evidence: trust.map((t) => t.summary),
      });
  }

  const present = presentCategories(risk);
  if (present.length > 0)
    finding('risky-permissions', {
      categories: present,
      severity: riskSeverity(risk),
      title: `Holds ${present.map(categoryWords).join(', ')}`,
      evidence: riskEvidence(risk),
    });

  if (identity.unreadable?.length)
    finding('unreadable-permissions', {
      severity: 'medium',
      title: `${identity.unreadable.length} ${plural(identity.unreadable.length, 'policy', 'policies')} could not be read: what ${identity.unreadable.length === 1 ? 'it grants' : 'they grant'} is unknown`,
      evidence: identity.unreadable.slice(0, EVIDENCE_ACTIONS).map((name) => `Unreadable: ${name}`),
    });

  const inactiveFrom = inactivityStart(view, context);
  const active = counts.used > 0 || usedSince(identity.lastActivityAt, Date.parse(view.run.windowFrom));
  const recentlyActive =
    usedSince(endOfDay(lastUsed), inactiveFrom) || usedSince(identity.lastActivityAt, inactiveFrom);
  if (active && scored) {
    const unusedRisky = judged.unusedRisky();
    if (unusedRisky.count > 0)
      finding('over-provisioned', {
        categories: unusedRisky.categories,
        severity: pci && pci.band === 'high' ? 'high' : pci && pci.band === 'medium' ? 'medium' : 'low',
        title: `${unusedRisky.count} high-risk ${plural(unusedRisky.count, 'permission')} granted and unused in the window`,
        evidence: [
          `Unused: ${sampleOf(unusedRisky.first, unusedRisky.count)}`,
          ...usageLine(counts),
          ...(pci ? [`Permission Creep Index ${pci.score} (${pci.band})`] : []),
        ],
      });
  }

  if (!recentlyActive && scored && !identity.disabled && provablyInactive(view, inactiveFrom, counts)) {
    const power = judged.holdsPower();
    const days = Math.round((Date.parse(view.run.windowTo) - inactiveFrom) / DAY_MS);
    finding('inactive-identity', {
      severity: power ? 'high' : counts.granted > 0 ? 'medium' : 'low',
      title: `${identity.nature === 'human' ? 'Inactive user' : 'Inactive workload identity'}: no use in ${days} days`,
      evidence: [
        `No recorded use of any permission since ${isoDay(inactiveFrom)}`,
        identity.lastActivityAt
          ? `Last activity the cloud reports: ${isoDay(Date.parse(identity.lastActivityAt))}`
          : 'The cloud reports no activity',
        `Holds ${counts.granted} ${plural(counts.granted, 'action')}`,
      ],
    });
  }

  if (
    isKeyOrPassword(identity) &&
    !identity.disabled &&
    olderThan(identity.createdAt, inactiveFrom) &&
    !usedSince(identity.lastActivityAt, inactiveFrom)
  ) {
    const kind: FindingKind = identity.kind === 'aws-console-password' ? 'unused-password' : 'unused-access-key';
    finding(kind, {
      severity: 'medium',
      title: `${kind === 'unused-password' ? 'Console password' : 'Access key'} unused since ${identity.lastActivityAt ? isoDay(Date.parse(identity.lastActivityAt)) : 'it was created'}`,
      evidence: [
        identity.createdAt ? `Created ${isoDay(Date.parse(identity.createdAt))}` : 'Creation time unknown',
        identity.lastActivityAt ? `Last used ${isoDay(Date.parse(identity.lastActivityAt))}` : 'Never used',
        ...(identity.parentId ? [`Belongs to ${identity.parentId}`] : []),
      ],
    });
  }

  return {
    systemId: identity.systemId,
    identityId: identity.id,
    identityName: identity.name,
    nature: identity.nature,
    scored,
    ...(pci ? { pci } : {}),
    findings: applySuppressions(findings, context),
    granted: counts.granted,
    used: counts.used,
    unknown: counts.unknown,
  };
}

/** What the risk rules say of a set of held actions: its profile, each action's own categories, its PCI traits. */
export interface HeldRisk {
  risk: RiskProfile;
  categories: readonly (readonly RiskCategory[])[];
  traits: PciTraits;
}

export function heldRisk(held: readonly HeldAction[], options: RiskRuleOptions): HeldRisk {
  const { risk, categories } = assessRiskByAction(held, options);
  return { risk, categories, traits: pciTraits(held, categories) };
}

/** How many held actions the memo keeps over all its entries, and how many signatures it remembers. */
const MEMO_HELD = 250_000;
const MEMO_SEEN = 100_000;

interface MemoEntry extends HeldRisk {
  held: HeldAction[];
}

/**
 * The risk profile and per-action categories of what identities hold, shared between identities holding
 * the same: identities are grouped by their grant paths (the same documents through the same kinds of
 * path), and before a profile is reused the held actions are checked to be the same ones (action, levels,
 * reach, condition — all the risk rules read), so a reused profile is exactly the one assessRisk would
 * give. Kept from a signature's second identity on, bounded (oldest go first). One memo per run, catalogue
 * and cloud: a different one is not shared.
 */
export class AssessMemo {
  private readonly entries = new Map<string, MemoEntry>();
  private kept = 0;
  private readonly seen = new Set<string>();
  private options: RiskRuleOptions | undefined;

  held(view: Pick<IdentityView, 'paths' | 'granted'>, options: RiskRuleOptions): HeldRisk {
    this.options ??= options;
    const same = this.options;
    if (same.catalogue !== options.catalogue || same.cloud !== options.cloud || same.mode !== options.mode)
      return heldRisk(view.granted, options);
    let signature = `${view.granted.length}\u0001`;
    for (const p of view.paths) signature += `${p.kind}\u0000${p.documentId ?? ''}\u0000${p.conditional ? 1 : 0}\u0001`;
    const entry = this.entries.get(signature);
    if (entry && sameHeld(entry.held, view.granted)) return entry;
    const fresh = heldRisk(view.granted, options);
    if (!this.seen.has(signature)) {
      if (this.seen.size >= MEMO_SEEN) this.seen.clear();
      this.seen.add(signature);
      return fresh;
    }
    if (entry) {
      this.entries.delete(signature);
      this.kept -= entry.held.length;
    }
    const held = view.granted.map((g) => ({
      action: g.action,
      accessLevels: [...g.accessLevels],
      resourceReach: g.resourceReach,
      conditional: g.conditional,
    }));
    for (const [old, kept] of this.entries) {
      if (this.kept + held.length <= MEMO_HELD) break;
      this.entries.delete(old);
      this.kept -= kept.held.length;
    }
    if (held.length <= MEMO_HELD) {
      this.entries.set(signature, { ...fresh, held });
      this.kept += held.length;
    }
    return fresh;
  }
}

function sameHeld(kept: readonly HeldAction[], held: readonly HeldAction[]): boolean {
  if (kept.length !== held.length) return false;
  for (let k = 0; k < held.length; k++) {
    const a = kept[k]!;
    const b = held[k]!;
    if (a.action !== b.action || a.resourceReach !== b.resourceReach || a.conditional !== b.conditional) return false;
    if (a.accessLevels.length !== b.accessLevels.length) return false;
    for (let l = 0; l < a.accessLevels.length; l++) if (a.accessLevels[l] !== b.accessLevels[l]) return false;
  }
  return true;
}

export function findingId(kind: FindingKind, identity: Pick<Identity, 'systemId' | 'id'>, about?: string): string {
  return [kind, identity.systemId, identity.id, ...(about ? [about] : [])].join('|');
}

/**
 * Service-linked roles and cloud-managed service agents are the cloud's own and carry no score; groups
 * and credentials score through the people and workloads that hold them; leases are judged at revoke.
 */
export function isScored(identity: Identity): boolean {
  if (identity.nature !== 'human' && identity.nature !== 'workload') return false;
  if (identity.kind === 'least-lease') return false;
  if (
    identity.kind === 'aws-iam-role' &&
    (identity.path?.startsWith('/aws-service-role/') || identity.name.startsWith('AWSServiceRoleFor'))
  )
    return false;
  if (identity.kind === 'gcp-service-account' && isGcpServiceAgent(identity.id)) return false;
  return true;
}

function isGcpServiceAgent(member: string): boolean {
  const email = member.replace(/^serviceAccount:/, '');
  return (
    /^service-\d+@/.test(email) ||
    /@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(email) ||
    /^\d+@cloudservices\.gserviceaccount\.com$/.test(email)
  );
}

function applySuppressions(findings: Finding[], context: AssessmentContext): Finding[] {
  const now = Date.parse(context.at);
  const live = (context.suppressions ?? []).filter((s) => Date.parse(s.until) > now);
  if (live.length === 0) return findings;
  return findings.map((f) => {
    const match = live.find(
      (s) =>
        s.systemId === f.systemId &&
        s.identityId === f.identityId &&
        (s.findingId === undefined || s.findingId === f.id),
    );
    return match
      ? { ...f, suppressed: { reason: match.reason, by: match.by, until: match.until, source: match.source } }
      : f;
  });
}

export interface Counts {
  granted: number;
  used: number;
  unused: number;
  unknown: number;
}

function tally(granted: readonly GrantedAction[]): Counts {
  const counts = { granted: granted.length, used: 0, unused: 0, unknown: 0 };
  for (const g of granted) counts[g.verdict ?? 'unknown'] += 1;
  return counts;
}

function usageLine(counts: Counts): string[] {
  return [
    `${counts.used} of ${counts.granted} granted ${plural(counts.granted, 'action')} used; ${counts.unused} unused; ${counts.unknown} unknown (no data)`,
  ];
}

function presentCategories(risk: RiskProfile): RiskCategory[] {
  return (Object.keys(risk.categories) as RiskCategory[]).filter((c) => (risk.categories[c]?.length ?? 0) > 0).sort();
}

function riskSeverity(risk: RiskProfile): Severity {
  if (risk.escalations.some((e) => !e.conditional)) return 'high';
  if (risk.categories.CredentialsExposure?.length || risk.categories.ResourceExposure?.length) return 'medium';
  if (risk.escalations.length > 0) return 'medium';
  return 'low';
}

const CATEGORY_WORDS: Record<RiskCategory, string> = {
  PrivilegeEscalation: 'privilege escalation',
  ResourceExposure: 'resource exposure',
  CredentialsExposure: 'credentials exposure',
  DataExfiltration: 'data exfiltration',
  ServiceWildcard: 'service wildcards',
  InfrastructureModification: 'infrastructure modification',
};

export function categoryWords(category: RiskCategory): string {
  return CATEGORY_WORDS[category];
}

function riskEvidence(risk: RiskProfile): string[] {
  const lines: string[] = [];
  for (const path of risk.escalations)
    lines.push(
      `Privilege escalation: ${path.technique} (${path.actions.join(' + ')})${path.conditional ? ', under a condition' : ''}`,
    );
  for (const category of presentCategories(risk)) {
    if (category === 'PrivilegeEscalation') continue;
    const items = risk.categories[category] ?? [];
    lines.push(`${capitalised(categoryWords(category))}: ${items.length} (${sample(items)})`);
  }
  return lines;
}

/** Per risk profile (profiles are shared by the identities holding the same), the actions of its escalation paths. */
const escalationActions = new WeakMap<RiskProfile, ReadonlySet<string>>();

function inEscalation(action: string, risk: RiskProfile): boolean {
  if (risk.escalations.length === 0) return false;
  let actions = escalationActions.get(risk);
  if (!actions) escalationActions.set(risk, (actions = new Set(risk.escalations.flatMap((e) => e.actions))));
  return actions.has(action);
}

function inactivityStart(view: Pick<IdentityView, 'run'>, context: AssessmentContext): number {
  const from = Date.parse(view.run.windowFrom);
  const to = Date.parse(view.run.windowTo);
  if (context.inactiveDays === undefined) return from;
  return Math.max(from, to - context.inactiveDays * DAY_MS);
}

/**
 * No use is not enough: the data must be able to show use. Either every granted action is shown unused,
 * or a source that sees every action of the identity (per action, or its last activity) covers the
 * whole inactivity window.
 */
function provablyInactive(
  view: Pick<IdentityView, 'run' | 'coverage' | 'identity'>,
  from: number,
  counts: Counts,
): boolean {
  if (counts.used === 0 && counts.granted > 0 && counts.unused === counts.granted) return true;
  const to = Date.parse(view.run.windowTo);
  return view.coverage.some(
    (c) =>
      c.actions === 'all' &&
      c.services === undefined &&
      c.documentId === undefined &&
      (c.granularity === 'action-day' || c.granularity === 'action' || c.granularity === 'last-activity') &&
      (c.identityId === view.identity.id || c.granularity !== 'last-activity') &&
      Date.parse(c.from) <= from &&
      Date.parse(c.to) >= to - DAY_MS,
  );
}

function isKeyOrPassword(identity: Identity): boolean {
  return (
    identity.kind === 'aws-access-key' ||
    identity.kind === 'gcp-service-account-key' ||
    identity.kind === 'aws-console-password'
  );
}

function olderThan(createdAt: string | undefined, from: number): boolean {
  return createdAt === undefined || Date.parse(createdAt) < from;
}

export function lastUse(usage: readonly ActionUsage[]): string | undefined {
  let last: string | undefined;
  for (const u of usage) if (u.lastUsed && (!last || u.lastUsed > last)) last = u.lastUsed;
  return last;
}

/** What the score and findings rest on: each source's span, and what the sources cannot see. */
export function coverageBasis(view: Pick<IdentityView, 'coverage' | 'granted'>): CoverageBasis {
  let unknown = 0;
  for (const g of view.granted) if ((g.verdict ?? 'unknown') === 'unknown') unknown += 1;
  return coverageBasisOf(view.coverage, view.granted.length, unknown);
}

/** coverageBasis from the coverage and the number of granted actions, `unknown` of them without a verdict of use or non-use. */
export function coverageBasisOf(coverage: readonly Coverage[], granted: number, unknown: number): CoverageBasis {
  const sources = [...new Set(coverage.map(describeSource))];
  const blindSpots = new Set<string>();
  for (const c of coverage) {
    if (c.actions === 'writes') blindSpots.add(`${c.source}: reads are not recorded`);
    if (c.exceptActions?.length) blindSpots.add(`${c.source}: does not see ${sample(c.exceptActions)}`);
    if (c.note) blindSpots.add(`${c.source}: ${c.note}`);
  }
  if (unknown > 0) blindSpots.add(`no usage data for ${unknown} of ${granted} granted actions`);
  if (coverage.length === 0) blindSpots.add('no usage source covers this identity');
  return { sources, blindSpots: [...blindSpots] };
}

function describeSource(c: Coverage): string {
  const scope = c.services ? ` for ${c.services.join(', ')}` : '';
  return `${c.source} ${c.from.slice(0, 10)}…${c.to.slice(0, 10)} (${c.granularity}${c.actions === 'writes' ? ', writes only' : ''}${scope})`;
}

function sample(items: readonly string[]): string {
  return sampleOf(items.slice(0, EVIDENCE_ACTIONS), items.length);
}

/** `sample` of a list of `count` items given its first EVIDENCE_ACTIONS. */
function sampleOf(first: readonly string[], count: number): string {
  const shown = first.join(', ');
  return count > EVIDENCE_ACTIONS ? `${shown}, … ${count - EVIDENCE_ACTIONS} more` : shown;
}

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

function highest(severities: readonly Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'low');
}

function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
