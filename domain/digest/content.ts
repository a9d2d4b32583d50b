import { addCalendarDays, type DigestPeriod } from './period';
import type { DigestSection } from './sections';
import type { Anomaly } from '../anomaly/model';

/**
 * What a digest says, built from plain data about its period (the store's reads, `DigestFacts`) into
 * the model the renderers draw (`DigestContent`). Every list is cut here to its first rows and a
 * count of the rest, so a section of 100,000 rows is still a message of a few hundred words, and the
 * content that travels through the workflow's history stays small.
 */

/** Rows shown per list; the rest are counted ("+N more"), never posted. */
export const DIGEST_ROWS = 10;
/** The PCI chart's reach: the last 90 days, as the issue asks. */
export const PCI_TREND_DAYS = 90;
/** The grants-per-day chart's reach: a month, so a daily digest draws more than one bar. */
export const GRANTS_CHART_DAYS = 30;
/** Lines in the PCI chart (its own cap, bot/render/charts MAX_SYSTEMS); the text lists every system. */
export const CHART_SYSTEMS = 8;
/** Bars in the top-entitlements chart (its own cap, MAX_ENTITLEMENTS). */
export const CHART_ENTITLEMENTS = 10;

/** A list as the store read it: a bounded number of rows, and how many there were in all. */
export interface Rows<T> {
  rows: T[];
  total: number;
}

/** A list as a digest shows it: the first rows, and how many more there were. */
export interface Shown<T> {
  rows: T[];
  more: number;
}

export interface AccessTotals {
  requested: number;
  granted: number;
  denied: number;
  /** Grants that ran to their end (not ended early). */
  expired: number;
  /** Requests nobody decided before their pending timeout. */
  unanswered: number;
}

export interface EntitlementActivity extends AccessTotals {
  entitlementId: string;
  /** The entitlement's title as requests recorded it (policy text: escaped by the renderers). */
  title: string;
}

/** A grant whose revocation failed at least once in the period; `resolved` once the revocation was verified. */
export interface RevocationTrouble {
  requestId: string;
  entitlementId: string;
  title: string;
  requester: string;
  attempts: number;
  /** The cloud's last words (cloud text: escaped by the renderers). */
  lastError?: string;
  resolved: boolean;
}

export interface WaitingApproval {
  requestId: string;
  entitlementId: string;
  title: string;
  requester: string;
  submittedAt: string;
}

export interface BreakGlassUse {
  requestId: string;
  entitlementId: string;
  title: string;
  requester: string;
  at: string;
  reviewed: boolean;
}

/** A system's PCI and open findings at the start and at the end of the period (absent: not assessed by then). */
export interface SystemFindingsFacts {
  systemId: string;
  pciFrom?: number;
  pciTo?: number;
  openFrom?: number;
  openTo?: number;
  /** Open findings of high or critical severity at the end. */
  highTo?: number;
}

export interface PciPoint {
  systemId: string;
  /** `YYYY-MM-DD` (the UTC day the assessment ran). */
  day: string;
  pci: number;
}

export interface CleanupTotals {
  removed: number;
  kept: number;
  restored: number;
  failed: number;
}

export interface CleanupRunFacts extends CleanupTotals {
  runId: string;
  systemId: string;
  mode: 'report' | 'enforce';
  status: string;
  plannedAt: string;
}

/** Everything the store read about one digest's period, lists bounded but possibly long. */
export interface DigestFacts {
  digestId: string;
  period: DigestPeriod;
  sections: DigestSection[];
  access?: {
    totals: AccessTotals;
    entitlements: Rows<EntitlementActivity>;
    /** Grants per calendar day (the digest's zone) over GRANTS_CHART_DAYS; days without grants left out. */
    grantsPerDay: { day: string; grants: number }[];
    revocations: Rows<RevocationTrouble> & { unresolved: number };
    /** Requests still waiting for a decision at the digest's time. */
    waiting: Rows<WaitingApproval>;
    breakGlass: Rows<BreakGlassUse> & { unreviewed: number };
  };
  findings?: { systems: SystemFindingsFacts[]; trend: PciPoint[] };
  cleanup?: { runs: Rows<CleanupRunFacts>; totals: CleanupTotals };
  anomalies?: AnomaliesContent;
}

