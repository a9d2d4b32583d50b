import type {
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  InventorySink,
  PolicyDocument,
  SkippedItem,
  UsageDay,
  UsageDetail,
} from '../../../domain/inventory/model';
import { policySchema, type AuthorizationSystem, type Policy } from '../../../domain/policy/schema';
import type { AwsCollector } from '../../../activities/inventory/aws';
import type { CollectContext } from '../../../activities/inventory/collector';
import { type AwsAccount, awsSystemInput, SYSTEM_ID } from '../../support/fakes/aws-fixtures';

/**
 * What a collector wrote, kept as the store would keep it: identities and documents once, usage added up
 * per chunk and a repeated chunk ignored. A recording of the port, not a copy of the store.
 */
export class RecordingSink implements InventorySink {
  readonly identitiesById = new Map<string, Identity>();
  readonly documentsById = new Map<string, { document: PolicyDocument; actions: DocumentAction[] }>();
  readonly paths: GrantPath[] = [];
  readonly usageRows = new Map<string, UsageDay>();
  readonly details: UsageDetail[] = [];
  readonly coverageRows: Coverage[] = [];
  readonly skippedItems: SkippedItem[] = [];
  private readonly chunks = new Set<string>();

  async identities(batch: Identity[]) {
    for (const identity of batch)
      if (!this.identitiesById.has(identity.id)) this.identitiesById.set(identity.id, identity);
  }
  async documents(batch: { document: PolicyDocument; actions: DocumentAction[] }[]) {
    for (const entry of batch)
      if (!this.documentsById.has(entry.document.id)) this.documentsById.set(entry.document.id, entry);
  }
  async grantPaths(batch: GrantPath[]) {
    this.paths.push(...batch);
  }
  async usage(batch: UsageDay[], chunk?: string) {
    if (chunk && this.chunks.has(`u:${chunk}`)) return;
    if (chunk) this.chunks.add(`u:${chunk}`);
    for (const row of batch) {
      const key = `${row.identityId}|${row.action}|${row.day}`;
      const held = this.usageRows.get(key);
      if (held) {
        held.count += row.count;
        held.denied += row.denied;
      } else this.usageRows.set(key, { ...row });
    }
  }
  async usageDetail(batch: UsageDetail[], chunk?: string) {
    if (chunk && this.chunks.has(`d:${chunk}`)) return;
    if (chunk) this.chunks.add(`d:${chunk}`);
    this.details.push(...batch);
  }
  async coverage(batch: Coverage[]) {
    this.coverageRows.push(...batch);
  }
  async skipped(batch: SkippedItem[]) {
    this.skippedItems.push(...batch);
  }

  usageOf(identityId: string, action: string, day: string): UsageDay | undefined {
    return this.usageRows.get(`${identityId}|${action}|${day}`);
  }
  pathsOf(identityId: string): GrantPath[] {
    return this.paths.filter((path) => path.identityId === identityId);
  }
}

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
