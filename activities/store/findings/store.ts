import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FindingKind, IdentityAssessment, PciBand, RiskCategory, Severity } from '../../../domain/findings/model';
import type { Suppression } from '../../../domain/findings/assess';
import { bandOf } from '../../../domain/findings/pci';
import { inTransaction } from '../transaction';

/** Identity PCI history is kept this long; the system's own history is kept for good. */
const IDENTITY_HISTORY_DAYS = 120;
const TREND_DAYS = 7;

export interface FindingsSummary {
  systemId: string;
  runId: string;
  collectedAt: string;
  assessedAt: string;
  pci: number;
  band: PciBand;
  identities: number;
  scored: number;
  bands: Record<PciBand, number>;
  counts: Partial<Record<FindingKind, number>>;
  categories: Partial<Record<RiskCategory, number>>;
  severities: Partial<Record<Severity, number>>;
  suppressed: number;
  /** The system's index TREND_DAYS ago, when history reaches that far. */
  weekAgo?: number;
}

export interface RankedIdentity {
  identityId: string;
  identityName: string;
  pci: number;
  band: PciBand;
  findings: number;
  topContributor?: string;
}

export interface Mover {
  identityId: string;
  identityName: string;
  from: number;
  to: number;
}

export interface StoredSuppression extends Suppression {
  suppressionId: string;
  createdAt: string;
}

/**
 * Findings per inventory snapshot, written a page at a time by the findings activity (idempotent: a
 * retried page writes nothing twice) and read by chat and the CLI. A snapshot's findings go with it.
 */
