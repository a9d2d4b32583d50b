import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AwsSession } from '../cloud/aws/broker';
import { asAwsSystem, type AwsSystem, withAwsErrors } from '../cloud/aws/errors';
import {
  type AssignmentPolling,
  DEFAULT_POLLING,
  identityCenterOf,
  type PermissionSetRef,
  provisionedAccounts,
  provisionPermissionSet,
  readPermissionSetPolicy,
  writePermissionSetPolicy,
} from '../cloud/aws/identity-center';
import {
  allowsWords,
  documentDifference,
  parsedBody,
  readIamDocument,
  sameAwsPolicyDocument,
} from './aws-policy-document';
import { type ApplyResult, type CleanupExecutor, type RestoreResult, snapshotKind, type VerifyResult } from './port';

/**
 * The AWS side of a `narrow-policy` item on a permission set's inline policy (issue 13, shared objects).
 * Identity Center holds the set's policy once; each account it is provisioned to holds a copy, on a role
 * Identity Center made there, refreshed only when the set is provisioned again. So apply puts the narrowed
 * document (or deletes it, when the plan leaves nothing and the set keeps other policies), then provisions
 * the set to every account it is provisioned to and waits for AWS; verify reads the document back and
 * checks that no account still holds an older version; restore puts the snapshot's document back and
 * provisions again.
 *
 * Both converge on a wanted state, the provisioning included: a change put but not yet provisioned (a
 * worker killed in between, a FAILED provisioning) is finished by the retry, never put twice. Apply
 * refuses to overwrite a document edited since the plan, and refuses outright while the set is
 * provisioned to any account besides the system's (whose use Least does not see): both re-plan. Restore
 * refuses to go over a later edit, naming it.
 *
 * aws.ts dispatches these items here (`withPermissionSets`).
 */

export interface AwsPermissionSetPolicySnapshot {
  kind: 'aws-permission-set-policy';
  permissionSetArn: string;
  exists: boolean;
  /** The inline policy, parsed; null when the set has none (or does not exist). */
  document: unknown;
  /** Every account the set is provisioned to, sorted. */
  accounts: string[];
  /** Accounts still holding an older version of the set: a change put there but not provisioned yet. */
  outdated: string[];
}

/** `arn:aws:sso:::permissionSet/ssoins-…/ps-…` (moto writes `instance/` for `permissionSet/`). */
const SET_ARN = /^arn:aws[a-z-]*:sso:::[A-Za-z]+\/(?:sso)?ins-[A-Za-z0-9.-]+\/ps-[A-Za-z0-9.-]+$/;

function refOf(system: AwsSystem, item: CleanupItem): PermissionSetRef {
  if (item.object.kind !== 'aws-permission-set-policy' || !SET_ARN.test(item.object.key))
    throw new DomainError(
      ErrorCode.InputMalformed,
      `Cleanup item ${item.itemId} names ${item.object.kind} "${item.object.key}"; expected the ARN of a permission set.`,
    );
  return { instanceArn: identityCenterOf(system).instanceArn, permissionSetArn: item.object.key };
}

/** The document the item leaves: its `after`, or null when the inline policy goes. */
function wantedDocument(item: CleanupItem): unknown {
  if (item.change !== 'narrow-policy' || item.after === undefined)
    throw new DomainError(
      ErrorCode.InputMalformed,
      `Cleanup item ${item.itemId}: a ${item.change} change cannot apply to the inline policy of permission set ${item.object.key}.`,
    );
  return item.after === null ? null : parsedBody(item.after, item.object.name);
}

const words = (ref: Pick<PermissionSetRef, 'permissionSetArn'>): string =>
  `the inline policy of permission set ${ref.permissionSetArn}`;

function stateWords(live: AwsPermissionSetPolicySnapshot): string {
  const document =
    live.document === null ? `no ${words(live)}` : `${words(live)}, allowing ${allowsWords(live.document)}`;
  const accounts =
    live.accounts.length === 0 ? 'provisioned to no account' : `provisioned to ${live.accounts.join(', ')}`;
  const outdated = live.outdated.length > 0 ? ` (not yet to ${live.outdated.join(', ')})` : '';
  return `Identity Center holds ${document}, ${accounts}${outdated}`;
}

/** How the live document differs from what was expected, naming the change. */
function difference(expected: unknown, live: AwsPermissionSetPolicySnapshot): string {
  if (!live.exists) return `permission set ${live.permissionSetArn} no longer exists`;
  if (live.document === null) return `${words(live)} was deleted`;
  if (expected === null) return `${words(live)} exists again (${allowsWords(live.document)})`;
  return `${words(live)} was edited: ${documentDifference(expected, live.document)}`;
}

