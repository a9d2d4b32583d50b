import { indexCatalogue } from './catalogue-index';
import type { ActionCatalogue, CatalogueAction, DocumentAction, SkippedItem } from './model';
import { SkipReason } from './skip-reasons';
import { hasWildcard, wildcardRegex } from './wildcard';

/**
 * Expands an AWS IAM policy document to the actions it allows and denies, against the catalogue.
 *
 * Decisions, so findings and cleanup can rely on them:
 * - Actions match case-insensitively with IAM's wildcards (`*`, `?`), in the service prefix too
 *   (`*:Get*`); rows carry the catalogue's spelling.
 * - `NotAction` with Allow grants every catalogue action it does not match; with Deny, denies them.
 * - Resource reach is `all` when `Resource` holds `*`, or when there is no resource element (nothing
 *   limits it). `NotResource` on an Allow counts as `all` (it grants everything but a few named
 *   resources: the over-statement is the safe side for findings); on a Deny as `some` (never claim a
 *   deny covers more than it may).
 * - A non-empty `Condition` makes the row conditional; an operator IAM does not define is reported and
 *   the statement still counts, as conditional.
 * - Rows with the same action and effect merge: the widest reach wins, and the row is conditional
 *   unless a statement without a condition reaches that far.
 * - Bad input never throws: it becomes a SkippedItem (reasons in skip-reasons.ts) and the rest of the
 *   document is still expanded. A statement with an unknown Effect is left out entirely.
 */

export interface AwsPolicyExpansion {
  actions: DocumentAction[];
  skipped: SkippedItem[];
}

export function expandAwsPolicy(catalogue: ActionCatalogue, documentId: string, body: unknown): AwsPolicyExpansion {
  const skipped: SkippedItem[] = [];
  const skip = (reason: string, detail?: string): void => {
    skipped.push(detail === undefined ? { reason, item: documentId } : { reason, item: documentId, detail });
  };
  const parsed = parseAwsPolicy(body);
  if (!parsed.ok) {
    skip(
      SkipReason.PolicyJsonInvalid,
      parsed.detail === undefined ? parsed.reason : `${parsed.reason}: ${parsed.detail}`,
    );
    return { actions: [], skipped };
  }
  const { document } = parsed;
  if (!('Statement' in document) || document.Statement === undefined || document.Statement === null) {
    skip(SkipReason.PolicyStatementMissing);
    return { actions: [], skipped };
  }
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  // one statement matches each action once (in a catalogue that names each once): nothing to merge, so
  // its rows are written straight out
  const index = indexCatalogue(catalogue);
  if (statements.length === 1 && index.byName.size === index.all.length) {
    const only = expandStatement(catalogue, statements[0], 0, skip);
    if (!only) return { actions: [], skipped };
    const { granted, effect, resourceReach, conditional } = only;
    const actions = new Array<DocumentAction>(granted.length);
    for (let k = 0; k < granted.length; k++) {
      const entry = granted[k]!;
      actions[k] = {
        documentId,
        action: entry.action,
        effect,
        accessLevels: entry.accessLevels,
        resourceReach,
        conditional,
      };
    }
    return { actions, skipped };
  }
  const rows = new Map<string, DocumentAction>();
  statements.forEach((statement: unknown, position) => {
    const expanded = expandStatement(catalogue, statement, position, skip);
    if (!expanded) return;
    const { granted, effect, resourceReach, conditional } = expanded;
    for (const entry of granted) addRow(rows, documentId, entry, effect, resourceReach, conditional);
  });
  return { actions: [...rows.values()], skipped };
}

interface ExpandedStatement {
  /** Each catalogue action once. */
  granted: readonly CatalogueAction[];
  effect: 'allow' | 'deny';
  resourceReach: 'all' | 'some';
  conditional: boolean;
}

/** What one statement allows or denies, and how; undefined (and said why) when it is left out entirely. */
function expandStatement(
  catalogue: ActionCatalogue,
  statement: unknown,
  position: number,
  skip: Skip,
): ExpandedStatement | undefined {
  const label = statementLabel(statement, position);
  if (!isObject(statement)) {
    skip(SkipReason.PolicyStatementInvalid, `${label}: not an object`);
    return undefined;
  }
  const effect = statement.Effect === 'Allow' ? 'allow' : statement.Effect === 'Deny' ? 'deny' : undefined;
  if (!effect) {
    skip(SkipReason.PolicyEffectUnknown, `${label}: Effect ${JSON.stringify(statement.Effect) ?? 'missing'}`);
    return undefined;
  }
  const hasAction = statement.Action !== undefined;
  const hasNotAction = statement.NotAction !== undefined;
  if (hasAction === hasNotAction) {
    skip(SkipReason.PolicyStatementInvalid, `${label}: needs exactly one of Action and NotAction`);
    return undefined;
  }
  const patterns = actionPatterns(hasAction ? statement.Action : statement.NotAction, label, skip);
  const matched = matchPatterns(catalogue, patterns, label, skip);
  const granted = hasAction ? matched : complement(catalogue, matched);
  const resourceReach = reachOf(statement, effect);
  const conditional = conditionOf(statement.Condition, label, skip);
  return { granted, effect, resourceReach, conditional };
}

