import { indexCatalogue, serviceOf } from '../inventory/catalogue-index';
import type { AccessLevel, ActionCatalogue, Cloud } from '../inventory/model';
import {
  type EscalationPath,
  type HeldAction,
  RISK_CATEGORIES,
  type RiskCategory,
  type RiskMode,
  type RiskProfile,
  type RiskRuleOptions,
} from './model';
import { awsRiskRules } from './risk/aws';
import { azureRiskRules } from './risk/azure';
import { gcpRiskRules } from './risk/gcp';
import type { CloudRiskRules } from './risk/rules';

/**
 * The risk rules: which categories a set of held actions falls in, and which escalation techniques it
 * makes possible. Category lists per cloud live in risk/{aws,azure,gcp}.ts; what each category means in
 * each cloud is in docs/findings-categories.md.
 *
 * Which held actions count, per mode:
 * - `least`: every held action, whatever its reach or condition. A category says what an action can do;
 *   how far it reaches is a separate dimension, shown beside it and weighed by the PCI. An escalation
 *   path whose every action is held only under a condition is still reported, marked `conditional`.
 *   (Denies, boundaries and `notActions` were subtracted by the caller.)
 * - `cloudsplaining`: what Cloudsplaining 0.9.1 flags. Only actions held on all resources (`Resource:
 *   *`) and not under a condition: Cloudsplaining skips statements that have a `Condition` (its
 *   `flag_conditional_statements` is off by default). Actions that cannot be limited to a resource at
 *   all (wildcard-only, when the catalogue says so) count for escalation, credentials and exfiltration
 *   whatever the statement's resource, and never for resource exposure or infrastructure modification —
 *   as Cloudsplaining splits "unrestrictable" from "unrestricted" actions. ServiceWildcard looks only at
 *   the actions (Cloudsplaining reads `service:*` without looking at `Resource`), so reach is not
 *   required there either; conditions still are.
 */

export const CLOUD_RISK_RULES: Readonly<Record<Cloud, CloudRiskRules>> = {
  aws: awsRiskRules,
  azure: azureRiskRules,
  gcp: gcpRiskRules,
};

/** Categories counted from unrestricted or unrestrictable actions; the rest need unrestricted ones. */
const ANY_RESOURCE_CATEGORIES: ReadonlySet<RiskCategory> = new Set([
  'PrivilegeEscalation',
  'CredentialsExposure',
  'DataExfiltration',
]);

const NONE: readonly RiskCategory[] = Object.freeze([]);

interface RuledAction {
  /** As the catalogue spells it. */
  action: string;
  lower: string;
  /** Lower-case service, or undefined for an action the catalogue does not know. */
  service: string | undefined;
  /** Every single-action category, in RISK_CATEGORIES order; frozen and shared. */
  categories: readonly RiskCategory[];
  /** The subset counted whatever the reach: PrivilegeEscalation, CredentialsExposure, DataExfiltration. */
  anyResource: readonly RiskCategory[];
  wildcardOnly: boolean;
  /** Catalogue actions: the place in the catalogue sorted by name; -1 for an action it does not know. */
  rank: number;
  /** Catalogue actions: the position of the service in `serviceList`; -1 for an action it does not know. */
  servicePosition: number;
}

interface CompiledTechnique {
  technique: string;
  lowers: readonly string[];
  /** Per action needed: the catalogue's, or (not in the catalogue) only its lower-case name. */
  parts: readonly { lower: string; ruled: RuledAction | undefined }[];
}

/** Each category's bit in the per-action marks of assessRisk, in RISK_CATEGORIES order. */
const CATEGORY_BIT = Object.fromEntries(RISK_CATEGORIES.map((category, at) => [category, 1 << at])) as Record<
  RiskCategory,
  number
>;

interface CompiledRules {
  cloud: Cloud;
  rules: CloudRiskRules;
  /** Keyed by the catalogue's own spelling (held actions carry it), then by lower case. */
  byName: Map<string, RuledAction>;
  byLower: Map<string, RuledAction>;
  techniques: readonly CompiledTechnique[];
  /** Actions that make a technique on their own. */
  soloTechniqueActions: ReadonlySet<string>;
  /** The catalogue's actions sorted by name (as `sort()` orders strings): index = rank. */
  ranked: readonly RuledAction[];
  /** Per service: its name as the catalogue spells it and its number of distinct actions. */
  serviceList: readonly { name: string; size: number }[];
  /** assessRisk's work arrays, reused call after call. */
  scratch: Scratch;
}

