import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { policySchema, type Policy } from '../domain/policy/schema';

/**
 * Reads the policy file once at start-up. Every problem is reported at once, each as
 * `<file>: <path>: <problem>` with the line it is on, so a security engineer fixes the file in one go.
 */

export interface PolicyProblem {
  /** Where in the policy, like `entitlements[2].limits.maxDuration`; empty for a YAML syntax error. */
  path: string;
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/** POLICY.INVALID: the file cannot be used; `problems` lists everything that is wrong with it. */
export class PolicyFileError extends DomainError {
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
  ) {
    super(ErrorCode.PolicyInvalid, describeProblems(source, problems));
  }
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'no such file. Copy config/policy.example.yaml to start, or point LEAST_POLICY_FILE at your policy.'
        : `cannot read the file (${(error as Error).message})`;
    throw new PolicyFileError(path, [{ path: '', message }]);
  }
  return parsePolicy(text, path);
}

export function parsePolicy(text: string, sourceName: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) {
    throw new PolicyFileError(
      sourceName,
      syntax.map((error) => ({ path: '', message: firstLine(error.message), ...position(lineCounter, error.pos[0]) })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PolicyFileError(sourceName, [{ path: '', message: (error as Error).message }]);
  }
  if (data === null || data === undefined) {
    throw new PolicyFileError(sourceName, [
      { path: '', message: 'the file is empty; start from config/policy.example.yaml' },
    ]);
  }
  const result = policySchema.safeParse(data, { error: describeIssue });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): PolicyProblem => {
    // An unknown key is best shown on its own line, not its parent's.
    const nodePath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const at = locate(doc, lineCounter, nodePath);
    return { path: formatPath(issue.path) || '(top level)', message: issue.message, ...at };
  });
  throw new PolicyFileError(sourceName, inFileOrder(dedupe(problems)));
}

/** `['entitlements', 2, 'limits', 'maxDuration']` → `entitlements[2].limits.maxDuration`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(segment))) text += `${text ? '.' : ''}${String(segment)}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function describeProblems(source: string, problems: PolicyProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((problem) => {
    if (!problem.path) {
      const where = problem.line ? ` line ${problem.line}, column ${problem.column ?? 1}:` : '';
      return `${source}:${where} ${problem.message}`;
    }
    return `${source}: ${problem.path}: ${problem.message}${problem.line ? ` (line ${problem.line})` : ''}`;
  });
  return `${source} is not a valid policy (${count}):\n${lines.join('\n')}`;
}

/** Messages for zod's own issues; messages the schema sets itself (durations, ids, e-mails) take precedence. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `missing; add ${article(issue.expected)}`;
      return `expected ${article(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_union': {
      const options = 'options' in issue && Array.isArray(issue.options) ? issue.options : [];
      if (!issue.discriminator || options.length === 0) return 'does not match any allowed form';
      const expected = options.map((option) => JSON.stringify(option)).join(', ');
      // `input` is the object whose discriminator (e.g. `cloud`, `kind`) matched no option.
      const given =
        typeof issue.input === 'object' && issue.input !== null
          ? (issue.input as Record<string, unknown>)[issue.discriminator]
          : undefined;
      return given === undefined
        ? `missing; expected one of ${expected}`
        : `expected one of ${expected}, got ${kindOf(given)}`;
    }
    case 'unrecognized_keys':
      return unknownKeys(issue.keys, issue.inst);
    case 'invalid_key':
      return `this key is not valid: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'too_small':
      return sizeLimit(issue.origin, 'at least', issue.minimum);
    case 'too_big':
      return sizeLimit(issue.origin, 'at most', issue.maximum);
    default:
      return undefined;
  }
}

function unknownKeys(keys: string[], inst: unknown): string {
  const known = knownKeys(inst);
  const parts = keys.map((key) => {
    const near = known.find((candidate) => isNear(key, candidate));
    return `unknown key ${JSON.stringify(key)}${near ? ` (did you mean "${near}"?)` : ''}`;
  });
  const allowed = known.length > 0 && known.length <= 16 ? `; allowed here: ${known.join(', ')}` : '';
  return parts.join(', ') + allowed;
}

function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Same word but for case, or at most two edits apart: the typos people make in YAML keys. */
function isNear(typed: string, known: string): boolean {
  if (typed.toLowerCase() === known.toLowerCase()) return true;
  if (Math.abs(typed.length - known.length) > 2) return false;
  return editDistance(typed.toLowerCase(), known.toLowerCase()) <= 2;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function sizeLimit(origin: string, bound: 'at least' | 'at most', limit: number | bigint): string {
  const n = Number(limit);
  if (origin === 'string') return n === 1 && bound === 'at least' ? 'must not be empty' : `${bound} ${n} characters`;
  if (origin === 'array' || origin === 'set') {
    return n === 1 && bound === 'at least' ? 'needs at least one entry' : `${bound} ${n} entries`;
  }
  return `${bound} ${n}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  record: 'a mapping (key: value lines)',
  boolean: 'true or false',
  int: 'a whole number',
  nonoptional: 'a value',
};

function article(expected: string): string {
  return EXPECTED[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** The line of the deepest YAML node on `path` that exists (a missing key points at its parent). */
function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? {} : position(lineCounter, offset);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), column: col };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Stable sort by line, so the list reads top to bottom like the file; problems without a line keep their place at the end. */
function inFileOrder(problems: PolicyProblem[]): PolicyProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.index - b.index)
    .map(({ problem }) => problem);
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
