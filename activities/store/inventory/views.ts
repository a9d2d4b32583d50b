import type pg from 'pg';
import { isMembership, type Coverage, type DocumentAction } from '../../../domain/inventory/model';
import { effectiveGrants, mergeGrants } from '../../../domain/inventory/grants';
import { materializeView, VerdictMemo, type SharedIdentityView } from '../../../domain/inventory/verdicts';
import type { ActionUsage, GrantedAction, IdentityView, ViewPath } from '../../../domain/inventory/view';
import { toCollectionRun, type RunRow } from './runs';
import {
  coverageRows,
  documentActions,
  GROUP_DEPTH,
  IDENTITY_COLUMNS,
  toIdentity,
  type IdentityRow,
  type StoredPathRow,
} from './view';

/** Effective grants kept per path signature (in granted actions, over every signature kept), and signatures remembered. */
const GRANTS_KEPT = 250_000;
const SIGNATURES_SEEN = 100_000;

type PathRow = StoredPathRow;

/**
 * Every identity of a snapshot as the single view shows it, a page at a time in identity order, so the
 * findings read any size of account with memory bounded by a page, the documents and the groups. What
 * many identities share (documents' expansions and names, groups' paths, system-wide coverage) is read
 * once per stream; what they share is also computed once: the effective grants of a path signature
 * (the same documents through the same kinds of path, in the same order), kept from its second
 * identity on, and the verdicts of unused actions under the same coverage (VerdictMemo). Both bounded.
 */
