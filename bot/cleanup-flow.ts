import type { CleanupDecisionKind } from '../domain/cleanup/model';
import type { CleanupItemBrief } from '../domain/cleanup/run';
import type { CleanupRestoreResult } from '../workflows/cleanup-messages';
import type { CleanupClient, CleanupItemRecord, CleanupRefusal } from './cleanup-client';
import type { FindingsClient } from './findings-client';
import type { FindingsResult } from './findings-flow';
import {
  CleanupAction,
  type CleanupDecidedView,
  type CleanupDiffView,
  type CleanupRestoredView,
} from './render/cleanup';
import type { CleanupStartedView, FindingsTarget } from './render/findings';

/**
 * What Slack and Teams share about a cleanup click: which answer each button gives, the views their
 * answers are drawn from, and Clean up on an identity card. Authority is the CleanupClient's (and the
 * workflow's) call.
 */

export const CLEANUP_NOT_SET_UP = 'Cleanup is not set up on this Least server.';
export const CLEANUP_MALFORMED = 'That button does not name a cleanup change Least knows.';

/** The answer a decision button gives, as `CleanupClient.decide` takes it; Keep asks for a reason first. */
export const DECISION_OF: Readonly<Partial<Record<string, { kind: CleanupDecisionKind; days?: number }>>> = {
  [CleanupAction.RemoveNow]: { kind: 'remove' },
  [CleanupAction.Snooze7]: { kind: 'snooze', days: 7 },
  [CleanupAction.Snooze30]: { kind: 'snooze', days: 30 },
};

/** The confirmation of an answer the workflow recorded (its own decision when it says one). */
export function decidedViewOf(
  item: CleanupItemBrief,
  asked: { kind: CleanupDecisionKind; reason?: string },
): CleanupDecidedView {
  const decision = item.decision;
  const reason = decision?.reason ?? asked.reason;
  return {
    kind: decision?.kind ?? asked.kind,
    change: item.change,
    objectName: item.object.name,
    objectKind: item.object.kind,
    ...(reason ? { reason } : {}),
    ...(decision?.until ? { until: decision.until } : {}),
  };
}

/** Show diff's view of a stored item. */
export function diffViewOf(item: CleanupItemRecord): CleanupDiffView {
  return {
    runId: item.runId,
    itemId: item.itemId,
    change: item.change,
    objectName: item.object.name,
    objectKind: item.object.kind,
    identities: item.identities.map((i) => i.name),
    reason: item.reason,
    explicitOnly: item.explicitOnly === true,
    ...(item.removeActions ? { removeActions: item.removeActions } : {}),
    ...(item.keptForOthers ? { keptForOthers: item.keptForOthers } : {}),
    ...(item.before !== undefined ? { before: item.before } : {}),
    // `after: null` is a narrowed inline policy with nothing left (the store keeps that apart from no document).
    ...('after' in item ? { after: item.after } : {}),
    ...(item.outcome ? { outcome: item.outcome } : {}),
  };
}

/** A restore's result with the names people know the objects by. */
export function restoredViewOf(result: CleanupRestoreResult, items: readonly CleanupItemRecord[]): CleanupRestoredView {
  const names = new Map(items.map((item) => [item.itemId, item.object.name]));
  return {
    runId: result.runId,
    items: result.items.map((item) => {
      const name = names.get(item.itemId);
      return { itemId: item.itemId, status: item.status, detail: item.detail, ...(name ? { objectName: name } : {}) };
    }),
  };
}

/** An identity card offers Clean up to those who may start one (the system's owners, Least's admins). */
export async function offerCleanup(
  cleanup: CleanupClient | undefined,
  result: FindingsResult,
  email: string,
): Promise<FindingsResult> {
  if (result.kind !== 'identity' || !cleanup) return result;
  if (!(await cleanup.mayStart(email, result.view.systemId))) return result;
  return { ...result, view: { ...result.view, mayStartCleanup: true } };
}

/**
 * A Clean up click on an identity card: the client checks authority again and audits a refusal (the
 * button proves nothing); the answer names the identity as the clicker may see it.
 */
export async function startCleanup(
  cleanup: CleanupClient,
  findings: FindingsClient,
  target: FindingsTarget,
  email: string,
): Promise<{ ok: true; view: CleanupStartedView } | CleanupRefusal> {
  const outcome = await cleanup.start(target, email);
  if (!outcome.ok) return outcome;
  const seen = await findings.identity(email, target.identityId, target.systemId);
  return {
    ok: true,
    view: {
      runId: outcome.runId,
      systemId: target.systemId,
      identityName: seen.ok ? seen.view.identity.name : target.identityId,
      joined: outcome.joined,
    },
  };
}
