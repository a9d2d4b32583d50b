import pg from 'pg';
import type { RequestFilter, RequestState } from '../../domain/request';
import * as audit from './audit-log';
import { migrate } from './migrate';
import * as claims from './cloud-claims';
import { FindingsStore } from './findings/store';
import { AnomalyStore } from './anomaly/store';
import { CleanupStore } from './cleanup/store';
import { CleanupMessages } from './cleanup/messages';
import { CleanupDenials } from './cleanup/denials';
import { firstSeenPaths, planDocuments } from './cleanup/inventory-reads';
import { InventoryStore } from './inventory/store';
import { DigestStore } from './digest/store';
import { ReportStore } from './report/store';
import { SharedFileStore } from './shared-files';
import * as teams from './teams-conversations';
import { AlertFacts } from './alert/facts';
import type { TeamsConversationRecord } from './teams-conversations';
import {
  LEASE_COLUMNS,
  MESSAGE_REF_COLUMNS,
  REQUEST_COLUMNS,
  boundedLimit,
  jsonb,
  toDecision,
  toLeaseRecord,
  toMessageRef,
  toRequestRecord,
  type DecisionRow,
  type LeaseRow,
  type MessageRefRow,
  type RequestRow,
} from './rows';
import type {
  AuditEntry,
  AuditRow,
  AuditVerification,
  Decision,
  LeaseRecord,
  MessageRef,
  RequestRecord,
} from './types';

const DEFAULT_REQUEST_LIMIT = 50;
const MAX_REQUEST_LIMIT = 500;
/** Statuses in which a person holds, or is about to hold, an entitlement. */
const HELD_STATUSES = ['pending', 'approved', 'active'];

/**
 * The PostgreSQL system of record. Every write is idempotent by its business key (request id, lease id,
 * approver and stage, message purpose, audit key) because activities that call it are retried.
 */
/** pending < approved < active < every final status; snapshots only move forward along it. */
const STATUS_RANK_SQL = (column: string): string =>
  `(CASE ${column} WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 WHEN 'active' THEN 2 ELSE 3 END)`;

export class PgStore {
  private ownsPool = false;
  /** This process's appends go through one queue, so writers at once share a turn on the chain. */
  private readonly audit: audit.AuditAppender;

  constructor(private readonly pool: pg.Pool) {
    this.audit = new audit.AuditAppender(pool);
  }

  /** A store with its own pool; `close()` ends that pool. */
  static connect(url: string): PgStore {
    const pool = new pg.Pool({ connectionString: url });
    // An idle connection dropped by the server (restart, failover) must not crash the worker; the pool reconnects.
    // one JSON line like every other log line; the pool replaces the connection on the next query
    pool.on('error', (error) =>
      console.warn(
        JSON.stringify({ level: 'warn', component: 'store', msg: 'PostgreSQL connection lost', error: error.message }),
      ),
    );
    const store = new PgStore(pool);
    store.ownsPool = true;
    return store;
  }