const compiledByCatalogue = new WeakMap<ActionCatalogue, CompiledRules>();

/** The categories one held action falls in by itself (no combinations), under the mode's counting rule. */
export function actionCategories(action: HeldAction, options: RiskRuleOptions): RiskCategory[] {
  const compiled = compile(options);
  const ruled = lookup(compiled, action.action, action.accessLevels);
  return counted(ruled, action, options.mode) as RiskCategory[];
}

export function assessRisk(held: readonly HeldAction[], options: RiskRuleOptions): RiskProfile {
  return assessRiskInto(held, options, undefined);
}

/**
 * assessRisk, and each held action's own categories by position (what actionCategories gives for it),
 * worked out in the same pass: one lookup per action instead of two.
 */
export function assessRiskByAction(
  held: readonly HeldAction[],
  options: RiskRuleOptions,
): { risk: RiskProfile; categories: (readonly RiskCategory[])[] } {
  const categories = new Array<readonly RiskCategory[]>(held.length);
  return { risk: assessRiskInto(held, options, categories), categories };
}

function assessRiskInto(
  held: readonly HeldAction[],
  options: RiskRuleOptions,
  byAction: (readonly RiskCategory[])[] | undefined,
): RiskProfile {
  const compiled = compile(options);
  // the compiled rules' scratch arrays, unless a call in progress holds them (then this one's own)
  const scratch = compiled.scratch.busy ? newScratch(compiled) : compiled.scratch;
  scratch.busy = true;
  try {
    return assessWith(compiled, scratch, held, options, byAction);
  } finally {
    // left all zero for the next call
    scratch.marks.fill(0);
    scratch.usable.fill(0);
    scratch.wildcardSeen.fill(0);
    scratch.perService.fill(0);
    scratch.busy = false;
  }
}

/** Per-call work arrays as large as the catalogue (and its list of services), all zero between calls. */
interface Scratch {
  busy: boolean;
  marks: Uint8Array;
  usable: Uint8Array;
  wildcardSeen: Uint8Array;
  perService: Int32Array;
}

function newScratch(compiled: Pick<CompiledRules, 'ranked' | 'serviceList'>): Scratch {
  const size = compiled.ranked.length;
  return {
    busy: false,
    marks: new Uint8Array(size),
    usable: new Uint8Array(size),
    wildcardSeen: new Uint8Array(size),
    perService: new Int32Array(compiled.serviceList.length),
  };
}

