import { matchAwsActions, parseAwsPolicy } from '../inventory/aws-policy';
import type { ActionCatalogue } from '../inventory/model';
import { hasWildcard, wildcardRegex } from '../inventory/wildcard';
import { byText } from './words';

/**
 * The right-sized AWS policy document: the same document without the actions cleanup removes, written so
 * a person reading the diff sees only what changed.
 *
 * - Only `Allow` statements with `Action` are rewritten. In each, a pattern none of whose catalogue
 *   matches is removed stays as written (wildcards included); a pattern that loses some becomes the
 *   sorted list of its remaining matches; an exact name that is removed goes. Entries are de-duplicated
 *   across the statement (case-insensitively, and an expanded name a kept wildcard of the statement
 *   already covers is left out). A statement left with no action is dropped.
 * - `Deny` statements, statements with `NotAction`, statements whose `Sid` starts with `sidPrefix`, and
 *   statements IAM would reject (no Effect, both or neither of Action and NotAction) stay as written.
 *   An action to remove that a `NotAction` or marked statement still allows is not removed: it is listed
 *   in `keptByNotAction` / `keptByMarker`, and `cannotNarrow` says why in words for a NotAction.
 * - Version, Id, statement order, Resource, NotResource, Condition and Principal stay as they are.
 * - Actions match case-insensitively, as in IAM, with `*` and `?` wildcards.
 * - A document left with no statement at all is `empty`: IAM accepts no policy without a statement, so
 *   the planner deletes the inline policy or detaches the managed one instead of writing it.
 * - `maxChars`: a result longer than the cloud accepts (a `*` expanded to thousands of names) is flagged
 *   `tooLong` rather than written; the planner holds it as cannot-narrow.
 * Bad input never throws: a body that is not a policy document comes back unchanged with `cannotNarrow`.
 */

export interface NarrowAwsPolicyOptions {
  /** Statements whose Sid starts with this marker (case-sensitive, as Sids are) are kept as written. */
  sidPrefix?: string;
  /** The longest document (JSON characters) the cloud takes for this kind of policy. */
  maxChars?: number;
}

export interface NarrowedAwsPolicy {
  /** The right-sized document; absent only when the body could not be read as a policy document. */
  document?: Record<string, unknown>;
  /** The actions to remove that the old document allowed and the new one does not, sorted. */
  removed: string[];
  /** Nothing in the document changed: `document` is the body as it was read. */
  unchanged: boolean;
  /** No statement is left: delete (inline) or detach (managed) instead of writing it. */
  empty: boolean;
  /** Actions to remove still allowed by a statement carrying the Sid marker, sorted. */
  keptByMarker: string[];
  /** Actions to remove still allowed by a `NotAction` statement, sorted. */
  keptByNotAction: string[];
  /** Plain words when some actions cannot be taken away by rewriting `Action` lists (NotAction), or the body is unreadable. */
  cannotNarrow?: string;
  /** The result exceeds `maxChars`: not to be written. */
  tooLong?: { chars: number; max: number };
}

export function narrowAwsPolicy(
  body: unknown,
  remove: ReadonlySet<string>,
  catalogue: ActionCatalogue,
  options: NarrowAwsPolicyOptions = {},
): NarrowedAwsPolicy {
  const read = parseAwsPolicy(body);
  const nothing = { removed: [], keptByMarker: [], keptByNotAction: [] };
  if (!read.ok)
    return { ...nothing, unchanged: true, empty: false, cannotNarrow: `the policy is not readable: ${read.reason}` };
  const parsed = read.document;
  const single = parsed.Statement !== undefined && !Array.isArray(parsed.Statement);
  const statements: unknown[] =
    parsed.Statement === undefined ? [] : single ? [parsed.Statement] : (parsed.Statement as unknown[]);

  // the actions to remove, by lower-case name, in the caller's spelling
  const wanted = new Map<string, string>();
  for (const action of remove) wanted.set(action.toLowerCase(), action);

  let changed = false;
  const kept: unknown[] = [];
  for (const statement of statements) {
    const narrowed = isNarrowable(statement, options.sidPrefix)
      ? narrowStatement(statement, wanted, catalogue)
      : statement;
    if (narrowed !== statement) changed = true;
    if (narrowed !== undefined) kept.push(narrowed);
  }
  if (!changed) return { ...nothing, document: parsed, unchanged: true, empty: statements.length === 0 };

  const document: Record<string, unknown> = { ...parsed };
  if (kept.length > 0) document.Statement = single && kept.length === 1 ? kept[0] : kept;
  else document.Statement = [];

  const removed: string[] = [];
  const keptByMarker: string[] = [];
  const keptByNotAction: string[] = [];
  for (const [lower, action] of wanted) {
    if (!statements.some((s) => allows(s, lower))) continue;
    const still = kept.filter((s) => allows(s, lower));
    if (still.length === 0) removed.push(action);
    else {
      if (still.some((s) => isMarked(s, options.sidPrefix))) keptByMarker.push(action);
      if (still.some((s) => isObject(s) && s.NotAction !== undefined)) keptByNotAction.push(action);
    }
  }
  const result: NarrowedAwsPolicy = {
    document,
    removed: removed.sort(byText),
    unchanged: false,
    empty: kept.length === 0,
    keptByMarker: keptByMarker.sort(byText),
    keptByNotAction: keptByNotAction.sort(byText),
  };
  if (keptByNotAction.length > 0)
    result.cannotNarrow = `a NotAction statement still allows ${keptByNotAction.length} of the actions to remove; rewriting it is left to a person`;
  const chars = JSON.stringify(document).length;
  if (options.maxChars !== undefined && chars > options.maxChars) result.tooLong = { chars, max: options.maxChars };
  return result;
}

