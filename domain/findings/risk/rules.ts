import type { AccessLevel } from '../../inventory/model';
import type { RiskCategory } from '../model';

/**
 * What one cloud's risk rules are made of; `risk.ts` compiles them once per catalogue. Action names are
 * written as the cloud spells them and matched case-insensitively, as every cloud matches them.
 */

/** A documented privilege-escalation technique: holding every one of its actions makes it possible. */
export interface EscalationTechnique {
  technique: string;
  actions: readonly string[];
}

/** The single-action categories other than PrivilegeEscalation (which comes from the techniques). */
export type SingleActionCategory = Exclude<RiskCategory, 'PrivilegeEscalation' | 'ServiceWildcard'>;

export interface CloudRiskRules {
  techniques: readonly EscalationTechnique[];
  /** The categories one action falls in by itself, from its lower-cased name and its access levels. */
  categoriesOf(lowerAction: string, accessLevels: readonly AccessLevel[]): SingleActionCategory[];
}

/** Write, Permissions management and Tagging: the levels that change something (Cloudsplaining's "modify"). */
export function modifies(accessLevels: readonly AccessLevel[]): boolean {
  return accessLevels.some((level) => level === 'Write' || level === 'Permissions management' || level === 'Tagging');
}

export function lowerSet(actions: readonly string[]): ReadonlySet<string> {
  return new Set(actions.map((action) => action.toLowerCase()));
}
