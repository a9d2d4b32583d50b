/**
 * Why the AWS collector skipped something (`SkippedItem.reason`), beside the expansion's own reasons in
 * domain/inventory/skip-reasons.ts. A run report groups by these strings: never rename one.
 */
export const AwsSkipReason = {
  /** IAM listed a policy but gave no default version body. */
  PolicyDocumentMissing: 'policy.document.missing',
  /** An entity listed a moment ago was gone when Least asked for its details (deleted in between). */
  EntityGone: 'aws.entity.gone',
  /** A CloudTrail file that is not gzip, is truncated, or is not a `{"Records":[…]}` JSON body. */
  CloudTrailFileMalformed: 'cloudtrail.file.malformed',
  /** A CloudTrail key that does not follow the delivery layout (no time or region in its name). */
  CloudTrailKeyUnexpected: 'cloudtrail.key.unexpected',
  /** No log file in the window (plus a day either side): the trail, prefix or reader role may be wrong. */
  CloudTrailFilesNone: 'cloudtrail.files.none',
  /** Records without `eventName`, `eventSource` or a valid `eventTime` (counted per file). */
  CloudTrailRecordMalformed: 'cloudtrail.record.malformed',
  /** Records of a service the action catalogue does not know (counted per file and service). */
  CloudTrailServiceUnknown: 'cloudtrail.service.unknown',
  /** A credential report row or date that cannot be read. */
  CredentialReportMalformed: 'aws.credential-report.malformed',
  /** Access Advisor could not report on an identity (job FAILED, or the entity vanished). */
  AccessAdvisorFailed: 'access-advisor.job.failed',
  /**
   * Identity Center would not say which accounts a permission set is provisioned to (the reader lacks
   * sso:ListAccountsForProvisionedPermissionSet): cleanup then leaves the set's inline policy as it is.
   */
  PermissionSetAccountsUnread: 'aws.permission-set.accounts.unread',
} as const;

export type AwsSkipReason = (typeof AwsSkipReason)[keyof typeof AwsSkipReason];
