import os from 'node:os';
import { createHash } from 'node:crypto';
import { InventoryStore } from '../../activities/store/inventory/store';
import { now } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { loadInventory, roleId, type GeneratedDocument, type InventoryShape } from '../lib/inventory-data';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { envInt } from '../lib/context';

/**
 * Loads a large inventory straight into PostgreSQL through the store's own sink (COPY into staging, then
 * insert-once / upsert), the way collectors write it: D documents with their expansions, N identities
 * (each holding three documents, one in ten also a member of a group holding two more) and U usage rows
 * (identity × action × day) in pages. Then finishes the run and times an identity view and an "unused in
 * the window" query on the resulting snapshot.
 */
const SYSTEM = 'bench-inventory';

interface Sizes extends InventoryShape {
  views: number;
}

function sizes(): Sizes {
  return {
    identities: envInt('BENCH_INVENTORY_IDENTITIES', 100_000),
    documents: envInt('BENCH_INVENTORY_DOCUMENTS', 500),
    usage: envInt('BENCH_INVENTORY_USAGE', 1_000_000),
    page: envInt('BENCH_INVENTORY_PAGE', 10_000),
    views: envInt('BENCH_INVENTORY_VIEWS', 20),
  };
}

/** Document d grants 20–216 actions of services 0–39; document 0 is the widest (an admin-like policy). */
function actionsOf(d: number): string[] {
  const count = d === 0 ? 2000 : 20 + (d % 50) * 4;
  return Array.from({ length: count }, (_, k) => `svc${(d + k) % 40}:Action${(d * 7 + Math.floor(k / 40)) % 400}`);
}

function document(d: number): GeneratedDocument {
  const body = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actionsOf(d), Resource: '*' }] };
  const id = `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  const unique = [...new Set(actionsOf(d))];
  return {
    document: {
      id,
      cloud: 'aws',
      kind: 'aws-policy',
      name: `arn:aws:iam::aws:policy/Bench${d}`,
      managedByCloud: true,
      body,
    },
    actions: unique.map((action) => ({
      documentId: id,
      action,
      effect: 'allow',
      accessLevels: action.endsWith('0') ? ['Write'] : ['Read'],
      resourceReach: 'all',
      conditional: false,
    })),
  };
}

export async function inventoryLoadScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const size = sizes();
  const report = newReport('inventory-load');
  const startedAt = now();
  const pool = ctx.stack.db.pool;
  const store = new InventoryStore(pool);
  const runId = `bench-${Date.now().toString(36)}`;
  const loadAvg = (): string =>
    os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  report.notes.push(`load average before: ${loadAvg()} (${os.cpus().length} cores)`);

  const loaded = await loadInventory(store, { systemId: SYSTEM, runId, shape: size, document, signal: ctx.signal });
  const { docs } = loaded;
  value(
    report,
    `documents: ${size.documents} (${loaded.documentActions} expanded actions)`,
    loaded.documentSeconds.toFixed(1),
    's',
  );
  value(report, `identities: ${size.identities} rows`, Math.round(size.identities / loaded.identitySeconds), 'rows/s');
  value(report, `grant paths: ${loaded.pathCount} rows`, Math.round(loaded.pathCount / loaded.pathSeconds), 'rows/s');
  value(
    report,
    `usage: ${size.usage} rows in pages of ${size.page}`,
    Math.round(size.usage / loaded.usageSeconds),
    'rows/s',
  );

  let clock = now();
  await store.finishRun(runId, { snapshotsKept: 1 });
  value(report, 'finishRun (mark current, prune to 1 snapshot)', ((now() - clock) / 1000).toFixed(2), 's');

  const views: number[] = [];
  let granted = 0;
  for (let k = 0; k < size.views; k++) {
    const i = (k * 4999) % size.identities;
    clock = now();
    const view = await store.identityView(SYSTEM, k % 2 === 0 ? roleId(i) : `BENCH-ROLE-${i}`);
    views.push(now() - clock);
    granted += view?.granted.length ?? 0;
  }
  latency(report, `identityView (by id / by name; mean ${Math.round(granted / size.views)} granted actions)`, views);
  clock = now();
  const adminView = await store.identityView(SYSTEM, roleId(0));
  value(
    report,
    `identityView of a group member holding ${adminView?.granted.length ?? 0} actions`,
    now() - clock,
    'ms',
  );

  const unused: number[] = [];
  let holders = 0;
  for (const action of [docs[1]!.actions[0]!.action, docs[0]!.actions[5]!.action, 'svc3:Action21']) {
    clock = now();
    holders += (await store.unusedHolders(SYSTEM, action, { limit: 100_000 })).length;
    unused.push(now() - clock);
  }
  latency(report, `unusedHolders (action unused in window; ${holders} identities over 3 actions)`, unused);

  const sizesResult = await pool.query<{ name: string; mib: string }>(
    `SELECT relname AS name, round(pg_total_relation_size(oid) / 1048576.0, 1)::text AS mib FROM pg_class
     WHERE relname IN ('inventory_identities', 'inventory_grant_paths', 'inventory_usage', 'inventory_document_actions')
     ORDER BY relname`,
  );
  value(report, 'table sizes with indexes (MiB)', sizesResult.rows.map((r) => `${r.name} ${r.mib}`).join(', '));
  report.notes.push(`load average after: ${loadAvg()}`);
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
