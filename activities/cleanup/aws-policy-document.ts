import { DomainError, ErrorCode } from '../../domain/errors';
import { parsePolicyText } from '../inventory/aws/documents';
import { canonicalJson } from '../inventory/documents';

/**
 * AWS policy documents as the cleanup compares and names them: IAM's URL-encoded text or a parsed body,
 * normalised so that the same grants compare equal, and the difference between two put in words. Shared
 * by the IAM objects (aws.ts) and permission sets (aws-permission-set.ts).
 */

/** Statement fields that are sets of strings: one string and a one-element list mean the same. */
const STRING_SETS = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);

export function parsedBody(document: unknown, what: string): unknown {
  if (typeof document !== 'string') return document;
  const parsed = parsePolicyText(document);
  if ('error' in parsed) {
    throw new DomainError(ErrorCode.InputMalformed, `The policy document of ${what} is not JSON: ${parsed.error}`);
  }
  return parsed.body;
}

function stringSet(value: unknown): unknown {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((entry) => typeof entry === 'string')) return list.map((entry) => sortedKeys(entry));
  return [...new Set(list as string[])].sort();
}

type Rewrite = (key: string, entry: unknown) => unknown;

function sortedKeys(value: unknown, rewrite: Rewrite = (_, entry) => sortedKeys(entry)): unknown {
  if (Array.isArray(value)) return value.map((entry) => sortedKeys(entry));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort()
      .map((key) => [key, rewrite(key, object[key])]),
  );
}

function normaliseStatement(statement: unknown): unknown {
  return sortedKeys(statement, (key, entry) => {
    if (STRING_SETS.has(key)) return stringSet(entry);
    if ((key === 'Principal' || key === 'NotPrincipal') && typeof entry === 'object' && entry !== null) {
      return sortedKeys(entry, (_, principals) => stringSet(principals));
    }
    if (key === 'Condition') {
      return sortedKeys(entry, (_, operator) => sortedKeys(operator, (__, values) => stringSet(values)));
    }
    return sortedKeys(entry);
  });
}

/**
 * A policy document in one canonical form, for comparisons only: URL-decoded and parsed when given as IAM's
 * text, keys sorted, statements as a sorted list, and Action/Resource (and their Not forms, condition values,
 * principals) as sorted sets, so `"s3:GetObject"` and `["s3:GetObject"]` compare equal. null for no document.
 */
export function normaliseAwsPolicyDocument(document: unknown): unknown {
  const body = parsedBody(document, 'a policy');
  if (body === null || body === undefined) return null;
  return sortedKeys(body, (key, entry) => {
    if (key !== 'Statement') return sortedKeys(entry);
    const statements = (Array.isArray(entry) ? entry : [entry]).map(normaliseStatement);
    return statements.sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1));
  });
}

export function sameAwsPolicyDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(normaliseAwsPolicyDocument(a)) === canonicalJson(normaliseAwsPolicyDocument(b));
}

export function readIamDocument(text: string | undefined, what: string): unknown {
  return text === undefined ? null : parsedBody(text, what);
}

/** Effect and action of every statement ("Allow s3:GetObject", "Deny not iam:*"), for naming differences. */
function actionsOf(document: unknown): Set<string> {
  const found = new Set<string>();
  const body = normaliseAwsPolicyDocument(document) as { Statement?: Array<Record<string, unknown>> } | null;
  for (const statement of body?.Statement ?? []) {
    for (const action of (statement.Action as string[] | undefined) ?? [])
      found.add(`${String(statement.Effect)} ${action}`);
    for (const action of (statement.NotAction as string[] | undefined) ?? [])
      found.add(`${String(statement.Effect)} not ${action}`);
  }
  return found;
}

function listed(values: string[], limit = 8): string {
  return values.length <= limit
    ? values.join(', ')
    : `${values.slice(0, limit).join(', ')} and ${values.length - limit} more`;
}

export function documentDifference(expected: unknown, live: unknown): string {
  const before = actionsOf(expected);
  const after = actionsOf(live);
  const added = [...after].filter((action) => !before.has(action)).sort();
  const removed = [...before].filter((action) => !after.has(action)).sort();
  const parts = [
    ...(added.length ? [`now also ${listed(added)}`] : []),
    ...(removed.length ? [`no longer ${listed(removed)}`] : []),
  ];
  return parts.length ? parts.join('; ') : 'its resources, conditions or statements differ';
}

/** What a document allows, in a receipt's words ("Allow s3:GetObject, …"). */
export function allowsWords(document: unknown): string {
  const actions = [...actionsOf(document)].sort();
  return actions.length ? listed(actions) : 'no actions';
}
