import type pg from 'pg';
import { AuditAction } from '../../../domain/audit';
import type {
  AccessTotals,
  BreakGlassUse,
  CleanupRunFacts,
  CleanupTotals,
  DigestFacts,
  EntitlementActivity,
  PciPoint,
  RevocationTrouble,
  SystemFindingsFacts,
  WaitingApproval,
} from '../../../domain/digest/content';
import type { DigestPeriod } from '../../../domain/digest/period';

/** Rows read per list: the digest shows ten and counts the rest, which the queries count in full. */
export const DIGEST_READ_LIMIT = 200;

/** A digest's post for one period (`digest_posts`, migration 012). */
export interface DigestPostRecord {
  digestId: string;
  firstDay: string;
  lastDay: string;
  periodFrom: string;
  periodTo: string;
  platform: 'slack' | 'teams';
  channel: string;
  messageId: string;
  /** Titles of the charts sent as pictures, and of those told in words only. */
  charts: { pictures: string[]; words: string[] };
}

type Window = Pick<DigestPeriod, 'from' | 'to'>;

/**
 * What a digest reads of a period, and what it posted. Every query is parameterised and bounded:
 * lists come back with at most DIGEST_READ_LIMIT rows and their full count (a window count), so a
 * period of 100,000 requests reads 200 of them. Times are compared as instants; days are the digest's
 * zone's, as PostgreSQL's own time zone database reads them (`AT TIME ZONE`).
 */
export class DigestStore {
  constructor(private readonly pool: pg.Pool) {}

  async access(
    period: DigestPeriod,
    chart: { from: string },
    limit = DIGEST_READ_LIMIT,
  ): Promise<NonNullable<DigestFacts['access']>> {
    const [entitlements, grantsPerDay, revocations, waiting, breakGlass] = await Promise.all([
      this.entitlements(period, limit),
      this.grantsPerDay({ from: chart.from, to: period.to }, period.timeZone),
      this.revocations(period, limit),
      this.waiting(period.at, limit),
      this.breakGlass(period, limit),
    ]);
    return { ...entitlements, grantsPerDay, revocations, waiting, breakGlass };
  }

  /** Requests, grants, denials, expiries and unanswered requests per entitlement, from the audit log. */
  private async entitlements(
    period: Window,
    limit: number,
  ): Promise<{ totals: AccessTotals; entitlements: { rows: EntitlementActivity[]; total: number } }> {
    const result = await this.pool.query<{
      entitlement_id: string;
      title: string | null;
      requested: number;
      granted: number;
      denied: number;
      expired: number;
      unanswered: number;
      total: number;
      all_requested: number;
      all_granted: number;
      all_denied: number;
      all_expired: number;
      all_unanswered: number;
    }>(
      `WITH events AS (
         SELECT a.action, a.detail, r.entitlement_id, r.state -> 'rules' ->> 'title' AS title
         FROM audit_log a JOIN requests r ON r.request_id = a.request_id
         WHERE a.action = ANY($3::text[]) AND a.at >= $1::timestamptz AND a.at < $2::timestamptz
       ), per AS (
         SELECT entitlement_id, max(title) AS title,
                count(*) FILTER (WHERE action = $4)::int AS requested,
                count(*) FILTER (WHERE action = $5)::int AS granted,
                count(*) FILTER (WHERE action = $6)::int AS denied,
                count(*) FILTER (WHERE action = $7 AND detail ->> 'endedBy' = 'expiry')::int AS expired,
                count(*) FILTER (WHERE action = $8)::int AS unanswered
         FROM events GROUP BY entitlement_id
       )
       SELECT per.*, count(*) OVER ()::int AS total,
              (sum(requested) OVER ())::int AS all_requested, (sum(granted) OVER ())::int AS all_granted,
              (sum(denied) OVER ())::int AS all_denied, (sum(expired) OVER ())::int AS all_expired,
              (sum(unanswered) OVER ())::int AS all_unanswered
       FROM per
       WHERE requested + granted + denied + expired + unanswered > 0
       ORDER BY granted DESC, requested DESC, entitlement_id
       LIMIT $9`,
      [
        period.from,
        period.to,
        [
          AuditAction.RequestSubmitted,
          AuditAction.GrantApplied,
          AuditAction.RequestDenied,
          AuditAction.GrantRevoked,
          AuditAction.RequestExpired,
        ],
        AuditAction.RequestSubmitted,
        AuditAction.GrantApplied,
        AuditAction.RequestDenied,
        AuditAction.GrantRevoked,
        AuditAction.RequestExpired,
        limit,
      ],
    );
    const first = result.rows[0];
    return {
      totals: {
        requested: first?.all_requested ?? 0,
        granted: first?.all_granted ?? 0,
        denied: first?.all_denied ?? 0,
        expired: first?.all_expired ?? 0,
        unanswered: first?.all_unanswered ?? 0,
      },
      entitlements: {
        rows: result.rows.map((row) => ({
          entitlementId: row.entitlement_id,
          title: row.title ?? row.entitlement_id,
          requested: row.requested,
          granted: row.granted,
          denied: row.denied,
          expired: row.expired,
          unanswered: row.unanswered,
        })),
        total: first?.total ?? 0,
      },
    };
  }

