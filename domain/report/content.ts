import type { Anomaly } from '../anomaly/model';
import { DomainError, ErrorCode } from '../errors';
import type { Finding, PciContributor, RiskCategory } from '../findings/model';
import type { IdentityKind, IdentityNature } from '../inventory/model';

/**
 * The forensic identity report (issue 14, item 5): everything Least knows about one person or one cloud
 * identity over a period, gathered by activities/report and drawn by bot/render/report. Pure data,
 * JSON-safe (ISO strings); every list is capped and says how many rows it left out.
 */

export const REPORT_DAYS = { min: 1, max: 365, fallback: 90 } as const;
/** Rows shown per section; the rest are counted and named as left out. */
export const REPORT_SECTION_ROWS = 1000;
/** Unused high-risk actions listed per identity. */
export const REPORT_TOP_UNUSED = 20;

/** A list cut at its cap, with the number of rows that matched: `total - rows.length` were left out. */
export interface Capped<T> {
  rows: T[];
  total: number;
}

/** One cloud identity the report is about, as the inventory's current snapshot knows it. */
export interface ReportSubject {
  systemId: string;
  identityId: string;
  name: string;
  kind: IdentityKind;
  nature: IdentityNature;
}

/** Granted vs used for one identity in its system's current snapshot. */
export interface SubjectPermissions {
  systemId: string;
  identityId: string;
  name: string;
  /** The snapshot's usage window (ISO). */
  window: { from: string; to: string };
  granted: number;
  used: number;
  unused: number;
  unknown: number;
  /** Granted actions in a high-risk category or an escalation path. */
  highRisk: number;
  /** The unused ones among them, first REPORT_TOP_UNUSED, with their categories. */
  topUnusedHighRisk: { action: string; categories: RiskCategory[] }[];
  unusedHighRisk: number;
}

/** One audit row of a grant, with whether the chain holds at that row. */
export interface ReportAuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  hash: string;
  prevHash: string;
  /** Its hash matches its contents and the row before it records the hash it claims. */
  verified: boolean;
}

export interface ReportApproval {
  approver: string;
  verdict: 'approve' | 'deny';
  stage: 'request' | 'extension';
  at: string;
  reason?: string;
}

/** One just-in-time request of the period and the grant it became (when it did). */
export interface ReportGrant {
  requestId: string;
  requester: string;
  entitlementId: string;
  title: string;
  systemId: string;
  status: string;
  outcome: string;
  reason: string;
  ticket?: string;
  submittedAt: string;
  grantedAt?: string;
  endedAt?: string;
  /** Asked for, plus extensions, in seconds. */
  durationSeconds: number;
  /** Held from grant to end (or to the report's time while still active). */
  heldSeconds?: number;
  endedBy?: string;
  endReason?: string;
  /** What the cloud answered when the revocation was verified. */
  revocationProof?: string;
  approvals: ReportApproval[];
  audit: ReportAuditRow[];
}

/** A decision the person made on someone else's request. */
export interface ReportDecisionGiven extends ReportApproval {
  requestId: string;
  requester: string;
  entitlementId: string;
}

export interface SubjectFindings {
  systemId: string;
  identityId: string;
  name: string;
  scored: boolean;
  pci?: { score: number; band: string; ceiling: number; contributors: PciContributor[]; ifTopRemoved: number };
  findings: Pick<Finding, 'id' | 'kind' | 'severity' | 'title' | 'evidence' | 'suppressed'>[];
}

export interface ReportPciPoint {
  systemId: string;
  identityId: string;
  day: string;
  pci: number;
}

export interface ReportCleanupItem {
  runId: string;
  systemId: string;
  plannedAt: string;
  mode: string;
  change: string;
  object: string;
  reason: string;
  actions: number;
  /** removed, kept, snoozed, restored, … or `planned` while undecided. */
  outcome: string;
  outcomeAt?: string;
  decidedBy?: string;
  restoredBy?: string;
  restoredAt?: string;
}

