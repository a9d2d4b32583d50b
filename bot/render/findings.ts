import { categoryWords } from '../../domain/findings/assess';
import {
  FINDING_KINDS,
  RISK_CATEGORIES,
  SUPPRESS_DAYS,
  type SuppressDays,
  type CoverageBasis,
  type Finding,
  type FindingKind,
  type IdentityAssessment,
  type PciBand,
  type PciContributor,
  type PciScore,
  type RiskCategory,
  type Severity,
  type Suppressed,
} from '../../domain/findings/model';
import { TOP_CONTRIBUTORS } from '../../domain/findings/pci';
import type { RightSizeReport } from '../../domain/findings/right-size';
import type { Cloud } from '../../domain/inventory/model';
import type { IdentityView } from '../../domain/inventory/view';

/**
 * Findings and the Permission Creep Index in chat, in the same words on Slack and Teams. Like
 * status.ts, the sentences are bound to a platform's dialect: everything a person, a policy or a
 * cloud wrote (identity names, titles, evidence, reasons, entitlement names) reaches them through the
 * dialect, which escapes and clips it for that platform; the rest is our own words and numbers.
 */

// ---- What the handlers give the renderers ----

export interface PciSummary {
  score: number;
  band: PciBand;
}

/** One of a system's identities with the highest PCI. */
export interface TopIdentity {
  identityId: string;
  identityName: string;
  pci: number;
  band: PciBand;
  /** Its open (unsuppressed) findings. */
  findings: number;
}

export interface SystemFindingsView {
  systemId: string;
  cloud: Cloud;
  pci: PciSummary;
  /** The system's PCI now minus seven days ago; absent without that much history. */
  trend?: { delta7d: number } | undefined;
  /** Scored identities. */
  identities: number;
  /** Open findings per kind. */
  counts: Partial<Record<FindingKind, number>>;
  /** Open findings per risk category. */
  categories: Partial<Record<RiskCategory, number>>;
  /** Findings shown as suppressed (not counted above). */
  suppressed: number;
  /** When the snapshot the figures come from was collected (ISO). */
  collectedAt: string;
  /** Highest PCI first; renderers show the first few. */
  top: TopIdentity[];
}

export interface PciMover {
  identityName: string;
  systemId: string;
  from: number;
  to: number;
}

/** `/access findings`: the systems this person may see. */
export interface FindingsSummaryView {
  systems: SystemFindingsView[];
  overall?: PciSummary | undefined;
  /** Largest 7-day changes first. */
  movers?: PciMover[] | undefined;
  /** Systems with findings this person may not see. */
  hiddenSystems?: number | undefined;
}

export interface ServiceUsage {
  service: string;
  granted: number;
  used: number;
  unused: number;
  unknown: number;
}

/** `/access findings <identity>`: one identity's card. */
export interface IdentityCardView {
  systemId: string;
  cloud: Cloud;
  assessment: IdentityAssessment;
  /** The last activity the cloud or the usage data shows (ISO). */
  lastActivity?: string | undefined;
  /** Granted vs used per service; renderers show the services with most unused first. */
  grantedByService: ServiceUsage[];
  /** The usage window the verdicts cover (ISO). */
  window: { from: string; to: string };
  /**
   * The person looking may start a cleanup of this identity (its system's owners, Least's admins:
   * domain/cleanup/authority.ts `mayStartCleanup`): the card offers Clean up. The click is checked again.
   */
  mayStartCleanup?: boolean | undefined;
}

/** What a Show identity or Suppress button points at, and what the suppress dialog carries back. */
export interface FindingsTarget {
  systemId: string;
  identityId: string;
  /** Absent: every finding of the identity. */
  findingId?: string | undefined;
}

export interface SuppressDialogInput {
  target: FindingsTarget;
  identityName: string;
  /** The finding's title when one finding is suppressed. */
  findingTitle?: string | undefined;
  /** Why the last submission was refused (Teams shows it on the card; Slack answers with field errors). */
  problem?: string | undefined;
  /** Slack: where to post the confirmation, carried in private_metadata beside the target. */
  channelId?: string | undefined;
}