  /** Grants per calendar day in the zone; days without grants are not listed. */
  private async grantsPerDay(window: Window, timeZone: string): Promise<{ day: string; grants: number }[]> {
    const result = await this.pool.query<{ day: string; grants: number }>(
      `SELECT to_char(a.at AT TIME ZONE $3, 'YYYY-MM-DD') AS day, count(*)::int AS grants
       FROM audit_log a
       WHERE a.action = $4 AND a.at >= $1::timestamptz AND a.at < $2::timestamptz
       GROUP BY 1 ORDER BY 1`,
      [window.from, window.to, timeZone, AuditAction.GrantApplied],
    );
    return result.rows;
  }

  /** Grants whose revocation had to be retried in the period; unresolved first. */
  private async revocations(
    period: Window,
    limit: number,
  ): Promise<{ rows: RevocationTrouble[]; total: number; unresolved: number }> {
    const result = await this.pool.query<{
      request_id: string;
      entitlement_id: string;
      title: string | null;
      requester: string;
      attempts: number;
      last_error: string | null;
      resolved: boolean;
      total: number;
      unresolved: number;
    }>(
      `WITH troubled AS (
         SELECT a.request_id, count(*)::int AS retries,
                max(coalesce((a.detail ->> 'attempt')::int, 1)) AS attempts,
                (array_agg(a.detail ->> 'message' ORDER BY a.seq DESC))[1] AS last_error
         FROM audit_log a
         WHERE a.action = $3 AND a.at >= $1::timestamptz AND a.at < $2::timestamptz
         GROUP BY a.request_id
       ), judged AS (
         SELECT t.*, r.entitlement_id, r.state -> 'rules' ->> 'title' AS title, r.requester,
                EXISTS (SELECT 1 FROM audit_log g
                        WHERE g.request_id = t.request_id AND g.action = $4 AND g.at < $2::timestamptz) AS resolved
         FROM troubled t JOIN requests r ON r.request_id = t.request_id
       )
       SELECT request_id, entitlement_id, title, requester, attempts, last_error, resolved,
              count(*) OVER ()::int AS total, (count(*) FILTER (WHERE NOT resolved) OVER ())::int AS unresolved
       FROM judged
       ORDER BY resolved, attempts DESC, request_id
       LIMIT $5`,
      [period.from, period.to, AuditAction.GrantRevokeRetrying, AuditAction.GrantRevoked, limit],
    );
    return {
      rows: result.rows.map((row) => ({
        requestId: row.request_id,
        entitlementId: row.entitlement_id,
        title: row.title ?? row.entitlement_id,
        requester: row.requester,
        attempts: row.attempts,
        ...(row.last_error ? { lastError: row.last_error } : {}),
        resolved: row.resolved,
      })),
      total: result.rows[0]?.total ?? 0,
      unresolved: result.rows[0]?.unresolved ?? 0,
    };
  }

  /** Requests waiting for a decision at the digest's time, longest waiting first. */
  private async waiting(at: string, limit: number): Promise<{ rows: WaitingApproval[]; total: number }> {
    const result = await this.pool.query<{
      request_id: string;
      entitlement_id: string;
      title: string | null;
      requester: string;
      submitted_at: Date;
      total: number;
    }>(
      `SELECT request_id, entitlement_id, state -> 'rules' ->> 'title' AS title, requester, submitted_at,
              count(*) OVER ()::int AS total
       FROM requests
       WHERE status = 'pending' AND submitted_at < $1::timestamptz
       ORDER BY submitted_at, request_id
       LIMIT $2`,
      [at, limit],
    );
    return {
      rows: result.rows.map((row) => ({
        requestId: row.request_id,
        entitlementId: row.entitlement_id,
        title: row.title ?? row.entitlement_id,
        requester: row.requester,
        submittedAt: row.submitted_at.toISOString(),
      })),
      total: result.rows[0]?.total ?? 0,
    };
  }

