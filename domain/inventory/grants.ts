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
    const documentId = path.documentId;
    if (documentId === undefined) return;
    const rows = actionsOf(documentId) ?? [];
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
      const entry = allowed.get(row.action);
      if (!entry) {
        allowed.set(row.action, {
          levels: row.accessLevels,
          ownLevels: false,
          all: row.resourceReach === 'all',
          conditional,
          path: index,
          paths: undefined,
          document: documentId,
          documents: undefined,
        });
        continue;
      }
      if (row.accessLevels !== entry.levels)
        for (const level of row.accessLevels)
          if (!entry.levels.includes(level)) {
            if (!entry.ownLevels) {
              entry.levels = [...entry.levels];
              entry.ownLevels = true;
            }
            (entry.levels as AccessLevel[]).push(level);
          }
      entry.all ||= row.resourceReach === 'all';
      entry.conditional &&= conditional;
      // paths come in index order: a repeat can only be the last one
      if (entry.paths === undefined) {
        if (entry.path !== index) entry.paths = [entry.path, index];
      } else if (entry.paths[entry.paths.length - 1] !== index) entry.paths.push(index);
      if (documentId !== entry.document && !entry.documents?.includes(documentId))
        (entry.documents ??= [entry.document]).push(documentId);
    }
  });
  // Most actions come through one path and one document: those share one array per path and per
  // document (held actions are never changed), which spares two arrays per action on large accounts.
  const onePath: number[][] = [];
  const oneDocument = new Map<string, string[]>();
  const granted: GrantedAction[] = [];
  // `sort()` orders strings by code unit, as `<` does, with no call per comparison
  for (const action of [...allowed.keys()].sort()) {
    if (fullyDenied.has(action)) continue;
    if (boundary && !boundary.has(action)) continue;
    const entry = allowed.get(action)!;
    let documents = entry.documents;
    if (documents) documents.sort();
    else {
      documents = oneDocument.get(entry.document);
      if (!documents) oneDocument.set(entry.document, (documents = [entry.document]));
    }
    granted.push({
      action,
      accessLevels:
        // a row's own levels, shared: like every held action, never changed
        entry.ownLevels || !sorted(entry.levels) ? [...new Set(entry.levels)].sort() : (entry.levels as AccessLevel[]),
      resourceReach: entry.all ? 'all' : 'some',
      conditional: entry.conditional,
      partiallyDenied: denied.has(action),
      paths: entry.paths ?? (onePath[entry.path] ??= [entry.path]),
      documents,
    });
  }
  return granted;
}

/** Whether a list of levels is in `sort()` order (a document's rows carry the catalogue's, already sorted). */
function sorted(levels: readonly AccessLevel[]): boolean {
  for (let k = 1; k < levels.length; k++) if (levels[k - 1]! >= levels[k]!) return false;
  return true;
}

/**
 * What is known of one allowed action while the paths are read. Its first row's levels, path and
 * document are kept as they are; a list of its own is made only when a second one comes.
 */
interface Allowed {
  levels: readonly AccessLevel[];
  /** `levels` is this entry's own copy (a second row brought a level), not the first row's array. */
  ownLevels: boolean;
  all: boolean;
  conditional: boolean;
  path: number;
  /** Every path index, ascending, once there is more than one. */
  paths: number[] | undefined;
  document: string;
  /** Every document, once there is more than one. */
  documents: string[] | undefined;
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
  // the second part's paths moved up by thenFrom; a single path's array shared, as effectiveGrants shares it
  const onePath: number[][] = [];
  const thenPaths = (paths: readonly number[]): number[] =>
    paths.length === 1 ? (onePath[paths[0]!] ??= [paths[0]! + thenFrom]) : paths.map((p) => p + thenFrom);
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
      merged.push({ ...y, paths: thenPaths(y.paths) });
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

/**
 * Two sorted lists of distinct items as one, sorted as `sort()` sorts them: merged in one pass. The same
 * list, or one that holds the other, is returned as it is (held actions are never changed).
 */
function union<T extends string>(x: readonly T[], y: readonly T[]): T[] {
  if (x === y) return x as T[];
  const merged: T[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = x[i]!;
    const b = y[j]!;
    if (a === b) {
      merged.push(a);
      i += 1;
      j += 1;
    } else if (a < b) {
      merged.push(a);
      i += 1;
    } else {
      merged.push(b);
      j += 1;
    }
  }
  while (i < x.length) merged.push(x[i++]!);
  while (j < y.length) merged.push(y[j++]!);
  return merged.length === x.length ? (x as T[]) : merged.length === y.length ? (y as T[]) : merged;
}
