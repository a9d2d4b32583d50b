import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * CloudTrail log files as AWS delivers them, written into (moto) S3: the real key layout
 * (`<prefix>/AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_
 * <YYYYMMDDTHHmmZ>_<16 chars>.json.gz`) and the real record format. Seeded: the same options give the
 * same files, byte for byte.
 */

export interface TrailActor {
  type: 'IAMUser' | 'AssumedRole' | 'AWSService' | 'Root';
  /** The caller: a user ARN, or `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  arn?: string;
  accountId: string;
  /** For assumed roles: the role ARN (with its path) and name. */
  issuer?: { arn: string; userName: string };
  principalId?: string;
  invokedBy?: string;
}

export function iamUserActor(accountId: string, userName: string): TrailActor {
  return {
    type: 'IAMUser',
    arn: `arn:aws:iam::${accountId}:user/${userName}`,
    accountId,
    principalId: `AIDA${userName.toUpperCase().slice(0, 8)}`,
  };
}

/** A session of a role; `path` as the role has it (Identity Center roles live under /aws-reserved/sso.amazonaws.com/). */
export function assumedRoleActor(accountId: string, roleName: string, sessionName: string, path = '/'): TrailActor {
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    accountId,
    issuer: { arn: `arn:aws:iam::${accountId}:role${path}${roleName}`, userName: roleName },
    principalId: `AROA${roleName
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 12)}:${sessionName}`,
  };
}

/** The role Identity Center makes for a permission set in each account, and a user's session of it. */
export function identityCenterActor(
  accountId: string,
  permissionSet: string,
  userName: string,
  hash = 'a1b2c3d4e5f6a7b8',
): TrailActor {
  return assumedRoleActor(
    accountId,
    `AWSReservedSSO_${permissionSet}_${hash}`,
    userName,
    '/aws-reserved/sso.amazonaws.com/',
  );
}

export interface TrailEvent {
  time: Date;
  actor: TrailActor;
  eventSource: string;
  eventName: string;
  region: string;
  sourceIPAddress?: string;
  errorCode?: string;
  resources?: string[];
  requestParameters?: Record<string, unknown>;
  /** `Data` for data events (S3 object reads, Lambda invokes); `Management` otherwise. */
  category?: 'Management' | 'Data';
}

/** One record in CloudTrail's JSON format. */
export function trailRecord(event: TrailEvent, seed: string): Record<string, unknown> {
  const { actor } = event;
  const userIdentity: Record<string, unknown> = {
    type: actor.type,
    principalId: actor.principalId,
    arn: actor.arn,
    accountId: actor.accountId,
  };
  if (actor.type === 'IAMUser') userIdentity.userName = actor.arn?.split('/').pop();
  if (actor.type === 'AssumedRole' && actor.issuer) {
    userIdentity.accessKeyId = `ASIA${seed.slice(0, 16).toUpperCase()}`;
    userIdentity.sessionContext = {
      sessionIssuer: {
        type: 'Role',
        principalId: actor.principalId?.split(':')[0],
        arn: actor.issuer.arn,
        accountId: actor.accountId,
        userName: actor.issuer.userName,
      },
      attributes: {
        creationDate: new Date(event.time.getTime() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        mfaAuthenticated: 'false',
      },
    };
  }
  if (actor.invokedBy) userIdentity.invokedBy = actor.invokedBy;
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: event.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: event.eventSource,
    eventName: event.eventName,
    awsRegion: event.region,
    sourceIPAddress: event.sourceIPAddress ?? '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6',
    requestParameters: event.requestParameters ?? null,
    responseElements: null,
    ...(event.errorCode
      ? { errorCode: event.errorCode, errorMessage: `User: ${actor.arn} is not authorized to perform this operation` }
      : {}),
    requestID: uuidOf(seed.slice(0, 32), '8'),
    eventID: uuidOf(seed.slice(32, 64), '9'),
    readOnly: /^(Get|List|Describe|Head)/.test(event.eventName),
    ...(event.resources
      ? { resources: event.resources.map((arn) => ({ accountId: actor.accountId, type: resourceType(arn), ARN: arn })) }
      : {}),
    eventType: 'AwsApiCall',
    managementEvent: event.category !== 'Data',
    recipientAccountId: actor.accountId,
    eventCategory: event.category ?? 'Management',
  };
}

