import type { AccessLevel } from '../inventory/model';
import type { UsageVerdict } from '../inventory/coverage';
import type { CoverageBasis, EscalationPath, PciBand, PciContributor, PciScore, RiskCategory } from './model';

/**
 * The Permission Creep Index, open: docs/pci.md publishes the same arithmetic in words. Every number
 * here is named there; change one, change both.
 *
 * Mass: each granted action the data shows unused weighs by what it can do (its strongest access level,
 * plus a bonus for credential and data exposure), halved when it reaches only some resources and halved
 * again when a condition limits it. Each privilege-escalation path whose actions are all unused adds a
 * fixed weight. Score = 100 × (1 − e^(−mass / SCALE)), rounded: 0 with nothing unused, rising with every
 * unused risky permission, never past 100. The ceiling is the same with unknown counted as unused.
 */

export const LEVEL_WEIGHT: Readonly<Record<AccessLevel, number>> = {
  'Permissions management': 8,
  Write: 4,
  Read: 2,
  Tagging: 1,
  List: 0.5,
};
/** An action no catalogue level describes. */
export const UNKNOWN_LEVEL_WEIGHT = 1;
export const CATEGORY_BONUS: Readonly<Partial<Record<RiskCategory, number>>> = {
  CredentialsExposure: 6,
  DataExfiltration: 3,
};
export const SOME_RESOURCES_FACTOR = 0.5;
export const CONDITIONAL_FACTOR = 0.5;
export const ESCALATION_PATH_WEIGHT = 20;
export const SCALE = 1500;
/** How many contributors "if the top were removed" takes away. */
export const TOP_CONTRIBUTORS = 3;
export const ACTIONS_PER_CONTRIBUTOR = 5;

/** One granted action as the index reads it. */
export interface ScoredAction {
  action: string;
  accessLevels: readonly AccessLevel[];
  resourceReach: 'all' | 'some';
  conditional: boolean;
  verdict: UsageVerdict;
  /** Its single-action risk categories (risk rules). */
  categories: readonly RiskCategory[];
}

export interface PciInput {
  actions: readonly ScoredAction[];
  /** The identity's escalation paths (risk rules over what it holds). */
  escalations: readonly EscalationPath[];
  lastUsed?: string;
  coverage: CoverageBasis;
}

export function scoreOf(mass: number): number {
  if (!(mass > 0)) return 0;
  return Math.min(100, Math.round(100 * (1 - Math.exp(-mass / SCALE))));
}

/** The bands of docs/pci.md, lowest first, bounds inclusive: charts draw them, `bandOf` reads them. */
export const PCI_BANDS: readonly { band: PciBand; from: number; to: number }[] = [
  { band: 'low', from: 0, to: 33 },
  { band: 'medium', from: 34, to: 66 },
  { band: 'high', from: 67, to: 100 },
];

export function bandOf(score: number): PciBand {
  return PCI_BANDS.reduce<PciBand>((band, next) => (score >= next.from ? next.band : band), 'low');
}

export function actionWeight(action: Omit<ScoredAction, 'verdict' | 'action'>): number {
  return weightOf(action, action.categories);
}

function weightOf(action: Omit<PciAction, 'verdict' | 'action'>, categories: readonly RiskCategory[]): number {
  const level = action.accessLevels.reduce<number>(
    (max, l) => Math.max(max, LEVEL_WEIGHT[l] ?? UNKNOWN_LEVEL_WEIGHT),
    action.accessLevels.length === 0 ? UNKNOWN_LEVEL_WEIGHT : 0,
  );
  const bonus = categories.reduce((sum, c) => sum + (CATEGORY_BONUS[c] ?? 0), 0);
  const reach = action.resourceReach === 'all' ? 1 : SOME_RESOURCES_FACTOR;
  const condition = action.conditional ? CONDITIONAL_FACTOR : 1;
  return (level + bonus) * reach * condition;
}

/** `level reach` bucket names, built once (bucketOf runs for every unused action of every identity). */
const LEVEL_BUCKETS: Readonly<Record<string, { all: string; some: string }>> = Object.fromEntries(
  ['permissions-management', 'write', 'read', 'tagging', 'list', 'other'].map((level) => [
    level,
    { all: `${level} on all resources`, some: `${level} on some resources` },
  ]),
);

