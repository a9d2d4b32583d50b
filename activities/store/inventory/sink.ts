import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  isMembership,
  type Coverage,
  type DocumentAction,
  type GrantPath,
  type Identity,
  type InventorySink,
  type PolicyDocument,
  type SkippedItem,
  type UsageDay,
  type UsageDetail,
} from '../../../domain/inventory/model';
import { inTransaction } from '../transaction';
import { copyRows, type CopyValue } from './copy';
import { refuseBatch } from './errors';
import { lockOpenRun, SKIPPED_KEPT, SKIPPED_MORE, type OpenRun } from './runs';

/** Bounds on the detail kept per identity and day, whatever number of pages add to it. */
export const DETAIL_LIMITS = { regions: 50, addresses: 100, newResources: 100 } as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A Postgres array literal for COPY's text format (elements quoted; COPY escaping is applied on top). */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

function chunkName(chunk: string | undefined, batch: unknown): string {
  return chunk ?? `content:${createHash('sha256').update(JSON.stringify(batch)).digest('hex')}`;
}

function checkSystem(run: OpenRun, items: readonly { systemId: string }[], what: string): void {
  const stranger = items.find((item) => item.systemId !== run.systemId);
  if (stranger) {
    throw refuseBatch(`a ${what} of system ${stranger.systemId} cannot be written under a run of ${run.systemId}`);
  }
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 2_147_483_647;
}

/**
 * Writes a collector's batches under one run. Each call is one transaction: a refused batch writes nothing.
 * Repeating a call writes nothing twice: identities, paths and coverage are inserted once by their key;
 * documents once by content id, across every run and system; usage pages and skipped items are added up, and
 * each page's chunk id is recorded in the same transaction, so a retried page adds nothing.
 */
export class RunSink implements InventorySink {
  constructor(
    private readonly pool: pg.Pool,
    private readonly runId: string,
  ) {}

  private write(work: (client: pg.PoolClient, run: OpenRun) => Promise<void>): Promise<void> {
    return inTransaction(this.pool, async (client) => work(client, await lockOpenRun(client, this.runId)));
  }

  async identities(batch: Identity[]): Promise<void> {
    if (batch.length === 0) return;
    await this.write(async (client, run) => {
      checkSystem(run, batch, 'identity');
      await client.query(
        `CREATE TEMP TABLE stage_identities (LIKE inventory_identities INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
      const columns = ['run_key', 'identity_id', 'kind', 'name', 'nature', 'owner', 'tags', 'created_at'];
      columns.push('last_activity_at', 'parent_id', 'path', 'disabled', 'trust_policy', 'unreadable');
      columns.push('provisioned_accounts');
      await copyRows(
        client,
        'stage_identities',
        columns,
        batch.map((i): CopyValue[] => [
          run.key,
          i.id,
          i.kind,
          i.name,
          i.nature,
          i.owner,
          JSON.stringify(i.tags ?? {}),
          i.createdAt,
          i.lastActivityAt,
          i.parentId,
          i.path,
          i.disabled ?? false,
          i.trustPolicy === undefined ? null : JSON.stringify(i.trustPolicy),
          i.unreadable?.length ? JSON.stringify(i.unreadable) : null,
          i.provisionedAccounts === undefined ? null : JSON.stringify(i.provisionedAccounts),
        ]),
      );
      await client.query('INSERT INTO inventory_identities SELECT * FROM stage_identities ON CONFLICT DO NOTHING');
    });
  }

  async documents(batch: { document: PolicyDocument; actions: DocumentAction[] }[]): Promise<void> {
    if (batch.length === 0) return;
    for (const { document, actions } of batch) {
      const stray = actions.find((a) => a.documentId !== document.id);
      if (stray) throw refuseBatch(`action ${stray.action} names document ${stray.documentId}, not ${document.id}`);
    }
    await this.write(async (client, run) => {
      const ids = [...new Set(batch.map((entry) => entry.document.id))];
      const stored = await client.query<{ document_id: string }>(
        'SELECT document_id FROM inventory_documents WHERE document_id = ANY($1::text[])',
        [ids],
      );
      const known = new Set(stored.rows.map((row) => row.document_id));
      const fresh = new Map<string, { document: PolicyDocument; actions: DocumentAction[] }>();
      for (const entry of batch) if (!known.has(entry.document.id)) fresh.set(entry.document.id, entry);
      if (fresh.size > 0) await insertDocuments(client, [...fresh.values()]);
      await client.query(
        `INSERT INTO inventory_run_documents (run_key, document_id)
         SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
        [run.key, ids],
      );
    });
  }

