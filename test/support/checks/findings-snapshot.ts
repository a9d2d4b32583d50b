import { createHash } from 'node:crypto';
import type {
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  PolicyDocument,
  UsageDay,
} from '../../../domain/inventory/model';
import type { PgStore } from '../../../activities/store/pg-store';

/**
 * A hand-built AWS inventory snapshot written to PostgreSQL the way a collection run writes it (begin,
 * sink, finish), for tests of the findings that are read from it: the store's, the CLI's and chat's.
 */

export interface SnapshotDocument {
  document: PolicyDocument;
  actions: DocumentAction[];
}

export interface SnapshotInput {
  runId: string;
  systemId: string;
  window: { from: string; to: string };
  identities: Identity[];
  documents: SnapshotDocument[];
  paths: GrantPath[];
  usage?: UsageDay[];
  coverage?: Coverage[];
}

/** An IAM user, role or group of an account, named and typed as the AWS collector writes it. */
export function awsIdentity(
  systemId: string,
  accountId: string,
  name: string,
  kind: Identity['kind'],
  nature: Identity['nature'],
): Identity {
  const type = kind === 'aws-iam-group' ? 'group' : kind === 'aws-iam-user' ? 'user' : 'role';
  return { systemId, id: `arn:aws:iam::${accountId}:${type}/${name}`, kind, name, nature, tags: {} };
}

/** A customer-managed policy document and its actions (reads on all resources unless a row says otherwise). */
export function awsDocument(name: string, rows: Partial<DocumentAction>[]): SnapshotDocument {
  const id = `sha256:${createHash('sha256').update(name).digest('hex')}`;
  return {
    document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud: false, body: { name } },
    actions: rows.map((r) => ({
      documentId: id,
      action: 'x:Y',
      effect: 'allow',
      accessLevels: ['Read'],
      resourceReach: 'all',
      conditional: false,
      ...r,
    })),
  };
}

/** How an identity holds a document (managed policy) or, without one, a group membership. */
export function grantPath(who: Identity, documentId: string | undefined, extra: Partial<GrantPath> = {}): GrantPath {
  return {
    systemId: who.systemId,
    identityId: who.id,
    kind: documentId ? 'managed-policy' : 'group-membership',
    ...(documentId ? { documentId } : {}),
    scope: '*',
    conditional: false,
    ...extra,
  };
}

/** A day with two uses of an action. */
export function usedOn(who: Identity, action: string, day: string): UsageDay {
  return { systemId: who.systemId, identityId: who.id, action, day, count: 2, denied: 0 };
}

/** CloudTrail covering every identity's every action from `from` to the window's end. */
export function cloudTrailCoverage(systemId: string, from: string, to: string): Coverage {
  return { systemId, identityId: '*', source: 'cloudtrail', granularity: 'action-day', from, to, actions: 'all' };
}

/** Writes the snapshot as one finished run; it becomes the system's current snapshot. */
export async function writeSnapshot(store: PgStore, input: SnapshotInput): Promise<void> {
  const inventory = store.inventory;
  await inventory.beginRun({
    runId: input.runId,
    systemId: input.systemId,
    windowFrom: input.window.from,
    windowTo: input.window.to,
    catalogues: {},
  });
  const sink = inventory.sink(input.runId);
  await sink.identities(input.identities);
  await sink.documents(input.documents);
  await sink.grantPaths(input.paths);
  if (input.usage) await sink.usage(input.usage);
  if (input.coverage) await sink.coverage(input.coverage);
  await inventory.finishRun(input.runId);
}
