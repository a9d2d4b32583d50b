import { z } from 'zod';
import { AuditAction } from '../domain/audit';
import type { CleanupOutcome } from '../domain/cleanup/model';
import { findingsAccess, maySeeSystem } from '../domain/findings/visibility';
import type { ExternalGroups } from '../domain/policy/evaluate';
import type { Policy } from '../domain/policy/schema';
import type { RequestState } from '../domain/request';
import type { AccessClient } from './access-client';
import type { CleanupReader, CleanupRunRecordView } from './cleanup-client';
import type { FindingsClient } from './findings-client';
import { runFindings, type FindingsResult } from './findings-flow';
import { DIGEST_VALUE_MAX, DigestAction, SYSTEM_ID, type DigestTarget } from './render/digest-buttons';

/**
 * What a digest's buttons open, the same on Slack and Teams: a system's findings, the clicker's
 * approvals waiting, a system's latest cleanup run. Each is asked again for the clicker, with the
 * clicker's own visibility (the button carries ids only); a refusal is audited like any other.
 */

export const DIGEST_FINDINGS_NOT_SET_UP = 'Findings are not set up on this Least server.';
export const DIGEST_CLEANUP_NOT_SET_UP = 'Cleanup runs are not readable on this Least server.';

/** The cleanup runs as the store keeps them (activities/store/cleanup `CleanupStore`). */
export type CleanupRunsReader = Pick<CleanupReader, 'runs' | 'items'>;

const systemTarget = z.strictObject({ system: z.string().regex(SYSTEM_ID) });
const SCHEMA: Record<DigestAction, z.ZodType<DigestTarget>> = {
  [DigestAction.Findings]: systemTarget,
  [DigestAction.Approvals]: z.strictObject({}),
  [DigestAction.Cleanup]: systemTarget,
};

/** A Slack value (a string) or Teams data (an object) read back, or undefined when it is not one of ours. */
export function parseDigestTarget(action: DigestAction, value: unknown): DigestTarget | undefined {
  let data: unknown = value;
  if (typeof value === 'string') {
    if (value.length > DIGEST_VALUE_MAX) return undefined;
    try {
      data = JSON.parse(value);
    } catch {
      return undefined;
    }
  } else if (JSON.stringify(value ?? null).length > DIGEST_VALUE_MAX) return undefined;
  const parsed = SCHEMA[action].safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/** Findings: the summary of one system, or the FindingsClient's refusal (audited there). */
export function digestFindings(findings: FindingsClient, systemId: string, person: string): Promise<FindingsResult> {
  return runFindings(findings, { kind: 'findings', systemId }, person);
}

/** Approvals waiting: the clicker's own, as `/access approvals` lists them. */
export function digestApprovals(access: AccessClient, person: string): Promise<RequestState[]> {
  return access.awaitingDecision(person);
}

/** A run's items by what happened to them; `pending`: no outcome yet. */
export type CleanupRunCounts = Record<CleanupOutcome | 'pending', number>;

export interface LatestCleanupView {
  run: CleanupRunRecordView;
  items: number;
  counts: CleanupRunCounts;
}

export type LatestCleanup =
  { kind: 'run'; view: LatestCleanupView } | { kind: 'none'; systemId: string } | { kind: 'refused'; message: string };

export interface LatestCleanupDeps {
  runs: CleanupRunsReader;
  policy: () => Policy;
  externalGroups: () => Promise<ExternalGroups>;
  access: Pick<AccessClient, 'refused'>;
}

/**
 * The latest cleanup run of a system, for those who may see the system's findings (its owners, its
 * approvers, security viewers, admins): what it removed, kept and restored. Others are refused and audited.
 */
export async function latestCleanup(
  deps: LatestCleanupDeps,
  person: string,
  systemId: string,
  platform: 'slack' | 'teams',
): Promise<LatestCleanup> {
  const policy = deps.policy();
  if (!policy.authorizationSystems.some((s) => s.id === systemId))
    return { kind: 'refused', message: `There is no authorization system "${systemId}".` };
  const access = findingsAccess(policy, person, await deps.externalGroups());
  if (!maySeeSystem(access, systemId)) {
    await deps.access.refused(person, AuditAction.CleanupViewRefused, { platform, system: systemId, via: 'digest' });
    return {
      kind: 'refused',
      message: `You may not see the cleanup runs of ${systemId}: only its owners, its approvers and security viewers may.`,
    };
  }
  const [run] = await deps.runs.runs({ systemId, limit: 1 });
  if (!run) return { kind: 'none', systemId };
  const items = await deps.runs.items(run.runId);
  const counts: CleanupRunCounts = {
    removed: 0,
    staged: 0,
    kept: 0,
    snoozed: 0,
    reported: 0,
    skipped: 0,
    replanned: 0,
    failed: 0,
    restored: 0,
    pending: 0,
  };
  for (const item of items) counts[item.outcome ?? 'pending'] += 1;
  return { kind: 'run', view: { run, items: items.length, counts } };
}

/** The run in one line of plain words, the same on both platforms (run and system ids are policy-made). */
export function latestCleanupWords(view: LatestCleanupView): { title: string; lines: string[] } {
  const c = view.counts;
  const parts = [
    `${c.removed + c.staged} removed`,
    `${c.kept + c.snoozed} kept`,
    `${c.restored} restored`,
    ...(c.failed ? [`${c.failed} failed`] : []),
    ...(c.reported ? [`${c.reported} reported only`] : []),
    ...(c.pending ? [`${c.pending} waiting for an answer`] : []),
  ];
  return {
    title: `Latest cleanup run on ${view.run.systemId}`,
    lines: [
      `Run ${view.run.runId} (${view.run.status}): ${view.items} change${view.items === 1 ? '' : 's'} planned`,
      parts.join(' · '),
    ],
  };
}