function resourceType(arn: string): string {
  const service = arn.split(':')[2] ?? 'unknown';
  return `AWS::${service.toUpperCase()}::Resource`;
}

export interface TrailLocation {
  bucket: string;
  prefix?: string;
  organizationId?: string;
  accountId: string;
}

/** The key CloudTrail delivers a file under. */
export function trailKey(location: TrailLocation, region: string, deliveredAt: Date, suffix: string): string {
  const iso = deliveredAt.toISOString();
  const [date] = iso.split('T') as [string];
  const stamp = `${date.replace(/-/g, '')}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  const prefix = location.prefix ? `${location.prefix.replace(/\/+$/, '')}/` : '';
  const org = location.organizationId ? `${location.organizationId}/` : '';
  return `${prefix}AWSLogs/${org}${location.accountId}/CloudTrail/${region}/${date.replace(/-/g, '/')}/${location.accountId}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou' && (error as Error).name !== 'BucketAlreadyExists')
      throw error;
  }
}

/** Writes one file of these events; its delivery time is a few minutes after the last event. */
export async function writeTrailFile(
  s3: S3Client,
  location: TrailLocation,
  region: string,
  events: TrailEvent[],
  options: { deliveredAt?: Date; random?: Random } = {},
): Promise<string> {
  const random = options.random ?? seeded(events.length + region.length);
  const last = Math.max(...events.map((event) => event.time.getTime()));
  const deliveredAt = options.deliveredAt ?? new Date(last + 5 * 60_000);
  const key = trailKey(location, region, deliveredAt, random.suffix());
  const body = gzipSync(JSON.stringify({ Records: events.map((event) => trailRecord(event, random.hex(64))) }));
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ContentEncoding: 'gzip',
    }),
  );
  return key;
}

/** Writes raw bytes under a CloudTrail key: for files that are broken on purpose. */
export async function writeRawTrailObject(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/* ---------- seeded generation of whole trails ---------- */

export interface Random {
  next(): number;
  pick<T>(items: readonly T[]): T;
  hex(length: number): string;
  /** The 16 characters CloudTrail puts at the end of a file name. */
  suffix(): string;
}

/** mulberry32: small, fast and good enough to make test data; not for anything secret. */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chars = (alphabet: string, length: number): string => {
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
    return text;
  };
  return {
    next,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    hex: (length) => chars('0123456789abcdef', length),
    suffix: () => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 16),
  };
}