/** The bucket an unused action is explained under: its most telling trait. */
function bucketOf(action: Omit<PciAction, 'verdict'>, categories: readonly RiskCategory[]): string {
  if (categories.includes('CredentialsExposure')) return 'credential-exposure';
  if (categories.includes('DataExfiltration')) return 'data-exfiltration';
  const level = action.accessLevels.includes('Permissions management')
    ? 'permissions-management'
    : action.accessLevels.includes('Write')
      ? 'write'
      : action.accessLevels.includes('Read')
        ? 'read'
        : action.accessLevels.includes('Tagging')
          ? 'tagging'
          : action.accessLevels.includes('List')
            ? 'list'
            : 'other';
  return LEVEL_BUCKETS[level]![action.resourceReach === 'all' ? 'all' : 'some'];
}

function bucketLabel(bucket: string, count: number): string {
  if (bucket === 'escalation') return `${count} privilege-escalation path${count === 1 ? '' : 's'}`;
  const noun = count === 1 ? 'action' : 'actions';
  if (bucket === 'credential-exposure') return `${count} unused credential-exposure ${noun}`;
  if (bucket === 'data-exfiltration') return `${count} unused data-exfiltration ${noun}`;
  const [level, ...reach] = bucket.split(' ');
  return `${count} unused ${level} ${noun} ${reach.join(' ')}`;
}

/** Contributor order of a bucket's actions: heaviest first, then by name. */
function byWeight(a: { action: string; weight: number }, b: { action: string; weight: number }): number {
  return b.weight - a.weight || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0);
}

/** Keeps the first ACTIONS_PER_CONTRIBUTOR in contributor order: all a contributor ever shows. */
function keepTop(top: { action: string; weight: number }[], action: string, weight: number): void {
  if (top.length === ACTIONS_PER_CONTRIBUTOR) {
    const last = top[top.length - 1]!;
    if (weight < last.weight || (weight === last.weight && action >= last.action)) return;
  }
  const entry = { action, weight };
  let at = top.length;
  while (at > 0 && byWeight(entry, top[at - 1]!) < 0) at -= 1;
  top.splice(at, 0, entry);
  if (top.length > ACTIONS_PER_CONTRIBUTOR) top.pop();
}

export function permissionCreepIndex(input: PciInput): PciScore {
  const { actions } = input;
  return creepIndex(
    actions,
    (k) => actionWeight(actions[k]!),
    (k) => bucketOf(actions[k]!, actions[k]!.categories),
    input,
  );
}

/** A granted action as the index reads it: no verdict counts as unknown. */
export interface PciAction {
  action: string;
  accessLevels: readonly AccessLevel[];
  resourceReach: 'all' | 'some';
  conditional: boolean;
  verdict?: UsageVerdict;
}

/** What the index reads of each held action but its verdict, by position: its weight and its bucket. */
export interface PciTraits {
  weights: readonly number[];
  buckets: readonly string[];
}

/** The traits of held actions with their risk categories (by position); they depend on nothing else. */
export function pciTraits(
  actions: readonly Omit<PciAction, 'verdict'>[],
  categories: readonly (readonly RiskCategory[])[],
): PciTraits {
  return {
    weights: actions.map((a, k) => weightOf(a, categories[k]!)),
    buckets: actions.map((a, k) => bucketOf(a, categories[k]!)),
  };
}

/**
 * permissionCreepIndex over an identity's granted actions as they are, with their traits by position
 * (pciTraits): the same index as over their ScoredActions, without building one per action.
 */
export function grantedCreepIndex(
  actions: readonly PciAction[],
  traits: PciTraits,
  input: Omit<PciInput, 'actions'>,
): PciScore {
  return creepIndex(
    actions,
    (k) => traits.weights[k]!,
    (k) => traits.buckets[k]!,
    input,
  );
}

function creepIndex(
  actions: readonly PciAction[],
  weightAt: (k: number) => number,
  bucketAt: (k: number) => string,
  input: Omit<PciInput, 'actions'>,
): PciScore {
  const buckets = new Map<string, PciBucket>();
  let mass = 0;
  let unknownMass = 0;
  for (let k = 0; k < actions.length; k++) {
    const action = actions[k]!;
    const verdict = action.verdict ?? 'unknown';
    if (verdict === 'used') continue;
    const weight = weightAt(k);
    if (verdict === 'unknown') {
      unknownMass += weight;
      continue;
    }
    mass += weight;
    addToBucket(buckets, bucketAt(k), weight, action.action);
  }
  // only the actions of escalation paths are looked up; the last holding of an action wins, as in a Map built from all
  const verdicts = new Map<string, UsageVerdict>();
  if (input.escalations.length > 0) {
    const wanted = new Set(input.escalations.flatMap((path) => path.actions));
    for (const a of actions) if (wanted.has(a.action)) verdicts.set(a.action, a.verdict ?? 'unknown');
  }
  return concludeIndex(buckets, mass, unknownMass, (action) => verdicts.get(action) ?? 'unknown', input);
}