export interface SystemMovement extends SystemFindingsFacts {
  /** PCI at the end minus at the start, when both are known. */
  pciChange?: number;
  openChange?: number;
  /** First assessed within the period. */
  isNew: boolean;
}

export interface AccessContent {
  totals: AccessTotals;
  entitlements: Shown<EntitlementActivity>;
  /** The grants-per-day chart's input: every day of the window, a day not listed had none. */
  grantsPerDay: { from: string; to: string; days: { day: string; grants: number }[] };
  /** The top-entitlements chart's input. */
  topEntitlements: { entitlement: string; grants: number }[];
  revocations: Shown<RevocationTrouble>;
  /** Revocations still failing at the end of the period. */
  stillFailing: number;
  waiting: Shown<WaitingApproval & { waitingSeconds: number }>;
  /** The longest wait of all requests waiting, in seconds. */
  longestWaitSeconds?: number;
  breakGlass: Shown<BreakGlassUse>;
  unreviewed: number;
}

export interface FindingsContent {
  systems: Shown<SystemMovement>;
  /** Systems whose PCI or open findings changed, or that were first assessed, in the period. */
  changed: number;
  /** The PCI chart's input: the systems with the highest PCI, PCI_TREND_DAYS ending with the period. */
  trend: { from: string; to: string; systems: { system: string; points: { day: string; pci: number }[] }[] };
}

export interface CleanupContent {
  runs: Shown<CleanupRunFacts>;
  totals: CleanupTotals;
}

/** The period's anomalies (not suppressed): how many per system, and the most severe few (ANOMALY_ROWS). */
export interface AnomaliesContent {
  total: number;
  systems: { systemId: string; count: number; high: number }[];
  top: Anomaly[];
}

/** Anomalies explained in a digest; the rest are counted per system. */
export const ANOMALY_ROWS = 5;

/** What the renderers draw: small, JSON-safe, every list cut to DIGEST_ROWS. */
export interface DigestContent {
  digestId: string;
  period: DigestPeriod;
  sections: DigestSection[];
  /** Nothing happened in any section: the digest is one line, without charts. */
  quiet: boolean;
  access?: AccessContent;
  findings?: FindingsContent;
  cleanup?: CleanupContent;
  anomalies?: AnomaliesContent;
}

/** The digest's content from the period's facts. */
export function buildDigest(facts: DigestFacts): DigestContent {
  const wants = (section: DigestSection): boolean => facts.sections.includes(section);
  const access = wants('access') && facts.access ? accessContent(facts.access, facts.period) : undefined;
  const findings = wants('findings') && facts.findings ? findingsContent(facts.findings, facts.period) : undefined;
  const cleanup = wants('cleanup') && facts.cleanup ? cleanupContent(facts.cleanup) : undefined;
  const anomalies =
    wants('anomalies') && facts.anomalies
      ? {
          total: facts.anomalies.total,
          systems: facts.anomalies.systems.slice(0, DIGEST_ROWS),
          top: facts.anomalies.top.slice(0, ANOMALY_ROWS),
        }
      : undefined;
  const quiet =
    (!access || accessIsQuiet(access)) &&
    (!findings || findingsAreQuiet(findings)) &&
    !cleanup?.runs.rows.length &&
    !anomalies?.total;
  return {
    digestId: facts.digestId,
    period: facts.period,
    sections: facts.sections.filter((section) => wants(section)),
    quiet,
    ...(access ? { access } : {}),
    ...(findings ? { findings } : {}),
    ...(cleanup ? { cleanup } : {}),
    ...(anomalies ? { anomalies } : {}),
  };
}

/** The first `limit` rows by `order`, and how many of the list's total are left. */
export function shown<T>(list: Rows<T>, order: (a: T, b: T) => number, limit = DIGEST_ROWS): Shown<T> {
  const rows = [...list.rows].sort(order).slice(0, limit);
  return { rows, more: Math.max(list.total, list.rows.length) - rows.length };
}

