import type { Anomaly } from '../../domain/anomaly/model';
import { AuditAction } from '../../domain/audit';
import { DomainError } from '../../domain/errors';
import { assessIdentity, heldRisk, isHighRisk, isRisky, riskOptions } from '../../domain/findings/assess';
import type { ActionCatalogue } from '../../domain/inventory/model';
import type { IdentityView } from '../../domain/inventory/view';
import type { Policy } from '../../domain/policy/schema';
import {
  type IdentityReportFile,
  type IdentityReportRequest,
  REPORT_SECTION_ROWS,
  REPORT_TOP_UNUSED,
  reportDays,
  reportIsAboutAsker,
  reportPeriod,
  type Capped,
  type IdentityReportContent,
  type ReportAnomalies,
  type ReportAnomaly,
  type ReportCleanupItem,
  type ReportGrant,
  type ReportSubject,
  type SubjectFindings,
  type SubjectPermissions,
} from '../../domain/report/content';
import { renderIdentityReport } from '../../bot/render/report/identity-report';
import { assessmentContext, findingsCatalogue } from '../findings/assess-run';
import { chainHash, GENESIS_HASH } from '../store/audit-chain';
import type { FindingsStore } from '../store/findings/store';
import type { InventoryStore } from '../store/inventory/store';
import type { ChainedAuditRow, GrantRow, ReportStore } from '../store/report/store';
import type { AuditEntry } from '../store/types';
import { principalKeys, resolveSubjects } from './subjects';

/**
 * The forensic identity report (issue 14, item 5): one person's or one cloud identity's permissions
 * granted vs used, usage timeline, every just-in-time grant with its approvals and audit-chain hashes,
 * findings and PCI, anomalies and cleanup history over a period, as one self-contained HTML file.
 * Chat (`/access report`) and the CLI (`least report`) both call `buildIdentityReport`; who may ask for
 * whose report is theirs to decide (`reportIsAboutAsker` tells them whether it is the asker's own).
 */

export type { IdentityReportFile, IdentityReportRequest } from '../../domain/report/content';

/** An anomaly as the anomaly store gives it, with the suppression that covered it when found. */
export type ReadAnomaly = Anomaly & {
  suppressed?: boolean;
  suppression?: { reason: string; by: string; until: string };
};

/** The anomaly store's read for one identity and a span of UTC days (activities/store/anomaly/store.ts). */
export interface AnomalyReader {
  forIdentity(systemId: string, identityId: string, fromDay: string, toDay: string): Promise<ReadAnomaly[]>;
}

export interface ReportDeps {
  /** PostgreSQL's stores (PgStore has them all); `anomalies` when this deployment detects them. */
  store: { inventory: InventoryStore; findings: FindingsStore; reports: ReportStore; anomalies?: AnomalyReader };
  policy: () => Policy;
  /** Where anomalies come from instead of `store.anomalies`; with neither, the section says so. */
  anomalies?: AnomalyReader;
  /** Where made and refused reports are recorded; absent: the caller audits. */
  audit?: (entry: AuditEntry) => Promise<void>;
}

export { reportIsAboutAsker };

/** Audit rows read for one report's grants at most; beyond it the report says the list was cut. */
const AUDIT_ROWS = 10_000;

export async function buildIdentityReport(
  deps: ReportDeps,
  request: IdentityReportRequest,
): Promise<IdentityReportFile> {
  try {
    const content = await gather(deps, request);
    const rendered = renderIdentityReport(content);
    const file: IdentityReportFile = {
      filename: filenameOf(request.identity, content.period.to),
      mimeType: 'text/html',
      body: rendered.html,
      title: rendered.title,
      subjects: content.subjects.map(({ systemId, identityId, name }) => ({ systemId, identityId, name })),
      ...(content.person ? { person: content.person } : {}),
    };
    await deps.audit?.({
      actor: request.requestedBy,
      action: AuditAction.ReportGenerated,
      detail: {
        identity: request.identity.slice(0, 200),
        ...(content.person ? { person: content.person } : {}),
        subjects: file.subjects.map((s) => `${s.systemId}:${s.identityId}`).slice(0, 50),
        from: content.period.from,
        to: content.period.to,
        bytes: Buffer.byteLength(file.body),
      },
    });
    return file;
  } catch (error) {
    if (error instanceof DomainError)
      await deps.audit?.({
        actor: request.requestedBy,
        action: AuditAction.ReportRefused,
        detail: { identity: request.identity.slice(0, 200), code: error.code, message: error.message },
      });
    throw error;
  }
}

