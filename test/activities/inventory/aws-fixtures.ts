import { policySchema, type AuthorizationSystem, type Policy } from '../../../domain/policy/schema';
import type { AwsCollector } from '../../../activities/inventory/aws';
import type { CollectContext } from '../../../activities/inventory/collector';
import { type AwsAccount, awsSystemInput, SYSTEM_ID } from '../../support/fakes/aws-fixtures';

/** The one in-memory sink lives in test/support/checks; re-exported for tests that still import it from here. */
export { RecordingSink } from '../../support/checks/inventory-sink';

export function inventorySystem(
  account: AwsAccount,
  endpoint: string,
  inventory: Record<string, unknown>,
): { policy: Policy; system: AuthorizationSystem } {
  const policy = policySchema.parse({
    version: 1,
    authorizationSystems: [{ ...awsSystemInput(account, endpoint), inventory }],
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: SYSTEM_ID,
        grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  return { policy, system: policy.authorizationSystems[0]! };
}

/** Runs one step to its end, page by page, as the collect workflow does; returns the pages' counts. */
export async function runStep(
  collector: AwsCollector,
  system: AuthorizationSystem,
  step: string,
  context: Omit<CollectContext, 'heartbeat' | 'now' | 'runId'> & { runId?: string },
): Promise<{ pages: number; counts: Record<string, number>; cursors: (string | undefined)[] }> {
  let cursor: string | undefined;
  let pages = 0;
  const counts: Record<string, number> = {};
  const cursors: (string | undefined)[] = [];
  do {
    cursors.push(cursor);
    const page = await collector.collectPage(system, step, cursor, {
      runId: 'run-1',
      now: () => new Date(),
      heartbeat: () => undefined,
      ...context,
    });
    for (const [name, value] of Object.entries(page.counts)) counts[name] = (counts[name] ?? 0) + value;
    cursor = page.next;
    pages++;
    if (pages > 1000) throw new Error(`step ${step} never ended`);
  } while (cursor);
  return { pages, counts, cursors };
}