function accessContent(access: NonNullable<DigestFacts['access']>, period: DigestPeriod): AccessContent {
  const byActivity = (a: EntitlementActivity, b: EntitlementActivity): number =>
    b.granted - a.granted ||
    b.requested - a.requested ||
    text(a.title, b.title) ||
    text(a.entitlementId, b.entitlementId);
  const entitlements = shown(access.entitlements, byActivity);
  const granted = shown(
    { rows: access.entitlements.rows.filter((e) => e.granted > 0), total: 0 },
    byActivity,
    CHART_ENTITLEMENTS,
  );
  const at = Date.parse(period.at);
  const waitingRows = access.waiting.rows.map((w) => ({
    ...w,
    waitingSeconds: Math.max(0, Math.round((at - Date.parse(w.submittedAt)) / 1000)),
  }));
  const waiting = shown(
    { rows: waitingRows, total: access.waiting.total },
    (a, b) => b.waitingSeconds - a.waitingSeconds || text(a.requestId, b.requestId),
  );
  const revocations = shown(
    access.revocations,
    (a, b) => Number(a.resolved) - Number(b.resolved) || b.attempts - a.attempts || text(a.requestId, b.requestId),
  );
  const breakGlass = shown(
    access.breakGlass,
    (a, b) => Number(a.reviewed) - Number(b.reviewed) || text(b.at, a.at) || text(a.requestId, b.requestId),
  );
  const from = addCalendarDays(period.lastDay, -(GRANTS_CHART_DAYS - 1));
  return {
    totals: { ...access.totals },
    entitlements,
    grantsPerDay: {
      from,
      to: period.lastDay,
      days: access.grantsPerDay.filter((d) => d.day >= from && d.day <= period.lastDay && d.grants > 0),
    },
    topEntitlements: granted.rows.map((e) => ({ entitlement: e.title || e.entitlementId, grants: e.granted })),
    revocations,
    stillFailing: access.revocations.unresolved,
    waiting,
    ...(waiting.rows[0] ? { longestWaitSeconds: waiting.rows[0].waitingSeconds } : {}),
    breakGlass,
    unreviewed: access.breakGlass.unreviewed,
  };
}

function accessIsQuiet(access: AccessContent): boolean {
  const { requested, granted, denied, expired, unanswered } = access.totals;
  return (
    requested + granted + denied + expired + unanswered === 0 &&
    access.waiting.rows.length === 0 &&
    access.revocations.rows.length === 0 &&
    access.breakGlass.rows.length === 0
  );
}

function findingsContent(findings: NonNullable<DigestFacts['findings']>, period: DigestPeriod): FindingsContent {
  const moved: SystemMovement[] = findings.systems
    .filter((s) => s.pciTo !== undefined || s.pciFrom !== undefined)
    .map((s) => ({
      ...s,
      ...(s.pciFrom !== undefined && s.pciTo !== undefined ? { pciChange: s.pciTo - s.pciFrom } : {}),
      ...(s.openFrom !== undefined && s.openTo !== undefined ? { openChange: s.openTo - s.openFrom } : {}),
      isNew: s.pciFrom === undefined && s.pciTo !== undefined,
    }));
  const systems = shown(
    { rows: moved, total: moved.length },
    (a, b) =>
      Math.abs(b.pciChange ?? 0) - Math.abs(a.pciChange ?? 0) ||
      (b.pciTo ?? -1) - (a.pciTo ?? -1) ||
      text(a.systemId, b.systemId),
  );
  const from = addCalendarDays(period.lastDay, -(PCI_TREND_DAYS - 1));
  const charted = [...moved]
    .sort((a, b) => (b.pciTo ?? -1) - (a.pciTo ?? -1) || text(a.systemId, b.systemId))
    .slice(0, CHART_SYSTEMS)
    .map((s) => s.systemId);
  return {
    systems,
    changed: moved.filter((s) => s.isNew || Boolean(s.pciChange) || Boolean(s.openChange)).length,
    trend: {
      from,
      to: period.lastDay,
      systems: charted.map((system) => ({
        system,
        points: findings.trend
          .filter((p) => p.systemId === system && p.day >= from && p.day <= period.lastDay)
          .sort((a, b) => text(a.day, b.day))
          .map((p) => ({ day: p.day, pci: p.pci })),
      })),
    },
  };
}

function findingsAreQuiet(findings: FindingsContent): boolean {
  return findings.changed === 0;
}

function cleanupContent(cleanup: NonNullable<DigestFacts['cleanup']>): CleanupContent {
  return {
    runs: shown(cleanup.runs, (a, b) => text(b.plannedAt, a.plannedAt) || text(a.runId, b.runId)),
    totals: { ...cleanup.totals },
  };
}

function text(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
