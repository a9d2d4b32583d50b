import { createHash } from 'node:crypto';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListPolicyVersions,
} from '@aws-sdk/client-iam';
import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AwsSession } from '../cloud/aws/broker';
import { asAwsSystem, type AwsSystem, isAwsError, orMissing, withAwsErrors } from '../cloud/aws/errors';
import { parsePolicyText } from '../inventory/aws/documents';
import { canonicalJson } from '../inventory/documents';
import { type ApplyResult, type CleanupExecutor, type RestoreResult, snapshotKind, type VerifyResult } from './port';
import { documentDifference } from './aws-policy-document';

/**
 * The AWS side of an `own-copy` item (issue 13, shared objects): one role or user gets its own copy of a
 * shared customer-managed policy, narrowed to what it used, in place of the shared one. Apply makes the
 * copy (named after the policy and the holder, beside the original), attaches it, and only then detaches
 * the shared policy, so the holder never lacks what it used; restore attaches the shared policy again,
 * then detaches and deletes the copy. Both converge on a wanted state, so a retry changes nothing more,
 * and both refuse to go over what someone else changed in between, naming it.
 *
 * aws.ts dispatches own-copy items here (`withOwnCopies`). This file reads IAM with its own few calls
 * rather than aws.ts's: aws.ts imports it, and a runtime import cycle is refused by the layer checker.
 */

export interface AwsCopyHolder {
  type: 'role' | 'user';
  name: string;
  arn: string;
}

/** The copy as IAM holds it. */
export interface AwsOwnCopyState {
  /** Its default version's document, parsed. */
  document: unknown;
  versions: number;
  /** Attached to the holder. */
  attached: boolean;
  /** Every identity it is attached to, the holder included. */
  attachments: number;
}

/** The holder's side of a shared policy and of its own copy; JSON-safe, stored with the run. */
export interface AwsOwnCopySnapshot {
  kind: 'aws-own-copy';
  holder: AwsCopyHolder;
  holderExists: boolean;
  policyArn: string;
  /** The shared policy's default document (compared with the item's `before`); null when it does not exist. */
  document: unknown;
  /** The shared policy is attached to the holder. */
  attached: boolean;
  copyArn: string;
  /** null while there is no copy. */
  copy: AwsOwnCopyState | null;
}

/** IAM's longest managed policy name, and its longest description. */
const MAX_POLICY_NAME = 128;
const MAX_DESCRIPTION = 1000;

const HOLDER_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(user|group|role)\/(?:.*\/)?([^/]+)$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy(\/(?:.*\/)?)([^/]+)$/;

/**
 * The copy's name: `<policy>-least-<holder>`, or, past IAM's 128 characters, cut with a hash of the
 * whole name, so the same policy and holder always name the same copy.
 */
export function ownCopyName(policyName: string, holderName: string): string {
  const name = `${policyName}-least-${holderName}`;
  if (name.length <= MAX_POLICY_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_POLICY_NAME - hash.length - 1)}-${hash}`;
}

interface CopyTarget {
  holder: AwsCopyHolder;
  policyArn: string;
  /** The shared policy's path (`/` or `/team/`): the copy goes beside it. */
  path: string;
  copyName: string;
  copyArn: string;
}

function malformed(item: CleanupItem, expected: string): DomainError {
  return new DomainError(
    ErrorCode.InputMalformed,
    `Cleanup item ${item.itemId} names ${item.object.kind} "${item.object.key}"; expected ${expected}.`,
  );
}

function targetOf(system: AwsSystem, item: CleanupItem): CopyTarget {
  if (item.change !== 'own-copy' || item.object.kind !== 'aws-policy-attachment')
    throw malformed(item, 'an own-copy of an aws-policy-attachment');
  if (item.after === null || typeof item.after !== 'object')
    throw new DomainError(ErrorCode.InputMalformed, `Cleanup item ${item.itemId} has no document for the copy.`);
  const parts = item.object.key.split('|');
  const holder = parts.length === 2 ? HOLDER_ARN.exec(parts[0]!) : null;
  const policy = parts.length === 2 ? POLICY_ARN.exec(parts[1]!) : null;
  if (!holder || !policy) throw malformed(item, '<role or user ARN>|<customer-managed policy ARN>');
  const [, account, type, name] = holder as unknown as [string, string, AwsCopyHolder['type'] | 'group', string];
  if (type === 'group')
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `An own copy of a shared policy is for one role or user, not group ${name}: clean up the group's policy instead.`,
    );
  for (const found of [account, policy[1]])
    if (found !== system.accountId)
      throw new DomainError(
        ErrorCode.CloudTargetUnknown,
        `${item.object.key} is not in account ${system.accountId} of system ${system.id}.`,
      );
  const policyArn = parts[1]!;
  const path = policy[2]!;
  const copyName = ownCopyName(policy[3]!, name);
  return {
    holder: { type, name, arn: parts[0]! },
    policyArn,
    path,
    copyName,
    copyArn: `${policyArn.slice(0, policyArn.length - policy[3]!.length)}${copyName}`,
  };
}

