import type { Notice } from '../../domain/notice';
import { formatDuration } from '../../domain/duration';

/** Plain-text wording of each notice; chat renderers say the same with richer layout. */
export function describeNotice(notice: Notice): string {
  const { kind, state, detail } = notice;
  const { request, rules } = state;
  const what = `${rules.title} (${request.entitlementId}) for ${request.requester}`;
  switch (kind) {
    case 'approval-needed':
      return `Approval needed: ${what}, ${formatDuration(request.durationSeconds)}. Reason: ${request.reason}`;
    case 'reminder':
      return `Still waiting for approval: ${what}.`;
    case 'approved':
      return `Approved: ${what}.`;
    case 'denied': {
      const denial = state.decisions.find((d) => d.verdict === 'deny');
      return `Denied by ${denial?.approver ?? 'an approver'}: ${what}. Reason: ${denial?.reason ?? 'none given'}`;
    }
    case 'expired':
      return `No decision in time; the request for ${what} expired.`;
    case 'cancelled':
      return `Cancelled: ${what}.`;
    case 'granted':
      return `Granted until ${state.expiresAt}: ${what}. ${state.access?.summary ?? ''}`.trim();
    case 'expiring-soon':
      return `Expires at ${state.expiresAt}: ${what}. Extend it if you still need it.`;
    case 'extension-requested':
      return `Extension by ${detail ?? '?'} requested: ${what}.`;
    case 'extended':
      return `Extended by ${detail ?? '?'} until ${state.expiresAt}: ${what}.`;
    case 'extension-denied':
      return `Extension by ${detail ?? '?'} denied: ${what}.`;
    case 'revoked':
      return `Revoked (${state.endReason ?? 'ended'}): ${what}. Verified: ${state.revocationReceipt ?? 'n/a'}`;
    case 'failed':
      return `Failed: ${what}. ${detail ?? state.failure?.message ?? ''}`.trim();
    case 'break-glass':
      return `BREAK-GLASS: ${what} granted immediately. Reason: ${request.reason}. Review required.`;
    case 'review-needed':
      return `Review the break-glass use: ${what}.`;
    case 'right-sized': {
      const report = notice.rightSize;
      if (!report || report.unavailable)
        return `Usage of ${what} cannot be told: ${report?.unavailable ?? 'no report'}.`;
      const used = report.used.map((u) => u.action).join(', ') || 'nothing';
      const of = report.granted === undefined ? '' : ` of ${report.granted}`;
      const enough = report.suggestion ? ` ${report.suggestion.entitlementId} would have been enough.` : '';
      return `Used ${report.used.length}${of} actions of ${what}: ${used}.${enough}`;
    }
  }
}