/** The confirmation once a suppression is stored. */
export interface SuppressedView {
  target: FindingsTarget;
  identityName: string;
  findingTitle?: string | undefined;
  reason: string;
  by: string;
  until: string;
}

/** The requester's standing on the system of a just-in-time request, for the approver's card. */
export interface RequesterFindingsView {
  systemId: string;
  pci?: { score: number; band: PciBand; contributors: PciContributor[] } | undefined;
  /** Open findings, most severe first; renderers show the first few. */
  openFindings: { severity: Severity; title: string }[];
  /** All open findings when `openFindings` was cut by the caller. */
  openTotal?: number | undefined;
  /** Why nothing can be said, e.g. `no collected data for aws-prod yet`. */
  unavailable?: string | undefined;
}

/** What a lease used of what it granted, posted after revoke. */
export interface RightSizeView {
  leaseId: string;
  entitlement: string;
  systemId: string;
  /** Actions used during the lease, most used first. */
  used: { action: string; count: number }[];
  /** Actions the entitlement granted, when known. */
  granted?: number | undefined;
  /** A narrower entitlement that grants every used action; `covers`: how many actions it grants. */
  suggestion?: { entitlement: string; covers: number } | undefined;
  /** Set when the cloud cannot say, e.g. `usage is not available for Azure reads`. */
  unavailable?: string | undefined;
}

/** A Clean up click's answer: the run that will announce, then act on, the identity's unused permissions. */
export interface CleanupStartedView {
  runId: string;
  systemId: string;
  identityName: string;
  /** The identity's cleanup was already running; this is that run. */
  joined?: boolean | undefined;
}

/** A right-size report as both platforms show it; the entitlement by its id (as people ask for it). */
export function rightSizeView(
  report: RightSizeReport | undefined,
  fallback: { leaseId: string; systemId: string; entitlementId: string },
): RightSizeView {
  if (!report)
    return { ...fallback, entitlement: fallback.entitlementId, used: [], unavailable: 'the usage report was lost' };
  return {
    leaseId: report.leaseId,
    entitlement: report.entitlementId,
    systemId: report.systemId,
    used: report.used,
    ...(report.granted !== undefined ? { granted: report.granted } : {}),
    ...(report.suggestion
      ? { suggestion: { entitlement: report.suggestion.entitlementId, covers: report.suggestion.actions } }
      : {}),
    ...(report.unavailable ? { unavailable: report.unavailable } : {}),
  };
}

// ---- Bounds shared by both platforms ----

/** Ids a button may carry: longer ones get no button (the person can still type the command). */
export const TARGET_ID_CHARS = 1024;

export const SHOWN = {
  /** Top identities per system in the summary. */
  topIdentities: 3,
  movers: 5,
  contributors: 5,
  findings: 10,
  evidence: 3,
  services: 10,
  coverage: 5,
  approverFindings: 3,
  usedActions: 15,
} as const;

/** Characters for each kind of text from outside; several fit in one Slack section (3000). */
export const CHARS = {
  name: 100,
  id: 100,
  title: 200,
  evidence: 300,
  reason: 500,
  label: 150,
  coverage: 200,
} as const;

// ---- Buttons' payloads, declared once for the renderers and the handlers ----

/** The JSON a Slack button's value (and a suppress modal's private_metadata) carries. */
export function encodeTarget(target: FindingsTarget): string {
  return JSON.stringify({
    systemId: target.systemId,
    identityId: target.identityId,
    ...(target.findingId !== undefined ? { findingId: target.findingId } : {}),
  });
}

/** Whether every id fits a button; one that does not gets none rather than a cut id. */
export function fitsTarget(target: FindingsTarget): boolean {
  return [target.systemId, target.identityId, target.findingId ?? 'x'].every(
    (id) => id.length > 0 && id.length <= TARGET_ID_CHARS,
  );
}

