import type {
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  InventorySink,
  PolicyDocument,
  UsageDay,
} from '../../domain/inventory/model';
import type { InventoryStore } from '../../activities/store/inventory/store';
import { now, throwIfAborted } from './clock';

/**
 * A large inventory written straight into PostgreSQL through the store's own sink (COPY into staging,
 * then insert-once / upsert), the way collectors write it; shared by `inventory-load`, `findings-pci` and `cleanup`.
 * Shape: D documents with their expansions, GROUPS groups (group g holds documents g and g+1; group 0
 * holds document 0, the widest), N roles (each holding three documents, never document 0; one in ten also
 * a member of a group) and U usage rows (identity × action × day: row r is identity r % N, one of its
 * first document's actions, one of the window's days), written in pages. What a document holds is the
 * caller's: the generator is passed in.
 */

export const GROUPS = 100;
export const WINDOW_DAYS = 90;

export interface InventoryShape {
  identities: number;
  documents: number;
  usage: number;
  /** Rows per sink page (one COPY each). */
  page: number;
}

export interface GeneratedDocument {
  document: PolicyDocument;
  actions: DocumentAction[];
}

export interface LoadOptions {
  systemId: string;
  runId: string;
  shape: InventoryShape;
  /** Document d of the inventory (0 is held only by group 0 and its members). */
  document: (d: number) => GeneratedDocument;
  /** Coverage rows written with the run (none by default: every verdict is then unknown). */
  coverage?: (window: { from: string; to: string }) => Coverage[];
  /** The run's window (benchWindow() by default). */
  window?: { from: Date; to: Date };
  /** More of role i than its id and name (creation time, tags, …); nothing by default. */
  role?: (i: number) => Partial<Identity>;
  /** Documents written with the run besides the D generated ones, held only through `extraPaths`. */
  extraDocuments?: GeneratedDocument[];
  /** Paths role i holds besides its three documents and its group (e.g. inline policies); none by default. */
  extraPaths?: (i: number) => GrantPath[];
  /** Usage row r in place of the default (identity r % N, its first document's actions, in turn). */
  usageRow?: (r: number, docs: readonly GeneratedDocument[]) => UsageDay[];
  signal?: AbortSignal;
}

export interface LoadedInventory {
  runId: string;
  window: { from: string; to: string };
  docs: GeneratedDocument[];
  /** Rows written per table and the seconds each took. */
  documentSeconds: number;
  documentActions: number;
  identitySeconds: number;
  pathCount: number;
  pathSeconds: number;
  usageSeconds: number;
  coverageRows: number;
}

export const roleId = (i: number): string => `arn:aws:iam::111122223333:role/bench-role-${i}`;
export const groupId = (g: number): string => `arn:aws:iam::111122223333:group/bench-group-${g}`;
/** The three documents identity i holds directly (never the admin-like document 0, which only group 0 holds). */
export const heldBy = (i: number, documents: number): number[] =>
  [i, i * 7 + 3, i * 13 + 5].map((n) => 1 + (n % Math.max(1, documents - 1)));

/** The window every loaded run covers: the 90 days ending 2026-03-31. */
export function benchWindow(): { from: Date; to: Date } {
  const to = new Date(Date.UTC(2026, 2, 31, 23, 59, 59));
  const from = new Date(to.getTime() - (WINDOW_DAYS - 1) * 86_400_000 - 86_399_000);
  return { from, to };
}

async function inPages<T>(
  total: number,
  page: number,
  make: (i: number) => T[],
  write: (b: T[]) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  for (let start = 0; start < total; start += page) {
    if (signal) throwIfAborted(signal);
    const batch: T[] = [];
    for (let i = start; i < Math.min(total, start + page); i++) batch.push(...make(i));
    await write(batch);
  }
}

/** Begins the run and writes everything through its sink; the caller finishes the run (and may time it). */
export async function loadInventory(store: InventoryStore, options: LoadOptions): Promise<LoadedInventory> {
  const { systemId: SYSTEM, runId, shape: size, signal } = options;
  const { from: windowFrom, to: windowTo } = options.window ?? benchWindow();
  const window = { from: windowFrom.toISOString(), to: windowTo.toISOString() };
  await store.beginRun({
    runId,
    systemId: SYSTEM,
    windowFrom: window.from,
    windowTo: window.to,
    catalogues: { aws: 'bench' },
  });
  const sink: InventorySink = store.sink(runId);

  let clock = now();
  const docs = Array.from({ length: size.documents }, (_, d) => options.document(d));
  const written = [...docs, ...(options.extraDocuments ?? [])];
  await inPages(
    written.length,
    50,
    (d) => [written[d]!],
    (batch) => sink.documents(batch),
    signal,
  );
  const documentSeconds = (now() - clock) / 1000;
  const documentActions = written.reduce((n, d) => n + d.actions.length, 0);

  clock = now();
  const identity = (i: number): Identity[] => [
    {
      systemId: SYSTEM,
      id: roleId(i),
      kind: 'aws-iam-role',
      name: `bench-role-${i}`,
      nature: 'workload',
      tags: {},
      ...options.role?.(i),
    },
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
  await inPages(size.identities, size.page, identity, (batch) => sink.identities(batch), signal);
  const identitySeconds = (now() - clock) / 1000;

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
    if (options.extraPaths) own.push(...options.extraPaths(i));
    return own;
  };
  await inPages(
    size.identities,
    Math.max(1, Math.floor(size.page / 3)),
    paths,
    async (batch) => {
      await sink.grantPaths(batch);
      pathCount += batch.length;
    },
    signal,
  );
  const pathSeconds = (now() - clock) / 1000;

  // Usage: row r is identity r % N, one of its first document's actions, one of the window's days.
  clock = now();
  const day = (n: number): string => new Date(windowTo.getTime() - n * 86_400_000).toISOString().slice(0, 10);
  const defaultUsageRow = (r: number): UsageDay[] => {
    const i = r % size.identities;
    const round = Math.floor(r / size.identities);
    const actions = docs[heldBy(i, size.documents)[0]!]!.actions;
    if (actions.length === 0) return [];
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
  const usageRow = options.usageRow ? (r: number) => options.usageRow!(r, docs) : defaultUsageRow;
  let pageNo = 0;
  await inPages(size.usage, size.page, usageRow, (batch) => sink.usage(batch, `bench-page-${pageNo++}`), signal);
  const usageSeconds = (now() - clock) / 1000;

  const coverage = options.coverage?.(window) ?? [];
  await sink.coverage(coverage);

  return {
    runId,
    window,
    docs,
    documentSeconds,
    documentActions,
    identitySeconds,
    pathCount,
    pathSeconds,
    usageSeconds,
    coverageRows: coverage.length,
  };
}