  async grantPaths(batch: GrantPath[]): Promise<void> {
    if (batch.length === 0) return;
    const misshapen = batch.find((p) => isMembership(p.kind) === Boolean(p.documentId));
    if (misshapen) {
      throw refuseBatch(
        `a ${misshapen.kind} path of ${misshapen.identityId} ${misshapen.documentId ? 'must not name' : 'must name'} a document`,
      );
    }
    const unmembered = batch.find((p) => isMembership(p.kind) && !p.via);
    if (unmembered) throw refuseBatch(`the group membership of ${unmembered.identityId} names no group (via)`);
    await this.write(async (client, run) => {
      checkSystem(run, batch, 'grant path');
      await client.query(
        `CREATE TEMP TABLE stage_paths (LIKE inventory_grant_paths INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
      await copyRows(
        client,
        'stage_paths',
        ['run_key', 'identity_id', 'kind', 'document_id', 'via', 'scope', 'conditional'],
        batch.map((p): CopyValue[] => [run.key, p.identityId, p.kind, p.documentId, p.via, p.scope, p.conditional]),
      );
      const unknown = await client.query<{ document_id: string }>(
        `SELECT DISTINCT s.document_id FROM stage_paths s
         WHERE s.document_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM inventory_documents d WHERE d.document_id = s.document_id)
         ORDER BY s.document_id LIMIT 5`,
      );
      if (unknown.rows.length > 0) {
        throw refuseBatch(
          `grant paths name documents never stored (${unknown.rows.map((r) => r.document_id).join(', ')}): ` +
            'write documents before the paths that hold them',
        );
      }
      await client.query('INSERT INTO inventory_grant_paths SELECT * FROM stage_paths ON CONFLICT DO NOTHING');
      // Keeps every document a path of this run holds from being pruned while the run lives.
      await client.query(
        `INSERT INTO inventory_run_documents (run_key, document_id)
         SELECT DISTINCT $1::bigint, document_id FROM stage_paths WHERE document_id IS NOT NULL
         ON CONFLICT DO NOTHING`,
        [run.key],
      );
    });
  }

  async usage(batch: UsageDay[], chunk?: string): Promise<void> {
    if (batch.length === 0) return;
    const bad = batch.find((u) => !DAY.test(u.day) || !isCount(u.count) || !isCount(u.denied));
    if (bad) throw refuseBatch(`usage of ${bad.identityId} on ${bad.day}: day must be YYYY-MM-DD, counts whole ≥ 0`);
    await this.write(async (client, run) => {
      checkSystem(run, batch, 'usage row');
      if (!(await firstTime(client, run, 'usage', chunkName(chunk, batch)))) return;
      await client.query(
        `CREATE TEMP TABLE stage_usage (identity_id text, action text, day date, count int, denied int) ON COMMIT DROP`,
      );
      await copyRows(
        client,
        'stage_usage',
        ['identity_id', 'action', 'day', 'count', 'denied'],
        batch.map((u): CopyValue[] => [u.identityId, u.action, u.day, u.count, u.denied]),
      );
      // Ordered by key so two pages of one run adding to the same rows lock them in the same order.
      await client.query(
        `INSERT INTO inventory_usage (run_key, identity_id, action, day, count, denied)
         SELECT $1, identity_id, action, day, sum(count)::int, sum(denied)::int FROM stage_usage
         GROUP BY identity_id, action, day ORDER BY identity_id, action, day
         ON CONFLICT (run_key, identity_id, action, day) DO UPDATE SET
           count = inventory_usage.count + EXCLUDED.count,
           denied = inventory_usage.denied + EXCLUDED.denied`,
        [run.key],
      );
    });
  }

  async usageDetail(batch: UsageDetail[], chunk?: string): Promise<void> {
    if (batch.length === 0) return;
    const bad = batch.find((d) => !DAY.test(d.day) || d.hours.length !== 24 || !d.hours.every(isCount));
    if (bad) throw refuseBatch(`usage detail of ${bad.identityId} on ${bad.day}: 24 whole hour counts ≥ 0 needed`);
    const merged = mergeDetail(batch);
    await this.write(async (client, run) => {
      checkSystem(run, batch, 'usage detail');
      if (!(await firstTime(client, run, 'detail', chunkName(chunk, batch)))) return;
      await client.query(
        `INSERT INTO inventory_usage_detail (run_key, identity_id, day, hours, regions, addresses, new_resources)
         SELECT $1, r.identity_id, r.day, r.hours,
                inventory_bounded_union(r.regions, '{}', $3), inventory_bounded_union(r.addresses, '{}', $4),
                inventory_bounded_union(r.new_resources, '{}', $5)
         FROM jsonb_to_recordset($2::jsonb) AS r(identity_id text, day date, hours int[], regions text[],
                                                 addresses text[], new_resources text[])
         ORDER BY r.identity_id, r.day
         ON CONFLICT (run_key, identity_id, day) DO UPDATE SET
           hours = inventory_hours_sum(inventory_usage_detail.hours, EXCLUDED.hours),
           regions = inventory_bounded_union(inventory_usage_detail.regions, EXCLUDED.regions, $3),
           addresses = inventory_bounded_union(inventory_usage_detail.addresses, EXCLUDED.addresses, $4),
           new_resources = inventory_bounded_union(inventory_usage_detail.new_resources, EXCLUDED.new_resources, $5)`,
        [run.key, JSON.stringify(merged), DETAIL_LIMITS.regions, DETAIL_LIMITS.addresses, DETAIL_LIMITS.newResources],
      );
    });
  }

  async coverage(batch: Coverage[]): Promise<void> {
    if (batch.length === 0) return;
    await this.write(async (client, run) => {
      checkSystem(run, batch, 'coverage row');
      await client.query(
        `INSERT INTO inventory_coverage (run_key, identity_id, source, granularity, from_at, to_at, actions, services,
                                         except_actions, note, document_id)
         SELECT $1, r.* FROM jsonb_to_recordset($2::jsonb) AS r(identity_id text, source text, granularity text,
           from_at timestamptz, to_at timestamptz, actions text, services text[], except_actions text[], note text,
           document_id text)
         ON CONFLICT DO NOTHING`,
        [
          run.key,
          JSON.stringify(
            batch.map((c) => ({
              identity_id: c.identityId,
              source: c.source,
              granularity: c.granularity,
              from_at: c.from,
              to_at: c.to,
              actions: c.actions,
              services: c.services ?? null,
              except_actions: c.exceptActions ?? null,
              note: c.note ?? null,
              document_id: c.documentId ?? null,
            })),
          ),
        ],
      );
    });
  }

  /**
   * Skipped items, bounded: a run keeps the first SKIPPED_KEPT items of each reason (by key, once each) and
   * counts the rest in one row per reason (item SKIPPED_MORE, detail the number), so a source that skips a
   * million things writes a few rows, while the run still says what was skipped and how many. A retried batch
   * is recognised by its content and adds nothing.
   */
  async skipped(batch: SkippedItem[]): Promise<void> {
    if (batch.length === 0) return;
    const items = distinctSkipped(batch);
    await this.write(async (client, run) => {
      if (!(await firstTime(client, run, 'skipped', chunkName(undefined, items)))) return;
      // batches of one run take turns here (batches of other kinds still write beside them): the bound holds
      await client.query('SELECT 1 FROM inventory_runs WHERE run_key = $1 FOR NO KEY UPDATE', [run.key]);
      await client.query(
        `WITH incoming AS (
           SELECT r.reason, r.item, r.detail, r.position
           FROM jsonb_to_recordset($2::jsonb) AS r(reason text, item text, detail text, position int)
           WHERE NOT EXISTS (SELECT 1 FROM inventory_skipped s
                             WHERE s.run_key = $1 AND s.reason = r.reason AND s.item = r.item)
         ), kept AS (
           SELECT reason, count(*) AS n FROM inventory_skipped
           WHERE run_key = $1 AND item <> $4 AND reason IN (SELECT reason FROM incoming)
           GROUP BY reason
         ), placed AS (
           SELECT i.reason, i.item, i.detail,
                  coalesce(k.n, 0) + row_number() OVER (PARTITION BY i.reason ORDER BY i.position) <= $3 AS listed
           FROM incoming i LEFT JOIN kept k USING (reason)
         ), listed AS (
           INSERT INTO inventory_skipped (run_key, reason, item, detail)
           SELECT $1, reason, item, detail FROM placed WHERE listed
         )
         INSERT INTO inventory_skipped (run_key, reason, item, detail)
         SELECT $1, reason, $4, count(*)::text FROM placed WHERE NOT listed GROUP BY reason ORDER BY reason
         ON CONFLICT (run_key, reason, item) DO UPDATE
           SET detail = (inventory_skipped.detail::bigint + EXCLUDED.detail::bigint)::text`,
        [run.key, JSON.stringify(items.map((s, position) => ({ ...s, position }))), SKIPPED_KEPT, SKIPPED_MORE],
      );
    });
  }
}

/**
 * A batch's items once each by reason and item, in the order met, with an empty item named: the empty item
 * is the row that counts a reason's items past those kept.
 */
function distinctSkipped(batch: SkippedItem[]): { reason: string; item: string; detail: string | null }[] {
  const byKey = new Map<string, { reason: string; item: string; detail: string | null }>();
  for (const s of batch) {
    const item = s.item === SKIPPED_MORE ? '(none)' : s.item;
    const key = JSON.stringify([s.reason, item]);
    if (!byKey.has(key)) byKey.set(key, { reason: s.reason, item, detail: s.detail ?? null });
  }
  return [...byKey.values()];
}

/** Records a usage page's chunk id; false when this run already applied it (a retried page). */
async function firstTime(client: pg.PoolClient, run: OpenRun, stream: 'usage' | 'detail' | 'skipped', chunk: string) {
  const recorded = await client.query(
    `INSERT INTO inventory_usage_chunks (run_key, stream, chunk) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [run.key, stream, chunk],
  );
  return recorded.rowCount === 1;
}

async function insertDocuments(
  client: pg.PoolClient,
  entries: { document: PolicyDocument; actions: DocumentAction[] }[],
): Promise<void> {
  await client.query(
    `INSERT INTO inventory_documents (document_id, cloud, kind, name, managed_by_cloud, body)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(document_id text, cloud text, kind text, name text,
       managed_by_cloud boolean, body jsonb)
     ON CONFLICT DO NOTHING`,
    [
      JSON.stringify(
        entries.map(({ document: d }) => ({
          document_id: d.id,
          cloud: d.cloud,
          kind: d.kind,
          name: d.name,
          managed_by_cloud: d.managedByCloud,
          body: d.body ?? null,
        })),
      ),
    ],
  );
  await client.query(
    `CREATE TEMP TABLE stage_actions (LIKE inventory_document_actions INCLUDING DEFAULTS) ON COMMIT DROP`,
  );
  const rows: CopyValue[][] = [];
  for (const { actions } of entries) {
    for (const a of mergeActions(actions)) {
      rows.push([a.documentId, a.action, a.effect, arrayLiteral(a.accessLevels), a.resourceReach, a.conditional]);
    }
  }
  await copyRows(
    client,
    'stage_actions',
    ['document_id', 'action', 'effect', 'access_levels', 'resource_reach', 'conditional'],
    rows,
  );
  // A document another run stored at the same moment already has these rows: nothing is added twice.
  await client.query('INSERT INTO inventory_document_actions SELECT * FROM stage_actions ON CONFLICT DO NOTHING');
}

/**
 * One row per action and effect: statements that grant the same action twice (on some resources and on
 * all, with and without a condition) reach what the widest reaches, conditional only if every one is.
 */
function mergeActions(actions: DocumentAction[]): DocumentAction[] {
  const byKey = new Map<string, DocumentAction>();
  for (const a of actions) {
    const key = `${a.effect} ${a.action}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...a, accessLevels: [...a.accessLevels] });
      continue;
    }
    if (a.resourceReach === 'all') seen.resourceReach = 'all';
    seen.conditional &&= a.conditional;
    for (const level of a.accessLevels) if (!seen.accessLevels.includes(level)) seen.accessLevels.push(level);
  }
  return [...byKey.values()];
}

/** One row per identity and day, so a page may carry several parts of one day. */
function mergeDetail(batch: UsageDetail[]) {
  const byKey = new Map<
    string,
    {
      identity_id: string;
      day: string;
      hours: number[];
      regions: string[];
      addresses: string[];
      new_resources: string[];
    }
  >();
  for (const d of batch) {
    const key = `${d.identityId}\n${d.day}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, {
        identity_id: d.identityId,
        day: d.day,
        hours: [...d.hours],
        regions: [...d.regions],
        addresses: [...d.addresses],
        new_resources: [...d.newResources],
      });
      continue;
    }
    seen.hours = seen.hours.map((n, hour) => n + (d.hours[hour] ?? 0));
    seen.regions.push(...d.regions);
    seen.addresses.push(...d.addresses);
    seen.new_resources.push(...d.newResources);
  }
  return [...byKey.values()];
}