/** Everything the report shows, read with bounded queries (activities/store/report/store.ts). */
export async function gather(deps: ReportDeps, request: IdentityReportRequest): Promise<IdentityReportContent> {
  const days = reportDays(request.days);
  const period = reportPeriod(request.at, days);
  const policy = deps.policy();
  const { reports } = deps.store;
  const { person, subjects } = await resolveSubjects(reports, policy, request.identity, request.systemId);
  const instants = { from: `${period.from}T00:00:00.000Z`, to: endOfDay(period.to) };

  const perSubject = await Promise.all(subjects.map((s) => subjectFacts(deps, policy, s, period, request.at)));
  const grantRows = await reports.grants(
    person ? { requester: person } : { principalKeys: subjects.flatMap(principalKeys) },
    instants,
    REPORT_SECTION_ROWS,
  );
  const requestIds = grantRows.rows.map((g) => g.requestId);
  const [decisions, audit, decisionsGiven, pciHistory, head] = await Promise.all([
    reports.decisions(requestIds),
    reports.auditOf(requestIds, AUDIT_ROWS),
    person ? reports.decisionsGiven(person, instants, REPORT_SECTION_ROWS) : Promise.resolve(undefined),
    reports.pciHistory(subjects, period, REPORT_SECTION_ROWS),
    reports.auditHead(),
  ]);
  const auditByRequest = new Map<string, ChainedAuditRow[]>();
  for (const row of audit) {
    const list = auditByRequest.get(row.requestId!);
    if (list) list.push(row);
    else auditByRequest.set(row.requestId!, [row]);
  }
  const grants: Capped<ReportGrant> = {
    total: grantRows.total,
    rows: grantRows.rows.map((g) =>
      reportGrant(g, decisions.get(g.requestId), auditByRequest.get(g.requestId), request.at),
    ),
  };
  const broken = grants.rows.reduce((n, g) => n + g.audit.filter((a) => !a.verified).length, 0);
  const cut = audit.length >= AUDIT_ROWS ? ` Audit rows were cut at ${AUDIT_ROWS.toLocaleString('en-US')}.` : '';
  return {
    asked: request.identity.trim(),
    ...(person ? { person } : {}),
    subjects,
    systems: [...new Set(subjects.map((s) => s.systemId))],
    period,
    generatedAt: new Date(Date.parse(request.at)).toISOString(),
    requestedBy: request.requestedBy,
    permissions: perSubject.flatMap((f) => (f.permissions ? [f.permissions] : [])),
    usage: {
      days: mergeDays(perSubject.flatMap((f) => f.usage)),
      notes: perSubject.flatMap((f) => f.usageNotes),
    },
    grants,
    ...(decisionsGiven ? { decisionsGiven } : {}),
    findings: perSubject.flatMap((f) => (f.findings ? [f.findings] : [])),
    pciHistory,
    anomalies: mergeAnomalies(
      deps,
      perSubject.map((f) => f.anomalies),
    ),
    cleanup: mergeCapped(perSubject.map((f) => f.cleanup)),
    auditChain:
      broken > 0
        ? `${broken} audit row(s) listed here do NOT verify: their hash or their link to the row before is wrong. Run \`least verify-audit\` for the whole chain (head at row ${head}).${cut}`
        : `Every audit row listed here verifies (hash and link to the row before). The audit log's head is row ${head}; \`least verify-audit\` checks the whole chain.${cut}`,
  };
}

interface SubjectFacts {
  permissions?: SubjectPermissions;
  findings?: SubjectFindings;
  usage: { day: string; calls: number; denied: number }[];
  usageNotes: string[];
  cleanup: Capped<ReportCleanupItem>;
  anomalies: Capped<ReportAnomaly> | undefined;
}

