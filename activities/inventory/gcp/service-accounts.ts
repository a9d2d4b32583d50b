import type { Identity } from '../../../domain/inventory/model';
import { targetOf, type GcpSystem } from '../../cloud/gcp/errors';
import { withTransientRetry } from '../../cloud/gcp/resource-manager';
import type { CollectContext, PageResult } from '../collector';
import type { GcpInventoryClients } from './clients';

/**
 * A page of the project's service accounts and, for each, its user-managed keys: credentials Least
 * keeps as identities of their own (`validAfterTime` is when the key was made). Google-managed keys
 * rotate by themselves and are left out.
 */
export async function collectServiceAccountPage(
  clients: GcpInventoryClients,
  system: GcpSystem,
  cursor: string | undefined,
  context: CollectContext,
  pageSize: number,
): Promise<PageResult> {
  const target = targetOf(system);
  const client = clients.iam(system);
  const { data } = await withTransientRetry(clients.tuning, () =>
    client.projects.serviceAccounts.list({
      name: target.resource,
      pageSize,
      ...(cursor ? { pageToken: cursor } : {}),
    }),
  );
  const identities: Identity[] = [];
  let keys = 0;
  for (const account of data.accounts ?? []) {
    if (!account.email) continue;
    const member = `serviceAccount:${account.email}`;
    identities.push({
      systemId: system.id,
      id: member,
      kind: 'gcp-service-account',
      name: account.email,
      nature: 'workload',
      tags: account.uniqueId ? { uniqueId: account.uniqueId } : {},
      path: target.resource,
      ...(account.disabled ? { disabled: true } : {}),
    });
    const { data: keyList } = await withTransientRetry(clients.tuning, () =>
      client.projects.serviceAccounts.keys.list({
        name: `${target.resource}/serviceAccounts/${account.email}`,
        keyTypes: ['USER_MANAGED'],
      }),
    );
    for (const key of keyList.keys ?? []) {
      if (!key.name || key.keyType === 'SYSTEM_MANAGED') continue;
      keys += 1;
      identities.push({
        systemId: system.id,
        id: key.name,
        kind: 'gcp-service-account-key',
        name: key.name.split('/').pop() ?? key.name,
        nature: 'credential',
        tags: {},
        parentId: member,
        ...(key.validAfterTime ? { createdAt: key.validAfterTime } : {}),
        ...(key.disabled ? { disabled: true } : {}),
      });
    }
    context.heartbeat({ serviceAccount: account.email });
  }
  if (identities.length > 0) await context.sink.identities(identities);
  return {
    ...(data.nextPageToken ? { next: data.nextPageToken } : {}),
    counts: { serviceAccounts: identities.length - keys, serviceAccountKeys: keys },
  };
}