/** An anomaly as the report shows it: suppressed ones stay listed, with who suppressed them and why. */
export interface ReportAnomaly extends Anomaly {
  /** `until 2027-01-01 by ada@example.com: planned migration`, when a suppression covers it. */
  suppressed?: string;
}

/** Anomalies come from the anomaly store when this deployment has one; otherwise the section says why not. */
export interface ReportAnomalies extends Capped<ReportAnomaly> {
  unavailable?: string;
}

export interface UsageTimeline {
  /** Days with calls or denied attempts, in order; a day not listed had none. */
  days: { day: string; calls: number; denied: number }[];
  /** Why usage is only partly known, one line each (no snapshot, window shorter than the period). */
  notes: string[];
}

export interface IdentityReportContent {
  /** What was asked for, as typed. */
  asked: string;
  /** The person the report is about, when it is about a person. */
  person?: string;
  subjects: ReportSubject[];
  systems: string[];
  /** UTC days, both included. */
  period: { from: string; to: string; days: number };
  generatedAt: string;
  requestedBy: string;
  permissions: SubjectPermissions[];
  usage: UsageTimeline;
  grants: Capped<ReportGrant>;
  /** Decisions the person made on others' requests (person reports only). */
  decisionsGiven?: Capped<ReportDecisionGiven>;
  findings: SubjectFindings[];
  pciHistory: Capped<ReportPciPoint>;
  anomalies: ReportAnomalies;
  cleanup: Capped<ReportCleanupItem>;
  /** Whether the whole audit log verified when the report was made, in one line. */
  auditChain: string;
}

/** The report's days, checked: a whole number from 1 to 365; absent gives 90. */
export function reportDays(days: number | undefined): number {
  if (days === undefined) return REPORT_DAYS.fallback;
  if (!Number.isInteger(days) || days < REPORT_DAYS.min || days > REPORT_DAYS.max)
    throw new DomainError(
      ErrorCode.ReportInvalid,
      `A report covers ${REPORT_DAYS.min} to ${REPORT_DAYS.max} days (whole days), not ${String(days).slice(0, 20)}.`,
    );
  return days;
}

/** The period ending on `at`'s UTC day, `days` long, both ends included. */
export function reportPeriod(at: string, days: number): { from: string; to: string; days: number } {
  const end = Date.parse(at);
  if (!Number.isFinite(end)) throw new DomainError(ErrorCode.ReportInvalid, `"${at.slice(0, 40)}" is not a time.`);
  const to = new Date(end).toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to, days };
}

/** Whether the text names a person (an e-mail address) rather than a cloud identity (ARN, id, member, name). */
export function namesPerson(identity: string): boolean {
  return /^[^\s@:/]+@[^\s@:/]+\.[^\s@:/]+$/.test(identity.trim());
}

/**
 * Whether a report is about the asker themselves: they named their own e-mail. A cloud identity's
 * report is never "their own" here, even one mapped to them: who may see what else is the caller's rule.
 */
export function reportIsAboutAsker(request: { identity: string }, email: string): boolean {
  return namesPerson(request.identity) && request.identity.trim().toLowerCase() === email.trim().toLowerCase();
}

/** What the report builder takes (activities/report/identity-report.ts); chat and the CLI ask with it. */
export interface IdentityReportRequest {
  /** A person's e-mail, or a cloud identity's id or name (ARN, role name, object id, member). */
  identity: string;
  /** Only this system's identities. */
  systemId?: string;
  /** 1 to 365; the period ends on `at`'s UTC day. */
  days: number;
  /** When the report is made (ISO): the period's end and the header's time. */
  at: string;
  /** Who asked (e-mail, or `cli:<user>`), written in the header and the audit log. */
  requestedBy: string;
}

/** What the report builder gives: a self-contained HTML file and whom it is about. */
export interface IdentityReportFile {
  filename: string;
  mimeType: 'text/html';
  body: string;
  title: string;
  subjects: { systemId: string; identityId: string; name: string }[];
  /** The person (e-mail) the report is about, when the identity maps to one. */
  person?: string;
}
