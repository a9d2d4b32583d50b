import type pg from 'pg';

/** A super identity first seen in a snapshot. */
export interface NewSuperIdentity {
  identityId: string;
  identityName: string;
}

/** What one assessed snapshot changed against the system's assessed snapshot before it. */
export interface SnapshotChanges {
  systemId: string;
  runId: string;
  pci?: number;
  /** The previous assessed snapshot's index; absent for a system's first snapshot. */
  previousPci?: number;
  /** Super identities in this snapshot that the previous one did not have (none for a first snapshot). */
  newSuper: NewSuperIdentity[];
  /** How many new super identities there were in all (the list is capped). */
  newSuperCount: number;
}

/** New super identities listed by name at most; the count says how many in all. */
const NEW_SUPER_LISTED = 50;

/**
 * What the collection's alerts read (issue 14): a snapshot's findings against the previous assessed
 * snapshot of the same system. Read-only, bounded, parameterised.
 */
export class AlertFacts {
  constructor(private readonly pool: pg.Pool) {}

  /** Of these occurrences of a rule, the ids never alerted on before. */
  async unseen(rule: string, occurrenceIds: readonly string[]): Promise<Set<string>> {
    if (occurrenceIds.length === 0) return new Set();
    const seen = await this.pool.query<{ occurrence_id: string }>(
      `SELECT occurrence_id FROM alert_once WHERE rule = $1 AND occurrence_id = ANY($2::text[])`,
      [rule, [...occurrenceIds]],
    );
    const known = new Set(seen.rows.map((row) => row.occurrence_id));
    return new Set(occurrenceIds.filter((id) => !known.has(id)));
  }

  /** Records occurrences as alerted on, for good (a second record of one is nothing). */
  async markSeen(rule: string, occurrenceIds: readonly string[]): Promise<void> {
    if (occurrenceIds.length === 0) return;
    await this.pool.query(
      `INSERT INTO alert_once (rule, occurrence_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [rule, [...occurrenceIds]],
    );
  }

  async snapshotChanges(systemId: string, runId: string): Promise<SnapshotChanges | undefined> {
    const runs = await this.pool.query<{
      run_key: string;
      pci: number | null;
      previous_key: string | null;
      previous_pci: number | null;
    }>(
      `SELECT f.run_key, f.pci, p.run_key AS previous_key, p.pci AS previous_pci
       FROM inventory_runs r
       JOIN findings_runs f ON f.run_key = r.run_key AND f.status = 'succeeded'
       LEFT JOIN LATERAL (
         SELECT pf.run_key, pf.pci FROM findings_runs pf
         WHERE pf.system_id = f.system_id AND pf.status = 'succeeded' AND pf.run_key < f.run_key
         ORDER BY pf.run_key DESC LIMIT 1
       ) p ON true
       WHERE r.run_id = $1 AND r.system_id = $2`,
      [runId, systemId],
    );
    const run = runs.rows[0];
    if (!run) return undefined;
    const changes: SnapshotChanges = {
      systemId,
      runId,
      ...(run.pci !== null ? { pci: run.pci } : {}),
      ...(run.previous_pci !== null ? { previousPci: run.previous_pci } : {}),
      newSuper: [],
      newSuperCount: 0,
    };
    if (run.previous_key === null) return changes;
    const fresh = await this.pool.query<{ identity_id: string; identity_name: string; total: string }>(
      `SELECT f.identity_id, min(i.identity_name) AS identity_name, count(*) OVER () AS total
       FROM findings f
       JOIN findings_identities i ON i.run_key = f.run_key AND i.identity_id = f.identity_id
       WHERE f.run_key = $1 AND f.kind = 'super-identity' AND NOT f.suppressed
         AND NOT EXISTS (
           SELECT 1 FROM findings p
           WHERE p.run_key = $2 AND p.identity_id = f.identity_id AND p.kind = 'super-identity'
         )
       GROUP BY f.identity_id
       ORDER BY f.identity_id
       LIMIT $3`,
      [run.run_key, run.previous_key, NEW_SUPER_LISTED],
    );
    changes.newSuper = fresh.rows.map((row) => ({ identityId: row.identity_id, identityName: row.identity_name }));
    changes.newSuperCount = fresh.rows.length > 0 ? Number(fresh.rows[0]!.total) : 0;
    return changes;
  }
}
