import type { AuditAction } from '../../domain/audit';
import type { Decision, RequestState, RequestStatus } from '../../domain/request';
import type { CloudPrincipal } from '../../domain/lease';
import type { GrantSpec } from '../../domain/policy/schema';
import type { AuditRow, LeaseRecord, LeaseStatus, MessageRef, RequestRecord } from './types';

/**
 * Table rows as `pg` returns them (timestamptz as Date, bigint as string, jsonb parsed) and their mapping to
 * the records the rest of the code sees (ISO strings, numbers, absent rather than null).
 */

export interface RequestRow {
  request_id: string;
  requester: string;
  entitlement_id: string;
  system_id: string;
  status: RequestStatus;
  submitted_at: Date;
  updated_at: Date;
  expires_at: Date | null;
  state: RequestState;
}

export interface DecisionRow {
  approver: string;
  stage: Decision['stage'];
  verdict: Decision['verdict'];
  reason: string | null;
  decided_at: Date;
}

export interface LeaseRow {
  lease_id: string;
  request_id: string;
  system_id: string;
  cloud_key: string;
  principal: CloudPrincipal;
  grant_spec: GrantSpec;
  granted_at: Date;
  expires_at: Date;
  status: LeaseStatus;
  revoked_at: Date | null;
  receipt: string | null;
}

export interface MessageRefRow {
  request_id: string;
  platform: MessageRef['platform'];
  recipient: string;
  purpose: string;
  channel: string;
  message_id: string;
}

export interface AuditLogRow {
  seq: string;
  at: Date;
  actor: string;
  /** Written only through `appendAudit`, so always one of the declared actions. */
  action: AuditAction;
  request_id: string | null;
  detail: Record<string, unknown>;
  key: string | null;
  prev_hash: string;
  hash: string;
}

export const REQUEST_COLUMNS =
  'request_id, requester, entitlement_id, system_id, status, submitted_at, updated_at, expires_at, state';
export const LEASE_COLUMNS =
  'lease_id, request_id, system_id, cloud_key, principal, grant_spec, granted_at, expires_at, status, revoked_at, receipt';
export const MESSAGE_REF_COLUMNS = 'request_id, platform, recipient, purpose, channel, message_id';
export const AUDIT_COLUMNS = 'seq, at, actor, action, request_id, detail, key, prev_hash, hash';

export function toRequestRecord(row: RequestRow): RequestRecord {
  return {
    requestId: row.request_id,
    requester: row.requester,
    entitlementId: row.entitlement_id,
    systemId: row.system_id,
    status: row.status,
    submittedAt: row.submitted_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
    state: row.state,
  };
}

export function toDecision(row: DecisionRow): Decision {
  return {
    approver: row.approver,
    verdict: row.verdict,
    at: row.decided_at.toISOString(),
    stage: row.stage,
    ...(row.reason !== null ? { reason: row.reason } : {}),
  };
}

export function toLeaseRecord(row: LeaseRow): LeaseRecord {
  return {
    leaseId: row.lease_id,
    requestId: row.request_id,
    systemId: row.system_id,
    cloudKey: row.cloud_key,
    principal: row.principal,
    grant: row.grant_spec,
    grantedAt: row.granted_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    status: row.status,
    ...(row.revoked_at ? { revokedAt: row.revoked_at.toISOString() } : {}),
    ...(row.receipt !== null ? { receipt: row.receipt } : {}),
  };
}

export function toMessageRef(row: MessageRefRow): MessageRef {
  return {
    requestId: row.request_id,
    platform: row.platform,
    recipient: row.recipient,
    purpose: row.purpose,
    channel: row.channel,
    messageId: row.message_id,
  };
}

export function toAuditRow(row: AuditLogRow): AuditRow {
  return {
    seq: Number(row.seq),
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    ...(row.request_id !== null ? { requestId: row.request_id } : {}),
    detail: row.detail,
    ...(row.key !== null ? { key: row.key } : {}),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** jsonb parameters go in as text: `pg` would turn a top-level array into a PostgreSQL array, not JSON. */
export function jsonb(value: unknown): string {
  return JSON.stringify(value);
}

/** A caller's page size, kept to what one query should return. */
export function boundedLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(limit)));
}