function assessWith(
  compiled: CompiledRules,
  scratch: Scratch,
  held: readonly HeldAction[],
  options: RiskRuleOptions,
  byAction: (readonly RiskCategory[])[] | undefined,
): RiskProfile {
  const size = compiled.ranked.length;
  // Catalogue actions are worked on by rank (their place in sorted order), so each category comes out
  // sorted by walking ranks; actions the catalogue does not know (rare) keep to sets, as by name.
  /** Per rank, a bit per category in RISK_CATEGORIES order; `touched` lists each rank marked. */
  const marks = scratch.marks;
  const touched: number[] = [];
  const mark = (rank: number, bit: number): void => {
    if (marks[rank] === 0) touched.push(rank);
    marks[rank]! |= bit;
  };
  let unknownFound: Map<RiskCategory, Set<string>> | undefined;
  const addUnknown = (category: RiskCategory, action: string): void => {
    unknownFound ??= new Map();
    let set = unknownFound.get(category);
    if (!set) unknownFound.set(category, (set = new Set()));
    set.add(action);
  };
  const add = (ruled: RuledAction, category: RiskCategory): void => {
    if (ruled.rank >= 0) mark(ruled.rank, CATEGORY_BIT[category]);
    else addUnknown(category, ruled.action);
  };
  /**
   * Actions usable for escalation, conditional only if every counted holding is: per rank, 0 not usable,
   * 1 usable only under a condition, 2 usable without one; unknown actions by lower case.
   */
  const usable = scratch.usable;
  let unknownUsable: Map<string, { action: string; conditional: boolean }> | undefined;
  /** Per rank, held in a way that counts for ServiceWildcard; per service position, how many distinct. */
  const wildcardSeen = scratch.wildcardSeen;
  const perService = scratch.perService;

  for (let k = 0; k < held.length; k++) {
    const holding = held[k]!;
    const ruled = lookup(compiled, holding.action, holding.accessLevels);
    const categories = counted(ruled, holding, options.mode);
    if (byAction) byAction[k] = categories;
    for (const category of categories) if (category !== 'PrivilegeEscalation') add(ruled, category);
    if (countsAnywhere(ruled, holding, options.mode)) {
      if (ruled.rank >= 0) {
        const previous = usable[ruled.rank]!;
        usable[ruled.rank] = holding.conditional && previous !== 2 ? 1 : 2;
      } else {
        unknownUsable ??= new Map();
        const previous = unknownUsable.get(ruled.lower);
        unknownUsable.set(ruled.lower, {
          action: ruled.action,
          conditional: holding.conditional && (previous?.conditional ?? true),
        });
      }
    }
    if (
      ruled.servicePosition >= 0 &&
      countsForServiceWildcard(holding, options.mode) &&
      wildcardSeen[ruled.rank] === 0
    ) {
      wildcardSeen[ruled.rank] = 1;
      perService[ruled.servicePosition]! += 1;
    }
  }

  // techniques complete when every action they need is usable, in the rules' order
  const escalations: EscalationPath[] = [];
  for (const technique of compiled.techniques) {
    const present: { action: string; conditional: boolean }[] = [];
    for (const part of technique.parts) {
      if (part.ruled) {
        const state = usable[part.ruled.rank]!;
        if (state === 0) break;
        present.push({ action: part.ruled.action, conditional: state === 1 });
      } else {
        const found = unknownUsable?.get(part.lower);
        if (!found) break;
        present.push(found);
      }
    }
    if (present.length < technique.parts.length) continue;
    const actions = present.map((part) => part.action).sort();
    technique.parts.forEach((part, at) => {
      if (part.ruled) mark(part.ruled.rank, CATEGORY_BIT.PrivilegeEscalation);
      else addUnknown('PrivilegeEscalation', present[at]!.action);
    });
    escalations.push({
      technique: technique.technique,
      actions,
      conditional: present.every((part) => part.conditional),
    });
  }

  const lists = RISK_CATEGORIES.map((): string[] => []);
  const collect = (rank: number): void => {
    const bits = marks[rank]!;
    const action = compiled.ranked[rank]!.action;
    for (let c = 0; c < lists.length; c++) if (bits & (1 << c)) lists[c]!.push(action);
  };
  if (touched.length * 8 < size) {
    for (const rank of Int32Array.from(touched).sort()) collect(rank);
  } else {
    for (let rank = 0; rank < size; rank++) if (marks[rank] !== 0) collect(rank);
  }
  const serviceWildcards = lists[RISK_CATEGORIES.indexOf('ServiceWildcard')]!;
  compiled.serviceList.forEach((service, at) => {
    if (service.size > 0 && perService[at] === service.size) serviceWildcards.push(service.name);
  });
  serviceWildcards.sort();
  if (unknownFound) {
    for (const [category, set] of unknownFound) {
      const list = lists[RISK_CATEGORIES.indexOf(category)]!;
      list.push(...set);
      list.sort();
    }
  }

  // no list holds a name twice: ranks are distinct actions, an unknown action is no catalogue action's
  // spelling, and ServiceWildcard holds only service names
  const categories: Partial<Record<RiskCategory, string[]>> = {};
  RISK_CATEGORIES.forEach((category, c) => {
    if (lists[c]!.length > 0) categories[category] = lists[c]!;
  });
  return { categories, escalations };
}

/** The techniques a cloud's rules know, as written (for documentation, reports and tests). */
export function escalationTechniques(cloud: Cloud): readonly { technique: string; actions: readonly string[] }[] {
  return CLOUD_RISK_RULES[cloud].techniques;
}

function counted(ruled: RuledAction, holding: HeldAction, mode: RiskMode): readonly RiskCategory[] {
  if (mode === 'least') return ruled.categories;
  if (holding.conditional) return NONE;
  if (holding.resourceReach === 'all' && !ruled.wildcardOnly) return ruled.categories;
  // unrestrictable: Resource cannot name anything narrower, so it counts as held everywhere
  if (ruled.wildcardOnly) return ruled.anyResource;
  return NONE;
}

function countsAnywhere(ruled: RuledAction, holding: HeldAction, mode: RiskMode): boolean {
  if (mode === 'least') return true;
  return !holding.conditional && (holding.resourceReach === 'all' || ruled.wildcardOnly);
}

function countsForServiceWildcard(holding: HeldAction, mode: RiskMode): boolean {
  return mode === 'least' || !holding.conditional;
}

