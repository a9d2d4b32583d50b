import type { AccessLevel, DocumentAction, GrantPath } from './model';
import type { GrantedAction } from './view';

/**
 * What an identity holds, from its paths (its own and its groups') and the stored expansions of their
 * documents: allow minus deny. Nothing per identity is stored; `least inventory show` and the findings
 * both come through here, so the rule lives once.
 *
 * - An allow counts through any path that is not a permissions boundary; its reach is `all` when any
 *   allowing row reaches every resource, and it is conditional only when every allowing row (or its path)
 *   carries a condition.
 * - A deny on every resource without a condition (and not through a conditional path) removes the
 *   action; a narrower one leaves it marked partially denied.
 * - With a permissions boundary, only what some boundary also allows remains.
 */
export function effectiveGrants(
  paths: readonly Pick<GrantPath, 'kind' | 'documentId' | 'conditional'>[],
  actionsOf: (documentId: string) => readonly DocumentAction[] | undefined,
): GrantedAction[] {
  const allowed = new Map<string, Allowed>();
  const fullyDenied = new Set<string>();
  const denied = new Set<string>();
  let boundary: Set<string> | undefined;
  paths.forEach((path, index) => {
    if (path.documentId === undefined) return;
    const rows = actionsOf(path.documentId) ?? [];
    if (path.kind === 'permissions-boundary') {
      boundary ??= new Set();
      for (const row of rows) if (row.effect === 'allow') boundary.add(row.action);
      return;
    }
    for (const row of rows) {
      const conditional = row.conditional || path.conditional;
      if (row.effect === 'deny') {
        denied.add(row.action);
        if (row.resourceReach === 'all' && !conditional) fullyDenied.add(row.action);
        continue;
      }
      let entry = allowed.get(row.action);
      if (!entry) {
        entry = { levels: [], all: false, conditional: true, paths: [], documents: [] };
        allowed.set(row.action, entry);
      }
      for (const level of row.accessLevels) if (!entry.levels.includes(level)) entry.levels.push(level);
      entry.all ||= row.resourceReach === 'all';
      entry.conditional &&= conditional;
      // paths come in index order: a repeat can only be the last one
      if (entry.paths[entry.paths.length - 1] !== index) entry.paths.push(index);
      if (!entry.documents.includes(path.documentId)) entry.documents.push(path.documentId);
    }
  });
  const granted: GrantedAction[] = [];
  for (const [action, entry] of allowed) {
    if (fullyDenied.has(action)) continue;
    if (boundary && !boundary.has(action)) continue;
    granted.push({
      action,
      accessLevels: entry.levels.sort(),
      resourceReach: entry.all ? 'all' : 'some',
      conditional: entry.conditional,
      partiallyDenied: denied.has(action),
      paths: entry.paths,
      documents: entry.documents.sort(),
    });
  }
  return granted.sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

/** Distinct levels, path indexes (ascending) and documents: a handful each, so arrays. */
interface Allowed {
  levels: AccessLevel[];
  all: boolean;
  conditional: boolean;
  paths: number[];
  documents: string[];
}

/**
 * effectiveGrants of an identity's paths from those of two parts of them: `first`, effectiveGrants of the
 * paths at `firstAt` (ascending positions among the identity's paths: its own, the ones with a document),
 * and `then`, effectiveGrants of the paths from `thenFrom` on (its groups'). The same result as over all
 * the paths when no path the parts leave out has a document, and neither part has a deny or a
 * permissions boundary (the caller checks): an action held through both unites its levels and documents
 * (sorted), reaches all resources when either does, is conditional when both are, and comes through the
 * first part's paths and then the second's, each renumbered. An action of one part only shares that
 * part's arrays (the very object when nothing is renumbered): like every held action, never to be changed.
 */
export function mergeGrants(
  first: readonly GrantedAction[],
  firstAt: readonly number[],
  then: readonly GrantedAction[],
  thenFrom: number,
): GrantedAction[] {
  let renumbered = false;
  firstAt.forEach((at, k) => (renumbered ||= at !== k));
  const firstPaths = (paths: readonly number[]): number[] => paths.map((k) => firstAt[k]!);
  const merged: GrantedAction[] = [];
  let a = 0;
  let b = 0;
  while (a < first.length || b < then.length) {
    const x = first[a];
    const y = then[b];
    if (y === undefined || (x !== undefined && x.action < y.action)) {
      merged.push(renumbered ? { ...x!, paths: firstPaths(x!.paths) } : x!);
      a += 1;
    } else if (x === undefined || y.action < x.action) {
      merged.push({ ...y, paths: y.paths.map((p) => p + thenFrom) });
      b += 1;
    } else {
      merged.push({
        action: x.action,
        accessLevels: union(x.accessLevels, y.accessLevels),
        resourceReach: x.resourceReach === 'all' || y.resourceReach === 'all' ? 'all' : 'some',
        conditional: x.conditional && y.conditional,
        partiallyDenied: false,
        paths: [...(renumbered ? firstPaths(x.paths) : x.paths), ...y.paths.map((p) => p + thenFrom)],
        documents: union(x.documents, y.documents),
      });
      a += 1;
      b += 1;
    }
  }
  return merged;
}

/** Two sorted lists of distinct items as one, sorted as `sort()` sorts them. */
function union<T extends string>(x: readonly T[], y: readonly T[]): T[] {
  const all = [...x];
  for (const item of y) if (!all.includes(item)) all.push(item);
  return all.sort();
}
