import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AuthorizationSystem } from '../../domain/policy/schema';

/**
 * What the cleanup activities need of a cloud, one implementation per cloud (aws.ts, azure.ts, gcp.ts).
 * Every call is idempotent: the workflow may repeat any of them after a worker dies.
 *
 * A snapshot is JSON-safe and holds everything needed to put the object back exactly as it was; it is
 * taken before the change and stored once (the first one stays), so a resumed run compares the live
 * object with the state the plan was made from.
 */
export interface CleanupExecutor {
  /** The object as it is now (absent objects are a snapshot too: `{ exists: false, … }`). */
  snapshot(system: AuthorizationSystem, item: CleanupItem): Promise<unknown>;
  /**
   * Makes the change. `planned` is the snapshot taken before the first attempt: when the live object
   * differs from it (someone edited it since), nothing is written and the result is a conflict.
   */
  apply(system: AuthorizationSystem, item: CleanupItem, planned: unknown): Promise<ApplyResult>;
  /** Reads back from the cloud that the change holds. */
  verify(system: AuthorizationSystem, item: CleanupItem): Promise<VerifyResult>;
  /**
   * Puts back exactly what `snapshot` holds. When the live object is no longer what the change left
   * (a later change by someone else), nothing is written and the result is a conflict naming it.
   */
  restore(system: AuthorizationSystem, item: CleanupItem, snapshot: unknown): Promise<RestoreResult>;
  /**
   * Staged removal, where the cloud can deny: denies exactly the item's removal set to its holders
   * without changing the object. `unsupported` when this item cannot be staged (the caller then removes
   * it at once, as without staging).
   */
  stage?(system: AuthorizationSystem, item: CleanupItem): Promise<{ status: 'staged' | 'unsupported'; detail: string }>;
  /** Takes a staged deny away again (after the removal, or when the owner restores); idempotent. */
  unstage?(system: AuthorizationSystem, item: CleanupItem): Promise<{ detail: string }>;
}

export interface ApplyResult {
  /**
   * applied: changed now; already: the live object already is what the change makes it (a retry);
   * conflict: changed by someone else since the plan; gone: the object no longer exists.
   */
  status: 'applied' | 'already' | 'conflict' | 'gone';
  /** Plain words for the report and the audit log (never a secret). */
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  detail: string;
}

export interface RestoreResult {
  /** restored: put back now; already: it already is as the snapshot holds; conflict: a later change is in the way. */
  status: 'restored' | 'already' | 'conflict' | 'gone';
  detail: string;
}

/** The stored snapshot `value` as the `kind` of snapshot the item's executor takes, or InputMalformed. */
export function snapshotKind<T extends { kind: string }>(value: unknown, kind: T['kind'], item: CleanupItem): T {
  if ((value as { kind?: unknown } | null)?.kind !== kind) {
    throw new DomainError(
      ErrorCode.InputMalformed,
      `The snapshot of ${item.object.name} (${item.itemId}) is not ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} snapshot.`,
    );
  }
  return value as T;
}