function lookup(compiled: CompiledRules, action: string, accessLevels: readonly AccessLevel[]): RuledAction {
  const exact = compiled.byName.get(action);
  if (exact) return exact;
  const lower = action.toLowerCase();
  const known = compiled.byLower.get(lower);
  if (known) return known;
  // not in the catalogue (newer than it, or kept by the expansion anyway): judged by name and levels
  return ruledAction(compiled.rules, compiled.soloTechniqueActions, action, lower, undefined, accessLevels, false);
}

function compile(options: RiskRuleOptions): CompiledRules {
  const { catalogue, cloud } = options;
  const cached = compiledByCatalogue.get(catalogue);
  if (cached && cached.cloud === cloud) return cached;
  const rules = CLOUD_RISK_RULES[cloud];
  const lowers = rules.techniques.map((technique) => technique.actions.map((action) => action.toLowerCase()));
  const soloTechniqueActions = new Set(lowers.flatMap((list) => (list.length === 1 ? list : [])));
  const byName = new Map<string, RuledAction>();
  const byLower = new Map<string, RuledAction>();
  const services = new Map<string, { name: string; size: number; position: number }>();
  const ruledList: RuledAction[] = [];
  // a catalogue lists a service's actions together: its entry is looked up again only when the service changes
  let lastService: string | undefined;
  let known: { name: string; size: number; position: number } | undefined;
  // keyed by the lower-case name already
  for (const [lower, entry] of indexCatalogue(catalogue).byName) {
    const serviceName = serviceOf(cloud, entry.action);
    if (serviceName !== lastService || !known) {
      lastService = serviceName;
      const service = serviceName.toLowerCase();
      known = services.get(service);
      if (!known) services.set(service, (known = { name: serviceName, size: 0, position: services.size }));
    }
    known.size += 1;
    const ruled = ruledAction(
      rules,
      soloTechniqueActions,
      entry.action,
      lower,
      serviceName.toLowerCase(),
      entry.accessLevels,
      entry.wildcardOnly === true,
    );
    ruled.servicePosition = known.position;
    byName.set(entry.action, ruled);
    byLower.set(lower, ruled);
    ruledList.push(ruled);
  }
  // sorted as `sort()` orders strings (its own comparison, no call per pair); names are distinct
  const ranked = ruledList
    .map((ruled) => ruled.action)
    .sort()
    .map((action) => byName.get(action)!);
  ranked.forEach((ruled, rank) => (ruled.rank = rank));
  const techniques = rules.techniques.map((technique, at) => ({
    technique: technique.technique,
    lowers: lowers[at]!,
    parts: lowers[at]!.map((lower) => ({ lower, ruled: byLower.get(lower) })),
  }));
  const serviceList = [...services.values()].map(({ name, size }) => ({ name, size }));
  const compiled: CompiledRules = {
    cloud,
    rules,
    byName,
    byLower,
    techniques,
    soloTechniqueActions,
    ranked,
    serviceList,
    scratch: newScratch({ ranked, serviceList }),
  };
  // a catalogue belongs to one cloud; a caller naming another gets correct answers, just not cached
  if (cloud === catalogue.cloud) compiledByCatalogue.set(catalogue, compiled);
  return compiled;
}

function ruledAction(
  rules: CloudRiskRules,
  soloTechniqueActions: ReadonlySet<string>,
  action: string,
  lower: string,
  service: string | undefined,
  accessLevels: readonly AccessLevel[],
  wildcardOnly: boolean,
): RuledAction {
  let bits = soloTechniqueActions.has(lower) ? CATEGORY_BIT.PrivilegeEscalation : 0;
  for (const category of rules.categoriesOf(lower, accessLevels)) bits |= CATEGORY_BIT[category];
  const { categories, anyResource } = categoryLists(bits);
  return { action, lower, service, categories, anyResource, wildcardOnly, rank: -1, servicePosition: -1 };
}

/** Per set of categories (as bits), its lists in RISK_CATEGORIES order: frozen, and shared by every action with that set. */
const CATEGORY_LISTS = new Map<number, { categories: readonly RiskCategory[]; anyResource: readonly RiskCategory[] }>();

function categoryLists(bits: number): { categories: readonly RiskCategory[]; anyResource: readonly RiskCategory[] } {
  let lists = CATEGORY_LISTS.get(bits);
  if (!lists) {
    const categories = Object.freeze(RISK_CATEGORIES.filter((category) => (bits & CATEGORY_BIT[category]) !== 0));
    const anyResource = Object.freeze(categories.filter((category) => ANY_RESOURCE_CATEGORIES.has(category)));
    CATEGORY_LISTS.set(bits, (lists = { categories, anyResource }));
  }
  return lists;
}