async function subjectFacts(
  deps: ReportDeps,
  policy: Policy,
  subject: ReportSubject,
  period: { from: string; to: string },
  at: string,
): Promise<SubjectFacts> {
  const { inventory, findings, reports } = deps.store;
  const [view, usage, cleanup, anomalies] = await Promise.all([
    inventory.identityView(subject.systemId, subject.identityId),
    reports.usagePerDay(subject.systemId, subject.identityId, period),
    reports.cleanupHistory(
      subject,
      { from: `${period.from}T00:00:00.000Z`, to: endOfDay(period.to) },
      REPORT_SECTION_ROWS,
    ),
    anomalySource(deps)?.forIdentity(subject.systemId, subject.identityId, period.from, period.to),
  ]);
  const usageNotes: string[] = [];
  if (view) {
    const windowFrom = view.run.windowFrom.slice(0, 10);
    if (windowFrom > period.from)
      usageNotes.push(
        `${subject.name} (${subject.systemId}): usage before ${windowFrom} is not in the current inventory snapshot, whose window starts then.`,
      );
  }
  const system = policy.authorizationSystems.find((s) => s.id === subject.systemId);
  let judged: Pick<SubjectFacts, 'permissions' | 'findings'> = {};
  if (view && system) {
    const catalogue = await findingsCatalogue(system.cloud, () => inventory.runCatalogue(view.run.runId, system.cloud));
    const stored = await findings.liveSuppressions(at, subject.systemId);
    const assessment = assessIdentity(view, assessmentContext(policy, system, catalogue, stored, at)(view));
    judged = {
      permissions: permissionsOf(view, system.cloud, catalogue),
      findings: {
        systemId: subject.systemId,
        identityId: subject.identityId,
        name: subject.name,
        scored: assessment.scored,
        ...(assessment.pci
          ? {
              pci: {
                score: assessment.pci.score,
                band: assessment.pci.band,
                ceiling: assessment.pci.ceiling,
                contributors: assessment.pci.contributors,
                ifTopRemoved: assessment.pci.ifTopRemoved,
              },
            }
          : {}),
        findings: assessment.findings.map(({ id, kind, severity, title, evidence, suppressed }) => ({
          id,
          kind,
          severity,
          title,
          evidence,
          ...(suppressed ? { suppressed } : {}),
        })),
      },
    };
  }
  return {
    ...judged,
    usage,
    usageNotes,
    cleanup: {
      total: cleanup.total,
      rows: cleanup.rows.map((c) => ({
        runId: c.runId,
        systemId: c.systemId,
        plannedAt: c.plannedAt,
        mode: c.mode,
        change: c.change,
        object: c.objectName,
        reason: c.reason,
        actions: c.actions,
        outcome: c.outcome ?? 'planned',
        ...(c.outcomeAt ? { outcomeAt: c.outcomeAt } : {}),
        ...(c.decidedBy ? { decidedBy: c.decidedBy } : {}),
        ...(c.restoredBy ? { restoredBy: c.restoredBy } : {}),
        ...(c.restoredAt ? { restoredAt: c.restoredAt } : {}),
      })),
    },
    anomalies: anomalies && {
      rows: anomalies.slice(0, REPORT_SECTION_ROWS).map(({ suppressed, suppression, ...anomaly }) => ({
        ...anomaly,
        ...(suppressed
          ? {
              suppressed: suppression
                ? `until ${suppression.until.slice(0, 10)} by ${suppression.by}: ${suppression.reason}`
                : 'suppressed',
            }
          : {}),
      })),
      total: anomalies.length,
    },
  };
}

function permissionsOf(
  view: IdentityView,
  cloud: ActionCatalogue['cloud'],
  catalogue: ActionCatalogue,
): SubjectPermissions {
  const { risk, categories } = heldRisk(view.granted, riskOptions({ cloud, catalogue }));
  let used = 0;
  let unused = 0;
  let highRisk = 0;
  const unusedRisky: { action: string; categories: SubjectPermissions['topUnusedHighRisk'][number]['categories'] }[] =
    [];
  view.granted.forEach((g, k) => {
    if (g.verdict === 'used') used += 1;
    else if (g.verdict === 'unused') unused += 1;
    const own = categories[k] ?? [];
    if (!isRisky(g.action, own, risk)) return;
    highRisk += 1;
    if (g.verdict === 'unused')
      unusedRisky.push({
        action: g.action,
        categories: [
          ...own.filter(isHighRisk),
          ...(risk.escalations.some((e) => e.actions.includes(g.action)) && !own.includes('PrivilegeEscalation')
            ? (['PrivilegeEscalation'] as const)
            : []),
        ],
      });
  });
  return {
    systemId: view.identity.systemId,
    identityId: view.identity.id,
    name: view.identity.name,
    window: { from: view.run.windowFrom, to: view.run.windowTo },
    granted: view.granted.length,
    used,
    unused,
    unknown: view.granted.length - used - unused,
    highRisk,
    unusedHighRisk: unusedRisky.length,
    topUnusedHighRisk: unusedRisky.slice(0, REPORT_TOP_UNUSED),
  };
}

