import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsBroker, type AwsSession, clientConfig } from '../../cloud/aws/broker';
import type { AwsSystem } from '../../cloud/aws/errors';
import { DomainError, ErrorCode } from '../../../domain/errors';

/**
 * How the collector reaches an account: the broker role's session (activities/cloud/aws/broker.ts),
 * named `least-inventory` so CloudTrail shows the collector's own calls as such; and, for the
 * CloudTrail bucket, the log-archive account's reader role when the policy names one.
 */

/** The session purpose of inventory collection (session name `least-inventory`). */
export const INVENTORY_PURPOSE = 'inventory';

export type CloudTrailSettings = NonNullable<NonNullable<AwsSystem['inventory']>['cloudTrail']>;

export interface TrailReader {
  s3: S3Client;
  bucket: string;
}

export class CollectorSessions {
  // one pool for the S3 clients, as the broker keeps one for its own clients
  private readonly agents = {
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  };
  private readonly s3Clients = new Map<string, { accessKeyId: string; s3: S3Client }>();

  constructor(private readonly broker: AwsBroker) {}

  /** The broker role's session: Identity Center is read where the broker administers it. */
  account(system: AwsSystem): Promise<AwsSession> {
    return this.broker.session(system, INVENTORY_PURPOSE);
  }

  /**
   * A session in the system's own account, for its IAM: the broker's when the broker role lives there,
   * else the account reader role the policy names. Never the broker's own account's IAM in its place:
   * that would be another account's inventory under this system's name.
   */
  iamAccount(system: AwsSystem): Promise<AwsSession> {
    const reader = system.inventory?.accountReaderRoleArn;
    if (reader) {
      return this.broker.session({ ...system, brokerRoleArn: reader }, INVENTORY_PURPOSE);
    }
    const brokerAccount = accountOfArn(system.brokerRoleArn);
    if (brokerAccount !== undefined && brokerAccount !== system.accountId) {
      return Promise.reject(
        new DomainError(
          ErrorCode.InventoryNotConfigured,
          `The broker role of ${system.id} is in account ${brokerAccount}, not in the system's account ` +
            `${system.accountId}, so its IAM cannot be read through it. Set inventory.accountReaderRoleArn to a ` +
            `role in ${system.accountId} that trusts the broker role (docs/aws-setup.md).`,
        ),
      );
    }
    return this.broker.session(system, INVENTORY_PURPOSE);
  }

  /**
   * An S3 client for the trail's bucket. With a reader role the broker assumes that role instead of the
   * system's broker role (same code, same session cache), so the bucket may live in another account.
   */
  async trail(system: AwsSystem, trail: CloudTrailSettings): Promise<TrailReader> {
    const region = trail.region ?? system.region;
    const reader: AwsSystem = trail.readerRoleArn
      ? {
          ...system,
          accountId: accountOfArn(trail.readerRoleArn) ?? system.accountId,
          brokerRoleArn: trail.readerRoleArn,
          externalId: trail.externalId,
        }
      : system;
    const session = await this.broker.session(reader, INVENTORY_PURPOSE);
    const key = `${reader.brokerRoleArn}|${region}|${system.endpoint ?? ''}`;
    const cached = this.s3Clients.get(key);
    if (cached?.accessKeyId === session.credentials.accessKeyId) return { s3: cached.s3, bucket: trail.bucket };
    const s3 = new S3Client({
      ...clientConfig({ ...system, region }, this.agents),
      credentials: session.credentials,
      // emulators answer on one host: bucket names go in the path there
      forcePathStyle: Boolean(system.endpoint),
    });
    this.s3Clients.set(key, { accessKeyId: session.credentials.accessKeyId, s3 });
    return { s3, bucket: trail.bucket };
  }

  close(): void {
    this.s3Clients.clear();
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}

export function accountOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

/** `aws`, `aws-cn` or `aws-us-gov`, from any ARN of the system. */
export function partitionOf(system: AwsSystem): string {
  return /^arn:(aws[a-z-]*):/.exec(system.brokerRoleArn)?.[1] ?? 'aws';
}