export class IdentityViewStream {
  private readonly actions = new Map<string, DocumentAction[]>();
  private readonly names = new Map<string, string>();
  private readonly groupPaths = new Map<string, PathRow[]>();
  private systemCoverage: Coverage[] | undefined;
  private readonly grants = new Map<string, readonly GrantedAction[]>();
  private grantsKept = 0;
  private readonly signatures = new Set<string>();
  private readonly verdicts = new VerdictMemo();
  /** Per document read, whether it denies anything. */
  private readonly denies = new Map<string, boolean>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly run: RunRow,
  ) {}

  /** The next page after `after` (an identity id; absent: from the start), empty at the end. */
  async page(after: string | undefined, size: number): Promise<IdentityView[]> {
    return (await this.sharedPage(after, size)).map((view) => materializeView(view, this.verdicts));
  }

  /**
   * The next page as `page` reads it, before usage is attached: each identity's held actions are shared
   * with the identities of its path signature (the same array while the stream keeps it) and carry no
   * verdict. materializeView turns one into the IdentityView `page` gives; the bulk assessment
   * (domain/findings/bulk.ts) reads it as it is.
   */
  async sharedPage(after: string | undefined, size: number): Promise<SharedIdentityView[]> {
    const key = this.run.run_key;
    const found = await this.pool.query<IdentityRow>(
      `SELECT ${IDENTITY_COLUMNS} FROM inventory_identities
       WHERE run_key = $1 AND ($2::text IS NULL OR identity_id > $2) ORDER BY identity_id LIMIT $3`,
      [key, after ?? null, size],
    );
    if (found.rows.length === 0) return [];
    const ids = found.rows.map((r) => r.identity_id);
    const [own, usage, coverage] = await Promise.all([this.pathsOf(ids), this.usageOf(ids), this.coverageOf(ids)]);
    await this.loadGroups(own);
    await this.loadDocuments([...own.values(), ...this.groupPaths.values()].flat());
    const collectionRun = toCollectionRun(this.run);
    const system = this.systemCoverage ?? [];
    return found.rows.map((row) => {
      const identity = toIdentity(this.run.system_id, row);
      const paths = this.viewPaths(identity.id, own.get(identity.id) ?? []);
      const held = this.grantsOf(paths);
      const used = usage.get(identity.id) ?? [];
      const mine = coverage.get(identity.id);
      // identities without coverage of their own share the system's list (never changed)
      const covered = mine ? [...mine, ...system] : system;
      return { run: collectionRun, identity, paths, held, usage: used, coverage: covered };
    });
  }

  /**
   * effectiveGrants of these paths, never changed (usage and verdicts are attached to copies). effectiveGrants
   * reads of a path only its kind, document and condition, and names paths by position: identities with
   * the same signature hold the same, so from a signature's second identity on they share one array.
   */
  private grantsOf(paths: readonly ViewPath[]): readonly GrantedAction[] {
    let signature = '';
    for (const p of paths) signature += `${p.kind}\u0000${p.documentId ?? ''}\u0000${p.conditional ? 1 : 0}\u0001`;
    const kept = this.grants.get(signature);
    if (kept) return kept;
    // a member's own paths, then its groups': each part is kept on its own (many identities share either;
    // the own part is read without the paths that carry no document, so it is the same as a non-member's),
    // and the two merge when nothing in them denies or bounds (mergeGrants)
    const split = paths.findIndex((p) => p.inheritedFrom !== undefined);
    let granted: readonly GrantedAction[];
    if (split > 0 && this.mergeable(paths)) {
      const own: number[] = [];
      for (let k = 0; k < split; k++) if (paths[k]!.documentId !== undefined) own.push(k);
      granted = mergeGrants(this.grantsOf(own.map((k) => paths[k]!)), own, this.grantsOf(paths.slice(split)), split);
    } else granted = effectiveGrants(paths, (id) => this.actions.get(id));
    if (this.signatures.has(signature)) {
      // seen before: worth keeping; the oldest signatures go first when over the bound
      for (const [old, grants] of this.grants) {
        if (this.grantsKept + granted.length <= GRANTS_KEPT) break;
        this.grants.delete(old);
        this.grantsKept -= grants.length;
      }
      if (granted.length <= GRANTS_KEPT) {
        this.grants.set(signature, granted);
        this.grantsKept += granted.length;
      }
    } else {
      if (this.signatures.size >= SIGNATURES_SEEN) this.signatures.clear();
      this.signatures.add(signature);
    }
    return granted;
  }

  /** No permissions boundary on these paths, and no deny in their documents. */
  private mergeable(paths: readonly ViewPath[]): boolean {
    for (const p of paths) {
      if (p.kind === 'permissions-boundary') return false;
      if (p.documentId === undefined) continue;
      let denies = this.denies.get(p.documentId);
      if (denies === undefined) {
        denies = (this.actions.get(p.documentId) ?? []).some((row) => row.effect === 'deny');
        this.denies.set(p.documentId, denies);
      }
      if (denies) return false;
    }
    return true;
  }

  /** Its own paths, then each group's it belongs to (nested, bounded, each once), as the single view orders them. */
  private viewPaths(identityId: string, own: PathRow[]): ViewPath[] {
    const paths = own.map((p) => this.toViewPath(p));
    const seen = new Set<string>([identityId]);
    let frontier = own.filter((p) => isMembership(p.kind) && p.via !== null).map((p) => p.via as string);
    for (let depth = 0; depth < GROUP_DEPTH && frontier.length > 0; depth += 1) {
      const next: string[] = [];
      for (const group of frontier) {
        if (seen.has(group)) continue;
        seen.add(group);
        for (const p of this.groupPaths.get(group) ?? []) {
          paths.push(this.toViewPath(p, group));
          if (isMembership(p.kind) && p.via !== null) next.push(p.via);
        }
      }
      frontier = next;
    }
    return paths;
  }

  private toViewPath(row: PathRow, inheritedFrom?: string): ViewPath {
    const name = row.document_id !== null ? this.names.get(row.document_id) : undefined;
    return {
      systemId: this.run.system_id,
      identityId: row.identity_id,
      kind: row.kind,
      ...(row.document_id !== null ? { documentId: row.document_id } : {}),
      ...(row.via !== null ? { via: row.via } : {}),
      scope: row.scope,
      conditional: row.conditional,
      ...(inheritedFrom !== undefined ? { inheritedFrom } : {}),
      ...(name !== undefined ? { documentName: name } : {}),
    };
  }

  private async pathsOf(ids: readonly string[]): Promise<Map<string, PathRow[]>> {
    const result = await this.pool.query<PathRow>(
      `SELECT identity_id, kind, document_id, via, scope, conditional FROM inventory_grant_paths
       WHERE run_key = $1 AND identity_id = ANY($2::text[]) ORDER BY identity_id, kind, document_id, via, scope`,
      [this.run.run_key, ids],
    );
    return groupBy(result.rows, (r) => r.identity_id);
  }

  /** The paths of every group reachable from these, read once per stream. */
  private async loadGroups(own: Map<string, PathRow[]>): Promise<void> {
    let wanted = new Set<string>();
    const want = (rows: Iterable<PathRow>): void => {
      for (const p of rows)
        if (isMembership(p.kind) && p.via !== null && !this.groupPaths.has(p.via)) wanted.add(p.via);
    };
    for (const rows of own.values()) want(rows);
    for (let depth = 0; depth < GROUP_DEPTH && wanted.size > 0; depth += 1) {
      const groups = [...wanted];
      wanted = new Set();
      const found = await this.pathsOf(groups);
      for (const group of groups) this.groupPaths.set(group, found.get(group) ?? []);
      for (const rows of found.values()) want(rows);
    }
  }

  private async loadDocuments(paths: readonly PathRow[]): Promise<void> {
    const missing = [
      ...new Set(
        paths.flatMap((p) => (p.document_id !== null && !this.actions.has(p.document_id) ? [p.document_id] : [])),
      ),
    ];
    if (missing.length === 0) return;
    const [expansions, names] = await Promise.all([
      documentActions(this.pool, missing),
      this.pool.query<{ document_id: string; name: string }>(
        'SELECT document_id, name FROM inventory_documents WHERE document_id = ANY($1::text[])',
        [missing],
      ),
    ]);
    for (const id of missing) this.actions.set(id, expansions.get(id) ?? []);
    for (const r of names.rows) this.names.set(r.document_id, r.name);
  }

  private async usageOf(ids: readonly string[]): Promise<Map<string, ActionUsage[]>> {
    const result = await this.pool.query<{
      identity_id: string;
      action: string;
      count: number;
      denied: number;
      first_used: string | null;
      last_used: string | null;
    }>(
      `SELECT u.identity_id, u.action, sum(u.count)::int AS count, sum(u.denied)::int AS denied,
              min(u.day) FILTER (WHERE u.count > 0)::text AS first_used,
              max(u.day) FILTER (WHERE u.count > 0)::text AS last_used
       FROM inventory_usage u
       WHERE u.run_key = $1 AND u.identity_id = ANY($2::text[])
         AND u.day BETWEEN ($3::timestamptz AT TIME ZONE 'UTC')::date AND ($4::timestamptz AT TIME ZONE 'UTC')::date
       GROUP BY u.identity_id, u.action ORDER BY u.identity_id, u.action`,
      [this.run.run_key, ids, this.run.window_from, this.run.window_to],
    );
    const byIdentity = new Map<string, ActionUsage[]>();
    for (const r of result.rows) {
      const entry: ActionUsage = {
        action: r.action,
        count: r.count,
        denied: r.denied,
        ...(r.first_used ? { firstUsed: r.first_used } : {}),
        ...(r.last_used ? { lastUsed: r.last_used } : {}),
      };
      const list = byIdentity.get(r.identity_id);
      if (list) list.push(entry);
      else byIdentity.set(r.identity_id, [entry]);
    }
    return byIdentity;
  }

  private async coverageOf(ids: readonly string[]): Promise<Map<string, Coverage[]>> {
    this.systemCoverage ??= await coverageRows(this.pool, this.run, ['*']);
    return groupBy(await coverageRows(this.pool, this.run, ids), (c) => c.identityId);
  }
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}