/* ---------- documents ---------- */

function parsed(document: unknown): unknown {
  if (typeof document !== 'string') return document ?? null;
  const read = parsePolicyText(document);
  return 'error' in read ? document : read.body;
}

function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(parsed(a)) === canonicalJson(parsed(b));
}

/* ---------- reading IAM ---------- */

/** The ARNs of the managed policies attached to the holder; null when the holder does not exist. */
async function attachedTo(iam: IAMClient, holder: AwsCopyHolder): Promise<string[] | null> {
  return orMissing(async () => {
    const found: string[] = [];
    const pages =
      holder.type === 'role'
        ? paginateListAttachedRolePolicies({ client: iam }, { RoleName: holder.name })
        : paginateListAttachedUserPolicies({ client: iam }, { UserName: holder.name });
    for await (const page of pages) for (const p of page.AttachedPolicies ?? []) found.push(p.PolicyArn!);
    return found;
  }, null);
}

async function setAttached(iam: IAMClient, holder: AwsCopyHolder, policyArn: string, attached: boolean): Promise<void> {
  const { name } = holder;
  if (attached) {
    if (holder.type === 'role') await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
    return;
  }
  // detached already between the read and now: the attachment is gone either way
  await orMissing(async () => {
    if (holder.type === 'role') await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
  }, undefined);
}

/** A managed policy's default document, version count and attachment count; null when it does not exist. */
async function readPolicy(
  iam: IAMClient,
  policyArn: string,
): Promise<{ document: unknown; versions: string[]; defaultVersionId: string; attachments: number } | null> {
  return orMissing(async () => {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy!;
    const defaultVersionId = policy.DefaultVersionId!;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: defaultVersionId }));
    const versions: string[] = [];
    for await (const page of paginateListPolicyVersions({ client: iam }, { PolicyArn: policyArn }))
      for (const v of page.Versions ?? []) versions.push(v.VersionId!);
    return {
      document: parsed(version.PolicyVersion?.Document ?? null),
      versions,
      defaultVersionId,
      attachments: policy.AttachmentCount ?? 0,
    };
  }, null);
}

async function readLive(iam: IAMClient, target: CopyTarget): Promise<AwsOwnCopySnapshot> {
  const attached = await attachedTo(iam, target.holder);
  const shared = await readPolicy(iam, target.policyArn);
  const copy = await readPolicy(iam, target.copyArn);
  return {
    kind: 'aws-own-copy',
    holder: target.holder,
    holderExists: attached !== null,
    policyArn: target.policyArn,
    document: shared?.document ?? null,
    attached: attached?.includes(target.policyArn) ?? false,
    copyArn: target.copyArn,
    copy: copy && {
      document: copy.document,
      versions: copy.versions.length,
      attached: attached?.includes(target.copyArn) ?? false,
      attachments: copy.attachments,
    },
  };
}

/* ---------- words ---------- */

const holderWords = (holder: AwsCopyHolder): string => `IAM ${holder.type} ${holder.name}`;

