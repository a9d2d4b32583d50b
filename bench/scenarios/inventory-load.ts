import os from 'node:os';
import { createHash } from 'node:crypto';
import type {
  DocumentAction,
  GrantPath,
  Identity,
  InventorySink,
  PolicyDocument,
  UsageDay,
} from '../../domain/inventory/model';
import { InventoryStore } from '../../activities/store/inventory/store';
import { now } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';

/**
 * Loads a large inventory straight into PostgreSQL through the store's own sink (COPY into staging, then
 * insert-once / upsert), the way collectors write it: D documents with their expansions, N identities
 * (each holding three documents, one in ten also a member of a group holding two more) and U usage rows
 * (identity × action × day) in pages. Then finishes the run and times an identity view and an "unused in
 * the window" query on the resulting snapshot.
 */
const SYSTEM = 'bench-inventory';
const GROUPS = 100;
const WINDOW_DAYS = 90;

interface Sizes {
  identities: number;
  documents: number;
  usage: number;
  page: number;
  views: number;
}

function sizes(): Sizes {
  const int = (name: string, fallback: number): number => {
    const raw = process.env[name];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, not ${raw}`);
    return n;
  };
  return {
    identities: int('BENCH_INVENTORY_IDENTITIES', 100_000),
    documents: int('BENCH_INVENTORY_DOCUMENTS', 500),
    usage: int('BENCH_INVENTORY_USAGE', 1_000_000),
    page: int('BENCH_INVENTORY_PAGE', 10_000),
    views: int('BENCH_INVENTORY_VIEWS', 20),
  };
}

/** Document d grants 20–216 actions of services 0–39; document 0 is the widest (an admin-like policy). */
function actionsOf(d: number): string[] {
  const count = d === 0 ? 2000 : 20 + (d % 50) * 4;
  return Array.from({ length: count }, (_, k) => `svc${(d + k) % 40}:Action${(d * 7 + Math.floor(k / 40)) % 400}`);
}

function document(d: number): { document: PolicyDocument; actions: DocumentAction[] } {
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

const roleId = (i: number): string => `arn:aws:iam::111122223333:role/bench-role-${i}`;
const groupId = (g: number): string => `arn:aws:iam::111122223333:group/bench-group-${g}`;
/** The three documents identity i holds directly (never the admin-like document 0, which only group 0 holds). */
const heldBy = (i: number, documents: number): number[] =>
  [i, i * 7 + 3, i * 13 + 5].map((n) => 1 + (n % Math.max(1, documents - 1)));

async function inPages<T>(total: number, page: number, make: (i: number) => T[], write: (b: T[]) => Promise<void>) {
  for (let start = 0; start < total; start += page) {
    const batch: T[] = [];
    for (let i = start; i < Math.min(total, start + page); i++) batch.push(...make(i));
    await write(batch);
  }
}

export async function inventoryLoadScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const size = sizes();
  const report = newReport('inventory-load');
  const startedAt = now();
  const pool = ctx.stack.db.pool;
  const store = new InventoryStore(pool);
  const windowTo = new Date(Date.UTC(2026, 2, 31, 23, 59, 59));
  const windowFrom = new Date(windowTo.getTime() - (WINDOW_DAYS - 1) * 86_400_000 - 86_399_000);
  const runId = `bench-${Date.now().toString(36)}`;
  await store.beginRun({
    runId,
    systemId: SYSTEM,
    windowFrom: windowFrom.toISOString(),
    windowTo: windowTo.toISOString(),
    catalogues: { aws: 'bench' },
  });
  const sink: InventorySink = store.sink(runId);
  const loadAvg = (): string =>
    os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  report.notes.push(`load average before: ${loadAvg()} (${os.cpus().length} cores)`);

  let clock = now();
  const docs = Array.from({ length: size.documents }, (_, d) => document(d));
  await inPages(
    docs.length,
    50,
    (d) => [docs[d]!],
    (batch) => sink.documents(batch),
  );
  const documentSeconds = (now() - clock) / 1000;
  const documentActions = docs.reduce((n, d) => n + d.actions.length, 0);
  value(report, `documents: ${size.documents} (${documentActions} expanded actions)`, documentSeconds.toFixed(1), 's');

  clock = now();
  const identity = (i: number): Identity[] => [
    { systemId: SYSTEM, id: roleId(i), kind: 'aws-iam-role', name: `bench-role-${i}`, nature: 'workload', tags: {} },
  ];
  await sink.identities(
    Array.from({ length: GROUPS }, (_, g) => ({
      systemId: SYSTEM,
      id: groupId(g),
      kind: 'aws-iam-group' as const,
      name: `bench-group-${g}`,
      nature: 'group' as const,
      tags: {},
    })),
  );
  await inPages(size.identities, size.page, identity, (batch) => sink.identities(batch));
  const identitySeconds = (now() - clock) / 1000;
  value(report, `identities: ${size.identities} rows`, Math.round(size.identities / identitySeconds), 'rows/s');

  clock = now();
  const groupPaths: GrantPath[] = Array.from({ length: GROUPS }, (_, g) => [g === 0 ? 0 : g % size.documents, g + 1])
    .flat()
    .map((d, k) => ({
      systemId: SYSTEM,
      identityId: groupId(Math.floor(k / 2)),
      kind: 'managed-policy' as const,
      documentId: docs[d % size.documents]!.document.id,
      scope: '*',
      conditional: false,
    }));
  await sink.grantPaths(groupPaths);
  let pathCount = groupPaths.length;
  const paths = (i: number): GrantPath[] => {
    const own: GrantPath[] = heldBy(i, size.documents).map((d) => ({
      systemId: SYSTEM,
      identityId: roleId(i),
      kind: 'managed-policy',
      documentId: docs[d]!.document.id,
      via: docs[d]!.document.name,
      scope: '*',
      conditional: false,
    }));
    if (i % 10 === 0) {
      own.push({
        systemId: SYSTEM,
        identityId: roleId(i),
        kind: 'group-membership',
        via: groupId((i / 10) % GROUPS),
        scope: '*',
        conditional: false,
      });
    }
    return own;
  };
  await inPages(size.identities, Math.max(1, Math.floor(size.page / 3)), paths, async (batch) => {
    await sink.grantPaths(batch);
    pathCount += batch.length;
  });
  const pathSeconds = (now() - clock) / 1000;
  value(report, `grant paths: ${pathCount} rows`, Math.round(pathCount / pathSeconds), 'rows/s');

  // Usage: row r is identity r % N, one of its first document's actions, one of the window's days.
  clock = now();
  const day = (n: number): string => new Date(windowTo.getTime() - n * 86_400_000).toISOString().slice(0, 10);
  const usageRow = (r: number): UsageDay[] => {
    const i = r % size.identities;
    const round = Math.floor(r / size.identities);
    const actions = docs[heldBy(i, size.documents)[0]!]!.actions;
    return [
      {
        systemId: SYSTEM,
        identityId: roleId(i),
        action: actions[round % actions.length]!.action,
        day: day(Math.floor(round / actions.length) % WINDOW_DAYS),
        count: 1 + (r % 17),
        denied: r % 97 === 0 ? 1 : 0,
      },
    ];
  };
  let pageNo = 0;
  await inPages(size.usage, size.page, usageRow, (batch) => sink.usage(batch, `bench-page-${pageNo++}`));
  const usageSeconds = (now() - clock) / 1000;
  value(report, `usage: ${size.usage} rows in pages of ${size.page}`, Math.round(size.usage / usageSeconds), 'rows/s');

  clock = now();
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