async function readLive(session: AwsSession, ref: PermissionSetRef): Promise<AwsPermissionSetPolicySnapshot> {
  const read = await readPermissionSetPolicy(session.ssoAdmin, ref);
  const base = { kind: 'aws-permission-set-policy', permissionSetArn: ref.permissionSetArn } as const;
  if (!read.exists) return { ...base, exists: false, document: null, accounts: [], outdated: [] };
  const [accounts, outdated] = await Promise.all([
    provisionedAccounts(session.ssoAdmin, ref),
    provisionedAccounts(session.ssoAdmin, ref, { outdated: true }),
  ]);
  return { ...base, exists: true, document: readIamDocument(read.text, words(ref)), accounts, outdated };
}

/** Puts the document (or deletes it) unless it is there already, then provisions where anything is outdated. */
async function converge(
  session: AwsSession,
  ref: PermissionSetRef,
  live: AwsPermissionSetPolicySnapshot,
  document: unknown,
  polling: AssignmentPolling,
): Promise<string[]> {
  const done: string[] = [];
  if (!sameAwsPolicyDocument(live.document, document)) {
    await writePermissionSetPolicy(session.ssoAdmin, ref, document);
    done.push(
      document === null ? `Deleted ${words(ref)}.` : `Put ${words(ref)}: it now allows ${allowsWords(document)}.`,
    );
  }
  // what was put reaches the accounts only when provisioned; a set provisioned nowhere has nothing to refresh
  if (live.accounts.length > 0 && (done.length > 0 || live.outdated.length > 0)) {
    await provisionPermissionSet(session.ssoAdmin, ref, polling);
    done.push(`Provisioned it to ${live.accounts.join(', ')}.`);
  }
  return done;
}

export async function snapshotPermissionSetPolicy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<AwsPermissionSetPolicySnapshot> {
  return withAwsErrors(system, `snapshot ${words(refOf(system, item))}`, () => readLive(session, refOf(system, item)));
}

export async function applyPermissionSetPolicy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
  planned: AwsPermissionSetPolicySnapshot,
  polling: AssignmentPolling = DEFAULT_POLLING,
): Promise<ApplyResult> {
  const ref = refOf(system, item);
  return withAwsErrors(system, `apply ${item.change} to ${words(ref)}`, async () => {
    if (planned.permissionSetArn !== ref.permissionSetArn)
      throw new DomainError(
        ErrorCode.InputMalformed,
        `The snapshot given for cleanup item ${item.itemId} is of permission set ${planned.permissionSetArn}.`,
      );
    const wanted = wantedDocument(item);
    const live = await readLive(session, ref);
    if (!live.exists) {
      const gone = `permission set ${ref.permissionSetArn} no longer exists`;
      return { status: 'gone', detail: `${gone}: there is nothing to change; the item is re-planned.` };
    }
    const elsewhere = live.accounts.filter((account) => account !== system.accountId);
    if (elsewhere.length > 0)
      return {
        status: 'conflict',
        detail:
          `Nothing changed: permission set ${ref.permissionSetArn} is provisioned to ${elsewhere.join(', ')} as well, ` +
          `whose use Least does not see from ${system.id}; the item is re-planned rather than narrowing it there.`,
      };
    const asWanted = sameAwsPolicyDocument(live.document, wanted);
    if (asWanted && live.outdated.length === 0)
      return { status: 'already', detail: `Already done: ${stateWords(live)}.` };
    if (!asWanted && !sameAwsPolicyDocument(live.document, planned.document)) {
      const conflict = difference(planned.document, live);
      return {
        status: 'conflict',
        detail: `Nothing changed: ${conflict} since the plan, so the item is re-planned rather than overwritten.`,
      };
    }
    const done = await converge(session, ref, live, wanted, polling);
    return { status: 'applied', detail: done.join(' ') };
  });
}

export async function verifyPermissionSetPolicy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<VerifyResult> {
  const ref = refOf(system, item);
  return withAwsErrors(system, `verify ${item.change} of ${words(ref)}`, async () => {
    const live = await readLive(session, ref);
    if (!live.exists)
      return { ok: true, detail: `permission set ${ref.permissionSetArn} no longer exists, so it grants nothing.` };
    const wanted = wantedDocument(item);
    if (!sameAwsPolicyDocument(live.document, wanted))
      return { ok: false, detail: `The change does not hold: ${difference(wanted, live)} (${stateWords(live)}).` };
    if (live.outdated.length > 0)
      return { ok: false, detail: `Not provisioned yet to ${live.outdated.join(', ')}: ${stateWords(live)}.` };
    return { ok: true, detail: `${stateWords(live)}.` };
  });
}