/**
 * The catalogue actions an IAM action pattern matches (`s3:Get*`, `*`, `iam:PassRole`), or undefined
 * when the text is not an action pattern at all (no `service:` prefix).
 */
export function matchAwsActions(catalogue: ActionCatalogue, pattern: string): readonly CatalogueAction[] | undefined {
  // the same patterns recur across policies (`s3:Get*`, `ec2:Describe*`): each is matched once per catalogue
  let known = matchesByCatalogue.get(catalogue);
  if (!known) matchesByCatalogue.set(catalogue, (known = new Map()));
  if (known.has(pattern)) return known.get(pattern);
  const matches = matchPattern(catalogue, pattern);
  if (known.size >= MATCH_CACHE_SIZE) known.clear();
  known.set(pattern, matches);
  return matches;
}

/** Patterns kept per catalogue before the cache starts over: far more than any account's distinct patterns. */
const MATCH_CACHE_SIZE = 50_000;
const matchesByCatalogue = new WeakMap<ActionCatalogue, Map<string, readonly CatalogueAction[] | undefined>>();

function matchPattern(catalogue: ActionCatalogue, pattern: string): readonly CatalogueAction[] | undefined {
  const index = indexCatalogue(catalogue);
  if (pattern === '*') return index.all;
  const colon = pattern.indexOf(':');
  if (colon <= 0 || colon === pattern.length - 1) return undefined;
  const servicePart = pattern.slice(0, colon).toLowerCase();
  const actionPart = pattern.slice(colon + 1);
  let services: string[];
  if (hasWildcard(servicePart, 'iam')) {
    const serviceRegex = wildcardRegex(servicePart, 'iam');
    services = [...index.byService.keys()].filter((service) => serviceRegex.test(service));
  } else services = [servicePart];
  const matches: CatalogueAction[] = [];
  for (const service of services) {
    const actions = index.byService.get(service) ?? [];
    if (actionPart === '*') {
      matches.push(...actions);
    } else if (hasWildcard(actionPart, 'iam')) {
      const regex = wildcardRegex(`${service}:${actionPart}`, 'iam');
      for (const entry of actions) if (regex.test(entry.action)) matches.push(entry);
    } else {
      const exact = index.byName.get(`${service}:${actionPart}`.toLowerCase());
      if (exact) matches.push(exact);
    }
  }
  return matches;
}

/** IAM condition operators; `ForAllValues:` / `ForAnyValue:` and `…IfExists` modify them. */
const CONDITION_OPERATORS: ReadonlySet<string> = new Set(
  [
    'StringEquals',
    'StringNotEquals',
    'StringEqualsIgnoreCase',
    'StringNotEqualsIgnoreCase',
    'StringLike',
    'StringNotLike',
    'NumericEquals',
    'NumericNotEquals',
    'NumericLessThan',
    'NumericLessThanEquals',
    'NumericGreaterThan',
    'NumericGreaterThanEquals',
    'DateEquals',
    'DateNotEquals',
    'DateLessThan',
    'DateLessThanEquals',
    'DateGreaterThan',
    'DateGreaterThanEquals',
    'Bool',
    'BinaryEquals',
    'IpAddress',
    'NotIpAddress',
    'ArnEquals',
    'ArnLike',
    'ArnNotEquals',
    'ArnNotLike',
  ].map((operator) => operator.toLowerCase()),
);

export function isAwsConditionOperator(operator: string): boolean {
  let base = operator.toLowerCase();
  const qualifier = /^(forallvalues|foranyvalue):/.exec(base);
  if (qualifier) base = base.slice(qualifier[0].length);
  if (base === 'null') return true; // `Null` takes no IfExists
  if (base.endsWith('ifexists')) base = base.slice(0, -'ifexists'.length);
  return CONDITION_OPERATORS.has(base);
}

type Skip = (reason: string, detail?: string) => void;

/** Why a policy body is not a document: in a few words, and what the parser said where it said something. */
export interface UnreadableAwsPolicy {
  ok: false;
  reason: 'not valid URL-encoding' | 'not JSON' | 'not a JSON object';
  /** The JSON parser's message, or what the value is instead of an object (`null`, `number`, `undefined`). */
  detail?: string;
}

