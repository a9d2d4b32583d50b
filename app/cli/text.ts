import { formatDuration } from '../../domain/duration';
import { approvalsSoFar, settlement, type Decision, type RequestState } from '../../domain/request';

/** How the CLI draws a request in a terminal: one line in a listing, a labelled block for `show`. */

export function oneLine(state: RequestState): string {
  const until = state.expiresAt && state.status === 'active' ? ` until ${state.expiresAt}` : '';
  return `${state.request.requestId}  ${state.status.padEnd(9)} ${state.request.entitlementId}  ${state.request.requester}  ${formatDuration(state.request.durationSeconds)}${until}`;
}

export function describe(state: RequestState): string {
  const lines = [
    `request   ${state.request.requestId} (${state.status})`,
    `who       ${state.request.requester}`,
    `what      ${state.rules.title} [${state.request.entitlementId}] on ${state.rules.systemId}`,
    `how long  ${formatDuration(state.request.durationSeconds)}${state.extendedSeconds ? ` + ${formatDuration(state.extendedSeconds)} extended` : ''}`,
    `why       ${state.request.reason}${state.request.ticket ? ` (${state.request.ticket})` : ''}`,
    `approval  ${approvalLine(state)}`,
  ];
  if (state.decisions.some((d) => d.stage === 'extension') || state.pendingExtension)
    lines.push(`extension ${stageLine(state, 'extension')}`);
  if (state.expiresAt) lines.push(`expires   ${state.expiresAt}`);
  if (state.access) lines.push(`access    ${state.access.summary}${state.access.url ? ` ${state.access.url}` : ''}`);
  if (state.revocationReceipt) lines.push(`revoked   ${state.endReason ?? ''}; verified: ${state.revocationReceipt}`);
  if (state.failure) lines.push(`failure   ${state.failure.code}: ${state.failure.message}`);
  return lines.join('\n');
}

/** How the request was let through (or not): by whom, by the policy, or by break-glass. */
export function approvalLine(state: RequestState): string {
  switch (state.outcome) {
    case 'auto-approved':
      return 'auto-approved by policy';
    case 'break-glass': {
      const review = state.reviewedBy ? `reviewed by ${state.reviewedBy}` : 'review still required';
      return `break-glass: granted at once without approval; ${review}`;
    }
    case 'needs-approval':
      return stageLine(state, 'request');
  }
}

function stageLine(state: RequestState, stage: Decision['stage']): string {
  const decisions = state.decisions.filter((d) => d.stage === stage);
  const approvers = decisions.filter((d) => d.verdict === 'approve').map((d) => `${d.approver} at ${d.at}`);
  const denial = decisions.find((d) => d.verdict === 'deny');
  if (denial) return `denied by ${denial.approver} at ${denial.at}: ${denial.reason ?? 'no reason given'}`;
  if (settlement(state, stage) === 'approved') return `approved by ${approvers.join(', ')}`;
  const progress = `${approvalsSoFar(state, stage)} of ${state.rules.requiredApprovals} approvals${approvers.length ? ` (${approvers.join(', ')})` : ''}`;
  const waiting = stage === 'request' ? state.status === 'pending' : Boolean(state.pendingExtension);
  return waiting ? `waiting: ${progress}` : `not approved: ${progress}`;
}