/**
 * A target from a Slack button value or private_metadata (JSON), or a Teams Action.Execute `data`
 * (an object); undefined for anything else. The handler still checks the person's authority.
 */
export function parseTarget(value: unknown): FindingsTarget | undefined {
  let raw: unknown = value;
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const { systemId, identityId, findingId } = raw as Record<string, unknown>;
  const target: FindingsTarget = {
    systemId: typeof systemId === 'string' ? systemId : '',
    identityId: typeof identityId === 'string' ? identityId : '',
    ...(typeof findingId === 'string' ? { findingId } : {}),
  };
  if (findingId !== undefined && typeof findingId !== 'string') return undefined;
  return fitsTarget(target) ? target : undefined;
}

/** A suppress modal's private_metadata: the target and where to answer. */
export function encodeSuppressMetadata(input: Pick<SuppressDialogInput, 'target' | 'channelId'>): string {
  const target = JSON.parse(encodeTarget(input.target)) as Record<string, string>;
  return JSON.stringify({ ...target, ...(input.channelId ? { channelId: input.channelId } : {}) });
}

export function parseSuppressMetadata(text: string): (FindingsTarget & { channelId?: string }) | undefined {
  const target = parseTarget(text);
  if (!target) return undefined;
  const { channelId } = JSON.parse(text) as { channelId?: unknown };
  return typeof channelId === 'string' ? { ...target, channelId } : target;
}

/** `30` or `90` from a submitted choice; anything else is undefined. */
export function parseSuppressDays(value: unknown): SuppressDays | undefined {
  const days = Number(value);
  return SUPPRESS_DAYS.find((d) => d === days);
}

/** Said under a suppression's confirmation and in the dialog. */
export const SUPPRESS_NOTE =
  'A suppressed finding is still shown, marked suppressed, and comes back by itself when the time is up.';

// ---- Platform-neutral labels ----

export const CLOUD_LABEL: Readonly<Record<Cloud, string>> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP' };

export const BAND_EMOJI: Readonly<Record<PciBand, string>> = { low: '🟢', medium: '🟠', high: '🔴' };
/** Teams' colour names; Slack shows the emoji. */
export const BAND_TONE: Readonly<Record<PciBand, 'good' | 'warning' | 'attention'>> = {
  low: 'good',
  medium: 'warning',
  high: 'attention',
};

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: '‼️',
  high: '🔴',
  medium: '🟠',
  low: '⚪',
};
export const SEVERITY_TONE: Readonly<Record<Severity, 'default' | 'warning' | 'attention'>> = {
  critical: 'attention',
  high: 'attention',
  medium: 'warning',
  low: 'default',
};
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

const KIND_WORDS: Readonly<Record<FindingKind, readonly [one: string, many: string]>> = {
  'super-identity': ['super identity', 'super identities'],
  'risky-trust': ['risky trust', 'risky trusts'],
  'over-provisioned': ['over-provisioned identity', 'over-provisioned identities'],
  'inactive-identity': ['inactive identity', 'inactive identities'],
  'unused-access-key': ['unused access key', 'unused access keys'],
  'unused-password': ['unused password', 'unused passwords'],
  'risky-permissions': ['identity with risky permissions', 'identities with risky permissions'],
  'unreadable-permissions': ['identity with unreadable policies', 'identities with unreadable policies'],
};

/** `1,204`: the same on every platform and locale. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Open findings first, most severe first; suppressed ones last, still shown. */
export function findingsInOrder(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      Number(Boolean(a.suppressed)) - Number(Boolean(b.suppressed)) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity],
  );
}

/** Services with the most unused first, then the most granted. */
export function servicesInOrder(services: readonly ServiceUsage[]): ServiceUsage[] {
  return [...services].sort((a, b) => b.unused - a.unused || b.granted - a.granted || (a.service < b.service ? -1 : 1));
}

// ---- The sentences, in one platform's dialect ----

