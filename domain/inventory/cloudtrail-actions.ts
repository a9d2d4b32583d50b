/**
 * CloudTrail names an event by the API call (`eventSource` host + `eventName`); IAM authorizes an
 * action (`prefix:Action`). Mostly they agree (`iam.amazonaws.com` + `CreateRole` → `iam:CreateRole`).
 * The tables below hold only the documented places where they differ; every target is checked against
 * the catalogue in test/domain/inventory/cloudtrail-actions.test.ts. An event that maps to no catalogue
 * action (e.g. `signin:ConsoleLogin`, which needs no permission) is for the collector to count, not to
 * guess.
 */

/** Event source hosts (without `.amazonaws.com`) whose IAM prefix is another word. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  tagging: 'tag',
};

/**
 * Event names that are not the IAM action of the same service. S3's REST names differ most
 * (ListObjects is authorized as s3:ListBucket, multipart upload parts as s3:PutObject); Lambda's data
 * event `Invoke` is lambda:InvokeFunction.
 */
const EVENT_ACTION: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  s3: {
    ListBuckets: 'ListAllMyBuckets',
    ListObjects: 'ListBucket',
    ListObjectsV2: 'ListBucket',
    HeadBucket: 'ListBucket',
    ListObjectVersions: 'ListBucketVersions',
    ListMultipartUploads: 'ListBucketMultipartUploads',
    ListParts: 'ListMultipartUploadParts',
    HeadObject: 'GetObject',
    SelectObjectContent: 'GetObject',
    CopyObject: 'PutObject',
    CreateMultipartUpload: 'PutObject',
    UploadPart: 'PutObject',
    UploadPartCopy: 'PutObject',
    CompleteMultipartUpload: 'PutObject',
    DeleteObjects: 'DeleteObject',
    GetBucketLifecycle: 'GetLifecycleConfiguration',
    PutBucketLifecycle: 'PutLifecycleConfiguration',
    DeleteBucketLifecycle: 'PutLifecycleConfiguration',
    GetBucketEncryption: 'GetEncryptionConfiguration',
    PutBucketEncryption: 'PutEncryptionConfiguration',
    DeleteBucketEncryption: 'PutEncryptionConfiguration',
    GetBucketReplication: 'GetReplicationConfiguration',
    PutBucketReplication: 'PutReplicationConfiguration',
    DeleteBucketReplication: 'PutReplicationConfiguration',
    GetBucketCors: 'GetBucketCORS',
    PutBucketCors: 'PutBucketCORS',
    DeleteBucketCors: 'PutBucketCORS',
    DeleteBucketTagging: 'PutBucketTagging',
    DeleteBucketPublicAccessBlock: 'PutBucketPublicAccessBlock',
    DeleteBucketOwnershipControls: 'PutBucketOwnershipControls',
    PutBucketNotificationConfiguration: 'PutBucketNotification',
    GetBucketNotificationConfiguration: 'GetBucketNotification',
  },
  lambda: {
    Invoke: 'InvokeFunction',
  },
};

/**
 * Lambda and CloudFront put the API version in the event name: `CreateFunction20150331`,
 * `UpdateFunctionCode20150331v2`, `CreateDistribution2020_05_31`.
 */
const VERSIONED_EVENT: Readonly<Record<string, RegExp>> = {
  lambda: /\d{8}(v\d+)?$/,
  cloudfront: /\d{4}_\d{2}_\d{2}$/,
};

/** The IAM prefix of a CloudTrail event source: `s3.amazonaws.com` → `s3`, `monitoring.amazonaws.com` → `cloudwatch`. */
export function iamServiceForEventSource(eventSource: string): string {
  const host = eventSource
    .trim()
    .toLowerCase()
    .replace(/\.amazonaws\.com(\.cn)?$/, '');
  // Sub-endpoints of one service (`streams.dynamodb`, `runtime.sagemaker`) authorize as that service.
  const service = host.slice(host.lastIndexOf('.') + 1);
  return own(SERVICE_PREFIX, service) ?? service;
}

/** The IAM action a CloudTrail record exercised: `s3.amazonaws.com` + `ListObjects` → `s3:ListBucket`. */
export function iamActionForEvent(eventSource: string, eventName: string): string {
  const service = iamServiceForEventSource(eventSource);
  const name = eventName.trim();
  const renames = own(EVENT_ACTION, service);
  const renamed = renames && own(renames, name);
  if (renamed) return `${service}:${renamed}`;
  const version = own(VERSIONED_EVENT, service);
  const unversioned = version ? name.replace(version, '') : name;
  return `${service}:${(renames && own(renames, unversioned)) ?? unversioned}`;
}

/** The tables, for tests and for the setup docs: every `service:Action` this module can map to by rename. */
export function renamedEventTargets(): string[] {
  const targets: string[] = [];
  for (const [service, names] of Object.entries(EVENT_ACTION)) {
    for (const action of Object.values(names)) targets.push(`${service}:${action}`);
  }
  return [...new Set(targets)];
}

/** A table lookup that never answers from Object.prototype (an event named `constructor` is just a name). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