/** One contributor bucket of the index while it is summed up. */
export interface PciBucket {
  mass: number;
  count: number;
  /** The heaviest ACTIONS_PER_CONTRIBUTOR so far, in contributor order (weight, then name). */
  actions: { action: string; weight: number }[];
}

function addToBucket(buckets: Map<string, PciBucket>, key: string, weight: number, label: string): void {
  let bucket = buckets.get(key);
  if (!bucket) buckets.set(key, (bucket = { mass: 0, count: 0, actions: [] }));
  bucket.mass += weight;
  bucket.count += 1;
  keepTop(bucket.actions, label, weight);
}

/**
 * The index from the unused actions' buckets (in the order their first action comes), their mass and the
 * unknown actions' mass: adds the escalation paths (by the verdicts of their actions) and apportions.
 * Shared by the index over a list of actions and the bulk assessment (findings/bulk.ts), which builds
 * the same buckets from a shared base and an identity's own uses.
 */
export function concludeIndex(
  buckets: Map<string, PciBucket>,
  actionMass: number,
  actionUnknownMass: number,
  verdictOf: (action: string) => UsageVerdict,
  input: Omit<PciInput, 'actions'>,
): PciScore {
  let mass = actionMass;
  let unknownMass = actionUnknownMass;
  for (const path of input.escalations) {
    let used = false;
    let allUnused = true;
    for (const a of path.actions) {
      const state = verdictOf(a);
      if (state === 'used') used = true;
      else if (state !== 'unused') allUnused = false;
    }
    if (used) continue;
    const weight = ESCALATION_PATH_WEIGHT * (path.conditional ? CONDITIONAL_FACTOR : 1);
    if (allUnused) {
      mass += weight;
      addToBucket(buckets, 'escalation', weight, path.technique);
    } else unknownMass += weight;
  }
  const score = scoreOf(mass);
  const contributors = apportion(score, mass, buckets);
  const topMass = [...buckets.values()]
    .sort((a, b) => b.mass - a.mass)
    .slice(0, TOP_CONTRIBUTORS)
    .reduce((sum, b) => sum + b.mass, 0);
  return {
    score,
    band: bandOf(score),
    ceiling: scoreOf(mass + unknownMass),
    contributors,
    ifTopRemoved: scoreOf(Math.max(0, mass - topMass)),
    ...(input.lastUsed !== undefined ? { lastUsed: input.lastUsed } : {}),
    coverage: input.coverage,
  };
}

/** Each bucket's share of the score by its share of the mass; largest remainders make the points sum to the score. */
function apportion(score: number, mass: number, buckets: Map<string, PciBucket>): PciContributor[] {
  if (score === 0 || mass <= 0) return [];
  const entries = [...buckets.entries()].map(([key, bucket]) => {
    const exact = (score * bucket.mass) / mass;
    return { key, bucket, points: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let left = score - entries.reduce((sum, e) => sum + e.points, 0);
  for (const entry of [...entries].sort((a, b) => b.remainder - a.remainder || b.bucket.mass - a.bucket.mass)) {
    if (left <= 0) break;
    entry.points += 1;
    left -= 1;
  }
  return entries
    .filter((e) => e.points > 0)
    .sort((a, b) => b.points - a.points || b.bucket.mass - a.bucket.mass || (a.key < b.key ? -1 : 1))
    .map(({ key, bucket, points }) => ({
      label: bucketLabel(key, bucket.count),
      points,
      actions: bucket.actions.map((a) => a.action),
    }));
}

/** A system's (or everyone's) index: the mean of its scored identities', rounded; running, so memory stays flat. */
export class PciTally {
  private sum = 0;
  private count = 0;
  private readonly bands: Record<PciBand, number> = { low: 0, medium: 0, high: 0 };

  add(score: number): void {
    this.sum += score;
    this.count += 1;
    this.bands[bandOf(score)] += 1;
  }

  get identities(): number {
    return this.count;
  }

  result(): { score: number; band: PciBand; identities: number; bands: Record<PciBand, number> } {
    const score = this.count === 0 ? 0 : Math.round(this.sum / this.count);
    return { score, band: bandOf(score), identities: this.count, bands: { ...this.bands } };
  }
}
