import {
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import type { Identity, SkippedItem } from '../../../domain/inventory/model';
import type { AwsSystem } from '../../cloud/aws/errors';
import { isNoSuchEntity } from '../../cloud/aws/errors';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `credentials` step: each IAM user's access keys, as identities of their own (a key outlives the
 * person who made it, and is what leaks), with status, age and last use. One ListUsers page per activity.
 */

export interface CredentialsPage {
  identities: Identity[];
  skipped: SkippedItem[];
  next?: string;
}

export async function credentialsPage(
  iam: IAMClient,
  system: AwsSystem,
  marker: string | undefined,
  options: { pageSize: number; heartbeat: () => void },
): Promise<CredentialsPage> {
  const users = await iam.send(new ListUsersCommand({ Marker: marker, MaxItems: options.pageSize }));
  const identities: Identity[] = [];
  const skipped: SkippedItem[] = [];
  for (const user of users.Users ?? []) {
    if (!user.UserName || !user.Arn) continue;
    try {
      const keys = await iam.send(new ListAccessKeysCommand({ UserName: user.UserName }));
      for (const key of keys.AccessKeyMetadata ?? []) {
        if (!key.AccessKeyId) continue;
        const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }));
        identities.push({
          systemId: system.id,
          id: key.AccessKeyId,
          kind: 'aws-access-key',
          name: `${user.UserName}/${key.AccessKeyId}`,
          nature: 'credential',
          tags: {},
          parentId: user.Arn,
          createdAt: key.CreateDate?.toISOString(),
          lastActivityAt: used.AccessKeyLastUsed?.LastUsedDate?.toISOString(),
          disabled: key.Status === 'Inactive',
        });
      }
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
      skipped.push({ reason: AwsSkipReason.EntityGone, item: user.Arn, detail: 'user deleted while listing keys' });
    }
    options.heartbeat();
  }
  return { identities, skipped, next: users.IsTruncated ? users.Marker : undefined };
}
