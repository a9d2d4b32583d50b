import { serviceOf, usedSince, type UsageVerdict } from '../inventory/coverage';
import type { Coverage } from '../inventory/model';
import {
  actionVerdict,
  coverageVerdict,
  endOfDay,
  materializeView,
  usageFacts,
  VerdictMemo,
  type SharedIdentityView,
} from '../inventory/verdicts';
import type { GrantedAction } from '../inventory/view';
import {
  assessIdentity,
  concludeAssessment,
  coverageBasisOf,
  heldRisk,
  holdsPower,
  isHighRisk,
  isRisky,
  EVIDENCE_ACTIONS,
  isScored,
  lastUse,
  riskOptions,
  summariseRisky,
  type AssessmentContext,
  type Counts,
  type HeldRisk,
  type RiskySummary,
} from './assess';
import type { IdentityAssessment, RiskCategory, RiskRuleOptions } from './model';
import { ACTIONS_PER_CONTRIBUTOR, concludeIndex, type PciBucket } from './pci';

/**
 * assessIdentity for a stream of identities, in time that grows with what each identity used rather than
 * with what it holds. Identities of one path signature hold the same actions (the stream hands them the
 * same array, SharedIdentityView.held); with the same coverage they differ only by their own uses. So,
 * per held array and coverage, a base is worked out once as if the identity had used nothing: each
 * action's verdict from coverage alone, the PCI's unused and unknown masses, its contributor buckets, the
 * counts, the unused risky actions; the risk profile once per held array. Per identity only the actions
 * its usage can change are judged again — those it used, and (under service-level coverage) those of the
 * services it used — and the base is adjusted by them.
 *
 * The result is the IdentityAssessment assessIdentity gives over the materialised view, field for field
 * (test/activities/store/findings-bulk.test.ts holds both to that). Where an adjustment cannot be exact it
 * is not tried: held actions not sorted by action, weights that are not binary fractions (sums would
 * depend on their order), or a use that turns an action unused from unknown take the reference path,
 * assessIdentity over materializeView. A base used by one identity only costs about what that path does.
 */
export class BulkAssessor {
  private readonly bases = new WeakMap<readonly GrantedAction[], HeldBase>();
  private readonly verdicts = new VerdictMemo();
  /** How many identities took each path (for tests and figures). */
  readonly paths = { bulk: 0, reference: 0 };

  assess(view: SharedIdentityView, context: AssessmentContext): IdentityAssessment {
    const options = riskOptions(context);
    const base = this.baseOf(view.held, options);
    const assessed = base && bulkAssess(base, view, context, this.verdicts);
    if (assessed) {
      this.paths.bulk += 1;
      return assessed;
    }
    this.paths.reference += 1;
    return this.reference(view, context);
  }

  /** The reference path: the view materialised, assessed as the identity card assesses it. */
  private reference(view: SharedIdentityView, context: AssessmentContext): IdentityAssessment {
    return assessIdentity(materializeView(view, this.verdicts), context);
  }

  private baseOf(held: readonly GrantedAction[], options: RiskRuleOptions): HeldBase | undefined {
    const base = this.bases.get(held);
    if (base) return sameOptions(base.options, options) ? base : undefined;
    const built = heldBase(held, options);
    if (built) this.bases.set(held, built);
    return built;
  }
}

/** Verdict codes of a base (no action is used there). */
const UNUSED = 1;
const UNKNOWN = 2;
/** Coverage keys kept per held array (each one a base of verdicts). */
const KEYS_PER_HELD = 8;

/** What depends only on the held actions. */
interface HeldBase extends HeldRisk {
  held: readonly GrantedAction[];
  options: RiskRuleOptions;
  /** Lower-case service (as usage groups them) → positions; built when service-level coverage asks. */
  services?: Map<string, number[]>;
  /** Per position, 1 when high-risk or in an escalation path (over-provisioned reads these). */
  risky: Uint8Array;
  /** Every weight a binary fraction, so masses add and subtract exactly in any order. */
  exact: boolean;
  power?: boolean;
  byCoverage: Map<string, VerdictBase>;
}