/** The Sids of statements carrying the marker. */
export function markedStatements(body: unknown, sidPrefix: string | undefined): string[] {
  const read = parseAwsPolicy(body);
  if (sidPrefix === undefined || !read.ok) return [];
  const statements = Array.isArray(read.document.Statement)
    ? (read.document.Statement as unknown[])
    : [read.document.Statement];
  return statements.filter((s) => isMarked(s, sidPrefix)).map((s) => String((s as Record<string, unknown>).Sid));
}

/** An Allow with Action only, not marked: the one kind of statement rewritten. */
function isNarrowable(statement: unknown, sidPrefix: string | undefined): statement is Record<string, unknown> {
  return (
    isObject(statement) &&
    statement.Effect === 'Allow' &&
    statement.Action !== undefined &&
    statement.NotAction === undefined &&
    !isMarked(statement, sidPrefix)
  );
}

function isMarked(statement: unknown, sidPrefix: string | undefined): boolean {
  return (
    sidPrefix !== undefined &&
    sidPrefix !== '' &&
    isObject(statement) &&
    typeof statement.Sid === 'string' &&
    statement.Sid.startsWith(sidPrefix)
  );
}

/** The statement without the wanted actions: itself when nothing changes, undefined when no action is left. */
function narrowStatement(
  statement: Record<string, unknown>,
  wanted: ReadonlyMap<string, string>,
  catalogue: ActionCatalogue,
): Record<string, unknown> | undefined {
  const written = statement.Action;
  const patterns: unknown[] = Array.isArray(written) ? written : [written];
  // each pattern as written, or the names it keeps when it loses some
  const parts: { pattern: unknown; kept?: string[] }[] = [];
  let changed = false;
  for (const pattern of patterns) {
    if (typeof pattern !== 'string') {
      parts.push({ pattern });
      continue;
    }
    if (!hasWildcard(pattern, 'iam')) {
      if (wanted.has(pattern.toLowerCase())) {
        parts.push({ pattern, kept: [] });
        changed = true;
      } else parts.push({ pattern });
      continue;
    }
    const matches = matchAwsActions(catalogue, pattern) ?? [];
    if (!matches.some((m) => wanted.has(m.action.toLowerCase()))) {
      parts.push({ pattern });
      continue;
    }
    const left = matches.filter((m) => !wanted.has(m.action.toLowerCase())).map((m) => m.action);
    parts.push({ pattern, kept: [...new Set(left)].sort(byText) });
    changed = true;
  }
  if (!changed) return statement;

  // wildcards kept as written cover the names expanded beside them
  const cover = parts
    .filter((p) => p.kept === undefined && typeof p.pattern === 'string' && hasWildcard(p.pattern, 'iam'))
    .map((p) => wildcardRegex(p.pattern as string, 'iam'));
  const seen = new Set<string>();
  const actions: unknown[] = [];
  const add = (entry: unknown): void => {
    if (typeof entry !== 'string') {
      actions.push(entry);
      return;
    }
    const lower = entry.toLowerCase();
    if (seen.has(lower)) return;
    seen.add(lower);
    actions.push(entry);
  };
  for (const part of parts) {
    if (part.kept === undefined) add(part.pattern);
    else for (const action of part.kept) if (!cover.some((regex) => regex.test(action))) add(action);
  }
  if (actions.length === 0) return undefined;
  return { ...statement, Action: typeof written === 'string' && actions.length === 1 ? actions[0] : actions };
}

/** Whether a statement allows this (lower-case) action, as IAM reads Action and NotAction. */
function allows(statement: unknown, action: string): boolean {
  if (!isObject(statement) || statement.Effect !== 'Allow') return false;
  const hasAction = statement.Action !== undefined;
  if (hasAction === (statement.NotAction !== undefined)) return false;
  const { exact, wildcards } = patternsOf(statement, hasAction ? statement.Action : statement.NotAction);
  const matched = exact.has(action) || wildcards.some((regex) => regex.test(action));
  return hasAction ? matched : !matched;
}

/** A statement's action list read once: exact names (lower-case) apart, as a narrowed list may hold thousands. */
const statementPatterns = new WeakMap<object, { exact: ReadonlySet<string>; wildcards: readonly RegExp[] }>();

function patternsOf(statement: object, listed: unknown): { exact: ReadonlySet<string>; wildcards: readonly RegExp[] } {
  let found = statementPatterns.get(statement);
  if (!found) {
    const exact = new Set<string>();
    const wildcards: RegExp[] = [];
    for (const pattern of Array.isArray(listed) ? (listed as unknown[]) : [listed]) {
      if (typeof pattern !== 'string') continue;
      if (hasWildcard(pattern, 'iam')) wildcards.push(wildcardRegex(pattern, 'iam'));
      else exact.add(pattern.toLowerCase());
    }
    statementPatterns.set(statement, (found = { exact, wildcards }));
  }
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