function reportGrant(
  row: GrantRow,
  decisions: ReportGrant['approvals'] | undefined,
  audit: ChainedAuditRow[] | undefined,
  at: string,
): ReportGrant {
  const { state, lease } = row;
  const grantedAt = lease?.grantedAt ?? state.grantedAt;
  const endedAt = lease?.revokedAt ?? state.endedAt;
  const proof = lease?.receipt ?? state.revocationReceipt;
  return {
    requestId: row.requestId,
    requester: row.requester,
    entitlementId: row.entitlementId,
    title: state.rules?.title ?? row.entitlementId,
    systemId: row.systemId,
    status: row.status,
    outcome: state.outcome,
    reason: state.request?.reason ?? '',
    ...(state.request?.ticket ? { ticket: state.request.ticket } : {}),
    submittedAt: row.submittedAt,
    ...(grantedAt ? { grantedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    durationSeconds: (state.request?.durationSeconds ?? 0) + (state.extendedSeconds ?? 0),
    ...(grantedAt ? { heldSeconds: Math.max(0, (Date.parse(endedAt ?? at) - Date.parse(grantedAt)) / 1000) } : {}),
    ...(state.endedBy ? { endedBy: state.endedBy } : {}),
    ...(state.endReason ? { endReason: state.endReason } : {}),
    ...(proof ? { revocationProof: proof } : {}),
    approvals: (decisions ?? state.decisions ?? []).map((d) => ({
      approver: d.approver,
      verdict: d.verdict,
      stage: d.stage,
      at: d.at,
      ...(d.reason ? { reason: d.reason } : {}),
    })),
    audit: (audit ?? []).map((a) => ({
      seq: a.seq,
      at: a.at,
      actor: a.actor,
      action: a.action,
      hash: a.hash,
      prevHash: a.prevHash,
      verified: chainHash(a) === a.hash && (a.seq === 1 ? a.prevHash === GENESIS_HASH : a.previousHash === a.prevHash),
    })),
  };
}

function mergeDays(days: readonly { day: string; calls: number; denied: number }[]) {
  const byDay = new Map<string, { day: string; calls: number; denied: number }>();
  for (const d of days) {
    const seen = byDay.get(d.day);
    if (seen) {
      seen.calls += d.calls;
      seen.denied += d.denied;
    } else byDay.set(d.day, { ...d });
  }
  return [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

function mergeCapped<T>(lists: readonly Capped<T>[]): Capped<T> {
  return {
    rows: lists.flatMap((l) => l.rows).slice(0, REPORT_SECTION_ROWS),
    total: lists.reduce((n, l) => n + l.total, 0),
  };
}

function anomalySource(deps: ReportDeps): AnomalyReader | undefined {
  return deps.anomalies ?? deps.store.anomalies;
}

function mergeAnomalies(deps: ReportDeps, lists: readonly (Capped<ReportAnomaly> | undefined)[]): ReportAnomalies {
  if (!anomalySource(deps)) return { rows: [], total: 0, unavailable: 'Anomaly detection is not available here.' };
  const merged = mergeCapped(lists.filter((l): l is Capped<ReportAnomaly> => l !== undefined));
  merged.rows.sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
  return merged;
}

function endOfDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}

/** `least-report-ada-example.com-2026-12-01.html`: the asked name made safe for any file system. */
export function filenameOf(identity: string, day: string): string {
  const slug = identity
    .trim()
    .toLowerCase()
    .replace(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:/, '')
    .replace(/[^a-z0-9._@-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return `least-report-${slug || 'identity'}-${day}.html`;
}
