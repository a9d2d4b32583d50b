import type pg from 'pg';
import type { IdentityKind, IdentityNature } from '../../../domain/inventory/model';
import type { Decision, RequestState, RequestStatus } from '../../../domain/request';
import { AUDIT_COLUMNS, toAuditRow, type AuditLogRow } from '../rows';
import type { AuditRow } from '../types';

/**
 * What reports and auditors' exports read. Every query is parameterised and bounded: lists come back
 * with at most `limit` rows and their full count (a window count), exports a keyset page at a time.
 * Times are instants (ISO); days are UTC `YYYY-MM-DD`.
 */

const MAX_LIMIT = 10_000;

export interface FoundIdentity {
  systemId: string;
  identityId: string;
  name: string;
  kind: IdentityKind;
  nature: IdentityNature;
}

export interface GrantRow {
  requestId: string;
  requester: string;
  entitlementId: string;
  systemId: string;
  status: RequestStatus;
  submittedAt: string;
  updatedAt: string;
  state: RequestState;
  lease?: { grantedAt: string; expiresAt: string; status: string; revokedAt?: string; receipt?: string };
}

export interface DecisionGivenRow extends Decision {
  requestId: string;
  requester: string;
  entitlementId: string;
}

export interface ChainedAuditRow extends AuditRow {
  /** The hash of the row just before (seq − 1), when there is one. */
  previousHash?: string;
}

export interface CleanupHistoryRow {
  runId: string;
  systemId: string;
  plannedAt: string;
  mode: string;
  change: string;
  objectName: string;
  reason: string;
  actions: number;
  outcome?: string;
  outcomeAt?: string;
  decidedBy?: string;
  restoredBy?: string;
  restoredAt?: string;
}

export interface GrantExportRow {
  leaseId: string;
  requestId: string;
  requester: string;
  entitlementId: string;
  systemId: string;
  approvers: string[];
  grantedAt: string;
  endedAt?: string;
  status: string;
  endedBy?: string;
  auditSeq?: number;
  auditHash?: string;
}

export interface AccessKeyExportRow {
  systemId: string;
  user: string;
  keyId: string;
  status: 'Active' | 'Inactive';
  createdAt?: string;
  lastUsedAt?: string;
}

export interface Listed<T> {
  rows: T[];
  total: number;
}