/** What depends on the held actions and the coverage (with the identity's activity, when coverage reads it). */
interface VerdictBase {
  verdicts: Uint8Array;
  unused: number;
  unknown: number;
  mass: number;
  unknownMass: number;
  /** Contributor buckets of the unused actions, in the order their first action comes. */
  buckets: BaseBucket[];
  /** Per position, the bucket of an unused action (index into `buckets`), else -1. */
  bucketAt: Int32Array;
  /** The unused risky actions' positions, ascending. */
  riskyUnused: number[];
  riskySummary?: RiskySummary;
  /** Over the unused risky actions, how many fall in each high-risk category. */
  riskyCategories?: Map<RiskCategory, number>;
}

interface BaseBucket {
  key: string;
  /** Its place in VerdictBase.buckets. */
  at: number;
  /** mass, count and top actions with every member. */
  whole: PciBucket;
  /** Members' positions in contributor order (weight, then name), and ascending. */
  ordered: number[];
  ascending: number[];
}

function sameOptions(a: RiskRuleOptions, b: RiskRuleOptions): boolean {
  return a.catalogue === b.catalogue && a.cloud === b.cloud && a.mode === b.mode;
}

/** The base of held actions; undefined when they are not sorted by action (as effectiveGrants gives them). */
function heldBase(held: readonly GrantedAction[], options: RiskRuleOptions): HeldBase | undefined {
  for (let k = 1; k < held.length; k++) if (!(held[k - 1]!.action < held[k]!.action)) return undefined;
  const risk = heldRisk(held, options);
  const risky = new Uint8Array(held.length);
  let exact = true;
  for (let k = 0; k < held.length; k++) {
    if (isRisky(held[k]!.action, risk.categories[k]!, risk.risk)) risky[k] = 1;
    if (!Number.isInteger(risk.traits.weights[k]! * 1024)) exact = false;
  }
  return { ...risk, held, options, risky, exact, byCoverage: new Map() };
}