/** How one platform writes what the sentences quote and stress. */
export interface FindingsDialect {
  /** User text on one line, escaped and clipped to `max`. */
  line: (text: string, max: number) => string;
  /** User text that may keep its lines, escaped and clipped to `max`. */
  text: (text: string, max: number) => string;
  /** A time each reader sees in their own time zone. */
  date: (iso: string) => string;
  /** Stress on markup that is already escaped. */
  bold: (markup: string) => string;
  /** A name or command as typed, on markup that is already escaped. */
  code: (markup: string) => string;
  /** How a person types a findings command on this platform, e.g. `/access findings` (unescaped). */
  command: string;
  /** Escapes our own text that holds syntax characters (the command). */
  escape: (text: string) => string;
}

export interface FindingsWording {
  system: (systemId: string, cloud?: Cloud) => string;
  pci: (pci: PciSummary) => string;
  trend: (trend: SystemFindingsView['trend']) => string | undefined;
  systemHeadline: (system: SystemFindingsView) => string;
  kindCounts: (counts: SystemFindingsView['counts']) => string;
  categoryCounts: (categories: SystemFindingsView['categories']) => string;
  systemFootnote: (system: SystemFindingsView) => string;
  topIdentity: (top: TopIdentity) => string;
  overall: (view: FindingsSummaryView) => string | undefined;
  /** A title line, then one line per mover; empty without movers. */
  movers: (movers: readonly PciMover[] | undefined) => string[];
  otherSystems: (systems: readonly SystemFindingsView[]) => string | undefined;
  hidden: (count: number | undefined) => string | undefined;
  empty: () => string;
  summaryFallback: (view: FindingsSummaryView) => string;
  identityHeadline: (view: IdentityCardView) => string;
  score: (assessment: IdentityAssessment) => string;
  equation: (pci: PciScore) => string;
  ceiling: (pci: PciScore) => string | undefined;
  ifTopRemoved: (pci: PciScore) => string | undefined;
  totals: (assessment: IdentityAssessment) => string;
  window: (view: IdentityCardView) => string;
  lastActivity: (view: IdentityCardView) => string;
  finding: (finding: Finding) => string;
  evidence: (finding: Finding) => string[];
  suppressed: (suppressed: Suppressed) => string;
  moreFindings: (findings: readonly Finding[], shown: number) => string | undefined;
  services: (services: readonly ServiceUsage[]) => string[];
  coverage: (coverage: CoverageBasis | undefined) => { sources: string[]; blindSpots: string[] };
  suppressSubject: (input: Pick<SuppressDialogInput, 'target' | 'identityName' | 'findingTitle'>) => string;
  suppressedConfirmation: (view: SuppressedView) => string;
  suppressRefused: (systemId: string) => string;
  cleanupOffer: () => string;
  cleanupStarted: (view: CleanupStartedView) => string;
  lookRefused: (identity: string) => string;
  noSuchIdentity: (query: string) => string;
  requesterPci: (view: RequesterFindingsView) => string;
  requesterFindings: (view: RequesterFindingsView) => string[];
  rightSize: (view: RightSizeView) => string;
  rightSizeSuggestion: (view: RightSizeView) => string | undefined;
}