/**
 * Puts back the snapshot's document and provisions it. With `applied` (the item whose change was
 * applied), a document that is no longer what that change left is not overwritten: the result names it.
 */
export async function restorePermissionSetPolicy(
  session: AwsSession,
  system: AwsSystem,
  snapshot: AwsPermissionSetPolicySnapshot,
  applied: CleanupItem | undefined,
  polling: AssignmentPolling = DEFAULT_POLLING,
): Promise<RestoreResult> {
  const ref = { instanceArn: identityCenterOf(system).instanceArn, permissionSetArn: snapshot.permissionSetArn };
  if (applied && refOf(system, applied).permissionSetArn !== snapshot.permissionSetArn)
    throw new DomainError(
      ErrorCode.InputMalformed,
      `Cleanup item ${applied.itemId} is not about ${words(snapshot)}, the object of this snapshot.`,
    );
  return withAwsErrors(system, `restore ${words(ref)}`, async () => {
    const live = await readLive(session, ref);
    if (!live.exists) {
      const gone = `permission set ${ref.permissionSetArn} no longer exists`;
      return { status: 'gone', detail: `Nothing restored: ${gone}.` };
    }
    const asBefore = sameAwsPolicyDocument(live.document, snapshot.document);
    if (!asBefore && applied) {
      const expected = wantedDocument(applied);
      if (!sameAwsPolicyDocument(live.document, expected))
        return {
          status: 'conflict',
          detail: `Nothing restored: ${difference(expected, live)} after the cleanup changed it; a person must decide which to keep.`,
        };
    }
    const done = await converge(session, ref, live, snapshot.document, polling);
    if (done.length === 0) return { status: 'already', detail: `Already as the snapshot holds: ${stateWords(live)}.` };
    const after = await readLive(session, ref);
    if (!sameAwsPolicyDocument(after.document, snapshot.document))
      // retryable: a retried restore converges without doing anything twice
      throw new Error(`Restore of ${words(ref)} did not hold: ${difference(snapshot.document, after)}`);
    return { status: 'restored', detail: `${done.join(' ')} ${stateWords(after)}.` };
  });
}

/* ---------- the hook aws.ts dispatches through ---------- */

const snapshotOf = (value: unknown, item: CleanupItem): AwsPermissionSetPolicySnapshot =>
  snapshotKind<AwsPermissionSetPolicySnapshot>(value, 'aws-permission-set-policy', item);

/** The executor with permission-set items taken by this file; every other item goes to `executor`. */
export function withPermissionSets<T extends CleanupExecutor>(
  executor: T,
  sessionFor: (system: AwsSystem) => Promise<AwsSession>,
): T {
  const mine = (item: CleanupItem): boolean => item.object.kind === 'aws-permission-set-policy';
  return {
    ...executor,
    async snapshot(anySystem, item) {
      if (!mine(item)) return executor.snapshot(anySystem, item);
      const system = asAwsSystem(anySystem);
      return snapshotPermissionSetPolicy(await sessionFor(system), system, item);
    },
    async apply(anySystem, item, planned) {
      if (!mine(item)) return executor.apply(anySystem, item, planned);
      const system = asAwsSystem(anySystem);
      return applyPermissionSetPolicy(await sessionFor(system), system, item, snapshotOf(planned, item));
    },
    async verify(anySystem, item) {
      if (!mine(item)) return executor.verify(anySystem, item);
      const system = asAwsSystem(anySystem);
      return verifyPermissionSetPolicy(await sessionFor(system), system, item);
    },
    async restore(anySystem, item, snapshot) {
      if (!mine(item)) return executor.restore(anySystem, item, snapshot);
      const system = asAwsSystem(anySystem);
      return restorePermissionSetPolicy(await sessionFor(system), system, snapshotOf(snapshot, item), item);
    },
    ...(executor.stage
      ? {
          async stage(anySystem: Parameters<NonNullable<T['stage']>>[0], item: CleanupItem) {
            if (!mine(item)) return executor.stage!(anySystem, item);
            // its holders are Identity Center users, with no IAM principal to deny: removed at once instead
            return {
              status: 'unsupported' as const,
              detail: "a permission set's holders are Identity Center users, which carry no deny of their own",
            };
          },
        }
      : {}),
  };
}
