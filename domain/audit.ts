/**
 * Every kind of entry the audit log holds: a dotted verb, subject first. Auditors search and alert on
 * these names, so they are part of the contract like error codes: add new ones, never rename one.
 */
export const AuditAction = {
  // The request's own steps, recorded by its workflow.
  RequestSubmitted: 'request.submitted',
  RequestApproved: 'request.approved',
  RequestDenied: 'request.denied',
  RequestCancelled: 'request.cancelled',
  RequestExpired: 'request.expired',
  ApprovalApproved: 'approval.approved',
  ApprovalDenied: 'approval.denied',
  ExtensionRequested: 'extension.requested',
  ExtensionDenied: 'extension.denied',
  GrantApplied: 'grant.applied',
  GrantFailed: 'grant.failed',
  GrantExtended: 'grant.extended',
  GrantRevoked: 'grant.revoked',
  GrantRevokeRetrying: 'grant.revoke_retrying',
  BreakGlassReviewed: 'breakglass.reviewed',
  BreakGlassReviewMissed: 'breakglass.review_missed',

  // What the reconciliation sweep found in the clouds.
  ReconcileOutOfBand: 'reconcile.out_of_band',
  ReconcileOrphanRemoved: 'reconcile.orphan_removed',

  // Findings: who looked where they may not, and who suppressed what.
  FindingsSuppressed: 'findings.suppressed',
  FindingsSuppressRefused: 'findings.suppress_refused',
  FindingsViewRefused: 'findings.view_refused',

  // The unused-permission cleanup: each run's steps, owners' answers, every change and restore.
  CleanupPlanned: 'cleanup.planned',
  CleanupAnnounced: 'cleanup.announced',
  CleanupAnnounceFailed: 'cleanup.announce_failed',
  CleanupKept: 'cleanup.kept',
  CleanupSnoozed: 'cleanup.snoozed',
  CleanupRemoveRequested: 'cleanup.remove_requested',
  CleanupDecisionRefused: 'cleanup.decision_refused',
  CleanupApplied: 'cleanup.applied',
  CleanupStaged: 'cleanup.staged',
  CleanupApplyFailed: 'cleanup.apply_failed',
  CleanupReplanned: 'cleanup.replanned',
  CleanupFinished: 'cleanup.finished',
  CleanupRestored: 'cleanup.restored',
  CleanupRestoreRefused: 'cleanup.restore_refused',
  /** Show diff refused: the documents are for the item's owners, the system's owners, security and admins. */
  CleanupViewRefused: 'cleanup.view_refused',
  /** A cleanup of one identity started (or joined) from a finding card's Clean up button. */
  CleanupStarted: 'cleanup.started',
  /** Clean up refused: only the system's owners and Least's admins may start one. */
  CleanupStartRefused: 'cleanup.start_refused',
  /** The denied-call watch told owners of calls denied to what a run removed; nothing was restored. */
  CleanupDeniedCallsSeen: 'cleanup.denied_calls_seen',

  // Digests: each period posted once per digest, or why it could not be.
  DigestPosted: 'digest.posted',
  /** The channel refused the digest (the bot is not in it, it was deleted or archived, the app was removed). */
  DigestUndelivered: 'digest.undelivered',

  // Rule alerts: a message posted (with its count), acknowledged, or closed with nobody acknowledging it.
  AlertRaised: 'alert.raised',
  AlertAcknowledged: 'alert.acknowledged',
  AlertAcknowledgeRefused: 'alert.acknowledge_refused',
  AlertExpired: 'alert.expired',

  // Reports: a forensic identity report made (who asked, about whom), or refused (unknown, ambiguous).
  ReportGenerated: 'report.generated',
  ReportRefused: 'report.refused',
  /** A report delivered in chat (who asked, about whom, how large, where: Slack upload, Teams file or link). */
  ReportDelivered: 'report.delivered',

  // Anomalies: a suppression stored (who, what, why, until) or refused.
  AnomalySuppressed: 'anomaly.suppressed',
  AnomalySuppressRefused: 'anomaly.suppress_refused',

  // Refusals: the workflow never saw these, or its validator turned them down.
  RequestRefused: 'request.refused',
  ApprovalRefused: 'approval.refused',
  ExtensionRefused: 'extension.refused',
  EndRefused: 'end.refused',
  ReviewRefused: 'review.refused',
  CommandMalformed: 'command.malformed',
  CommandRefused: 'command.refused',
  ActionMalformed: 'action.malformed',
  IdentityUnknown: 'identity.unknown',
  SlackRequestRejected: 'slack.request.rejected',
  TeamsRequestRejected: 'teams.request.rejected',
} as const;

export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];