function bounded(limit: number): number {
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

/** The stable key of a lease's principal as SQL computes it; `principalKey` in activities/report is its twin. */
const LEASE_PRINCIPAL_KEY = `l.system_id || '|' || (l.principal ->> 'kind') || '|' || lower(coalesce(
  l.principal ->> 'roleName', l.principal ->> 'userName', l.principal ->> 'userId', l.principal ->> 'objectId',
  l.principal ->> 'member', ''))`;

export class ReportStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Identities of the current snapshots (of `systems`, or every system) whose id is, or name is (case aside), one of `names`. */
  async findIdentities(names: readonly string[], systems: readonly string[] | undefined, limit: number) {
    const result = await this.pool.query<{
      system_id: string;
      identity_id: string;
      name: string;
      kind: IdentityKind;
      nature: IdentityNature;
    }>(
      `SELECT c.system_id, i.identity_id, i.name, i.kind, i.nature
       FROM inventory_current c
       JOIN inventory_runs r ON r.run_id = c.run_id
       JOIN inventory_identities i ON i.run_key = r.run_key
       WHERE ($2::text[] IS NULL OR c.system_id = ANY($2::text[]))
         AND (i.identity_id = ANY($1::text[]) OR lower(i.name) = ANY($3::text[]))
       ORDER BY c.system_id, i.identity_id LIMIT $4`,
      [[...names], systems ? [...systems] : null, names.map((n) => n.toLowerCase()), bounded(limit)],
    );
    return result.rows.map((r): FoundIdentity => ({
      systemId: r.system_id,
      identityId: r.identity_id,
      name: r.name,
      kind: r.kind,
      nature: r.nature,
    }));
  }

  /**
   * Requests alive in the period (submitted before its end, ended after its start or not ended), newest first:
   * those a person made, or those whose lease went to one of these principals (`principalKeys`).
   */
  async grants(
    who: { requester: string } | { principalKeys: readonly string[] },
    period: { from: string; to: string },
    limit: number,
  ): Promise<Listed<GrantRow>> {
    const byRequester = 'requester' in who;
    const result = await this.pool.query<{
      request_id: string;
      requester: string;
      entitlement_id: string;
      system_id: string;
      status: RequestStatus;
      submitted_at: Date;
      updated_at: Date;
      state: RequestState;
      granted_at: Date | null;
      lease_expires_at: Date | null;
      lease_status: string | null;
      revoked_at: Date | null;
      receipt: string | null;
      total: number;
    }>(
      `SELECT r.request_id, r.requester, r.entitlement_id, r.system_id, r.status, r.submitted_at, r.updated_at, r.state,
              l.granted_at, l.expires_at AS lease_expires_at, l.status AS lease_status, l.revoked_at, l.receipt,
              count(*) OVER ()::int AS total
       FROM requests r LEFT JOIN leases l ON l.request_id = r.request_id
       WHERE r.submitted_at < $2::timestamptz
         AND coalesce(l.revoked_at, (r.state ->> 'endedAt')::timestamptz,
                      CASE WHEN r.status IN ('pending', 'approved', 'active') THEN 'infinity'::timestamptz END,
                      r.expires_at, r.submitted_at) >= $1::timestamptz
         AND ${
           byRequester
             ? 'r.requester = lower($3::text)'
             : `r.request_id IN (SELECT l.request_id FROM leases l WHERE ${LEASE_PRINCIPAL_KEY} = ANY($3::text[]))`
         }
       ORDER BY r.submitted_at DESC, r.request_id LIMIT $4`,
      [period.from, period.to, byRequester ? who.requester : [...who.principalKeys], bounded(limit)],
    );
    return {
      total: result.rows[0]?.total ?? 0,
      rows: result.rows.map((r) => ({
        requestId: r.request_id,
        requester: r.requester,
        entitlementId: r.entitlement_id,
        systemId: r.system_id,
        status: r.status,
        submittedAt: r.submitted_at.toISOString(),
        updatedAt: r.updated_at.toISOString(),
        state: r.state,
        ...(r.granted_at && r.lease_expires_at && r.lease_status
          ? {
              lease: {
                grantedAt: r.granted_at.toISOString(),
                expiresAt: r.lease_expires_at.toISOString(),
                status: r.lease_status,
                ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
                ...(r.receipt !== null ? { receipt: r.receipt } : {}),
              },
            }
          : {}),
      })),
    };
  }

  /** Every recorded decision on these requests, oldest first. */
  async decisions(requestIds: readonly string[]): Promise<Map<string, Decision[]>> {
    const byRequest = new Map<string, Decision[]>();
    if (requestIds.length === 0) return byRequest;
    const result = await this.pool.query<{
      request_id: string;
      approver: string;
      stage: Decision['stage'];
      verdict: Decision['verdict'];
      reason: string | null;
      decided_at: Date;
    }>(
      `SELECT request_id, approver, stage, verdict, reason, decided_at FROM decisions
       WHERE request_id = ANY($1::text[]) ORDER BY request_id, decided_at, approver, stage`,
      [[...requestIds]],
    );
    for (const r of result.rows) {
      const decision: Decision = {
        approver: r.approver,
        verdict: r.verdict,
        stage: r.stage,
        at: r.decided_at.toISOString(),
        ...(r.reason !== null ? { reason: r.reason } : {}),
      };
      const list = byRequest.get(r.request_id);
      if (list) list.push(decision);
      else byRequest.set(r.request_id, [decision]);
    }
    return byRequest;
  }

  /** The audit rows of these requests in chain order, each with the hash of the row before it. */
  async auditOf(requestIds: readonly string[], limit: number): Promise<ChainedAuditRow[]> {
    if (requestIds.length === 0) return [];
    const columns = AUDIT_COLUMNS.split(', ')
      .map((c) => `a.${c}`)
      .join(', ');
    const result = await this.pool.query<AuditLogRow & { previous_hash: string | null }>(
      `SELECT ${columns}, p.hash AS previous_hash
       FROM audit_log a LEFT JOIN audit_log p ON p.seq = a.seq - 1
       WHERE a.request_id = ANY($1::text[]) ORDER BY a.seq LIMIT $2`,
      [[...requestIds], bounded(limit)],
    );
    return result.rows.map((r) => ({
      ...toAuditRow(r),
      ...(r.previous_hash !== null ? { previousHash: r.previous_hash } : {}),
    }));
  }

  /** Whether Least has ever seen this person ask or decide (e-mail, case aside). */
  async personKnown(email: string): Promise<boolean> {
    const result = await this.pool.query<{ known: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM requests WHERE requester = lower($1))
              OR EXISTS (SELECT 1 FROM decisions WHERE lower(approver) = lower($1)) AS known`,
      [email],
    );
    return result.rows[0]?.known === true;
  }

  /** The audit log's newest row number (its head). */
  async auditHead(): Promise<number> {
    const result = await this.pool.query<{ seq: string }>('SELECT seq FROM audit_head');
    return Number(result.rows[0]?.seq ?? 0);
  }

  /** Decisions a person made in the period, newest first. */
  async decisionsGiven(
    approver: string,
    period: { from: string; to: string },
    limit: number,
  ): Promise<Listed<DecisionGivenRow>> {
    const result = await this.pool.query<{
      request_id: string;
      requester: string;
      entitlement_id: string;
      approver: string;
      stage: Decision['stage'];
      verdict: Decision['verdict'];
      reason: string | null;
      decided_at: Date;
      total: number;
    }>(
      `SELECT d.request_id, r.requester, r.entitlement_id, d.approver, d.stage, d.verdict, d.reason, d.decided_at,
              count(*) OVER ()::int AS total
       FROM decisions d JOIN requests r ON r.request_id = d.request_id
       WHERE lower(d.approver) = lower($1) AND d.decided_at >= $2::timestamptz AND d.decided_at < $3::timestamptz
       ORDER BY d.decided_at DESC, d.request_id LIMIT $4`,
      [approver, period.from, period.to, bounded(limit)],
    );
    return {
      total: result.rows[0]?.total ?? 0,
      rows: result.rows.map((r) => ({
        requestId: r.request_id,
        requester: r.requester,
        entitlementId: r.entitlement_id,
        approver: r.approver,
        stage: r.stage,
        verdict: r.verdict,
        at: r.decided_at.toISOString(),
        ...(r.reason !== null ? { reason: r.reason } : {}),
      })),
    };
  }

  /** Calls and denied attempts per UTC day of one identity in its system's current snapshot. */
  async usagePerDay(
    systemId: string,
    identityId: string,
    days: { from: string; to: string },
  ): Promise<{ day: string; calls: number; denied: number }[]> {
    const result = await this.pool.query<{ day: string; calls: number; denied: number }>(
      `SELECT u.day::text AS day, sum(u.count)::int AS calls, sum(u.denied)::int AS denied
       FROM inventory_usage u
       WHERE u.run_key = (SELECT r.run_key FROM inventory_current c JOIN inventory_runs r ON r.run_id = c.run_id
                          WHERE c.system_id = $1)
         AND u.identity_id = $2 AND u.day BETWEEN $3::date AND $4::date
       GROUP BY u.day ORDER BY u.day`,
      [systemId, identityId, days.from, days.to],
    );
    return result.rows;
  }

  /** Daily PCI points of these identities in the period, newest first. */
  async pciHistory(
    subjects: readonly { systemId: string; identityId: string }[],
    days: { from: string; to: string },
    limit: number,
  ): Promise<Listed<{ systemId: string; identityId: string; day: string; pci: number }>> {
    if (subjects.length === 0) return { rows: [], total: 0 };
    const result = await this.pool.query<{
      system_id: string;
      identity_id: string;
      day: string;
      pci: number;
      total: number;
    }>(
      `SELECT h.system_id, h.identity_id, h.day::text AS day, h.pci, count(*) OVER ()::int AS total
       FROM findings_pci_history h
       JOIN unnest($1::text[], $2::text[]) AS s (system_id, identity_id)
         ON s.system_id = h.system_id AND s.identity_id = h.identity_id
       WHERE h.day BETWEEN $3::date AND $4::date
       ORDER BY h.day DESC, h.system_id, h.identity_id LIMIT $5`,
      [subjects.map((s) => s.systemId), subjects.map((s) => s.identityId), days.from, days.to, bounded(limit)],
    );
    return {
      total: result.rows[0]?.total ?? 0,
      rows: result.rows.map((r) => ({ systemId: r.system_id, identityId: r.identity_id, day: r.day, pci: r.pci })),
    };
  }

  /** Cleanup items planned in the period that reduce one identity's access, newest run first. */
  async cleanupHistory(
    subject: { systemId: string; identityId: string },
    period: { from: string; to: string },
    limit: number,
  ): Promise<Listed<CleanupHistoryRow>> {
    const result = await this.pool.query<{
      run_id: string;
      system_id: string;
      planned_at: Date;
      mode: string;
      change: string;
      object_name: string;
      reason: string;
      actions: number;
      outcome: string | null;
      outcome_at: Date | null;
      decided_by: string | null;
      restored_by: string | null;
      restored_at: Date | null;
      total: number;
    }>(
      `SELECT i.run_id, r.system_id, r.planned_at, r.mode, i.change, i.object_name, i.reason,
              coalesce(cardinality(i.remove_actions), 0)::int AS actions, i.outcome, i.outcome_at,
              (SELECT d.decided_by FROM cleanup_decisions d WHERE d.run_id = i.run_id AND d.item_id = i.item_id
               ORDER BY d.decided_at DESC, d.decision_id LIMIT 1) AS decided_by,
              i.restored_by, i.restored_at, count(*) OVER ()::int AS total
       FROM cleanup_runs r JOIN cleanup_items i ON i.run_id = r.run_id
       WHERE r.system_id = $1 AND r.planned_at >= $3::timestamptz AND r.planned_at < $4::timestamptz
         AND i.identities @> jsonb_build_array(jsonb_build_object('id', $2::text))
       ORDER BY r.planned_at DESC, i.run_id, i.item_id LIMIT $5`,
      [subject.systemId, subject.identityId, period.from, period.to, bounded(limit)],
    );
    return {
      total: result.rows[0]?.total ?? 0,
      rows: result.rows.map((r) => ({
        runId: r.run_id,
        systemId: r.system_id,
        plannedAt: r.planned_at.toISOString(),
        mode: r.mode,
        change: r.change,
        objectName: r.object_name,
        reason: r.reason,
        actions: r.actions,
        ...(r.outcome !== null ? { outcome: r.outcome } : {}),
        ...(r.outcome_at ? { outcomeAt: r.outcome_at.toISOString() } : {}),
        ...(r.decided_by !== null ? { decidedBy: r.decided_by } : {}),
        ...(r.restored_by !== null ? { restoredBy: r.restored_by } : {}),
        ...(r.restored_at ? { restoredAt: r.restored_at.toISOString() } : {}),
      })),
    };
  }

  /** One page of grants (leases) made in [from, to), oldest first, after the keyset position `after`. */
  async grantsExportPage(
    period: { from: string; to: string },
    after: { grantedAt: string; leaseId: string } | undefined,
    limit: number,
  ): Promise<GrantExportRow[]> {
    const result = await this.pool.query<{
      lease_id: string;
      request_id: string;
      requester: string;
      entitlement_id: string;
      system_id: string;
      approvers: string[] | null;
      granted_at: Date;
      revoked_at: Date | null;
      status: string;
      ended_by: string | null;
      audit_seq: string | null;
      audit_hash: string | null;
    }>(
      `SELECT l.lease_id, l.request_id, r.requester, r.entitlement_id, l.system_id,
              (SELECT array_agg(d.approver ORDER BY d.decided_at, d.approver) FROM decisions d
               WHERE d.request_id = l.request_id AND d.verdict = 'approve') AS approvers,
              l.granted_at, l.revoked_at, l.status, r.state ->> 'endedBy' AS ended_by,
              a.seq AS audit_seq, a.hash AS audit_hash
       FROM leases l
       JOIN requests r ON r.request_id = l.request_id
       LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log WHERE request_id = l.request_id AND action = 'grant.applied'
                          ORDER BY seq LIMIT 1) a ON true
       WHERE l.granted_at >= $1::timestamptz AND l.granted_at < $2::timestamptz
         AND ($3::timestamptz IS NULL OR (l.granted_at, l.lease_id) > ($3::timestamptz, $4::text))
       ORDER BY l.granted_at, l.lease_id LIMIT $5`,
      [period.from, period.to, after?.grantedAt ?? null, after?.leaseId ?? '', bounded(limit)],
    );
    return result.rows.map((r) => ({
      leaseId: r.lease_id,
      requestId: r.request_id,
      requester: r.requester,
      entitlementId: r.entitlement_id,
      systemId: r.system_id,
      approvers: r.approvers ?? [],
      grantedAt: r.granted_at.toISOString(),
      ...(r.revoked_at ? { endedAt: r.revoked_at.toISOString() } : {}),
      status: r.status,
      ...(r.ended_by !== null ? { endedBy: r.ended_by } : {}),
      ...(r.audit_seq !== null ? { auditSeq: Number(r.audit_seq) } : {}),
      ...(r.audit_hash !== null ? { auditHash: r.audit_hash } : {}),
    }));
  }

  /** One page of the systems' daily PCI (identity `*`) in [from, to] days, by system and day. */
  async pciHistoryExportPage(
    days: { from: string; to: string },
    after: { systemId: string; day: string } | undefined,
    limit: number,
  ): Promise<{ systemId: string; day: string; pci: number }[]> {
    const result = await this.pool.query<{ system_id: string; day: string; pci: number }>(
      `SELECT system_id, day::text AS day, pci FROM findings_pci_history
       WHERE identity_id = '*' AND day BETWEEN $1::date AND $2::date
         AND ($3::text IS NULL OR (system_id, day) > ($3::text, $4::date))
       ORDER BY system_id, day LIMIT $5`,
      [days.from, days.to, after?.systemId ?? null, after?.day ?? days.from, bounded(limit)],
    );
    return result.rows.map((r) => ({ systemId: r.system_id, day: r.day, pci: r.pci }));
  }

  /** One page of the AWS access keys in every system's current snapshot, by system and key id. */
  async accessKeysExportPage(
    after: { systemId: string; keyId: string } | undefined,
    limit: number,
  ): Promise<AccessKeyExportRow[]> {
    const result = await this.pool.query<{
      system_id: string;
      identity_id: string;
      name: string;
      user_name: string | null;
      parent_id: string | null;
      disabled: boolean;
      created_at: Date | null;
      last_activity_at: Date | null;
    }>(
      `SELECT c.system_id, k.identity_id, k.name, u.name AS user_name, k.parent_id, k.disabled, k.created_at,
              k.last_activity_at
       FROM inventory_current c
       JOIN inventory_runs r ON r.run_id = c.run_id
       JOIN inventory_identities k ON k.run_key = r.run_key AND k.kind = 'aws-access-key'
       LEFT JOIN inventory_identities u ON u.run_key = k.run_key AND u.identity_id = k.parent_id
       WHERE ($1::text IS NULL OR (c.system_id, k.identity_id) > ($1::text, $2::text))
       ORDER BY c.system_id, k.identity_id LIMIT $3`,
      [after?.systemId ?? null, after?.keyId ?? '', bounded(limit)],
    );
    return result.rows.map((r) => ({
      systemId: r.system_id,
      user: r.user_name ?? r.parent_id ?? r.name.split('/')[0] ?? '',
      keyId: r.identity_id,
      status: r.disabled ? 'Inactive' : 'Active',
      ...(r.created_at ? { createdAt: r.created_at.toISOString() } : {}),
      ...(r.last_activity_at ? { lastUsedAt: r.last_activity_at.toISOString() } : {}),
    }));
  }
}
