import type { Decision, RequestState } from '../../domain/request';
import type { AuditEntry, AuditRow, LeaseRecord, MessageRef } from './types';

/** What activities need from the system of record; PgStore is the implementation. */
export interface ActivityStore {
  saveRequest(state: RequestState): Promise<void>;
  recordDecision(requestId: string, decision: Decision): Promise<void>;
  saveLease(lease: LeaseRecord): Promise<void>;
  markLeaseEnded(
    leaseId: string,
    status: 'revoked' | 'failed',
    at: string,
    receipt: string,
    options?: { ifRecorded?: boolean },
  ): Promise<void>;
  getLease(leaseId: string): Promise<LeaseRecord | undefined>;
  liveLeases(systemId?: string): Promise<LeaseRecord[]>;
  leasesByCloudKey(key: string): Promise<LeaseRecord[]>;
  saveMessageRef(ref: MessageRef): Promise<void>;
  messageRefs(requestId: string): Promise<MessageRef[]>;
  appendAudit(entry: AuditEntry, at?: string): Promise<AuditRow>;
  /** Several entries, consecutive in the chain and in this order. */
  appendAudits(entries: readonly AuditEntry[]): Promise<AuditRow[]>;
}
