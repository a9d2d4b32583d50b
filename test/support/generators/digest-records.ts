import type pg from 'pg';
import type { PgStore } from '../../../activities/store/pg-store';
import type { AuditEntry } from '../../../activities/store/types';
import { initialState, transition, type EntitlementRules, type RequestState } from '../../../domain/request';
import { activeRequest, GCP_BILLING_VIEWER, pendingRequest, PROD_DB_READONLY } from '../../activities/store/fixtures';

/**
 * A period's worth of records in PostgreSQL, as the workflows and activities would have written them:
 * requests and their audit entries, assessments and their PCI history, cleanup runs and their items.
 * The period is Sunday 29 March 2026 in Europe/Berlin (2026-03-28T23:00Z to 2026-03-29T22:00Z, the
 * day the clocks went forward); some records sit just outside it on purpose.
 */

export const PROD_ADMIN: EntitlementRules = {
  ...PROD_DB_READONLY,
  entitlementId: 'prod-admin',
  title: 'Production admin',
  risk: 'high',
};

async function audit(store: PgStore, at: string, entry: AuditEntry): Promise<void> {
  await store.appendAudit(entry, at);
}

async function request(
  store: PgStore,
  state: RequestState,
  events: [at: string, entry: Omit<AuditEntry, 'requestId' | 'actor'>][],
) {
  await store.saveRequest(state);
  for (const [at, entry] of events)
    await audit(store, at, { actor: 'workflow', requestId: state.request.requestId, ...entry });
}

/** Requests and their audit trail around the period; titles from `name` (hostile tests pass theirs). */
export async function seedAccess(store: PgStore, hostile?: string): Promise<void> {
  const name = hostile ?? PROD_DB_READONLY.title;
  const rules = { ...PROD_DB_READONLY, title: name };
  // Sunday 10:00 CEST: asked, granted, revoked at expiry after two tries
  await request(
    store,
    activeRequest({
      requestId: 'r-in-1',
      rules,
      submittedAt: '2026-03-29T08:00:00.000Z',
      grantedAt: '2026-03-29T08:05:00.000Z',
    }),
    [
      ['2026-03-29T08:00:00.000Z', { action: 'request.submitted', detail: {} }],
      ['2026-03-29T08:05:00.000Z', { action: 'grant.applied', detail: {} }],
      [
        '2026-03-29T09:05:00.000Z',
        { action: 'grant.revoke_retrying', detail: { attempt: 1, code: 'CLOUD.ERROR', message: 'Throttling' } },
      ],
      [
        '2026-03-29T09:15:00.000Z',
        { action: 'grant.revoke_retrying', detail: { attempt: 2, code: 'CLOUD.ERROR', message: 'Throttling again' } },
      ],
      ['2026-03-29T09:25:00.000Z', { action: 'grant.revoked', detail: { receipt: 'gone', endedBy: 'expiry' } }],
    ],
  );
  // Sunday 23:30 CEST: still Sunday, denied
  const denied = transition(
    pendingRequest({ requestId: 'r-in-2', rules, submittedAt: '2026-03-29T21:30:00.000Z' }),
    'denied',
  );
  await request(store, denied, [
    ['2026-03-29T21:30:00.000Z', { action: 'request.submitted', detail: {} }],
    ['2026-03-29T21:45:00.000Z', { action: 'request.denied', detail: {} }],
  ]);
  // Monday 00:30 CEST: after the period, still waiting at the digest's time
  await request(store, pendingRequest({ requestId: 'r-edge', rules, submittedAt: '2026-03-29T22:30:00.000Z' }), [
    ['2026-03-29T22:30:00.000Z', { action: 'request.submitted', detail: {} }],
  ]);
  // Sunday 00:30 CET, which is still Saturday in UTC: Sunday's in Berlin
  await request(
    store,
    activeRequest({
      requestId: 'r-night',
      rules,
      submittedAt: '2026-03-28T23:30:00.000Z',
      grantedAt: '2026-03-28T23:31:00.000Z',
    }),
    [
      ['2026-03-28T23:30:00.000Z', { action: 'request.submitted', detail: {} }],
      ['2026-03-28T23:31:00.000Z', { action: 'grant.applied', detail: {} }],
    ],
  );
  // Saturday 23:40 CET: granted the day before the period
  await request(
    store,
    activeRequest({
      requestId: 'r-before',
      rules,
      submittedAt: '2026-03-28T22:30:00.000Z',
      grantedAt: '2026-03-28T22:40:00.000Z',
    }),
    [
      ['2026-03-28T22:30:00.000Z', { action: 'request.submitted', detail: {} }],
      ['2026-03-28T22:40:00.000Z', { action: 'grant.applied', detail: {} }],
    ],
  );
  // nobody answered in time
  const unanswered = transition(
    pendingRequest({ requestId: 'r-gcp', rules: GCP_BILLING_VIEWER, submittedAt: '2026-03-29T10:00:00.000Z' }),
    'expired',
  );
  await request(store, unanswered, [
    ['2026-03-29T10:00:00.000Z', { action: 'request.submitted', detail: {} }],
    ['2026-03-29T18:00:00.000Z', { action: 'request.expired', detail: {} }],
  ]);
  // waiting since Wednesday
  await request(store, pendingRequest({ requestId: 'r-old', rules, submittedAt: '2026-03-25T09:00:00.000Z' }), [
    ['2026-03-25T09:00:00.000Z', { action: 'request.submitted', detail: {} }],
  ]);
  // break-glass on Sunday 05:00 CEST, not reviewed
  const glass = initialState(
    {
      ...pendingRequest({
        requestId: 'r-bg',
        rules: PROD_ADMIN,
        submittedAt: '2026-03-29T03:00:00.000Z',
        requester: hostile ?? 'oncall@example.com',
      }).request,
      breakGlass: true,
    },
    PROD_ADMIN,
    'break-glass',
  );
  await request(store, transition(transition(glass, 'approved'), 'active'), [
    ['2026-03-29T03:00:00.000Z', { action: 'request.submitted', detail: {} }],
  ]);
  // granted last week, its revocation failing all Sunday
  await request(
    store,
    activeRequest({
      requestId: 'r-stuck',
      rules,
      submittedAt: '2026-03-27T08:00:00.000Z',
      grantedAt: '2026-03-27T08:01:00.000Z',
    }),
    [
      [
        '2026-03-29T00:00:00.000Z',
        {
          action: 'grant.revoke_retrying',
          detail: { attempt: 7, code: 'CLOUD.ACCESS_DENIED', message: `AccessDenied for ${name}` },
        },
      ],
      [
        '2026-03-29T12:00:00.000Z',
        {
          action: 'grant.revoke_retrying',
          detail: { attempt: 8, code: 'CLOUD.ACCESS_DENIED', message: `AccessDenied again for ${name}` },
        },
      ],
    ],
  );
}