function stateWords(live: AwsOwnCopySnapshot): string {
  const copy = live.copy
    ? `its own copy ${live.copyArn} ${live.copy.attached ? 'attached' : 'not attached'}`
    : `no copy ${live.copyArn}`;
  return `${holderWords(live.holder)} has ${live.policyArn} ${live.attached ? 'attached' : 'not attached'} and ${copy}`;
}

/** The change holds: the copy with the item's document attached to the holder, the shared policy not. */
function isApplied(live: AwsOwnCopySnapshot, item: CleanupItem): boolean {
  return !live.attached && live.copy !== null && live.copy.attached && sameDocument(live.copy.document, item.after);
}

/** As the snapshot holds it, for what this item changes (the shared policy's document is another item's). */
function isAsSnapshot(live: AwsOwnCopySnapshot, snapshot: AwsOwnCopySnapshot): boolean {
  if (live.holderExists !== snapshot.holderExists || live.attached !== snapshot.attached) return false;
  if (live.copy === null || snapshot.copy === null) return live.copy === snapshot.copy;
  return live.copy.attached === snapshot.copy.attached && sameDocument(live.copy.document, snapshot.copy.document);
}

/** What changed since the plan that apply must not go over, or undefined. */
function applyConflict(planned: AwsOwnCopySnapshot, live: AwsOwnCopySnapshot, item: CleanupItem): string | undefined {
  if (!sameDocument(live.document, planned.document))
    return `${live.policyArn} has another default document: ${documentDifference(planned.document, live.document)}`;
  if (live.copy && !sameDocument(live.copy.document, item.after))
    return `a policy ${live.copyArn} exists with another document than the copy's (${documentDifference(item.after, live.copy.document)})`;
  if (!live.attached && !live.copy?.attached) return `${live.policyArn} was detached from ${holderWords(live.holder)}`;
  return undefined;
}

/** What changed after the change that restore must not go over, or undefined. */
function restoreConflict(
  snapshot: AwsOwnCopySnapshot,
  live: AwsOwnCopySnapshot,
  item: CleanupItem,
): string | undefined {
  const { copy } = live;
  const holder = holderWords(live.holder);
  if (copy && !sameDocument(copy.document, item.after))
    return `the copy ${live.copyArn} was edited: ${documentDifference(item.after, copy.document)}`;
  if (!live.attached && !copy?.attached)
    return copy
      ? `the copy ${live.copyArn} was detached from ${holder}`
      : `the copy ${live.copyArn} was deleted, and ${live.policyArn} is not attached to ${holder}`;
  if (copy && snapshot.copy === null) {
    if (copy.versions > 1) return `the copy ${live.copyArn} has ${copy.versions} versions: someone added to it`;
    const others = copy.attachments - (copy.attached ? 1 : 0);
    if (others > 0)
      return `the copy ${live.copyArn} is also attached to ${others} other identit${others === 1 ? 'y' : 'ies'}`;
  }
  return undefined;
}

/* ---------- the four steps ---------- */

function plannedTarget(system: AwsSystem, item: CleanupItem, snapshot: AwsOwnCopySnapshot): CopyTarget {
  const target = targetOf(system, item);
  if (snapshot.holder.arn !== target.holder.arn || snapshot.policyArn !== target.policyArn)
    throw new DomainError(
      ErrorCode.InputMalformed,
      `The snapshot given for cleanup item ${item.itemId} is of ${snapshot.policyArn} on ${snapshot.holder.arn}.`,
    );
  return target;
}

export async function snapshotOwnCopy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<AwsOwnCopySnapshot> {
  return withAwsErrors(system, `snapshot ${item.object.key} for its own copy`, () =>
    readLive(session.iam, targetOf(system, item)),
  );
}

/** The run an item belongs to: the activities hand executors the stored item, which carries it. */
function runOf(item: CleanupItem): string | undefined {
  const runId = (item as { runId?: unknown }).runId;
  return typeof runId === 'string' ? runId : undefined;
}

