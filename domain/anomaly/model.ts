/**
 * Anomalies (issue 14, item 4): what an identity did on one day that its own history says it does not
 * do. Pure data, JSON-safe; found by domain/anomaly, stored by activities/store/anomaly, read by alerts,
 * digests and reports.
 */

export const ANOMALY_KINDS = [
  /** A service (AWS `s3`, an Azure provider, a GCP service) used for the first time in the identity's history. */
  'first-service',
  /** A resource touched for the first time (from the usage detail's new resources). */
  'first-resource',
  /** An action's daily count far above the identity's own median (median and absolute deviation). */
  'volume',
  /** Activity at hours of the day the identity never works at. */
  'unusual-hour',
  /** A source region never seen before. */
  'new-region',
  /** A source address never seen before. */
  'new-address',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export type AnomalySeverity = 'low' | 'medium' | 'high';

export interface Anomaly {
  systemId: string;
  identityId: string;
  /** The identity's display name, for people. */
  identityName: string;
  /** The day (UTC, YYYY-MM-DD) the unusual activity happened. */
  day: string;
  kind: AnomalyKind;
  /** What was unusual: the service, action, resource, region, address or hour ("03:00"). */
  subject: string;
  /** What was seen that day (a count; 1 for a first use). */
  observed: number;
  /** What the identity's own history says is usual (the median), when there is a number to compare. */
  baseline?: number;
  /** How far from usual, in the detector's own units (robust z-score for volume). */
  score?: number;
  severity: AnomalySeverity;
  /** One line that explains itself: "s3:GetObject ×4,120 today; its median is 35". */
  explanation: string;
}
