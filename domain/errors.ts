/**
 * Every rule the product enforces fails with a stable code and a sentence a person can act on.
 * Codes are part of the contract with chat front ends, the CLI and the audit log: never rename one.
 */
export const ErrorCode = {
  DurationMalformed: 'DURATION.MALFORMED',
  DurationTooLong: 'DURATION.TOO_LONG',
  DurationTooShort: 'DURATION.TOO_SHORT',
  EntitlementUnknown: 'ENTITLEMENT.UNKNOWN',
  RequesterNotEligible: 'REQUEST.NOT_ELIGIBLE',
  ReasonRequired: 'REQUEST.REASON_REQUIRED',
  ReasonTooLong: 'REQUEST.REASON_TOO_LONG',
  TicketRequired: 'REQUEST.TICKET_REQUIRED',
  TicketMalformed: 'REQUEST.TICKET_MALFORMED',
  BreakGlassNotAllowed: 'REQUEST.BREAK_GLASS_NOT_ALLOWED',
  GrantAlreadyActive: 'GRANT.ALREADY_ACTIVE',
  PrincipalUnknown: 'PRINCIPAL.UNKNOWN',
  ApproverNotAuthorized: 'APPROVAL.NOT_AUTHORIZED',
  SelfApproval: 'APPROVAL.SELF_APPROVAL',
  RequestNotPending: 'APPROVAL.NOT_PENDING',
  ConflictingDecision: 'APPROVAL.CONFLICTING_DECISION',
  DenyReasonRequired: 'APPROVAL.DENY_REASON_REQUIRED',
  LeaseNotActive: 'LEASE.NOT_ACTIVE',
  ExtensionNotAllowed: 'LEASE.EXTENSION_NOT_ALLOWED',
  ExtensionTooLong: 'LEASE.EXTENSION_TOO_LONG',
  NotAllowedToEnd: 'LEASE.NOT_ALLOWED_TO_END',
  RequestUnknown: 'REQUEST.UNKNOWN',
  InvalidTransition: 'REQUEST.INVALID_TRANSITION',
  PolicyInvalid: 'POLICY.INVALID',
  CloudPermissionSetUnknown: 'CLOUD.PERMISSION_SET_UNKNOWN',
  CloudPrincipalUnknown: 'CLOUD.PRINCIPAL_UNKNOWN',
  CloudAccessDenied: 'CLOUD.ACCESS_DENIED',
  CloudTargetUnknown: 'CLOUD.TARGET_UNKNOWN',
  CloudRevokeUnverified: 'CLOUD.REVOKE_UNVERIFIED',
  /** The person already holds this access through a grant made outside Least, which Least leaves alone. */
  CloudAlreadyHeld: 'CLOUD.ALREADY_HELD',
  /** The worker has no usable credentials for this cloud (none configured, expired, or refused). */
  CloudCredentialsUnavailable: 'CLOUD.CREDENTIALS_UNAVAILABLE',
  /** A cloud call failed in a way no rule names (the message carries the cloud's own words). */
  CloudError: 'CLOUD.ERROR',
  InputMalformed: 'INPUT.MALFORMED',
  /** The system is not in the policy file, or has no `inventory` settings. */
  InventoryNotConfigured: 'INVENTORY.NOT_CONFIGURED',
  /** This worker has no inventory collector for the system's cloud. */
  InventoryNoCollector: 'INVENTORY.NO_COLLECTOR',
  /** The cloud refused an inventory call in a way that needs a person (a 4xx other than throttling). */
  InventoryCloudRefused: 'INVENTORY.CLOUD_REFUSED',
  /** A collection step kept returning pages: the same cursor twice in a row, or more pages than the bound. */
  InventoryPagesEndless: 'INVENTORY.PAGES_ENDLESS',
  /** No inventory run with this id was begun. */
  InventoryRunUnknown: 'INVENTORY.RUN_UNKNOWN',
  /** The inventory run already succeeded or failed: a late page must not change a snapshot. */
  InventoryRunClosed: 'INVENTORY.RUN_CLOSED',
  /** An inventory batch broke a rule (wrong system, a path to a document never stored, a malformed day). */
  InventoryBatchRefused: 'INVENTORY.BATCH_REFUSED',
  /** No cleanup run or item with this id. */
  CleanupUnknown: 'CLEANUP.UNKNOWN',
  /** The cleanup run is not taking this answer now (finished, or the item already acted on). */
  CleanupClosed: 'CLEANUP.CLOSED',
  /** The clicker is neither an owner of the identity nor of the system. */
  CleanupNotAuthorized: 'CLEANUP.NOT_AUTHORIZED',
  /** A Keep without a reason, a Snooze of another length, a reason too long. */
  CleanupDecisionInvalid: 'CLEANUP.DECISION_INVALID',
  /** A restore would overwrite a later change to the object; the message names it. */
  CleanupRestoreConflict: 'CLEANUP.RESTORE_CONFLICT',
  /** A chart's SVG has no usable size or does not parse: a renderer bug, so retrying cannot help. */
  ChartUnrenderable: 'CHART.UNRENDERABLE',
  /** A digest names a time zone the IANA database does not know (or an offset, which has no DST rules). */
  DigestTimeZoneUnknown: 'DIGEST.TIME_ZONE_UNKNOWN',
  /** A digest's time or day does not parse: a caller's bug, so retrying cannot help. */
  DigestPeriodInvalid: 'DIGEST.PERIOD_INVALID',
  /** An Acknowledge on an alert message a newer message of the same alert replaced. */
  AlertSuperseded: 'ALERT.SUPERSEDED',
  /** The alert's message was acknowledged already; the message names who and when. */
  AlertAlreadyAcknowledged: 'ALERT.ALREADY_ACKNOWLEDGED',
  /** The alert closed (nobody acknowledged it in time, or it is gone). */
  AlertClosed: 'ALERT.CLOSED',
  /** The clicker may not acknowledge alerts. */
  AlertNotAuthorized: 'ALERT.NOT_AUTHORIZED',
  /** The process's environment is wrong; start-up stops and names every bad key. */
  ConfigInvalid: 'CONFIG.INVALID',
  /** A report names a person or cloud identity that no request, mapping or inventory knows. */
  ReportSubjectUnknown: 'REPORT.SUBJECT_UNKNOWN',
  /** A report names a cloud identity found in more than one system (or twice in one): `--system` decides. */
  ReportSubjectAmbiguous: 'REPORT.SUBJECT_AMBIGUOUS',
  /** A report's period or options are out of bounds (days 1–365, a day that is no calendar day). */
  ReportInvalid: 'REPORT.INVALID',
  /** Someone who is not a security viewer asked in chat for a report on another person's identity. */
  ReportNotAuthorized: 'REPORT.NOT_AUTHORIZED',
  /** A report could not be delivered where it was asked (the bot not in the channel, links not configured). */
  ReportUndelivered: 'REPORT.UNDELIVERED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A rule was broken. `code` is stable; `message` is written for the person who has to act on it. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Result type for rules that are checked, not thrown: validators and evaluators return these. */
export type Verdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

export const allow: Verdict = { ok: true };
export function refuse(code: ErrorCode, message: string): Verdict {
  return { ok: false, code, message };
}