export function findingsWording(d: FindingsDialect): FindingsWording {
  const name = (text: string): string => d.bold(d.line(text, CHARS.name));
  const command = (args = ''): string => d.code(d.escape(`${d.command}${args ? ` ${args}` : ''}`));

  function system(systemId: string, cloud?: Cloud): string {
    const id = d.code(d.line(systemId, CHARS.id));
    return cloud ? `${id} (${CLOUD_LABEL[cloud]})` : id;
  }

  function pci({ score, band }: PciSummary): string {
    return `${BAND_EMOJI[band]} ${formatCount(score)} (${band})`;
  }

  function trend(t: SystemFindingsView['trend']): string | undefined {
    if (!t || !Number.isFinite(t.delta7d)) return undefined;
    if (t.delta7d > 0) return `↑ +${formatCount(t.delta7d)} in 7 days`;
    if (t.delta7d < 0) return `↓ −${formatCount(-t.delta7d)} in 7 days`;
    return '→ unchanged in 7 days';
  }

  function systemHeadline(s: SystemFindingsView): string {
    const parts = [`PCI ${pci(s.pci)}`, trend(s.trend), plural(s.identities, 'identity', 'identities')];
    return `${system(s.systemId, s.cloud)} · ${parts.filter(Boolean).join(' · ')}`;
  }

  function kindCounts(counts: SystemFindingsView['counts']): string {
    const parts = FINDING_KINDS.filter((k) => (counts[k] ?? 0) > 0).map((k) => {
      const n = counts[k] ?? 0;
      const [one, many] = KIND_WORDS[k];
      return plural(n, one, many);
    });
    return parts.length > 0 ? parts.join(' · ') : 'No open findings';
  }

  function categoryCounts(categories: SystemFindingsView['categories']): string {
    const parts = RISK_CATEGORIES.filter((c) => (categories[c] ?? 0) > 0).map(
      (c) => `${capitalised(categoryWords(c))} ${formatCount(categories[c] ?? 0)}`,
    );
    return parts.length > 0 ? `Risk categories: ${parts.join(' · ')}` : 'No risk categories';
  }

  function systemFootnote(s: SystemFindingsView): string {
    const suppressed = s.suppressed > 0 ? ` · ${formatCount(s.suppressed)} suppressed (not counted)` : '';
    return `Collected ${d.date(s.collectedAt)}${suppressed}`;
  }

  function topIdentity(top: TopIdentity): string {
    return `${name(top.identityName)} · PCI ${pci({ score: top.pci, band: top.band })} · ${plural(top.findings, 'open finding')}`;
  }

  function overall(view: FindingsSummaryView): string | undefined {
    return view.overall
      ? `Overall PCI ${pci(view.overall)} across ${plural(view.systems.length, 'system')}`
      : undefined;
  }

  function movers(list: readonly PciMover[] | undefined): string[] {
    if (!list || list.length === 0) return [];
    const lines = list.slice(0, SHOWN.movers).map((m) => {
      const delta = m.to - m.from;
      const arrow = delta > 0 ? '↑' : delta < 0 ? '↓' : '→';
      return `${arrow} ${name(m.identityName)} on ${system(m.systemId)}: ${formatCount(m.from)} → ${formatCount(m.to)}`;
    });
    return [d.bold('Movers in 7 days'), ...lines];
  }

  function otherSystems(systems: readonly SystemFindingsView[]): string | undefined {
    if (systems.length === 0) return undefined;
    const listed = systems.slice(0, 20).map((s) => `${system(s.systemId)} ${pci(s.pci)}`);
    const more = systems.length - listed.length;
    return `${d.bold('Other systems')}: ${listed.join(' · ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}; ${command('<system>')} shows one.`;
  }

  function hidden(count: number | undefined): string | undefined {
    if (!count || count <= 0) return undefined;
    return `${plural(count, 'system')} with findings ${count === 1 ? 'is' : 'are'} not shown: you see the systems you own, administer or approve for, and your own identities.`;
  }

  function empty(): string {
    return `No collected data yet for the systems you may see — run ${d.code(d.escape('least inventory collect'))}.`;
  }

  function summaryFallback(view: FindingsSummaryView): string {
    if (view.systems.length === 0) return 'Findings: no collected data yet for the systems you may see.';
    const overallText = view.overall ? ` · overall PCI ${view.overall.score} (${view.overall.band})` : '';
    return `Findings for ${plural(view.systems.length, 'system')}${overallText}`;
  }

  function identityHeadline(view: IdentityCardView): string {
    return `${name(view.assessment.identityName)} on ${system(view.systemId, view.cloud)} · ${view.assessment.nature}`;
  }

  function score(a: IdentityAssessment): string {
    if (!a.scored)
      return 'No PCI: service-linked roles, cloud-managed service agents, groups and credentials carry none.';
    if (!a.pci) return 'No PCI yet: the data does not show this identity’s use.';
    return `${d.bold('PCI')} ${pci(a.pci)}`;
  }

  /** `71 = 40 (410 unused write actions on all resources) + 31 (12 privilege-escalation paths)`: the points sum to the score. */
  function equation(p: PciScore): string {
    const contributors = p.contributors.filter((c) => c.points > 0);
    if (contributors.length === 0) return `${formatCount(p.score)}: the data shows no unused risky permission.`;
    const shown = contributors.slice(0, SHOWN.contributors);
    const rest = contributors.slice(SHOWN.contributors);
    const terms = shown.map((c) => `${formatCount(c.points)} (${d.line(c.label, CHARS.label)})`);
    if (rest.length > 0) {
      const points = rest.reduce((sum, c) => sum + c.points, 0);
      terms.push(`${formatCount(points)} (${plural(rest.length, 'other contributor')})`);
    }
    return `${formatCount(p.score)} = ${terms.join(' + ')}`;
  }

  function ceiling(p: PciScore): string | undefined {
    if (!(p.ceiling > p.score)) return undefined;
    const why = p.coverage.blindSpots.slice(0, 2).map((b) => d.line(b, CHARS.coverage));
    return `Could be up to ${formatCount(p.ceiling)}${why.length > 0 ? `: ${why.join('; ')}` : ': some use is unknown'}.`;
  }

  function ifTopRemoved(p: PciScore): string | undefined {
    const n = Math.min(TOP_CONTRIBUTORS, p.contributors.length);
    if (n === 0 || !(p.ifTopRemoved < p.score)) return undefined;
    const which = n === 1 ? 'its top contributor' : `its top ${n} contributors`;
    return `Without the unused permissions of ${which} it would be ${formatCount(p.ifTopRemoved)}.`;
  }

  function totals(a: IdentityAssessment): string {
    return `${plural(a.granted, 'action')} granted · ${formatCount(a.used)} used · ${formatCount(a.unknown)} unknown`;
  }

  function window(view: IdentityCardView): string {
    return `${d.date(view.window.from)} – ${d.date(view.window.to)}`;
  }

  function lastActivity(view: IdentityCardView): string {
    const at = view.lastActivity ?? view.assessment.pci?.lastUsed;
    return at ? d.date(at) : 'none seen in the data';
  }

  function finding(f: Finding): string {
    const title = d.line(f.title, CHARS.title);
    if (f.suppressed) return `🔕 ${f.severity}, suppressed · ${title}`;
    return `${SEVERITY_EMOJI[f.severity]} ${f.severity} · ${d.bold(title)}`;
  }

  function evidence(f: Finding): string[] {
    return f.evidence.slice(0, SHOWN.evidence).map((e) => d.line(e, CHARS.evidence));
  }

  function suppressed(s: Suppressed): string {
    return `Suppressed until ${d.date(s.until)} by ${d.line(s.by, CHARS.name)} (${s.source}): ${d.line(s.reason, CHARS.reason)}`;
  }

  function moreFindings(findings: readonly Finding[], shown: number): string | undefined {
    const rest = findings.slice(shown);
    if (rest.length === 0) return undefined;
    const muted = rest.filter((f) => f.suppressed).length;
    return `and ${plural(rest.length, 'more finding')}${muted > 0 ? ` (${formatCount(muted)} suppressed)` : ''}; ${d.code(d.escape('least findings identity <id>'))} lists them all.`;
  }

  function services(list: readonly ServiceUsage[]): string[] {
    const ordered = servicesInOrder(list);
    const lines = ordered
      .slice(0, SHOWN.services)
      .map(
        (s) =>
          `${d.code(d.line(s.service, CHARS.id))}: ${formatCount(s.granted)} granted · ${formatCount(s.used)} used · ${formatCount(s.unused)} unused · ${formatCount(s.unknown)} unknown`,
      );
    const more = ordered.length - lines.length;
    if (more > 0) lines.push(`and ${plural(more, 'more service')}`);
    return lines;
  }

  function coverage(c: CoverageBasis | undefined): { sources: string[]; blindSpots: string[] } {
    const cap = (items: readonly string[]): string[] => {
      const lines = items.slice(0, SHOWN.coverage).map((s) => d.line(s, CHARS.coverage));
      if (items.length > SHOWN.coverage) lines.push(`and ${formatCount(items.length - SHOWN.coverage)} more`);
      return lines;
    };
    return { sources: cap(c?.sources ?? []), blindSpots: cap(c?.blindSpots ?? []) };
  }

  function suppressSubject(input: Pick<SuppressDialogInput, 'target' | 'identityName' | 'findingTitle'>): string {
    const what = input.findingTitle
      ? `the finding ${d.bold(d.line(input.findingTitle, CHARS.title))} of`
      : 'every finding of';
    return `${what} ${name(input.identityName)} on ${system(input.target.systemId)}`;
  }

  function suppressedConfirmation(v: SuppressedView): string {
    return `🔕 Suppressed ${suppressSubject(v)} until ${d.date(v.until)}, by ${d.line(v.by, CHARS.name)}. Reason: ${d.line(v.reason, CHARS.reason)}`;
  }

  function suppressRefused(systemId: string): string {
    return `⛔ You may not suppress findings on ${system(systemId)}: only its owners/admins and security viewers may.`;
  }

  function cleanupOffer(): string {
    return 'Clean up plans the removal of what this identity has not used: its owners are told first, and nothing changes before the notice period ends.';
  }

  function cleanupStarted(v: CleanupStartedView): string {
    const run = d.code(d.line(v.runId, CHARS.id));
    const who = `${name(v.identityName)} on ${system(v.systemId)}`;
    return v.joined
      ? `Cleanup ${run} for ${who} is already running: its owners are told what would change; nothing changes before the notice period ends.`
      : `Cleanup ${run} started for ${who}: its owners will be told what would change; nothing changes before the notice period ends.`;
  }

  function lookRefused(identity: string): string {
    return `⛔ You may see findings for your own identities only; ${name(identity)} is not yours.`;
  }

  function noSuchIdentity(query: string): string {
    return `No identity called ${name(query)} in the systems you may see. ${command()} lists the top identities.`;
  }

  function requesterPci(v: RequesterFindingsView): string {
    const where = system(v.systemId);
    if (v.unavailable)
      return `${d.bold('Requester’s findings')} on ${where}: not available (${d.line(v.unavailable, CHARS.reason)}).`;
    const open = v.openTotal ?? v.openFindings.length;
    const findings = open === 0 ? 'no open findings' : plural(open, 'open finding');
    if (!v.pci) return `${d.bold('Requester’s PCI')} on ${where}: none yet · ${findings}`;
    const why = v.pci.contributors
      .filter((c) => c.points > 0)
      .slice(0, 2)
      .map((c) => `${d.line(c.label, CHARS.label)} (${formatCount(c.points)})`);
    return `${d.bold('Requester’s PCI')} on ${where}: ${pci(v.pci)}${why.length > 0 ? ` — ${why.join(', ')}` : ''}; ${findings}`;
  }

  function requesterFindings(v: RequesterFindingsView): string[] {
    if (v.unavailable) return [];
    const lines = v.openFindings
      .slice(0, SHOWN.approverFindings)
      .map((f) => `${SEVERITY_EMOJI[f.severity]} ${f.severity} · ${d.line(f.title, CHARS.title)}`);
    const more = (v.openTotal ?? v.openFindings.length) - lines.length;
    if (more > 0) lines.push(`and ${formatCount(more)} more`);
    return lines;
  }

  function rightSize(v: RightSizeView): string {
    const what = `${d.code(d.line(v.entitlement, CHARS.id))} on ${system(v.systemId)}`;
    if (v.unavailable) return `How much of ${what} was used cannot be told: ${d.line(v.unavailable, CHARS.reason)}.`;
    const of = v.granted === undefined ? `of ${what}` : `of the ${plural(v.granted, 'action')} of ${what}`;
    if (v.used.length === 0) return `Used none ${of} during the lease.`;
    const shown = v.used
      .slice(0, SHOWN.usedActions)
      .map((u) => `${d.code(d.line(u.action, CHARS.id))} ×${formatCount(u.count)}`);
    const more = v.used.length - shown.length;
    return `Used ${formatCount(v.used.length)} ${of}: ${shown.join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`;
  }

  function rightSizeSuggestion(v: RightSizeView): string | undefined {
    if (v.unavailable || !v.suggestion) return undefined;
    return `${d.code(d.line(v.suggestion.entitlement, CHARS.id))} (${plural(v.suggestion.covers, 'action')}) would have been enough.`;
  }

  return {
    system,
    pci,
    trend,
    systemHeadline,
    kindCounts,
    categoryCounts,
    systemFootnote,
    topIdentity,
    overall,
    movers,
    otherSystems,
    hidden,
    empty,
    summaryFallback,
    identityHeadline,
    score,
    equation,
    ceiling,
    ifTopRemoved,
    totals,
    window,
    lastActivity,
    finding,
    evidence,
    suppressed,
    moreFindings,
    services,
    coverage,
    suppressSubject,
    suppressedConfirmation,
    suppressRefused,
    cleanupOffer,
    cleanupStarted,
    lookRefused,
    noSuchIdentity,
    requesterPci,
    requesterFindings,
    rightSize,
    rightSizeSuggestion,
  };
}