  /** Break-glass requests made in the period; those still without their review first. */
  private async breakGlass(
    period: Window,
    limit: number,
  ): Promise<{ rows: BreakGlassUse[]; total: number; unreviewed: number }> {
    const result = await this.pool.query<{
      request_id: string;
      entitlement_id: string;
      title: string | null;
      requester: string;
      submitted_at: Date;
      reviewed: boolean;
      total: number;
      unreviewed: number;
    }>(
      `WITH uses AS (
         SELECT request_id, entitlement_id, state -> 'rules' ->> 'title' AS title, requester, submitted_at,
                (state ->> 'reviewedBy') IS NOT NULL AS reviewed
         FROM requests
         WHERE submitted_at >= $1::timestamptz AND submitted_at < $2::timestamptz
           AND (state ->> 'outcome' = 'break-glass' OR state -> 'request' ->> 'breakGlass' = 'true')
       )
       SELECT uses.*, count(*) OVER ()::int AS total, (count(*) FILTER (WHERE NOT reviewed) OVER ())::int AS unreviewed
       FROM uses
       ORDER BY reviewed, submitted_at DESC, request_id
       LIMIT $3`,
      [period.from, period.to, limit],
    );
    return {
      rows: result.rows.map((row) => ({
        requestId: row.request_id,
        entitlementId: row.entitlement_id,
        title: row.title ?? row.entitlement_id,
        requester: row.requester,
        at: row.submitted_at.toISOString(),
        reviewed: row.reviewed,
      })),
      total: result.rows[0]?.total ?? 0,
      unreviewed: result.rows[0]?.unreviewed ?? 0,
    };
  }

  /**
   * Each system's PCI and open findings from its last assessment before the period and before its
   * end, and its daily PCI from `trendFrom` to the period's last day.
   */
  async findings(
    systemIds: readonly string[],
    period: DigestPeriod,
    trendFrom: string,
  ): Promise<NonNullable<DigestFacts['findings']>> {
    if (systemIds.length === 0) return { systems: [], trend: [] };
    type Summary = { counts?: Record<string, number>; severities?: Record<string, number> };
    const assessed = await this.pool.query<{
      system_id: string;
      pci_to: number | null;
      summary_to: Summary | null;
      pci_from: number | null;
      summary_from: Summary | null;
    }>(
      `SELECT s.system_id, now_.pci AS pci_to, now_.summary AS summary_to,
              then_.pci AS pci_from, then_.summary AS summary_from
       FROM unnest($1::text[]) AS s(system_id)
       LEFT JOIN LATERAL (
         SELECT pci, summary FROM findings_runs f
         WHERE f.system_id = s.system_id AND f.status = 'succeeded' AND f.finished_at < $3::timestamptz
         ORDER BY f.finished_at DESC LIMIT 1) now_ ON true
       LEFT JOIN LATERAL (
         SELECT pci, summary FROM findings_runs f
         WHERE f.system_id = s.system_id AND f.status = 'succeeded' AND f.finished_at < $2::timestamptz
         ORDER BY f.finished_at DESC LIMIT 1) then_ ON true
       ORDER BY s.system_id`,
      [[...systemIds], period.from, period.to],
    );
    const open = (summary: Summary | null): number | undefined =>
      summary ? Object.values(summary.counts ?? {}).reduce((sum, n) => sum + n, 0) : undefined;
    const systems: SystemFindingsFacts[] = assessed.rows.map((row) => {
      const openFrom = open(row.summary_from);
      const openTo = open(row.summary_to);
      const high = row.summary_to
        ? (row.summary_to.severities?.high ?? 0) + (row.summary_to.severities?.critical ?? 0)
        : undefined;
      return {
        systemId: row.system_id,
        ...(row.pci_from !== null ? { pciFrom: row.pci_from } : {}),
        ...(row.pci_to !== null ? { pciTo: row.pci_to } : {}),
        ...(openFrom !== undefined ? { openFrom } : {}),
        ...(openTo !== undefined ? { openTo } : {}),
        ...(high !== undefined ? { highTo: high } : {}),
      };
    });
    const trend = await this.pool.query<{ system_id: string; day: string; pci: number }>(
      `SELECT system_id, to_char(day, 'YYYY-MM-DD') AS day, pci
       FROM findings_pci_history
       WHERE identity_id = '*' AND system_id = ANY($1::text[]) AND day >= $2::date AND day <= $3::date
       ORDER BY system_id, day`,
      [[...systemIds], trendFrom, period.lastDay],
    );
    const points: PciPoint[] = trend.rows.map((row) => ({ systemId: row.system_id, day: row.day, pci: row.pci }));
    return { systems, trend: points };
  }

