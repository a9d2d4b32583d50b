import {
  isMembership,
  type Coverage,
  type DocumentAction,
  type GrantPath,
  type Identity,
  type InventorySink,
  type PolicyDocument,
  type SkippedItem,
  type UsageDay,
  type UsageDetail,
} from '../../../domain/inventory/model';

type StoredDocument = { document: PolicyDocument; actions: DocumentAction[] };

/**
 * What a collector wrote, kept in memory as the store keeps it: identities and documents once (the first
 * one written stays), usage added up per identity, action and day, and a chunk already written ignored.
 * A recording of the sink port for collector tests, not a copy of the store (which has its own tests).
 */
export class RecordingSink implements InventorySink {
  readonly identitiesById = new Map<string, Identity>();
  readonly documentsById = new Map<string, StoredDocument>();
  readonly paths: GrantPath[] = [];
  readonly details: UsageDetail[] = [];
  readonly coverageRows: Coverage[] = [];
  readonly skippedItems: SkippedItem[] = [];
  private readonly usageByKey = new Map<string, UsageDay>();
  private readonly chunks = new Set<string>();

  async identities(batch: Identity[]): Promise<void> {
    for (const identity of batch) {
      if (!this.identitiesById.has(identity.id)) this.identitiesById.set(identity.id, identity);
    }
  }

  async documents(batch: StoredDocument[]): Promise<void> {
    for (const entry of batch) {
      if (!this.documentsById.has(entry.document.id)) this.documentsById.set(entry.document.id, entry);
    }
  }

  /** Refuses what PostgreSQL refuses (a membership names no document, every other path names one). */
  async grantPaths(batch: GrantPath[]): Promise<void> {
    const misshapen = batch.find(
      (p) => isMembership(p.kind) === Boolean(p.documentId) || (isMembership(p.kind) && !p.via),
    );
    if (misshapen) throw new Error(`the store would refuse this ${misshapen.kind} path of ${misshapen.identityId}`);
    this.paths.push(...batch);
  }

  async usage(batch: UsageDay[], chunk?: string): Promise<void> {
    if (!this.firstTime(`usage:${chunk ?? JSON.stringify(batch)}`)) return;
    for (const row of batch) {
      const key = `${row.identityId}|${row.action}|${row.day}`;
      const held = this.usageByKey.get(key);
      if (held) {
        held.count += row.count;
        held.denied += row.denied;
      } else this.usageByKey.set(key, { ...row });
    }
  }

  async usageDetail(batch: UsageDetail[], chunk?: string): Promise<void> {
    if (!this.firstTime(`detail:${chunk ?? JSON.stringify(batch)}`)) return;
    this.details.push(...batch);
  }

  async coverage(batch: Coverage[]): Promise<void> {
    this.coverageRows.push(...batch);
  }

  async skipped(batch: SkippedItem[]): Promise<void> {
    this.skippedItems.push(...batch);
  }

  get identityRows(): Identity[] {
    return [...this.identitiesById.values()];
  }

  get documentRows(): StoredDocument[] {
    return [...this.documentsById.values()];
  }

  get pathRows(): GrantPath[] {
    return this.paths;
  }

  /** Usage summed per identity, action and day. */
  get usageRows(): UsageDay[] {
    return [...this.usageByKey.values()];
  }

  get detailRows(): UsageDetail[] {
    return this.details;
  }

  get skippedRows(): SkippedItem[] {
    return this.skippedItems;
  }

  usageOf(identityId: string, action: string, day: string): UsageDay | undefined {
    return this.usageByKey.get(`${identityId}|${action}|${day}`);
  }

  pathsOf(identityId: string): GrantPath[] {
    return this.paths.filter((path) => path.identityId === identityId);
  }

  documentNamed(name: string): StoredDocument | undefined {
    return this.documentRows.find((row) => row.document.name === name);
  }

  private firstTime(chunk: string): boolean {
    if (this.chunks.has(chunk)) return false;
    this.chunks.add(chunk);
    return true;
  }
}