/**
 * A policy body as an object: already one, or JSON text, URL-encoded as GetAccountAuthorizationDetails and
 * GetPolicyVersion return it. Never throws. Nothing about its statements is checked here.
 */
export function parseAwsPolicy(body: unknown): { ok: true; document: Record<string, unknown> } | UnreadableAwsPolicy {
  let value = body;
  if (typeof body === 'string') {
    let text = body.trim();
    if (text.startsWith('%')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        return { ok: false, reason: 'not valid URL-encoding' };
      }
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: 'not JSON', detail: error instanceof Error ? error.message : String(error) };
    }
  }
  return isObject(value)
    ? { ok: true, document: value }
    : { ok: false, reason: 'not a JSON object', detail: value === null ? 'null' : typeof value };
}

function actionPatterns(value: unknown, label: string, skip: Skip): string[] {
  const entries = Array.isArray(value) ? (value as unknown[]) : [value];
  const patterns: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') patterns.push(entry);
    else skip(SkipReason.ActionInvalid, `${label}: ${JSON.stringify(entry) ?? String(entry)}`);
  }
  return patterns;
}

function matchPatterns(
  catalogue: ActionCatalogue,
  patterns: string[],
  label: string,
  skip: Skip,
): readonly CatalogueAction[] {
  if (patterns.length === 1) {
    // The common `*` / `service:*` case: no copying, no de-duplication needed.
    const only = checkedMatches(catalogue, patterns[0] as string, label, skip);
    return only;
  }
  const found = new Set<CatalogueAction>();
  for (const pattern of patterns) {
    for (const entry of checkedMatches(catalogue, pattern, label, skip)) found.add(entry);
  }
  return [...found];
}

function checkedMatches(
  catalogue: ActionCatalogue,
  pattern: string,
  label: string,
  skip: Skip,
): readonly CatalogueAction[] {
  const matches = matchAwsActions(catalogue, pattern);
  if (matches === undefined) {
    skip(SkipReason.ActionInvalid, `${label}: ${pattern}`);
    return [];
  }
  if (matches.length === 0) skip(SkipReason.ActionUnknown, `${label}: ${pattern}`);
  return matches;
}

function complement(catalogue: ActionCatalogue, excluded: readonly CatalogueAction[]): CatalogueAction[] {
  const left = new Set(excluded);
  return indexCatalogue(catalogue).all.filter((entry) => !left.has(entry));
}

function reachOf(statement: Record<string, unknown>, effect: 'allow' | 'deny'): 'all' | 'some' {
  if (statement.NotResource !== undefined) return effect === 'allow' ? 'all' : 'some';
  if (statement.Resource === undefined) return 'all';
  const resources = Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource];
  return resources.includes('*') ? 'all' : 'some';
}

function conditionOf(condition: unknown, label: string, skip: Skip): boolean {
  if (condition === undefined || condition === null) return false;
  if (!isObject(condition)) {
    skip(SkipReason.ConditionInvalid, `${label}: Condition is ${typeof condition}`);
    return true;
  }
  const operators = Object.keys(condition);
  for (const operator of operators) {
    if (!isAwsConditionOperator(operator)) skip(SkipReason.ConditionOperatorUnknown, `${label}: ${operator}`);
    else if (!isObject(condition[operator]))
      skip(SkipReason.ConditionInvalid, `${label}: ${operator} is not an object`);
  }
  return operators.length > 0;
}

function addRow(
  rows: Map<string, DocumentAction>,
  documentId: string,
  entry: CatalogueAction,
  effect: 'allow' | 'deny',
  resourceReach: 'all' | 'some',
  conditional: boolean,
): void {
  const key = effect === 'allow' ? entry.action : `deny ${entry.action}`;
  const existing = rows.get(key);
  if (!existing) {
    rows.set(key, {
      documentId,
      action: entry.action,
      effect,
      accessLevels: entry.accessLevels,
      resourceReach,
      conditional,
    });
    return;
  }
  // One row states the widest reach, unconditional only if a statement without a condition reaches
  // that far: an unconditional grant on one bucket and a conditional one on `*` are not "`*`, always".
  if (resourceReach === 'all' && existing.resourceReach === 'some') {
    existing.resourceReach = 'all';
    existing.conditional = conditional;
  } else if (resourceReach === existing.resourceReach && !conditional) existing.conditional = false;
}

function statementLabel(statement: unknown, position: number): string {
  const sid = isObject(statement) && typeof statement.Sid === 'string' && statement.Sid ? ` (${statement.Sid})` : '';
  return `statement ${position + 1}${sid}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