// ---- From the domain to the views above (pure) ----

/** An action's service: `s3` of `s3:GetObject`, `microsoft.storage` of `Microsoft.Storage/…`, `storage` of `storage.objects.get`. */
export function serviceOf(action: string): string {
  const separator = action.includes(':') ? ':' : action.includes('/') ? '/' : '.';
  const at = action.indexOf(separator);
  return (at > 0 ? action.slice(0, at) : action).toLowerCase();
}

/** Granted vs used per service, from the verdicts the snapshot's coverage allows (no verdict: unknown). */
export function grantedByService(granted: IdentityView['granted']): ServiceUsage[] {
  const byService = new Map<string, ServiceUsage>();
  for (const action of granted) {
    const service = serviceOf(action.action);
    const row = byService.get(service) ?? { service, granted: 0, used: 0, unused: 0, unknown: 0 };
    row.granted += 1;
    row[action.verdict ?? 'unknown'] += 1;
    byService.set(service, row);
  }
  return servicesInOrder([...byService.values()]);
}

/** One identity's card from its snapshot view and assessment. */
export function identityCardView(
  system: { id: string; cloud: Cloud },
  view: Pick<IdentityView, 'identity' | 'run' | 'granted'>,
  assessment: IdentityAssessment,
): IdentityCardView {
  return {
    systemId: system.id,
    cloud: system.cloud,
    assessment,
    lastActivity: view.identity.lastActivityAt,
    grantedByService: grantedByService(view.granted),
    window: { from: view.run.windowFrom, to: view.run.windowTo },
  };
}

/**
 * The requester's standing on a system from the assessments of their own identities there: the
 * highest index among them, and every open finding, most severe first.
 */
export function requesterFindingsView(
  systemId: string,
  assessments: readonly IdentityAssessment[],
): RequesterFindingsView {
  const scored = assessments
    .map((a) => a.pci)
    .filter((p): p is PciScore => p !== undefined)
    .sort((a, b) => b.score - a.score)[0];
  const open = findingsInOrder(assessments.flatMap((a) => a.findings)).filter((f) => !f.suppressed);
  return {
    systemId,
    ...(scored ? { pci: { score: scored.score, band: scored.band, contributors: scored.contributors } } : {}),
    openFindings: open.slice(0, SHOWN.approverFindings).map((f) => ({ severity: f.severity, title: f.title })),
    openTotal: open.length,
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
