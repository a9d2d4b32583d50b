import type { Anomaly, AnomalyKind } from './model';

/**
 * A person's word that an identity's unusual activity is expected, until a date: kept as code in the
 * policy or stored from the CLI (audited). A suppressed anomaly is still stored, marked, and never alerted.
 */
export interface AnomalySuppression {
  system: string;
  /** The identity's id or its name (case aside). */
  identity: string;
  /** Absent: every kind. */
  kind?: AnomalyKind;
  /** Absent: every subject. */
  subject?: string;
  reason: string;
  by: string;
  /** `YYYY-MM-DD`: the suppression ends at the start of that day (UTC). */
  until: string;
}

/** Whether a suppression is in force at `at` (an ISO time). */
export function isLive(suppression: Pick<AnomalySuppression, 'until'>, at: string): boolean {
  return at.slice(0, 10) < suppression.until.slice(0, 10);
}

/** The first live suppression that covers the anomaly, if any. */
export function suppressionOf(
  anomaly: Anomaly,
  suppressions: readonly AnomalySuppression[],
  at: string,
): AnomalySuppression | undefined {
  return suppressions.find(
    (s) =>
      isLive(s, at) &&
      s.system === anomaly.systemId &&
      (s.identity === anomaly.identityId || s.identity.toLowerCase() === anomaly.identityName.toLowerCase()) &&
      (s.kind === undefined || s.kind === anomaly.kind) &&
      (s.subject === undefined || s.subject.toLowerCase() === anomaly.subject.toLowerCase()),
  );
}

/** A suppression lasts at most this long: nothing is silenced for good by a typo in a year. */
export const MAX_SUPPRESSION_DAYS = 366;
export const SUPPRESSION_REASON_MAX = 500;
/** An identity id or a subject: ARNs and resource names fit. */
const NAME_MAX = 2048;

/**
 * Why a suppression someone asked for cannot be stored, in words they can act on; undefined when it can.
 * `today` is the UTC day it is asked on.
 */
export function suppressionProblem(
  input: Pick<AnomalySuppression, 'reason' | 'until'> & { kind?: string; identity?: string; subject?: string },
  today: string,
  kinds: readonly string[],
): string | undefined {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > SUPPRESSION_REASON_MAX)
    return `Give a reason of 1 to ${SUPPRESSION_REASON_MAX} characters.`;
  if (input.identity !== undefined && (input.identity.trim() === '' || input.identity.length > NAME_MAX))
    return `Name the identity by its id or name, in 1 to ${NAME_MAX} characters.`;
  if (input.subject !== undefined && (input.subject.trim() === '' || input.subject.length > NAME_MAX))
    return `A subject is 1 to ${NAME_MAX} characters: the service, action, region, address or hour.`;
  if (input.kind !== undefined && !kinds.includes(input.kind))
    return `"${input.kind.slice(0, 40)}" is not an anomaly kind; use one of ${kinds.join(', ')}.`;
  const until = /^\d{4}-\d{2}-\d{2}$/.test(input.until) ? Date.parse(`${input.until}T00:00:00.000Z`) : NaN;
  if (Number.isNaN(until) || new Date(until).toISOString().slice(0, 10) !== input.until)
    return `"${input.until.slice(0, 40)}" is not a date: write YYYY-MM-DD.`;
  const from = Date.parse(`${today}T00:00:00.000Z`);
  if (until <= from) return `The suppression would already be over: give a day after ${today}.`;
  if (until - from > MAX_SUPPRESSION_DAYS * 86_400_000)
    return `A suppression lasts at most ${MAX_SUPPRESSION_DAYS} days: give a day until ${new Date(from + MAX_SUPPRESSION_DAYS * 86_400_000).toISOString().slice(0, 10)}.`;
  return undefined;
}

/** Why a suppression was refused: stable codes, in the audit log and the CLI's JSON. */
export const AnomalyCode = {
  SuppressInvalid: 'ANOMALY.SUPPRESS_INVALID',
  SystemUnknown: 'ANOMALY.SYSTEM_UNKNOWN',
  SuppressRefused: 'ANOMALY.SUPPRESS_REFUSED',
} as const;
