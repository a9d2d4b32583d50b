import type pg from 'pg';
import type { ActionCount, DayDetail, IdentityHistory } from '../../../domain/anomaly/detect';
import type { Anomaly, AnomalyKind, AnomalySeverity } from '../../../domain/anomaly/model';
import type { AnomalySuppression } from '../../../domain/anomaly/suppress';

/** An anomaly as stored: whether a suppression covered it when it was found, and which scan found it first. */
export interface StoredAnomaly extends Anomaly {
  suppressed: boolean;
  suppression?: Pick<AnomalySuppression, 'reason' | 'by' | 'until'>;
  firstSeenRun: string;
  foundAt: string;
}

/** A suppression as stored from chat or the CLI. */
export interface StoredAnomalySuppression extends AnomalySuppression {
  suppressionId: string;
  source: 'chat' | 'cli';
  createdAt: string;
}

/** What a scan of one collection run starts from. */
export interface ScanStart {
  runId: string;
  runKey: string;
  systemId: string;
  status: 'running' | 'succeeded';
  /** The run's usage window. */
  windowFrom: string;
  windowTo: string;
  /** The last day the system's latest earlier scan judged (that day was only partly seen then). */
  previousJudgedTo?: string;
}

/** A period's anomalies for digests and the CLI: counts per system and the most severe few. */
export interface AnomalyPeriod {
  total: number;
  suppressed: number;
  systems: { systemId: string; count: number; high: number }[];
  top: StoredAnomaly[];
}

/** An anomaly to write, with the suppression that covers it, if any. */
export type ScannedAnomaly = Anomaly & { suppression?: AnomalySuppression };

const COLUMNS = `system_id, identity_id, identity_name, day::text AS day, kind, subject, observed, baseline, score,
  severity, explanation, suppressed, suppression, first_seen_run, found_at`;
const MOST_SEVERE = `CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, score DESC NULLS LAST,
  identity_id, day, kind, subject`;
const MAX_LIST = 1000;

interface AnomalyRow {
  system_id: string;
  identity_id: string;
  identity_name: string;
  day: string;
  kind: AnomalyKind;
  subject: string;
  observed: number;
  baseline: number | null;
  score: number | null;
  severity: AnomalySeverity;
  explanation: string;
  suppressed: boolean;
  suppression: Pick<AnomalySuppression, 'reason' | 'by' | 'until'> | null;
  first_seen_run: string;
  found_at: Date;
}

/**
 * Anomalies per system, identity and day, found by the scan of each collection (activities/anomaly),
 * read by alerts, digests, reports and the CLI; and the suppressions people stored. Writing a scan is
 * idempotent: an anomaly is one row per (system, identity, day, kind, subject), whatever number of scans
 * see it, and remembers the first.
 */