/**
 * Makes the copy (or finds it already made with the same document), attaches it to the holder, then
 * detaches the shared policy: in that order, so the holder never lacks what it used. A shared policy
 * whose document changed since `planned`, a policy of the copy's name with another document, or the
 * shared policy detached by someone else: nothing is written, and the conflict names it.
 */
export async function applyOwnCopy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
  planned: AwsOwnCopySnapshot,
): Promise<ApplyResult> {
  return withAwsErrors(system, `give ${item.object.key} its own copy`, async () => {
    const target = plannedTarget(system, item, planned);
    const { iam } = session;
    const live = await readLive(iam, target);
    if (!live.holderExists) return { status: 'gone', detail: `${holderWords(live.holder)} no longer exists.` };
    if (live.document === null) return { status: 'gone', detail: `${live.policyArn} no longer exists.` };
    if (isApplied(live, item)) return { status: 'already', detail: `Already done: ${stateWords(live)}.` };
    const conflict = applyConflict(planned, live, item);
    if (conflict)
      return {
        status: 'conflict',
        detail: `Nothing changed: ${conflict} since the plan, so the item is re-planned rather than overwritten.`,
      };

    const done: string[] = [];
    if (!live.copy) {
      const run = runOf(item);
      const description = `Least narrowed copy of ${target.policyArn} for ${holderWords(target.holder)}${run ? `, cleanup run ${run}` : ''}: only the actions it used.`;
      try {
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: target.copyName,
            Path: target.path,
            PolicyDocument: JSON.stringify(item.after),
            Description: description.slice(0, MAX_DESCRIPTION),
          }),
        );
        done.push(`Made ${target.copyArn} with the ${item.removeActions?.length ?? 0} unused action(s) left out.`);
      } catch (error) {
        if (!isAwsError(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw error;
        // made between the read and now: the same document is ours to use, another is not
        const made = await readPolicy(iam, target.copyArn);
        if (made && !sameDocument(made.document, item.after))
          return {
            status: 'conflict',
            detail: `Nothing changed: a policy ${target.copyArn} was made with another document (${documentDifference(item.after, made.document)}).`,
          };
      }
    }
    if (!live.copy?.attached) {
      await setAttached(iam, target.holder, target.copyArn, true);
      done.push(`Attached it to ${holderWords(target.holder)}.`);
    }
    if (live.attached) {
      await setAttached(iam, target.holder, target.policyArn, false);
      done.push(`Then detached ${target.policyArn} from it.`);
    }
    const after = await readLive(iam, target);
    // retryable: IAM is eventually consistent, and a retried apply converges without doing anything twice
    if (!isApplied(after, item))
      throw new Error(`The own copy of ${item.object.key} did not hold: ${stateWords(after)}`);
    return { status: 'applied', detail: done.join(' ') };
  });
}

/** Reads back from IAM that the holder has its copy with the item's document, and not the shared policy. */
export async function verifyOwnCopy(session: AwsSession, system: AwsSystem, item: CleanupItem): Promise<VerifyResult> {
  return withAwsErrors(system, `verify the own copy of ${item.object.key}`, async () => {
    const live = await readLive(session.iam, targetOf(system, item));
    if (!live.holderExists)
      return { ok: true, detail: `${holderWords(live.holder)} no longer exists, so it holds nothing.` };
    if (isApplied(live, item)) return { ok: true, detail: `IAM shows ${stateWords(live)}.` };
    const edited = live.copy && !sameDocument(live.copy.document, item.after);
    return {
      ok: false,
      detail: `The change does not hold: ${stateWords(live)}${edited ? `; the copy ${documentDifference(item.after, live.copy!.document)}` : ''}.`,
    };
  });
}

/**
 * Attaches the shared policy again, then detaches and deletes the copy (every version): what the snapshot
 * holds. A copy edited, added to or attached elsewhere since, or a holder whose access was taken away
 * meanwhile, is not gone over: the conflict names it.
 */