export class FindingsStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Starts (or resumes) the assessment of a succeeded inventory run; undefined when the run is not there. */
  async begin(runId: string): Promise<{ runKey: string; status: 'running' | 'succeeded' } | undefined> {
    const result = await this.pool.query<{ run_key: string; status: 'running' | 'succeeded' }>(
      `WITH run AS (SELECT run_key, system_id FROM inventory_runs WHERE run_id = $1 AND status = 'succeeded'),
       added AS (
         INSERT INTO findings_runs (run_key, system_id, status) SELECT run_key, system_id, 'running' FROM run
         ON CONFLICT (run_key) DO NOTHING RETURNING run_key, status
       )
       SELECT run_key, status FROM added
       UNION ALL SELECT f.run_key, f.status FROM findings_runs f JOIN run USING (run_key)`,
      [runId],
    );
    const row = result.rows[0];
    return row && { runKey: row.run_key, status: row.status };
  }

  /**
   * One page of assessments: identities and their findings, once (a page written again adds nothing). One
   * statement, one round trip: the rows travel as arrays, one per column, and are inserted from unnest.
   */
  async write(runKey: string, assessments: readonly IdentityAssessment[]): Promise<void> {
    if (assessments.length === 0) return;
    const identities = columns(12);
    const found = columns(7);
    for (const a of assessments) {
      pushRow(identities, [
        a.identityId,
        a.identityName,
        a.nature,
        a.scored,
        a.pci?.score ?? null,
        a.granted,
        a.used,
        a.unknown,
        a.findings.length,
        a.pci?.contributors[0]?.label ?? null,
        a.pci?.lastUsed ?? null,
      ]);
      for (const f of a.findings)
        pushRow(found, [
          f.id,
          f.identityId,
          f.kind,
          f.severity,
          textArray(f.categories ?? []),
          f.title,
          f.suppressed !== undefined,
        ]);
    }
    await this.pool.query(
      `WITH identities AS (
         INSERT INTO findings_identities (run_key, identity_id, identity_name, nature, scored, pci, granted, used,
                                          unknown, findings, top_contributor, last_used)
         SELECT $1::bigint, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::smallint[],
                                            $7::int[], $8::int[], $9::int[], $10::int[], $11::text[], $12::date[]) AS u
         ON CONFLICT DO NOTHING
       )
       INSERT INTO findings (run_key, finding_id, identity_id, kind, severity, categories, title, suppressed)
       SELECT $1::bigint, u.f, u.i, u.k, u.s, u.c::text[], u.t, u.x
       FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::boolean[])
         AS u (f, i, k, s, c, t, x)
       ON CONFLICT DO NOTHING`,
      [runKey, ...identities.slice(0, 11), ...found.slice(0, 7)],
    );
  }

  /**
   * Closes the assessment: the system's index (mean of its scored identities), counts, and today's point
   * in the PCI history (system and identities). Finishing twice changes nothing.
   */
  async finish(runKey: string, day: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ system_id: string; status: string }>(
        'SELECT system_id, status FROM findings_runs WHERE run_key = $1 FOR UPDATE',
        [runKey],
      );
      const run = locked.rows[0];
      if (!run || run.status === 'succeeded') return;
      const totals = await client.query<{ pci: number | null; identities: number; scored: number }>(
        `SELECT round(avg(pci) FILTER (WHERE scored))::int AS pci, count(*)::int AS identities,
                count(*) FILTER (WHERE scored)::int AS scored
         FROM findings_identities WHERE run_key = $1`,
        [runKey],
      );
      const grouped = await client.query<{ facet: string; key: string; n: number }>(
        `SELECT 'kind' AS facet, kind AS key, count(*)::int AS n FROM findings
           WHERE run_key = $1 AND NOT suppressed GROUP BY kind
         UNION ALL SELECT 'severity', severity, count(*)::int FROM findings
           WHERE run_key = $1 AND NOT suppressed GROUP BY severity
         UNION ALL SELECT 'category', c, count(*)::int FROM findings, unnest(categories) c
           WHERE run_key = $1 AND NOT suppressed GROUP BY c
         UNION ALL SELECT 'suppressed', 'all', count(*)::int FROM findings WHERE run_key = $1 AND suppressed
         UNION ALL SELECT 'band', CASE WHEN pci >= 67 THEN 'high' WHEN pci >= 34 THEN 'medium' ELSE 'low' END,
           count(*)::int FROM findings_identities WHERE run_key = $1 AND scored GROUP BY 2`,
        [runKey],
      );
      const facet = (name: string): Record<string, number> =>
        Object.fromEntries(grouped.rows.filter((r) => r.facet === name).map((r) => [r.key, r.n]));
      const pci = totals.rows[0]?.pci ?? 0;
      const summary = {
        identities: totals.rows[0]?.identities ?? 0,
        scored: totals.rows[0]?.scored ?? 0,
        bands: { low: 0, medium: 0, high: 0, ...facet('band') },
        counts: facet('kind'),
        categories: facet('category'),
        severities: facet('severity'),
        suppressed: facet('suppressed').all ?? 0,
      };
      await client.query(
        `UPDATE findings_runs SET status = 'succeeded', finished_at = now(), pci = $2, summary = $3 WHERE run_key = $1`,
        [runKey, pci, JSON.stringify(summary)],
      );
      await client.query(
        `INSERT INTO findings_pci_history (system_id, identity_id, day, pci) VALUES ($1, '*', $2, $3)
         ON CONFLICT (system_id, identity_id, day) DO UPDATE SET pci = EXCLUDED.pci`,
        [run.system_id, day, pci],
      );
      await client.query(
        `INSERT INTO findings_pci_history (system_id, identity_id, day, pci)
         SELECT $2, identity_id, $3, pci FROM findings_identities WHERE run_key = $1 AND scored
         ON CONFLICT (system_id, identity_id, day) DO UPDATE SET pci = EXCLUDED.pci`,
        [runKey, run.system_id, day],
      );
      await client.query(
        `DELETE FROM findings_pci_history WHERE system_id = $1 AND identity_id <> '*' AND day < $2::date - $3::int`,
        [run.system_id, day, IDENTITY_HISTORY_DAYS],
      );
    });
  }

  /** The assessment of the system's current snapshot, when it has one. */
  async summary(systemId: string): Promise<FindingsSummary | undefined> {
    const result = await this.pool.query<{
      run_id: string;
      collected_at: Date;
      finished_at: Date;
      pci: number;
      summary: Omit<FindingsSummary, 'systemId' | 'runId' | 'collectedAt' | 'assessedAt' | 'pci' | 'band'>;
      week_ago: number | null;
    }>(
      `SELECT r.run_id, r.finished_at AS collected_at, f.finished_at, f.pci, f.summary,
              (SELECT h.pci FROM findings_pci_history h
               WHERE h.system_id = $1 AND h.identity_id = '*' AND h.day <= (f.finished_at AT TIME ZONE 'UTC')::date - $2::int
               ORDER BY h.day DESC LIMIT 1) AS week_ago
       FROM inventory_current c
       JOIN inventory_runs r ON r.run_id = c.run_id
       JOIN findings_runs f ON f.run_key = r.run_key AND f.status = 'succeeded'
       WHERE c.system_id = $1`,
      [systemId, TREND_DAYS],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      systemId,
      runId: row.run_id,
      collectedAt: row.collected_at.toISOString(),
      assessedAt: row.finished_at.toISOString(),
      pci: row.pci,
      band: bandOf(row.pci),
      ...row.summary,
      ...(row.week_ago !== null ? { weekAgo: row.week_ago } : {}),
    };
  }

  /** The identities of the current assessment with the highest index, highest first. */
  async top(systemId: string, limit: number): Promise<RankedIdentity[]> {
    const result = await this.pool.query<{
      identity_id: string;
      identity_name: string;
      pci: number;
      findings: number;
      top_contributor: string | null;
    }>(
      `SELECT i.identity_id, i.identity_name, i.pci, i.findings, i.top_contributor
       FROM findings_identities i
       JOIN findings_runs f ON f.run_key = i.run_key AND f.status = 'succeeded'
       JOIN inventory_runs r ON r.run_key = f.run_key
       WHERE r.run_id = (SELECT run_id FROM inventory_current WHERE system_id = $1) AND i.scored
       ORDER BY i.pci DESC, i.findings DESC, i.identity_id LIMIT $2`,
      [systemId, Math.max(1, Math.min(100, limit))],
    );
    return result.rows.map((r) => ({
      identityId: r.identity_id,
      identityName: r.identity_name,
      pci: r.pci,
      band: bandOf(r.pci),
      findings: r.findings,
      ...(r.top_contributor !== null ? { topContributor: r.top_contributor } : {}),
    }));
  }

  /** Identities whose index moved most over the last week (by the history), biggest change first. */
  async movers(systemId: string, limit: number): Promise<Mover[]> {
    const result = await this.pool.query<{ identity_id: string; identity_name: string; from: number; to: number }>(
      `WITH latest AS (
         SELECT max(day) AS day FROM findings_pci_history WHERE system_id = $1 AND identity_id = '*'
       ),
       now_ AS (SELECT h.identity_id, h.pci FROM findings_pci_history h, latest
                WHERE h.system_id = $1 AND h.day = latest.day AND h.identity_id <> '*'),
       then_ AS (SELECT DISTINCT ON (h.identity_id) h.identity_id, h.pci FROM findings_pci_history h, latest
                 WHERE h.system_id = $1 AND h.identity_id <> '*' AND h.day <= latest.day - $2::int
                 ORDER BY h.identity_id, h.day DESC)
       SELECT n.identity_id, coalesce(i.identity_name, n.identity_id) AS identity_name, t.pci AS from, n.pci AS to
       FROM now_ n JOIN then_ t USING (identity_id)
       LEFT JOIN LATERAL (
         SELECT fi.identity_name FROM findings_identities fi JOIN findings_runs f USING (run_key)
         WHERE f.system_id = $1 AND fi.identity_id = n.identity_id ORDER BY f.finished_at DESC NULLS LAST LIMIT 1
       ) i ON true
       WHERE n.pci <> t.pci ORDER BY abs(n.pci - t.pci) DESC, n.identity_id LIMIT $3`,
      [systemId, TREND_DAYS, Math.max(1, Math.min(100, limit))],
    );
    return result.rows.map((r) => ({
      identityId: r.identity_id,
      identityName: r.identity_name,
      from: r.from,
      to: r.to,
    }));
  }

  async suppress(input: Omit<Suppression, 'source'> & { source: 'chat' | 'cli' }): Promise<StoredSuppression> {
    const suppressionId = randomUUID();
    const result = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO findings_suppressions
         (suppression_id, system_id, identity_id, finding_id, reason, created_by, source, until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
      [
        suppressionId,
        input.systemId,
        input.identityId,
        input.findingId ?? null,
        input.reason,
        input.by,
        input.source,
        input.until,
      ],
    );
    return { ...input, suppressionId, createdAt: (result.rows[0] as { created_at: Date }).created_at.toISOString() };
  }

  /** Suppressions not lifted and not yet expired at `at`, of one system or every system. */
  async liveSuppressions(at: string, systemId?: string): Promise<StoredSuppression[]> {
    const result = await this.pool.query<{
      suppression_id: string;
      system_id: string;
      identity_id: string;
      finding_id: string | null;
      reason: string;
      created_by: string;
      source: 'chat' | 'cli';
      created_at: Date;
      until: Date;
    }>(
      `SELECT * FROM findings_suppressions
       WHERE lifted_at IS NULL AND until > $1 AND ($2::text IS NULL OR system_id = $2)
       ORDER BY created_at`,
      [at, systemId ?? null],
    );
    return result.rows.map((r) => ({
      suppressionId: r.suppression_id,
      systemId: r.system_id,
      identityId: r.identity_id,
      ...(r.finding_id !== null ? { findingId: r.finding_id } : {}),
      reason: r.reason,
      by: r.created_by,
      source: r.source,
      until: r.until.toISOString(),
      createdAt: r.created_at.toISOString(),
    }));
  }
}

type Column = (string | number | boolean | null)[];

function columns(count: number): Column[] {
  return Array.from({ length: count }, (): Column => []);
}

function pushRow(into: Column[], row: readonly (string | number | boolean | null)[]): void {
  row.forEach((value, at) => into[at]!.push(value));
}

/** A text[] literal (`{a,"b c"}`) for a list of category names, cast back to text[] in SQL. */
function textArray(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