/** Calls real accounts make often, with the resources they name. */
export const COMMON_CALLS: readonly {
  eventSource: string;
  eventName: string;
  resource?: (account: string, n: number) => string;
  category?: 'Data';
}[] = [
  {
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    resource: (_a, n) => `arn:aws:s3:::app-data-${n % 7}/reports/${n}.csv`,
    category: 'Data',
  },
  {
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    resource: (_a, n) => `arn:aws:s3:::app-data-${n % 7}/uploads/${n}.json`,
    category: 'Data',
  },
  { eventSource: 's3.amazonaws.com', eventName: 'ListObjects', resource: (_a, n) => `arn:aws:s3:::app-data-${n % 7}` },
  {
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    resource: (a, n) => `arn:aws:iam::${a}:role/app-${n % 40}`,
  },
  { eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' },
  {
    eventSource: 'ec2.amazonaws.com',
    eventName: 'RunInstances',
    resource: (a, n) => `arn:aws:ec2:us-east-1:${a}:instance/i-0${n.toString(16).padStart(16, '0')}`,
  },
  {
    eventSource: 'lambda.amazonaws.com',
    eventName: 'Invoke',
    resource: (a, n) => `arn:aws:lambda:us-east-1:${a}:function:worker-${n % 12}`,
    category: 'Data',
  },
  {
    eventSource: 'lambda.amazonaws.com',
    eventName: 'UpdateFunctionCode20150331v2',
    resource: (a, n) => `arn:aws:lambda:us-east-1:${a}:function:worker-${n % 12}`,
  },
  {
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    resource: (a, n) => `arn:aws:kms:us-east-1:${a}:key/${n % 5}`,
  },
  {
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'DescribeTable',
    resource: (a, n) => `arn:aws:dynamodb:us-east-1:${a}:table/orders-${n % 3}`,
  },
  { eventSource: 'iam.amazonaws.com', eventName: 'ListRoles' },
  {
    eventSource: 'iam.amazonaws.com',
    eventName: 'PutRolePolicy',
    resource: (a, n) => `arn:aws:iam::${a}:role/app-${n % 40}`,
  },
  { eventSource: 'monitoring.amazonaws.com', eventName: 'PutMetricData' },
  {
    eventSource: 'logs.amazonaws.com',
    eventName: 'CreateLogStream',
    resource: (a, n) => `arn:aws:logs:us-east-1:${a}:log-group:/app/${n % 9}`,
  },
  {
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    resource: (a, n) => `arn:aws:secretsmanager:us-east-1:${a}:secret:db-${n % 4}`,
  },
];

export interface TrailPlan extends TrailLocation {
  regions: string[];
  /** Events happen from `from` to `to`; files are delivered every `fileMinutes`. */
  from: Date;
  to: Date;
  files: number;
  recordsPerFile: number;
  actors: TrailActor[];
  seed: number;
  /** Share of calls refused with AccessDenied. */
  deniedRate?: number;
}

export interface GeneratedTrail {
  keys: string[];
  records: number;
  bytes: number;
}

/**
 * A whole trail: `files` files spread evenly over the time span and regions, each of
 * `recordsPerFile` records from the actors, realistic calls, some denied. Uploads a few at a time.
 */
export async function generateTrail(
  s3: S3Client,
  plan: TrailPlan,
  onProgress?: (done: number) => void,
): Promise<GeneratedTrail> {
  await ensureBucket(s3, plan.bucket);
  const random = seeded(plan.seed);
  const span = plan.to.getTime() - plan.from.getTime();
  const keys: string[] = [];
  let bytes = 0;
  let counter = 0;
  const inFlight = new Set<Promise<void>>();
  for (let file = 0; file < plan.files; file++) {
    const region = plan.regions[file % plan.regions.length]!;
    const fileEnd = plan.from.getTime() + Math.floor(((file + 1) * span) / plan.files);
    const fileStart = Math.max(plan.from.getTime(), fileEnd - Math.max(60_000, Math.floor(span / plan.files)));
    const events: TrailEvent[] = [];
    for (let i = 0; i < plan.recordsPerFile; i++) {
      const call = random.pick(COMMON_CALLS);
      const actor = random.pick(plan.actors);
      const n = counter++;
      events.push({
        time: new Date(fileStart + Math.floor(random.next() * (fileEnd - fileStart))),
        actor,
        eventSource: call.eventSource,
        eventName: call.eventName,
        region,
        sourceIPAddress: `203.0.113.${1 + (n % 200)}`,
        errorCode: random.next() < (plan.deniedRate ?? 0.02) ? 'AccessDenied' : undefined,
        resources: call.resource ? [call.resource(plan.accountId, n)] : undefined,
        category: call.category,
      });
    }
    const deliveredAt = new Date(fileEnd + 5 * 60_000);
    const key = trailKey(plan, region, deliveredAt, random.suffix());
    const body = gzipSync(JSON.stringify({ Records: events.map((event) => trailRecord(event, random.hex(64))) }));
    bytes += body.length;
    keys.push(key);
    const upload = s3
      .send(new PutObjectCommand({ Bucket: plan.bucket, Key: key, Body: body }))
      .then(() => undefined)
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
    if (inFlight.size >= 8) await Promise.race(inFlight);
    onProgress?.(file + 1);
  }
  await Promise.all(inFlight);
  return { keys, records: plan.files * plan.recordsPerFile, bytes };
}

/** A version-4 UUID spelled from 32 hex characters, with the given variant digit. */
function uuidOf(hex: string, variant: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