let runSequence = 0;

/** An assessment of a system, finished at `finishedAt`, with its counts; and the day's point in the PCI history. */
export async function seedAssessment(
  pool: pg.Pool,
  systemId: string,
  finishedAt: string,
  pci: number,
  counts: Record<string, number>,
  severities: Record<string, number> = {},
): Promise<void> {
  const runId = `digest-seed-${systemId}-${++runSequence}`;
  const { rows } = await pool.query<{ run_key: string }>(
    `INSERT INTO inventory_runs (run_id, system_id, status, started_at, finished_at, window_from, window_to)
     VALUES ($1, $2, 'succeeded', $3::timestamptz - interval '1 hour', $3, $3::timestamptz - interval '90 days', $3)
     RETURNING run_key`,
    [runId, systemId, finishedAt],
  );
  await pool.query(
    `INSERT INTO findings_runs (run_key, system_id, status, started_at, finished_at, pci, summary)
     VALUES ($1, $2, 'succeeded', $3::timestamptz - interval '10 minutes', $3, $4, $5)`,
    [rows[0]!.run_key, systemId, finishedAt, pci, JSON.stringify({ counts, severities })],
  );
  await pool.query(
    `INSERT INTO findings_pci_history (system_id, identity_id, day, pci) VALUES ($1, '*', ($2::timestamptz AT TIME ZONE 'UTC')::date, $3)
     ON CONFLICT (system_id, identity_id, day) DO UPDATE SET pci = EXCLUDED.pci`,
    [systemId, finishedAt, pci],
  );
}

