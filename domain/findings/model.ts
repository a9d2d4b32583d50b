import type { AccessLevel, ActionCatalogue, Cloud, IdentityNature } from '../inventory/model';

/**
 * Findings: what a snapshot of the inventory says about risk. Pure data, JSON-safe, computed by the pure
 * functions of this folder; the activities only stream identities to them and store what comes out.
 *
 * Risk categories are named as Cloudsplaining names them, so its results and ours compare one to one.
 */

export const RISK_CATEGORIES = [
  'PrivilegeEscalation',
  'ResourceExposure',
  'CredentialsExposure',
  'DataExfiltration',
  'ServiceWildcard',
  'InfrastructureModification',
] as const;

export type RiskCategory = (typeof RISK_CATEGORIES)[number];

/**
 * How the risk rules read a policy:
 * - `least`: denies, permission boundaries and `notActions` subtract; conditional grants are still held
 *   but marked conditional (severity lower).
 * - `cloudsplaining`: Cloudsplaining's semantics, for the side-by-side comparison only: allow statements
 *   on all resources (`Resource: *`), denies and conditions ignored.
 */
export type RiskMode = 'least' | 'cloudsplaining';

/** One action as the risk rules see it: what it can do, where, and whether a condition limits it. */
export interface HeldAction {
  /** Canonical, as the catalogue spells it. */
  action: string;
  accessLevels: AccessLevel[];
  resourceReach: 'all' | 'some';
  conditional: boolean;
}

/** One documented privilege-escalation technique an action set makes possible. */
export interface EscalationPath {
  /** Cloudsplaining's name for AWS techniques (`CreateNewPolicyVersion`, `PassExistingRoleToNewLambdaThenInvoke`, …); ours for Azure and GCP. */
  technique: string;
  /** The held actions that make it possible, sorted. */
  actions: string[];
  /** Every action of the path is held only under a condition. */
  conditional: boolean;
}

/** What the risk rules say about a set of held actions (one document, or an identity's effective set). */
export interface RiskProfile {
  /**
   * Per category, the held actions that fall in it, sorted; for `ServiceWildcard` the services of which
   * every catalogue action is held; for `PrivilegeEscalation` the actions of every escalation path.
   * A category with nothing in it is absent.
   */
  categories: Partial<Record<RiskCategory, string[]>>;
  escalations: EscalationPath[];
}

export interface RiskRuleOptions {
  cloud: Cloud;
  catalogue: ActionCatalogue;
  mode: RiskMode;
}

export type FindingKind =
  | 'inactive-identity'
  | 'unused-access-key'
  | 'unused-password'
  | 'over-provisioned'
  | 'super-identity'
  | 'risky-permissions'
  | 'risky-trust'
  | 'unreadable-permissions';

export const FINDING_KINDS: readonly FindingKind[] = [
  'super-identity',
  'risky-trust',
  'over-provisioned',
  'inactive-identity',
  'unused-access-key',
  'unused-password',
  'risky-permissions',
  'unreadable-permissions',
];

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** What a finding rests on: the sources that spoke and what they cannot see. */
export interface CoverageBasis {
  /** e.g. `cloudtrail 2026-09-02…2026-12-01 (action-day)`. */
  sources: string[];
  /** e.g. `reads are not recorded (Activity Log)`, `no usage data for 1,204 of 1,530 actions`. */
  blindSpots: string[];
}

export interface Finding {
  /** Stable across runs: kind, system, identity and what it is about; suppressions key on it. */
  id: string;
  systemId: string;
  identityId: string;
  identityName: string;
  kind: FindingKind;
  /** Risk categories this finding is about (risky permissions, over-provisioned). */
  categories?: RiskCategory[];
  severity: Severity;
  /** One line a person reads first: `Unused for 142 days`, `AdministratorAccess held, 3 of 22,000 actions used`. */
  title: string;
  /** Facts that back it, one per line, most telling first. */
  evidence: string[];
  coverage: CoverageBasis;
  /** Set when a suppression from the policy file or from chat/CLI applies (shown, not hidden). */
  suppressed?: Suppressed;
}

/** Suppressions made in chat or with the CLI last one of these many days, and give a reason this long at most. */
export const SUPPRESS_DAYS = [30, 90] as const;
export type SuppressDays = (typeof SUPPRESS_DAYS)[number];
export const SUPPRESS_REASON_MAX = 500;

export interface Suppressed {
  reason: string;
  by: string;
  until: string;
  source: 'policy' | 'chat' | 'cli';
}

export type PciBand = 'low' | 'medium' | 'high';

/** One line of a score's explanation; the contributors' points sum to the score. */
export interface PciContributor {
  /** e.g. `410 unused write actions on all resources`, `12 privilege-escalation paths`. */
  label: string;
  points: number;
  /** The unused actions behind it, highest weight first (bounded). */
  actions: string[];
}

export interface PciScore {
  /** 0–100, from permissions shown unused by the data. */
  score: number;
  band: PciBand;
  /** The score if every action whose use is unknown were unused too: how far blind spots could move it. */
  ceiling: number;
  contributors: PciContributor[];
  /** The score once the top contributors' actions were removed. */
  ifTopRemoved: number;
  lastUsed?: string;
  coverage: CoverageBasis;
}

/** Everything findings say about one identity in one snapshot. */
export interface IdentityAssessment {
  systemId: string;
  identityId: string;
  identityName: string;
  nature: IdentityNature;
  /** Service-linked roles and cloud-managed service agents carry no score. */
  scored: boolean;
  pci?: PciScore;
  findings: Finding[];
  granted: number;
  used: number;
  unknown: number;
}
