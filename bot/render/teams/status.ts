import { formatDuration } from '../../../domain/duration';
import { approvalsSoFar, type Decision, type RequestState } from '../../../domain/request';
import type { Color } from './card';
import { people, teamsDate, timeLeft, userLine, userText } from './text';

/**
 * How a request stands, in the words of bot/render/text.ts, as Teams markdown lines shared by the
 * approver cards, the requester's cards and the list replies.
 */

/** Room for one person's reason or one failure message. */
export const REASON_CHARS = 500;

/** The stage waiting for a decision now, if any. */
export function openStage(state: RequestState): Decision['stage'] | undefined {
  if (state.status === 'pending') return 'request';
  if (state.status === 'active' && state.pendingExtension) return 'extension';
  return undefined;
}

/** `1 of 2 approvals: lead@example.com`. */
export function progressLine(state: RequestState, stage: Decision['stage']): string {
  const approvers = decisions(state, stage, 'approve').map((d) => d.approver);
  const required = state.rules.requiredApprovals;
  const count = `${approvalsSoFar(state, stage)} of ${required} approval${required === 1 ? '' : 's'}`;
  return approvers.length > 0 ? `${count}: ${people(approvers)}` : count;
}

/** Who let it through: approvers with the time of the last approval, the policy, or break-glass. */
export function approvedLine(state: RequestState): string | undefined {
  if (state.outcome === 'break-glass') return '🚨 Granted immediately (break-glass), without approval.';
  if (state.outcome === 'auto-approved') return '✅ Auto-approved by policy.';
  const approvals = decisions(state, 'request', 'approve');
  const last = approvals[approvals.length - 1];
  if (!last) return undefined;
  return `✅ Approved by ${people(approvals.map((d) => d.approver))} ${teamsDate(last.at)}`;
}

/** `⛔ Denied by lead@… <date>. Reason: …` for the request or its latest extension. */
export function deniedLine(state: RequestState, stage: Decision['stage']): string {
  const denial = decisions(state, stage, 'deny').pop();
  const what = stage === 'extension' ? 'Extension denied' : 'Denied';
  const by = denial ? `${userLine(denial.approver, 100)} ${teamsDate(denial.at)}` : 'an approver';
  return `⛔ ${what} by ${by}. Reason: ${userText(denial?.reason ?? 'none given', REASON_CHARS)}`;
}

/** `Ends <date> (42m left)`, or where the end is unknown. */
export function untilLine(state: RequestState, now: Date): string {
  return state.expiresAt ? `${teamsDate(state.expiresAt)} (${timeLeft(state.expiresAt, now)})` : 'its end';
}

/** One line for where the request is now. */
export function statusLine(state: RequestState, now: Date): string {
  switch (state.status) {
    case 'pending':
      return `⏳ Waiting for approval: ${progressLine(state, 'request')}`;
    case 'approved':
      return '✅ Approved; access is being applied.';
    case 'active': {
      const until = state.expiresAt ? `until ${untilLine(state, now)}` : '';
      const waiting = state.pendingExtension
        ? ` · extension by +${formatDuration(state.pendingExtension.additionalSeconds)} waiting for approval`
        : '';
      return `🟢 Granted ${until}${waiting}`.trim();
    }
    case 'revoked':
      return `🔒 Revoked (${userLine(state.endReason ?? 'ended', 200)})${endedBy(state)}.`;
    case 'denied':
      return deniedLine(state, 'request');
    case 'expired':
      return '⌛ Expired without a decision.';
    case 'cancelled':
      return `🚫 Cancelled${endedBy(state)}${state.endReason ? `: ${userLine(state.endReason, 200)}` : ''}.`;
    case 'failed':
      return `❗ Failed: ${userText(state.failure?.message ?? 'no reason was recorded', REASON_CHARS)}`;
  }
}

/** The colour Teams gives a status line: green once granted, red once refused or broken. */
export function statusColor(state: RequestState): Color {
  if (state.status === 'approved' || state.status === 'active') return 'good';
  if (state.status === 'denied' || state.status === 'failed') return 'attention';
  return 'default';
}

/** Approvers who may decide on this request: nobody approves their own. */
export function eligibleApprovers(state: RequestState): string[] {
  const requester = state.request.requester.toLowerCase();
  return state.rules.approvers.filter((approver) => approver.toLowerCase() !== requester);
}

/** `Extended by 1h in all` once an extension went through. */
export function extendedLine(state: RequestState): string | undefined {
  return state.extendedSeconds > 0 ? `Extended by ${formatDuration(state.extendedSeconds)} in all.` : undefined;
}

/** Whether this is a break-glass grant, by the policy's outcome or the request's own flag. */
export function isBreakGlass(state: RequestState): boolean {
  return state.outcome === 'break-glass' || state.request.breakGlass === true;
}

function endedBy(state: RequestState): string {
  // `expiry` is the workflow's name for the clock, not a person.
  const by = state.endedBy && state.endedBy !== 'expiry' ? ` by ${userLine(state.endedBy, 100)}` : '';
  return `${by}${state.endedAt ? ` ${teamsDate(state.endedAt)}` : ''}`;
}

function decisions(state: RequestState, stage: Decision['stage'], verdict: Decision['verdict']): Decision[] {
  return state.decisions.filter((d) => d.stage === stage && d.verdict === verdict);
}
