import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DescribePermissionSetCommand } from '@aws-sdk/client-sso-admin';
import { DescribeUserCommand } from '@aws-sdk/client-identitystore';
import { iamActionForEvent } from '../../../domain/inventory/cloudtrail-actions';
import type { AwsSystem } from '../../cloud/aws/errors';
import type { LeaseUsage, LeaseUsageQuery } from '../collector';
import { fetchTrailFile, listRegions, parseTrailBody, trailBase } from './cloudtrail';
import type { TrailRecord } from './cloudtrail-usage';
import type { CollectorSessions } from './sessions';

/**
 * One lease's own usage from CloudTrail: the records of its principal inside the lease's window, per IAM
 * action. Files are read one at a time from the day folders the window touches (and the next day, for
 * late deliveries); a denied call is an attempt, not a use.
 *
 * Whose records: an Identity Center grant is the directory user's session under the permission set's
 * reserved role (`AWSReservedSSO_<permission set>_…/<user name>`); a role grant is any session of that
 * role (the caller keeps only the actions the lease itself granted); a user grant is that IAM user.
 */

const DAY_MS = 86_400_000;
const SSO_ROLE_PREFIX = 'AWSReservedSSO_';

export async function leaseUsage(
  sessions: CollectorSessions,
  system: AwsSystem,
  query: LeaseUsageQuery,
  heartbeat: () => void,
): Promise<LeaseUsage> {
  const trail = system.inventory?.cloudTrail;
  if (!trail)
    return { unavailable: `no CloudTrail is configured for ${system.id} (inventory.cloudTrail in the policy)` };
  const matches = await principalMatcher(sessions, system, query);
  if (typeof matches === 'string') return { unavailable: matches };
  const { s3, bucket } = await sessions.trail(system, trail);
  const base = trailBase(system, trail);
  const regions = trail.regions.length ? [...trail.regions].sort() : await listRegions(s3, bucket, base);
  const from = Date.parse(query.window.from);
  const to = Date.parse(query.window.to);
  const counts = new Map<string, number>();
  for (const region of regions)
    for (let day = startOfDay(from); day <= startOfDay(to) + DAY_MS; day += DAY_MS) {
      for (const key of await dayKeys(s3, bucket, `${base}${region}/${dayPath(day)}/`)) {
        heartbeat();
        const file = await fetchTrailFile(s3, bucket, key);
        if ('error' in file) continue;
        const parsed = parseTrailBody(file.body, file.bytes);
        if ('error' in parsed) continue;
        for (const record of parsed.records) {
          const at = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : NaN;
          if (!(at >= from && at <= to) || typeof record.errorCode === 'string') continue;
          if (typeof record.eventSource !== 'string' || typeof record.eventName !== 'string') continue;
          if (!matches(record)) continue;
          const action = iamActionForEvent(record.eventSource, record.eventName);
          counts.set(action, (counts.get(action) ?? 0) + 1);
        }
      }
    }
  return { counts };
}

type Matcher = (record: TrailRecord) => boolean;

async function principalMatcher(
  sessions: CollectorSessions,
  system: AwsSystem,
  query: LeaseUsageQuery,
): Promise<Matcher | string> {
  const { principal, grant } = query;
  const issuerName = (record: TrailRecord): string | undefined => {
    const arn = record.userIdentity?.sessionContext?.sessionIssuer?.arn;
    return typeof arn === 'string' && arn.split(':')[4] === system.accountId
      ? arn.slice(arn.lastIndexOf('/') + 1)
      : undefined;
  };
  const sessionName = (record: TrailRecord): string | undefined => {
    const arn = record.userIdentity?.arn;
    return typeof arn === 'string' ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
  };
  switch (principal.kind) {
    case 'aws-identity-store-user': {
      if (grant.kind !== 'aws-identity-center') return 'this grant is not read from CloudTrail';
      const session = await sessions.account(system);
      const described = await session.ssoAdmin.send(
        new DescribePermissionSetCommand({
          InstanceArn: system.identityCenter?.instanceArn,
          PermissionSetArn: grant.permissionSetArn,
        }),
      );
      const name = described.PermissionSet?.Name;
      if (!name) return `permission set ${grant.permissionSetArn} was not found`;
      const rolePrefix = `${SSO_ROLE_PREFIX}${name}_`;
      // the session is named by the directory user's user name, which may differ from their e-mail
      const directoryUser = system.identityCenter
        ? await session.identityStore.send(
            new DescribeUserCommand({
              IdentityStoreId: system.identityCenter.identityStoreId,
              UserId: principal.userId,
            }),
          )
        : undefined;
      const user = (directoryUser?.UserName ?? principal.display).toLowerCase();
      return (record) =>
        record.userIdentity?.type === 'AssumedRole' &&
        issuerName(record)?.startsWith(rolePrefix) === true &&
        sessionName(record)?.toLowerCase() === user;
    }
    case 'aws-iam-role':
      return (record) => record.userIdentity?.type === 'AssumedRole' && issuerName(record) === principal.roleName;
    case 'aws-iam-user':
      return (record) =>
        record.userIdentity?.type === 'IAMUser' &&
        typeof record.userIdentity.arn === 'string' &&
        record.userIdentity.arn.split(':')[4] === system.accountId &&
        record.userIdentity.arn.endsWith(`/${principal.userName}`);
    default:
      return 'this principal is not an AWS one';
  }
}

async function dayKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of listed.Contents ?? []) if (object.Key?.endsWith('.json.gz')) keys.push(object.Key);
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function dayPath(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '/');
}