export async function seedFindings(pool: pg.Pool): Promise<void> {
  await seedAssessment(
    pool,
    'aws-prod',
    '2026-03-20T05:00:00.000Z',
    40,
    { inactive: 3, 'over-provisioned': 2 },
    { high: 1 },
  );
  await seedAssessment(
    pool,
    'aws-prod',
    '2026-03-29T05:00:00.000Z',
    47,
    { inactive: 4, 'over-provisioned': 2 },
    { high: 2, critical: 1 },
  );
  await seedAssessment(pool, 'aws-prod', '2026-03-30T05:00:00.000Z', 99, { inactive: 40 }); // after the period
  await seedAssessment(pool, 'gcp-finance', '2026-03-29T12:00:00.000Z', 12, { inactive: 1 });
  // outside the 90 days the chart draws, and an identity's own history, which is not the system's
  await pool.query(
    `INSERT INTO findings_pci_history (system_id, identity_id, day, pci) VALUES ('aws-prod', '*', '2025-12-29', 5), ('aws-prod', 'arn:aws:iam::1:role/x', '2026-03-29', 80)`,
  );
}

async function cleanupRun(
  pool: pg.Pool,
  run: { runId: string; systemId: string; plannedAt: string; finishedAt?: string },
  items: { outcome?: string; outcomeAt?: string; restoredAt?: string }[],
): Promise<void> {
  await pool.query(
    `INSERT INTO cleanup_runs (run_id, system_id, collection_run_id, mode, trigger, status, window_from, window_to, planned_at, finished_at)
     VALUES ($1, $2, 'collect-1', 'report', 'schedule', $3, $4::timestamptz - interval '90 days', $4, $4, $5)`,
    [run.runId, run.systemId, run.finishedAt ? 'finished' : 'announced', run.plannedAt, run.finishedAt ?? null],
  );
  for (const [index, item] of items.entries()) {
    await pool.query(
      `INSERT INTO cleanup_items (run_id, item_id, change, object_kind, object_key, object_name, identities, reason, outcome, outcome_at, restored_at)
       VALUES ($1, $2, 'remove-actions', 'aws-inline-policy', $3, $3, '[]', 'unused for 90 days', $4, $5, $6)`,
      [
        run.runId,
        `item-${index}`,
        `policy-${index}`,
        item.outcome ?? null,
        item.outcomeAt ?? null,
        item.restoredAt ?? null,
      ],
    );
  }
}

export async function seedCleanup(pool: pg.Pool): Promise<void> {
  await cleanupRun(pool, { runId: 'run-sunday', systemId: 'aws-prod', plannedAt: '2026-03-29T09:00:00.000Z' }, [
    { outcome: 'removed', outcomeAt: '2026-03-29T12:00:00.000Z' },
    { outcome: 'removed', outcomeAt: '2026-03-29T12:00:01.000Z' },
    { outcome: 'kept', outcomeAt: '2026-03-29T12:00:02.000Z' },
    { outcome: 'failed', outcomeAt: '2026-03-29T12:00:03.000Z' },
    { outcome: 'removed', outcomeAt: '2026-03-29T22:30:00.000Z' }, // Monday already
  ]);
  await cleanupRun(
    pool,
    {
      runId: 'run-march',
      systemId: 'aws-prod',
      plannedAt: '2026-03-01T09:00:00.000Z',
      finishedAt: '2026-03-08T09:00:00.000Z',
    },
    [{ outcome: 'restored', outcomeAt: '2026-03-29T15:00:00.000Z', restoredAt: '2026-03-29T15:00:00.000Z' }],
  );
  await cleanupRun(
    pool,
    {
      runId: 'run-stale',
      systemId: 'aws-prod',
      plannedAt: '2026-03-01T09:00:00.000Z',
      finishedAt: '2026-03-08T09:00:00.000Z',
    },
    [{ outcome: 'removed', outcomeAt: '2026-03-08T09:00:00.000Z' }],
  );
  await cleanupRun(pool, { runId: 'run-elsewhere', systemId: 'azure-gone', plannedAt: '2026-03-29T09:00:00.000Z' }, [
    { outcome: 'removed', outcomeAt: '2026-03-29T12:00:00.000Z' },
  ]);
}
