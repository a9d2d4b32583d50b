/**
 * Rule alerts (issue 14, item 3): what each rule is, how severe by default, where its trigger lives and
 * how soon it is told. Pure data; the policy's `alerts:` block switches rules off, changes severities and
 * names the channels per severity.
 */

export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface AlertRuleInfo {
  /** What the message's heading says. */
  title: string;
  severity: AlertSeverity;
  /** Where the trigger is. */
  source: 'access' | 'cleanup' | 'reconciliation' | 'collection';
  /** The latency people can expect, as docs/alerts.md states it. */
  latency: string;
  /** What one alert (one message with a count) gathers: occurrences with the same subject fold together. */
  groupedBy: string;
}

export const ALERT_RULES = {
  'break-glass-used': {
    title: 'Break-glass access used',
    severity: 'critical',
    source: 'access',
    latency: 'within seconds of the grant being taken',
    groupedBy: 'entitlement',
  },
  'revocation-retrying': {
    title: 'Revocation retrying',
    severity: 'high',
    source: 'access',
    latency: 'within seconds of the first failed revocation attempt',
    groupedBy: 'authorization system',
  },
  'grant-failed': {
    title: 'Grant failed',
    severity: 'medium',
    source: 'access',
    latency: 'within seconds of the failure',
    groupedBy: 'authorization system',
  },
  'high-risk-granted': {
    title: 'High-risk entitlement granted',
    severity: 'high',
    source: 'access',
    latency: 'within seconds of the grant',
    groupedBy: 'entitlement',
  },
  'cleanup-restored': {
    title: 'Cleanup change restored',
    severity: 'medium',
    source: 'cleanup',
    latency: 'within seconds of the restore',
    groupedBy: 'authorization system',
  },
  'out-of-band-grant': {
    title: 'Grant made outside Least',
    severity: 'high',
    source: 'reconciliation',
    latency: "at the reconciliation sweep after it was made (the sweep's schedule, every 15 minutes by default)",
    groupedBy: 'authorization system',
  },
  'new-super-identity': {
    title: 'New super identity',
    severity: 'high',
    source: 'collection',
    latency: 'when the collection that first sees it finishes',
    groupedBy: 'authorization system',
  },
  'pci-jump': {
    title: 'Permission Creep Index jumped',
    severity: 'medium',
    source: 'collection',
    latency: 'when the collection that measures it finishes',
    groupedBy: 'authorization system',
  },
  'new-anomalies': {
    title: 'New anomalies',
    severity: 'medium',
    source: 'collection',
    latency: 'when the collection that finds them finishes',
    groupedBy: 'authorization system',
  },
} as const satisfies Record<string, AlertRuleInfo>;

export type AlertRule = keyof typeof ALERT_RULES;
export const ALERT_RULE_IDS = Object.keys(ALERT_RULES) as AlertRule[];

/** How urgent a severity is: 0 is the most. */
export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}