  /** Cleanup runs that planned, changed, restored or finished anything in the period, newest first. */
  async cleanup(
    systemIds: readonly string[],
    period: Window,
    limit = DIGEST_READ_LIMIT,
  ): Promise<NonNullable<DigestFacts['cleanup']>> {
    const result = await this.pool.query<{
      run_id: string;
      system_id: string;
      mode: 'report' | 'enforce';
      status: string;
      planned_at: Date;
      removed: number;
      kept: number;
      restored: number;
      failed: number;
      total: number;
      all_removed: number;
      all_kept: number;
      all_restored: number;
      all_failed: number;
    }>(
      `WITH runs AS (
         SELECT r.run_id, r.system_id, r.mode, r.status, r.planned_at,
                count(i.item_id) FILTER (WHERE i.outcome = 'removed' AND i.outcome_at >= $1::timestamptz AND i.outcome_at < $2::timestamptz)::int AS removed,
                count(i.item_id) FILTER (WHERE i.outcome = 'kept' AND i.outcome_at >= $1::timestamptz AND i.outcome_at < $2::timestamptz)::int AS kept,
                count(i.item_id) FILTER (WHERE i.restored_at >= $1::timestamptz AND i.restored_at < $2::timestamptz)::int AS restored,
                count(i.item_id) FILTER (WHERE i.outcome = 'failed' AND i.outcome_at >= $1::timestamptz AND i.outcome_at < $2::timestamptz)::int AS failed
         FROM cleanup_runs r LEFT JOIN cleanup_items i ON i.run_id = r.run_id
         WHERE r.system_id = ANY($3::text[]) AND r.planned_at < $2::timestamptz
           AND (r.planned_at >= $1::timestamptz OR r.finished_at >= $1::timestamptz
                OR EXISTS (SELECT 1 FROM cleanup_items x WHERE x.run_id = r.run_id
                           AND ((x.outcome_at >= $1::timestamptz AND x.outcome_at < $2::timestamptz)
                             OR (x.restored_at >= $1::timestamptz AND x.restored_at < $2::timestamptz))))
         GROUP BY r.run_id
       )
       SELECT runs.*, count(*) OVER ()::int AS total,
              (sum(removed) OVER ())::int AS all_removed, (sum(kept) OVER ())::int AS all_kept,
              (sum(restored) OVER ())::int AS all_restored, (sum(failed) OVER ())::int AS all_failed
       FROM runs
       ORDER BY planned_at DESC, run_id
       LIMIT $4`,
      [period.from, period.to, [...systemIds], limit],
    );
    const first = result.rows[0];
    const totals: CleanupTotals = {
      removed: first?.all_removed ?? 0,
      kept: first?.all_kept ?? 0,
      restored: first?.all_restored ?? 0,
      failed: first?.all_failed ?? 0,
    };
    const rows: CleanupRunFacts[] = result.rows.map((row) => ({
      runId: row.run_id,
      systemId: row.system_id,
      mode: row.mode,
      status: row.status,
      plannedAt: row.planned_at.toISOString(),
      removed: row.removed,
      kept: row.kept,
      restored: row.restored,
      failed: row.failed,
    }));
    return { runs: { rows, total: first?.total ?? 0 }, totals };
  }

  async findPost(digestId: string, firstDay: string): Promise<DigestPostRecord | undefined> {
    const result = await this.pool.query<{
      digest_id: string;
      first_day: string;
      last_day: string;
      period_from: Date;
      period_to: Date;
      platform: 'slack' | 'teams';
      channel: string;
      message_id: string;
      charts: DigestPostRecord['charts'];
    }>(
      `SELECT digest_id, to_char(first_day, 'YYYY-MM-DD') AS first_day, to_char(last_day, 'YYYY-MM-DD') AS last_day,
              period_from, period_to, platform, channel, message_id, charts
       FROM digest_posts WHERE digest_id = $1 AND first_day = $2::date`,
      [digestId, firstDay],
    );
    const row = result.rows[0];
    return (
      row && {
        digestId: row.digest_id,
        firstDay: row.first_day,
        lastDay: row.last_day,
        periodFrom: row.period_from.toISOString(),
        periodTo: row.period_to.toISOString(),
        platform: row.platform,
        channel: row.channel,
        messageId: row.message_id,
        charts: { pictures: row.charts.pictures ?? [], words: row.charts.words ?? [] },
      }
    );
  }

  /** Records the post once: the first record of a digest and period stays (it names the message people have). */
  async savePost(record: DigestPostRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO digest_posts (digest_id, first_day, last_day, period_from, period_to, platform, channel, message_id, charts)
       VALUES ($1, $2::date, $3::date, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9)
       ON CONFLICT (digest_id, first_day) DO NOTHING`,
      [
        record.digestId,
        record.firstDay,
        record.lastDay,
        record.periodFrom,
        record.periodTo,
        record.platform,
        record.channel,
        record.messageId,
        JSON.stringify(record.charts),
      ],
    );
  }
}