  /** Ends the pool if `connect` made it; a pool handed to the constructor belongs to whoever made it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  migrate(): Promise<string[]> {
    return migrate(this.pool);
  }

  async saveRequest(state: RequestState): Promise<void> {
    await this.pool.query(
      `INSERT INTO requests (request_id, requester, entitlement_id, system_id, status, submitted_at, updated_at, expires_at, state)
       VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8)
       ON CONFLICT (request_id) DO UPDATE SET
         requester = EXCLUDED.requester,
         entitlement_id = EXCLUDED.entitlement_id,
         system_id = EXCLUDED.system_id,
         status = EXCLUDED.status,
         submitted_at = EXCLUDED.submitted_at,
         updated_at = now(),
         expires_at = EXCLUDED.expires_at,
         state = EXCLUDED.state
       -- A late retry of an older snapshot must never move a request backwards (e.g. denied → pending).
       WHERE ${STATUS_RANK_SQL('EXCLUDED.status')} >= ${STATUS_RANK_SQL('requests.status')}`,
      [
        state.request.requestId,
        state.request.requester.toLowerCase(),
        state.request.entitlementId,
        state.rules.systemId,
        state.status,
        state.request.submittedAt,
        state.expiresAt ?? null,
        jsonb(state),
      ],
    );
  }

  async getRequest(requestId: string): Promise<RequestRecord | undefined> {
    const result = await this.pool.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE request_id = $1`, [
      requestId,
    ]);
    return result.rows[0] && toRequestRecord(result.rows[0]);
  }

  /** Newest first. People are matched case-insensitively, as e-mail addresses are. An empty `statuses` matches nothing. */
  async listRequests(filter: RequestFilter = {}): Promise<RequestRecord[]> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.requester !== undefined) conditions.push(`requester = ${bind(filter.requester.toLowerCase())}`);
    if (filter.statuses !== undefined) conditions.push(`status = ANY(${bind(filter.statuses)}::text[])`);
    if (filter.approver !== undefined) {
      conditions.push(`(state -> 'rules' -> 'approvers') ? ${bind(filter.approver.toLowerCase())}`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const limit = bind(boundedLimit(filter.limit, DEFAULT_REQUEST_LIMIT, MAX_REQUEST_LIMIT));
    const result = await this.pool.query<RequestRow>(
      `SELECT ${REQUEST_COLUMNS} FROM requests ${where} ORDER BY submitted_at DESC, request_id DESC LIMIT ${limit}`,
      values,
    );
    return result.rows.map(toRequestRecord);
  }

  /** Entitlements the person has asked for and not yet lost: pending, approved or active. */
  async heldEntitlements(requester: string): Promise<string[]> {
    const result = await this.pool.query<{ entitlement_id: string }>(
      `SELECT DISTINCT entitlement_id FROM requests
       WHERE requester = $1 AND status = ANY($2::text[])
       ORDER BY entitlement_id`,
      [requester.toLowerCase(), HELD_STATUSES],
    );
    return result.rows.map((row) => row.entitlement_id);
  }

  /** Records a decision once; repeating it (retry, double click) changes nothing, including the first verdict. */
  async recordDecision(requestId: string, decision: Decision): Promise<void> {
    await this.pool.query(
      `INSERT INTO decisions (request_id, approver, stage, verdict, reason, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (request_id, approver, stage) DO NOTHING`,
      [requestId, decision.approver, decision.stage, decision.verdict, decision.reason ?? null, decision.at],
    );
  }

  async decisions(requestId: string): Promise<Decision[]> {
    const result = await this.pool.query<DecisionRow>(
      `SELECT approver, stage, verdict, reason, decided_at FROM decisions
       WHERE request_id = $1 ORDER BY decided_at, approver, stage`,
      [requestId],
    );
    return result.rows.map(toDecision);
  }

  /**
   * Inserts or updates a lease. A lease that has ended stays ended: a retried grant activity arriving after
   * the revocation must not make it live again (markLeaseEnded is how an ended lease changes).
   */
  async saveLease(lease: LeaseRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO leases (${LEASE_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (lease_id) DO UPDATE SET
         request_id = EXCLUDED.request_id,
         system_id = EXCLUDED.system_id,
         cloud_key = EXCLUDED.cloud_key,
         principal = EXCLUDED.principal,
         grant_spec = EXCLUDED.grant_spec,
         granted_at = EXCLUDED.granted_at,
         expires_at = EXCLUDED.expires_at,
         status = EXCLUDED.status,
         revoked_at = EXCLUDED.revoked_at,
         receipt = EXCLUDED.receipt
       WHERE leases.status = 'active'`,
      [
        lease.leaseId,
        lease.requestId,
        lease.systemId,
        lease.cloudKey,
        jsonb(lease.principal),
        jsonb(lease.grant),
        lease.grantedAt,
        lease.expiresAt,
        lease.status,
        lease.revokedAt ?? null,
        lease.receipt ?? null,
      ],
    );
  }

  /**
   * Ends a recorded lease. A lease never recorded is an error, unless `ifRecorded` says the caller may
   * hold one that never was (the clean-up after a failed grant), which saves a read before the write.
   */
  async markLeaseEnded(
    leaseId: string,
    status: 'revoked' | 'failed',
    at: string,
    receipt: string,
    options: { ifRecorded?: boolean } = {},
  ): Promise<void> {
    const result = await this.pool.query(
      'UPDATE leases SET status = $2, revoked_at = $3, receipt = $4 WHERE lease_id = $1',
      [leaseId, status, at, receipt],
    );
    if (result.rowCount === 0 && !options.ifRecorded) {
      throw new Error(`lease ${leaseId} is not recorded, so it cannot be marked ${status}`);
    }
  }

  async getLease(leaseId: string): Promise<LeaseRecord | undefined> {
    const result = await this.pool.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE lease_id = $1`, [
      leaseId,
    ]);
    return result.rows[0] && toLeaseRecord(result.rows[0]);
  }

  /** Active leases, soonest to expire first. */
  async liveLeases(systemId?: string): Promise<LeaseRecord[]> {
    const result =
      systemId === undefined
        ? await this.pool.query<LeaseRow>(
            `SELECT ${LEASE_COLUMNS} FROM leases WHERE status = 'active' ORDER BY expires_at, lease_id`,
          )
        : await this.pool.query<LeaseRow>(
            `SELECT ${LEASE_COLUMNS} FROM leases WHERE status = 'active' AND system_id = $1 ORDER BY expires_at, lease_id`,
            [systemId],
          );
    return result.rows.map(toLeaseRecord);
  }

  /** Every lease, live or ended, that used this cloud object; newest first. */
  async leasesByCloudKey(cloudKey: string): Promise<LeaseRecord[]> {
    const result = await this.pool.query<LeaseRow>(
      `SELECT ${LEASE_COLUMNS} FROM leases WHERE cloud_key = $1 ORDER BY granted_at DESC, lease_id`,
      [cloudKey],
    );
    return result.rows.map(toLeaseRecord);
  }

  async saveMessageRef(ref: MessageRef): Promise<void> {
    await this.pool.query(
      `INSERT INTO message_refs (request_id, platform, recipient, purpose, channel, message_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (request_id, platform, recipient, purpose) DO UPDATE SET
         channel = EXCLUDED.channel,
         message_id = EXCLUDED.message_id,
         updated_at = now()`,
      [ref.requestId, ref.platform, ref.recipient, ref.purpose, ref.channel, ref.messageId],
    );
  }

  async messageRefs(requestId: string): Promise<MessageRef[]> {
    const result = await this.pool.query<MessageRefRow>(
      `SELECT ${MESSAGE_REF_COLUMNS} FROM message_refs WHERE request_id = $1 ORDER BY platform, purpose, recipient`,
      [requestId],
    );
    return result.rows.map(toMessageRef);
  }

  saveTeamsConversation(record: TeamsConversationRecord): Promise<void> {
    return teams.saveTeamsConversation(this.pool, record);
  }

  teamsConversationOf(email: string): Promise<TeamsConversationRecord | undefined> {
    return teams.teamsConversationOf(this.pool, email);
  }

  teamsChannel(conversationId: string): Promise<TeamsConversationRecord | undefined> {
    return teams.teamsChannel(this.pool, conversationId);
  }

  forgetTeamsConversation(
    conversation: Pick<TeamsConversationRecord, 'kind' | 'aadObjectId' | 'conversationId'>,
  ): Promise<void> {
    return teams.forgetTeamsConversation(this.pool, conversation);
  }

  /** Which cloud objects Least made and still holds (see cloud-claims.ts). */
  get cloudClaims() {
    const pool = this.pool;
    return {
      claim: (cloudKey: string, leaseId: string) => claims.claim(pool, cloudKey, leaseId),
      claimed: (cloudKey: string, leaseId: string) => claims.claimed(pool, cloudKey, leaseId),
      holder: (cloudKey: string) => claims.holder(pool, cloudKey),
      release: (cloudKey: string, leaseId: string) => claims.release(pool, cloudKey, leaseId),
    };
  }

  /** Inventory snapshots: collection runs and what they found (see inventory/store.ts). */
  get inventory(): InventoryStore {
    return new InventoryStore(this.pool);
  }

  get findings(): FindingsStore {
    return new FindingsStore(this.pool);
  }

  /** What the collection's alerts compare: a snapshot's findings against the one before. */
  get alertFacts(): AlertFacts {
    return new AlertFacts(this.pool);
  }

  get anomalies(): AnomalyStore {
    return new AnomalyStore(this.pool);
  }

  /** Cleanup runs, owners' answers and the snapshots Restore reads (see cleanup/store.ts). */
  get cleanup(): CleanupStore {
    return new CleanupStore(this.pool);
  }

  /** Chat messages cleanup runs posted, so a retried announcement edits or skips instead of posting twice. */
  get cleanupMessages(): CleanupMessages {
    return new CleanupMessages(this.pool);
  }

  /** The denied-call watch: calls denied to removed actions, and which of them were told. */
  get cleanupDenials(): CleanupDenials {
    return new CleanupDenials(this.pool);
  }

  /** What the cleanup planner reads of the inventory besides identity views. */
  get cleanupReads() {
    return {
      documents: (runId: string) => planDocuments(this.pool, runId),
      firstSeen: (systemId: string) => firstSeenPaths(this.pool, systemId),
    };
  }

  /** What digests read of a period, and what they posted (see digest/store.ts). */
  get digests(): DigestStore {
    return new DigestStore(this.pool);
  }

  /** What forensic identity reports and auditors' CSV exports read (see report/store.ts). */
  get reports(): ReportStore {
    return new ReportStore(this.pool);
  }

  /** Files the bot serves behind signed, expiring links (see shared-files.ts). */
  get sharedFiles(): SharedFileStore {
    return new SharedFileStore(this.pool);
  }

  async appendAudit(entry: AuditEntry, at?: string): Promise<AuditRow> {
    const [row] = await this.audit.append([at === undefined ? { entry } : { entry, at }]);
    return row!;
  }

  /** Several entries, consecutive in the chain and in this order (one turn on the head row). */
  appendAudits(entries: readonly AuditEntry[]): Promise<AuditRow[]> {
    return this.audit.append(entries.map((entry) => ({ entry })));
  }

  auditFor(requestId?: string, limit?: number): Promise<AuditRow[]> {
    return audit.auditFor(this.pool, requestId, limit);
  }

  verifyAudit(): Promise<AuditVerification> {
    return audit.verifyAudit(this.pool);
  }
}