export class AnomalyStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Starts (or finds) the scan of a succeeded collection run; undefined when there is no such run. */
  async beginScan(runId: string): Promise<ScanStart | undefined> {
    const result = await this.pool.query<{
      run_key: string;
      system_id: string;
      window_from: Date;
      window_to: Date;
      status: 'running' | 'succeeded';
      previous: string | null;
    }>(
      `WITH run AS (
         SELECT run_id, run_key, system_id, window_from, window_to FROM inventory_runs
         WHERE run_id = $1 AND status = 'succeeded'
       ),
       added AS (
         INSERT INTO anomaly_scans (run_id, system_id, status) SELECT run_id, system_id, 'running' FROM run
         ON CONFLICT (run_id) DO NOTHING RETURNING status
       )
       SELECT run.run_key, run.system_id, run.window_from, run.window_to,
              coalesce((SELECT status FROM added), (SELECT status FROM anomaly_scans WHERE run_id = $1)) AS status,
              (SELECT max(judged_to)::text FROM anomaly_scans s
               WHERE s.system_id = run.system_id AND s.status = 'succeeded' AND s.run_id <> $1) AS previous
       FROM run`,
      [runId],
    );
    const row = result.rows[0];
    return (
      row && {
        runId,
        runKey: row.run_key,
        systemId: row.system_id,
        status: row.status,
        windowFrom: row.window_from.toISOString(),
        windowTo: row.window_to.toISOString(),
        ...(row.previous !== null ? { previousJudgedTo: row.previous } : {}),
      }
    );
  }

  /**
   * The next page of identities with usage in the run (after `after`, in id order), each with its whole
   * history in the run: daily counts per action, and the daily detail. Empty at the end.
   */
  async histories(
    start: Pick<ScanStart, 'runKey' | 'systemId'>,
    after: string | undefined,
    size: number,
  ): Promise<IdentityHistory[]> {
    const ids = await this.pool.query<{ identity_id: string }>(
      `SELECT identity_id FROM inventory_usage WHERE run_key = $1 AND ($2::text IS NULL OR identity_id > $2)
       GROUP BY identity_id ORDER BY identity_id LIMIT $3`,
      [start.runKey, after ?? null, size],
    );
    const page = ids.rows.map((r) => r.identity_id);
    if (page.length === 0) return [];
    const [usage, detail, names] = await Promise.all([
      this.pool.query<{ identity_id: string; action: string; day: string; count: number }>(
        `SELECT identity_id, action, day::text AS day, count FROM inventory_usage
         WHERE run_key = $1 AND identity_id = ANY($2::text[]) AND count > 0`,
        [start.runKey, page],
      ),
      this.pool.query<{
        identity_id: string;
        day: string;
        hours: number[];
        regions: string[];
        addresses: string[];
        new_resources: string[];
      }>(
        `SELECT identity_id, day::text AS day, hours, regions, addresses, new_resources FROM inventory_usage_detail
         WHERE run_key = $1 AND identity_id = ANY($2::text[])`,
        [start.runKey, page],
      ),
      this.pool.query<{ identity_id: string; name: string }>(
        `SELECT identity_id, name FROM inventory_identities WHERE run_key = $1 AND identity_id = ANY($2::text[])`,
        [start.runKey, page],
      ),
    ]);
    const histories = new Map<string, IdentityHistory & { usage: ActionCount[]; detail: DayDetail[] }>();
    const name = new Map(names.rows.map((r) => [r.identity_id, r.name]));
    for (const id of page)
      histories.set(id, {
        systemId: start.systemId,
        identityId: id,
        identityName: name.get(id) ?? id,
        usage: [],
        detail: [],
      });
    for (const r of usage.rows)
      histories.get(r.identity_id)?.usage.push({ action: r.action, day: r.day, count: r.count });
    for (const r of detail.rows)
      histories.get(r.identity_id)?.detail.push({
        day: r.day,
        hours: r.hours,
        regions: r.regions,
        addresses: r.addresses,
        newResources: r.new_resources,
      });
    return [...histories.values()];
  }

  /** Stores a scan's anomalies once (a row already there is left as it was). */
  async write(runId: string, anomalies: readonly ScannedAnomaly[]): Promise<void> {
    if (anomalies.length === 0) return;
    const cols: unknown[][] = Array.from({ length: 13 }, () => []);
    for (const a of anomalies) {
      const values = [
        a.systemId,
        a.identityId,
        a.identityName,
        a.day,
        a.kind,
        a.subject,
        a.observed,
        a.baseline ?? null,
        a.score ?? null,
        a.severity,
        a.explanation,
        a.suppression !== undefined,
        a.suppression
          ? JSON.stringify({ reason: a.suppression.reason, by: a.suppression.by, until: a.suppression.until })
          : null,
      ];
      values.forEach((v, i) => cols[i]!.push(v));
    }
    await this.pool.query(
      `INSERT INTO anomalies (system_id, identity_id, identity_name, day, kind, subject, observed, baseline, score,
                              severity, explanation, suppressed, suppression, first_seen_run)
       SELECT u.*, $14 FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[],
                                   $7::float8[], $8::float8[], $9::float8[], $10::text[], $11::text[],
                                   $12::boolean[], $13::jsonb[]) AS u
       ON CONFLICT ON CONSTRAINT anomalies_once DO NOTHING`,
      [...cols, runId],
    );
  }

  /** Closes the scan with the days it judged; finishing twice changes nothing. */
  async finishScan(
    runId: string,
    outcome: { judgedFrom?: string; judgedTo?: string; identities: number; found: number },
  ): Promise<void> {
    await this.pool.query(
      `UPDATE anomaly_scans SET status = 'succeeded', judged_from = $2, judged_to = $3, identities = $4, found = $5,
              finished_at = now()
       WHERE run_id = $1 AND status = 'running'`,
      [runId, outcome.judgedFrom ?? null, outcome.judgedTo ?? null, outcome.identities, outcome.found],
    );
  }

  /** The anomalies a run's scan found first and no suppression covered, most severe first. */
  async firstSeenIn(runId: string, limit: number): Promise<StoredAnomaly[]> {
    const result = await this.pool.query<AnomalyRow>(
      `SELECT ${COLUMNS} FROM anomalies WHERE first_seen_run = $1 AND NOT suppressed ORDER BY ${MOST_SEVERE} LIMIT $2`,
      [runId, bounded(limit)],
    );
    return result.rows.map(toStored);
  }

  /** How many anomalies a run's scan found first (suppressed ones included). */
  async countFirstSeen(runId: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM anomalies WHERE first_seen_run = $1',
      [runId],
    );
    return result.rows[0]?.n ?? 0;
  }

  /** One identity's anomalies between two days (inclusive), suppressed ones marked, newest day first. */
  async forIdentity(systemId: string, identityId: string, fromDay: string, toDay: string): Promise<StoredAnomaly[]> {
    const result = await this.pool.query<AnomalyRow>(
      `SELECT ${COLUMNS} FROM anomalies
       WHERE system_id = $1 AND identity_id = $2 AND day BETWEEN $3::date AND $4::date
       ORDER BY day DESC, ${MOST_SEVERE} LIMIT ${MAX_LIST}`,
      [systemId, identityId, fromDay, toDay],
    );
    return result.rows.map(toStored);
  }

  /** A period's anomalies (days inclusive), of one system or all: counts per system and the `limit` most severe not suppressed. */
  async forPeriod(fromDay: string, toDay: string, systemId?: string, limit = 10): Promise<AnomalyPeriod> {
    const where = `day BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR system_id = $3)`;
    const [counts, top] = await Promise.all([
      this.pool.query<{ system_id: string; count: number; high: number; suppressed: number }>(
        `SELECT system_id, count(*) FILTER (WHERE NOT suppressed)::int AS count,
                count(*) FILTER (WHERE NOT suppressed AND severity = 'high')::int AS high,
                count(*) FILTER (WHERE suppressed)::int AS suppressed
         FROM anomalies WHERE ${where} GROUP BY system_id ORDER BY system_id`,
        [fromDay, toDay, systemId ?? null],
      ),
      this.pool.query<AnomalyRow>(
        `SELECT ${COLUMNS} FROM anomalies WHERE ${where} AND NOT suppressed ORDER BY ${MOST_SEVERE} LIMIT $4`,
        [fromDay, toDay, systemId ?? null, bounded(limit)],
      ),
    ]);
    return {
      total: counts.rows.reduce((n, r) => n + r.count, 0),
      suppressed: counts.rows.reduce((n, r) => n + r.suppressed, 0),
      systems: counts.rows
        .filter((r) => r.count > 0)
        .map((r) => ({ systemId: r.system_id, count: r.count, high: r.high })),
      top: top.rows.map(toStored),
    };
  }

  /** Stores a suppression (the caller audits it). */
  async suppress(suppression: AnomalySuppression, source: 'chat' | 'cli'): Promise<StoredAnomalySuppression> {
    const result = await this.pool.query<SuppressionRow>(
      `INSERT INTO anomaly_suppressions (system_id, identity, kind, subject, reason, by_whom, until, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SUPPRESSION_COLUMNS}`,
      [
        suppression.system,
        suppression.identity,
        suppression.kind ?? null,
        suppression.subject ?? null,
        suppression.reason,
        suppression.by,
        suppression.until,
        source,
      ],
    );
    return toSuppression(result.rows[0]!);
  }

  /** Stored suppressions still in force at `at` (they end at the start of their `until` day, UTC). */
  async liveSuppressions(at: string, systemId?: string): Promise<StoredAnomalySuppression[]> {
    const result = await this.pool.query<SuppressionRow>(
      `SELECT ${SUPPRESSION_COLUMNS} FROM anomaly_suppressions
       WHERE until > ($1::timestamptz AT TIME ZONE 'UTC')::date AND ($2::text IS NULL OR system_id = $2)
       ORDER BY suppression_id`,
      [at, systemId ?? null],
    );
    return result.rows.map(toSuppression);
  }
}