export async function restoreOwnCopy(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
  snapshot: AwsOwnCopySnapshot,
): Promise<RestoreResult> {
  return withAwsErrors(system, `restore ${item.object.key} from its own copy`, async () => {
    const target = plannedTarget(system, item, snapshot);
    const { iam } = session;
    const live = await readLive(iam, target);
    if (isAsSnapshot(live, snapshot))
      return { status: 'already', detail: `Already as the snapshot holds: ${stateWords(live)}.` };
    if (!live.holderExists)
      return { status: 'gone', detail: `Nothing restored: ${holderWords(live.holder)} no longer exists.` };
    const conflict = restoreConflict(snapshot, live, item);
    if (conflict)
      return {
        status: 'conflict',
        detail: `Nothing restored: ${conflict} after the cleanup changed it; a person must decide which to keep.`,
      };
    if (snapshot.attached && !live.attached && live.document === null)
      return {
        status: 'gone',
        detail: `Nothing restored: ${live.policyArn} no longer exists, so the copy stays attached to ${holderWords(live.holder)}.`,
      };

    const done: string[] = [];
    if (snapshot.attached && !live.attached) {
      await setAttached(iam, target.holder, target.policyArn, true);
      done.push(`Attached ${target.policyArn} to ${holderWords(target.holder)} again.`);
    }
    if (live.copy?.attached && !snapshot.copy?.attached) {
      await setAttached(iam, target.holder, target.copyArn, false);
      done.push(`Then detached its copy ${target.copyArn}.`);
    }
    if (live.copy && snapshot.copy === null) {
      await deleteCopy(iam, target.copyArn);
      done.push('Deleted the copy.');
    }
    const after = await readLive(iam, target);
    // retryable: IAM is eventually consistent, and a retried restore converges without doing anything twice
    if (!isAsSnapshot(after, snapshot))
      throw new Error(`Restore of ${item.object.key} from its own copy did not hold: ${stateWords(after)}`);
    return { status: 'restored', detail: `${done.join(' ')} IAM shows ${stateWords(after)}.` };
  });
}

/** Its non-default versions first, as IAM requires; one already gone is fine. */
async function deleteCopy(iam: IAMClient, copyArn: string): Promise<void> {
  const copy = await readPolicy(iam, copyArn);
  if (!copy) return;
  for (const versionId of copy.versions.filter((v) => v !== copy.defaultVersionId))
    await orMissing(
      () => iam.send(new DeletePolicyVersionCommand({ PolicyArn: copyArn, VersionId: versionId })),
      undefined,
    );
  await orMissing(() => iam.send(new DeletePolicyCommand({ PolicyArn: copyArn })), undefined);
}

/* ---------- the hook aws.ts dispatches through ---------- */

const snapshotOf = (value: unknown, item: CleanupItem): AwsOwnCopySnapshot =>
  snapshotKind<AwsOwnCopySnapshot>(value, 'aws-own-copy', item);

/** The executor with own-copy items taken by this file; every other item goes to `executor`. */
export function withOwnCopies<T extends CleanupExecutor>(
  executor: T,
  sessionFor: (system: AwsSystem) => Promise<AwsSession>,
): T {
  const mine = (item: CleanupItem): boolean => item.change === 'own-copy';
  return {
    ...executor,
    async snapshot(anySystem, item) {
      if (!mine(item)) return executor.snapshot(anySystem, item);
      const system = asAwsSystem(anySystem);
      return snapshotOwnCopy(await sessionFor(system), system, item);
    },
    async apply(anySystem, item, planned) {
      if (!mine(item)) return executor.apply(anySystem, item, planned);
      const system = asAwsSystem(anySystem);
      return applyOwnCopy(await sessionFor(system), system, item, snapshotOf(planned, item));
    },
    async verify(anySystem, item) {
      if (!mine(item)) return executor.verify(anySystem, item);
      const system = asAwsSystem(anySystem);
      return verifyOwnCopy(await sessionFor(system), system, item);
    },
    async restore(anySystem, item, snapshot) {
      if (!mine(item)) return executor.restore(anySystem, item, snapshot);
      const system = asAwsSystem(anySystem);
      return restoreOwnCopy(await sessionFor(system), system, item, snapshotOf(snapshot, item));
    },
  };
}