/** The position of an action among the held (sorted by action), or -1. */
function positionOf(held: readonly GrantedAction[], action: string): number {
  let low = 0;
  let high = held.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = held[middle]!.action;
    if (found === action) return middle;
    if (found < action) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function servicesOf(base: HeldBase): Map<string, number[]> {
  if (!base.services) {
    const services = new Map<string, number[]>();
    base.held.forEach((a, k) => {
      const service = serviceOf(a.action);
      const list = services.get(service);
      if (list) list.push(k);
      else services.set(service, [k]);
    });
    base.services = services;
  }
  return base.services;
}

/** The verdicts from coverage alone, and what the index and the counts make of them. */
function verdictBase(
  base: HeldBase,
  coverage: Coverage[],
  window: { from: string; to: string },
  active: boolean,
  memo: VerdictMemo,
): VerdictBase {
  const { held } = base;
  const shared = memo.table(coverage, window, () => active);
  const verdicts = new Uint8Array(held.length);
  const bucketAt = new Int32Array(held.length).fill(-1);
  const byKey = new Map<string, BaseBucket>();
  const buckets: BaseBucket[] = [];
  const riskyUnused: number[] = [];
  let unused = 0;
  let unknown = 0;
  let mass = 0;
  let unknownMass = 0;
  for (let k = 0; k < held.length; k++) {
    const a = held[k]!;
    let verdict = shared?.get(false, a.action, a.accessLevels);
    if (verdict === undefined) {
      verdict = coverageVerdict(a, coverage, window, active);
      shared?.add(false, a.action, a.accessLevels, verdict);
    }
    const weight = base.traits.weights[k]!;
    if (verdict !== 'unused') {
      verdicts[k] = UNKNOWN;
      unknown += 1;
      unknownMass += weight;
      continue;
    }
    verdicts[k] = UNUSED;
    unused += 1;
    mass += weight;
    if (base.risky[k] === 1) riskyUnused.push(k);
    const key = base.traits.buckets[k]!;
    let bucket = byKey.get(key);
    if (!bucket) {
      bucket = { key, at: buckets.length, whole: { mass: 0, count: 0, actions: [] }, ordered: [], ascending: [] };
      byKey.set(key, bucket);
      buckets.push(bucket);
    }
    bucketAt[k] = bucket.at;
    bucket.whole.mass += weight;
    bucket.whole.count += 1;
    bucket.ordered.push(k);
    bucket.ascending.push(k);
  }
  for (const bucket of buckets) {
    // contributor order (pci.ts byWeight): heaviest first, then by name
    const weights = base.traits.weights;
    bucket.ordered.sort((x, y) => weights[y]! - weights[x]! || (held[x]!.action < held[y]!.action ? -1 : 1));
    bucket.whole.actions = top(base, bucket.ordered, undefined);
  }
  return { verdicts, unused, unknown, mass, unknownMass, buckets, bucketAt, riskyUnused };
}

function entry(base: HeldBase, k: number): { action: string; weight: number } {
  return { action: base.held[k]!.action, weight: base.traits.weights[k]! };
}

/** The first ACTIONS_PER_CONTRIBUTOR of a bucket's members (contributor order) not taken away. */
function top(base: HeldBase, ordered: readonly number[], gone: ReadonlySet<number> | undefined): PciBucket['actions'] {
  const actions: PciBucket['actions'] = [];
  for (const k of ordered) {
    if (actions.length === ACTIONS_PER_CONTRIBUTOR) break;
    if (!gone?.has(k)) actions.push(entry(base, k));
  }
  return actions;
}

/** The coverage's part of a base's key: what coverage.ts reads of each entry. */
interface CoverageKey {
  key: string;
  needsService: boolean;
  needsActivity: boolean;
}

/** Per coverage list (identities without coverage of their own share the system's), its key. */
const coverageKeys = new WeakMap<readonly Coverage[], { from: string; to: string; key: CoverageKey }>();

function coverageKey(coverage: readonly Coverage[], window: { from: string; to: string }): CoverageKey {
  const kept = coverageKeys.get(coverage);
  if (kept && kept.from === window.from && kept.to === window.to) return kept.key;
  let key = `${window.from}\u0001${window.to}`;
  let needsService = false;
  let needsActivity = false;
  for (const c of coverage) {
    if (c.granularity === 'service') needsService = true;
    if (c.granularity === 'last-activity') needsActivity = true;
    key += `\u0001${c.granularity}\u0000${c.from}\u0000${c.to}\u0000${c.actions}\u0000${c.documentId ?? ''}\u0000${JSON.stringify(c.services ?? null)}\u0000${JSON.stringify(c.exceptActions ?? null)}`;
  }
  const made = { key, needsService, needsActivity };
  coverageKeys.set(coverage, { from: window.from, to: window.to, key: made });
  return made;
}

/** One identity from its base; undefined when only the reference path can say it exactly. */
function bulkAssess(
  base: HeldBase,
  view: SharedIdentityView,
  context: AssessmentContext,
  memo: VerdictMemo,
): IdentityAssessment | undefined {
  if (!base.exact) return undefined;
  const { held } = base;
  const window = { from: view.run.windowFrom, to: view.run.windowTo };
  const from = Date.parse(window.from);
  const facts = usageFacts(view.usage, view.identity);
  const covered = coverageKey(view.coverage, window);
  // as attachUsage derives it: usageVerdict is given the last activity only when non-empty
  const active = covered.needsActivity && usedSince(facts.identityLastActivity || undefined, from);
  const key = covered.needsActivity ? `${covered.key}\u0001${active ? 'active' : 'inactive'}` : covered.key;
  let vb = base.byCoverage.get(key);
  if (!vb) {
    if (base.byCoverage.size >= KEYS_PER_HELD) base.byCoverage.clear();
    vb = verdictBase(base, view.coverage, window, active, memo);
    base.byCoverage.set(key, vb);
  }

  // the actions whose verdict this identity's usage can change: its own, and those of services it used
  const changed = new Map<number, UsageVerdict>();
  const judge = (k: number): boolean => {
    if (changed.has(k)) return true;
    const a = held[k]!;
    const verdict = actionVerdict(a, facts.byAction.get(a.action), facts, view.coverage, window);
    const was = vb.verdicts[k] === UNUSED ? 'unused' : 'unknown';
    if (verdict === was) return true;
    // unknown → unused would add a member to a bucket: not adjusted, the reference path says it
    if (verdict === 'unused') return false;
    changed.set(k, verdict);
    return true;
  };
  for (const u of view.usage) {
    const k = positionOf(held, u.action);
    if (k >= 0 && !judge(k)) return undefined;
  }
  if (covered.needsService && facts.byService.size > 0) {
    const services = servicesOf(base);
    for (const [service, last] of facts.byService) {
      if (!usedSince(endOfDay(last), from)) continue;
      for (const k of services.get(service) ?? []) if (!judge(k)) return undefined;
    }
  }

  let used = 0;
  let unused = vb.unused;
  let unknown = vb.unknown;
  let mass = vb.mass;
  let unknownMass = vb.unknownMass;
  let gone: Set<number> | undefined;
  let riskyChanged = false;
  for (const [k, verdict] of changed) {
    const weight = base.traits.weights[k]!;
    if (verdict === 'used') used += 1;
    else unknown += 1;
    if (vb.verdicts[k] === UNUSED) {
      unused -= 1;
      mass -= weight;
      if (verdict === 'unknown') unknownMass += weight;
      (gone ??= new Set()).add(k);
      if (base.risky[k] === 1) riskyChanged = true;
    } else {
      unknown -= 1;
      unknownMass -= weight;
    }
  }
  const counts: Counts = { granted: held.length, used, unused, unknown };
  const coverage = coverageBasisOf(view.coverage, held.length, unknown);
  const lastUsed = lastUse(view.usage);
  const scored = isScored(view.identity);
  const verdictAt = (k: number): UsageVerdict => changed.get(k) ?? (vb.verdicts[k] === UNUSED ? 'unused' : 'unknown');

  let pci;
  if (scored) {
    const buckets = new Map<string, PciBucket>();
    if (!gone) for (const bucket of vb.buckets) buckets.set(bucket.key, bucket.whole);
    else {
      const left: { first: number; key: string; bucket: PciBucket }[] = [];
      vb.buckets.forEach((bucket, at) => {
        let taken = 0;
        let weight = 0;
        for (const k of gone!)
          if (vb.bucketAt[k] === at) {
            taken += 1;
            weight += base.traits.weights[k]!;
          }
        if (taken === 0) {
          left.push({ first: bucket.ascending[0]!, key: bucket.key, bucket: bucket.whole });
          return;
        }
        if (taken === bucket.whole.count) return;
        const first = bucket.ascending.find((k) => !gone!.has(k))!;
        left.push({
          first,
          key: bucket.key,
          bucket: {
            mass: bucket.whole.mass - weight,
            count: bucket.whole.count - taken,
            actions: top(base, bucket.ordered, gone),
          },
        });
      });
      left.sort((a, b) => a.first - b.first);
      for (const entry of left) buckets.set(entry.key, entry.bucket);
    }
    pci = concludeIndex(
      buckets,
      mass,
      unknownMass,
      (action) => {
        const k = positionOf(held, action);
        return k < 0 ? 'unknown' : verdictAt(k);
      },
      { escalations: base.risk.escalations, ...(lastUsed ? { lastUsed } : {}), coverage },
    );
  }

  return concludeAssessment(view, context, {
    held,
    risk: base.risk,
    counts,
    coverage,
    ...(lastUsed ? { lastUsed } : {}),
    scored,
    ...(pci ? { pci } : {}),
    unusedRisky: () => {
      vb.riskySummary ??= summarise(base, vb.riskyUnused);
      return riskyChanged ? summariseWithout(base, vb, gone!) : vb.riskySummary;
    },
    holdsPower: () => (base.power ??= holdsPower(held)),
  });
}

function summarise(base: HeldBase, positions: readonly number[]): RiskySummary {
  return summariseRisky(positions.map((k) => ({ action: base.held[k]!.action, categories: base.categories[k]! })));
}

/** summarise of the base's unused risky actions but those gone (used, or unknown now): from counts per category. */
function summariseWithout(base: HeldBase, vb: VerdictBase, gone: ReadonlySet<number>): RiskySummary {
  if (!vb.riskyCategories) {
    vb.riskyCategories = new Map();
    for (const k of vb.riskyUnused)
      for (const c of base.categories[k]!)
        if (isHighRisk(c)) vb.riskyCategories.set(c, (vb.riskyCategories.get(c) ?? 0) + 1);
  }
  const left = new Map(vb.riskyCategories);
  let count = vb.riskyUnused.length;
  for (const k of gone) {
    if (base.risky[k] !== 1) continue;
    count -= 1;
    for (const c of base.categories[k]!) if (isHighRisk(c)) left.set(c, left.get(c)! - 1);
  }
  const first: string[] = [];
  for (const k of vb.riskyUnused) {
    if (first.length === EVIDENCE_ACTIONS) break;
    if (!gone.has(k)) first.push(base.held[k]!.action);
  }
  const categories: RiskCategory[] = [];
  for (const [c, n] of left) if (n > 0) categories.push(c);
  return { count, first, categories: categories.sort() };
}