const SUPPRESSION_COLUMNS = `suppression_id::text, system_id, identity, kind, subject, reason, by_whom, until::text AS until,
  created_at, source`;

interface SuppressionRow {
  suppression_id: string;
  system_id: string;
  identity: string;
  kind: AnomalyKind | null;
  subject: string | null;
  reason: string;
  by_whom: string;
  until: string;
  created_at: Date;
  source: 'chat' | 'cli';
}

function toSuppression(row: SuppressionRow): StoredAnomalySuppression {
  return {
    suppressionId: row.suppression_id,
    system: row.system_id,
    identity: row.identity,
    ...(row.kind !== null ? { kind: row.kind } : {}),
    ...(row.subject !== null ? { subject: row.subject } : {}),
    reason: row.reason,
    by: row.by_whom,
    until: row.until,
    source: row.source,
    createdAt: row.created_at.toISOString(),
  };
}

function toStored(row: AnomalyRow): StoredAnomaly {
  return {
    systemId: row.system_id,
    identityId: row.identity_id,
    identityName: row.identity_name,
    day: row.day,
    kind: row.kind,
    subject: row.subject,
    observed: row.observed,
    ...(row.baseline !== null ? { baseline: row.baseline } : {}),
    ...(row.score !== null ? { score: row.score } : {}),
    severity: row.severity,
    explanation: row.explanation,
    suppressed: row.suppressed,
    ...(row.suppression ? { suppression: row.suppression } : {}),
    firstSeenRun: row.first_seen_run,
    foundAt: row.found_at.toISOString(),
  };
}

function bounded(limit: number): number {
  return Math.max(1, Math.min(MAX_LIST, Math.floor(limit)));
}
