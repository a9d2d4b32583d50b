import { indexCatalogue, serviceOf } from '../inventory/catalogue-index';
import type { AccessLevel, ActionCatalogue, CatalogueAction, Cloud } from '../inventory/model';
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

/** A catalogue entry that may say it cannot be limited to resources (`isWildcardOnly` in the AWS data). */
export interface RiskCatalogueAction extends CatalogueAction {
  wildcardOnly?: boolean;
}

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
}

interface CompiledTechnique {
  technique: string;
  lowers: readonly string[];
}

interface CompiledRules {
  cloud: Cloud;
  rules: CloudRiskRules;
  /** Keyed by the catalogue's own spelling (held actions carry it), then by lower case. */
  byName: Map<string, RuledAction>;
  byLower: Map<string, RuledAction>;
  techniques: readonly CompiledTechnique[];
  /** Per lower-case action, the positions in `techniques` of those that need it. */
  techniquesByAction: ReadonlyMap<string, readonly number[]>;
  /** Actions that make a technique on their own. */
  soloTechniqueActions: ReadonlySet<string>;
  /** Per lower-case service: its name as the catalogue spells it and its number of distinct actions. */
  services: Map<string, { name: string; size: number }>;
}

const compiledByCatalogue = new WeakMap<ActionCatalogue, CompiledRules>();

/** The categories one held action falls in by itself (no combinations), under the mode's counting rule. */
export function actionCategories(action: HeldAction, options: RiskRuleOptions): RiskCategory[] {
  const compiled = compile(options);
  const ruled = lookup(compiled, action.action, action.accessLevels);
  return counted(ruled, action, options.mode) as RiskCategory[];
}

export function assessRisk(held: readonly HeldAction[], options: RiskRuleOptions): RiskProfile {
  const compiled = compile(options);
  const found = new Map<RiskCategory, Set<string>>();
  const add = (category: RiskCategory, action: string): void => {
    let set = found.get(category);
    if (!set) found.set(category, (set = new Set()));
    set.add(action);
  };
  /** Actions usable for escalation, by lower case; conditional only if every counted holding is. */
  const usable = new Map<string, { action: string; conditional: boolean }>();
  /** Per lower-case service, the distinct catalogue actions held that count for ServiceWildcard. */
  const perService = new Map<string, Set<string>>();

  for (const holding of held) {
    const ruled = lookup(compiled, holding.action, holding.accessLevels);
    const categories = counted(ruled, holding, options.mode);
    for (const category of categories) if (category !== 'PrivilegeEscalation') add(category, ruled.action);
    if (countsAnywhere(ruled, holding, options.mode)) {
      const previous = usable.get(ruled.lower);
      usable.set(ruled.lower, {
        action: ruled.action,
        conditional: holding.conditional && (previous?.conditional ?? true),
      });
    }
    if (ruled.service !== undefined && countsForServiceWildcard(holding, options.mode)) {
      let set = perService.get(ruled.service);
      if (!set) perService.set(ruled.service, (set = new Set()));
      set.add(ruled.lower);
    }
  }

  // only techniques that need some usable action can be complete; checked in the rules' order
  const candidates = new Set<number>();
  for (const lower of usable.keys()) for (const at of compiled.techniquesByAction.get(lower) ?? []) candidates.add(at);
  const escalations: EscalationPath[] = [];
  for (const at of [...candidates].sort((a, b) => a - b)) {
    const technique = compiled.techniques[at]!;
    const parts = technique.lowers.map((lower) => usable.get(lower));
    if (parts.some((part) => part === undefined)) continue;
    const present = parts as { action: string; conditional: boolean }[];
    const actions = present.map((part) => part.action).sort();
    for (const action of actions) add('PrivilegeEscalation', action);
    escalations.push({
      technique: technique.technique,
      actions,
      conditional: present.every((part) => part.conditional),
    });
  }

  for (const [service, actions] of perService) {
    const known = compiled.services.get(service);
    if (known && known.size > 0 && actions.size === known.size) add('ServiceWildcard', known.name);
  }

  const categories: Partial<Record<RiskCategory, string[]>> = {};
  for (const category of RISK_CATEGORIES) {
    const set = found.get(category);
    if (set && set.size > 0) categories[category] = [...set].sort();
  }
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
  const techniques = rules.techniques.map((technique) => ({
    technique: technique.technique,
    lowers: technique.actions.map((action) => action.toLowerCase()),
  }));
  const soloTechniqueActions = new Set(techniques.flatMap((t) => (t.lowers.length === 1 ? t.lowers : [])));
  const techniquesByAction = new Map<string, number[]>();
  techniques.forEach((technique, at) => {
    for (const lower of technique.lowers) {
      const list = techniquesByAction.get(lower);
      if (list) list.push(at);
      else techniquesByAction.set(lower, [at]);
    }
  });
  const byName = new Map<string, RuledAction>();
  const byLower = new Map<string, RuledAction>();
  const services = new Map<string, { name: string; size: number }>();
  for (const entry of indexCatalogue(catalogue).byName.values()) {
    const lower = entry.action.toLowerCase();
    const serviceName = serviceOf(cloud, entry.action);
    const service = serviceName.toLowerCase();
    const ruled = ruledAction(
      rules,
      soloTechniqueActions,
      entry.action,
      lower,
      service,
      entry.accessLevels,
      (entry as RiskCatalogueAction).wildcardOnly === true,
    );
    byName.set(entry.action, ruled);
    byLower.set(lower, ruled);
    const known = services.get(service);
    if (known) known.size += 1;
    else services.set(service, { name: serviceName, size: 1 });
  }
  const compiled: CompiledRules = {
    cloud,
    rules,
    byName,
    byLower,
    techniques,
    techniquesByAction,
    soloTechniqueActions,
    services,
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
  const single = new Set<RiskCategory>(rules.categoriesOf(lower, accessLevels));
  if (soloTechniqueActions.has(lower)) single.add('PrivilegeEscalation');
  const categories = Object.freeze(RISK_CATEGORIES.filter((category) => single.has(category)));
  const anyResource = Object.freeze(categories.filter((category) => ANY_RESOURCE_CATEGORIES.has(category)));
  return { action, lower, service, categories, anyResource, wildcardOnly };
}
