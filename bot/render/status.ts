import { formatDuration } from '../../domain/duration';
import {
  approvalsSoFar,
  eligibleApprovers,
  isBreakGlass,
  openStage,
  type Decision,
  type RequestState,
} from '../../domain/request';

/**
 * How a request stands, in the same words on Slack and Teams. Each platform binds `statusWording` to
 * its dialect in its own status.ts. The sentences add only our own words: everything a person, a
 * policy or a cloud wrote reaches them through the dialect, which escapes it for that platform.
 */

/** How one platform writes what the shared sentences quote. */
export interface Dialect {
  /** A time each reader sees in their own time zone; escaped as a `line` when it is not a time. */
  date: (iso: string) => string;
  /** User text on one line, escaped and clipped to `max`: names, ids, reasons for ending. */
  line: (text: string, max: number) => string;
  /** User text that may keep its lines, escaped and clipped to `max`: reasons, failure messages. */
  text: (text: string, max: number) => string;
}

/** The sentences, in one platform's dialect. */
export interface StatusWording {
  /** People by e-mail, the first five named: `a@x, b@x and 3 more`. */
  people: (emails: readonly string[]) => string;
  /** `1 of 2 approvals: lead@example.com`. */
  progressLine: (state: RequestState, stage: Decision['stage']) => string;
  /** Who let it through: approvers with the time of the last approval, the policy, or break-glass. */
  approvedLine: (state: RequestState) => string | undefined;
  /** `⛔ Denied by lead@… <date>. Reason: …` for the request or its latest extension. */
  deniedLine: (state: RequestState, stage: Decision['stage']) => string;
  /** `<date> (42m left)` for the end of a grant, or `its end` where the end is unknown. */
  untilLine: (state: RequestState, now: Date) => string;
  /** One line for where the request is now. */
  statusLine: (state: RequestState, now: Date) => string;
  /** What the requester waits for once a request is sent: how many approvals, from whom. */
  waitingLine: (state: RequestState) => string;
  /** What became of a request nobody can decide on any more, line by line, for each platform to lay out. */
  outcomeLines: (state: RequestState, now: Date) => OutcomeLines;
}

export interface OutcomeLines {
  /** Who let it through, once access was granted at some point. */
  approved?: string;
  /** Where it stands now. */
  status: string;
  /** The denial of an extension while the grant is still live. */
  extensionDenied?: string;
  /** How much longer extensions made it. */
  extended?: string;
}

/** Room for one person's reason or one failure message; several fit in one Slack section (3000 characters). */
export const REASON_CHARS = 500;

/** How many people a list names before it counts the rest. */
const NAMED = 5;

export function statusWording({ date, line, text }: Dialect): StatusWording {
  function people(emails: readonly string[]): string {
    if (emails.length === 0) return 'nobody';
    const shown = emails.slice(0, NAMED).map((email) => line(email, 100));
    const more = emails.length - shown.length;
    return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
  }

  function progressLine(state: RequestState, stage: Decision['stage']): string {
    const approvers = decisions(state, stage, 'approve').map((d) => d.approver);
    const count = `${approvalsSoFar(state, stage)} of ${approvalCount(state.rules.requiredApprovals)}`;
    return approvers.length > 0 ? `${count}: ${people(approvers)}` : count;
  }

  function approvedLine(state: RequestState): string | undefined {
    if (state.outcome === 'break-glass') return '🚨 Granted immediately (break-glass), without approval.';
    if (state.outcome === 'auto-approved') return '✅ Auto-approved by policy.';
    const approvals = decisions(state, 'request', 'approve');
    const last = approvals[approvals.length - 1];
    if (!last) return undefined;
    return `✅ Approved by ${people(approvals.map((d) => d.approver))} ${date(last.at)}`;
  }

  function deniedLine(state: RequestState, stage: Decision['stage']): string {
    const denial = decisions(state, stage, 'deny').pop();
    const what = stage === 'extension' ? 'Extension denied' : 'Denied';
    const by = denial ? `${line(denial.approver, 100)} ${date(denial.at)}` : 'an approver';
    return `⛔ ${what} by ${by}. Reason: ${text(denial?.reason ?? 'none given', REASON_CHARS)}`;
  }

  function untilLine(state: RequestState, now: Date): string {
    return state.expiresAt ? `${date(state.expiresAt)} (${timeLeft(state.expiresAt, now)})` : 'its end';
  }

  function statusLine(state: RequestState, now: Date): string {
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
        return `🔒 Revoked (${line(state.endReason ?? 'ended', 200)})${endedBy(state)}.`;
      case 'denied':
        return deniedLine(state, 'request');
      case 'expired':
        return '⌛ Expired without a decision.';
      case 'cancelled':
        return `🚫 Cancelled${endedBy(state)}${state.endReason ? `: ${line(state.endReason, 200)}` : ''}.`;
      case 'failed':
        return `❗ Failed: ${text(state.failure?.message ?? 'no reason was recorded', REASON_CHARS)}`;
    }
  }

  function waitingLine(state: RequestState): string {
    const from = people(eligibleApprovers(state));
    return `⏳ Waiting for ${approvalCount(state.rules.requiredApprovals)} from ${from}. You will hear here when it is decided.`;
  }

  function outcomeLines(state: RequestState, now: Date): OutcomeLines {
    const granted = ['approved', 'active', 'revoked', 'failed'].includes(state.status);
    const lastExtension = state.decisions.filter((d) => d.stage === 'extension').pop();
    return {
      approved: granted ? approvedLine(state) : undefined,
      status: state.status === 'approved' ? '⚙️ Access is being applied.' : statusLine(state, now),
      extensionDenied:
        state.status === 'active' && lastExtension?.verdict === 'deny' ? deniedLine(state, 'extension') : undefined,
      extended: extendedLine(state),
    };
  }

  function endedBy(state: RequestState): string {
    // `expiry` is the workflow's name for the clock, not a person.
    const by = state.endedBy && state.endedBy !== 'expiry' ? ` by ${line(state.endedBy, 100)}` : '';
    return `${by}${state.endedAt ? ` ${date(state.endedAt)}` : ''}`;
  }

  return { people, progressLine, approvedLine, deniedLine, untilLine, statusLine, waitingLine, outcomeLines };
}

/** The title of an approver's card: what is being decided on. */
export function approvalHeadline(state: RequestState): string {
  if (openStage(state) === 'extension') return 'Extension request';
  return isBreakGlass(state) ? 'Break-glass access' : 'Access request';
}

/** `Extended by 1h in all.` once an extension went through. */
export function extendedLine(state: RequestState): string | undefined {
  return state.extendedSeconds > 0 ? `Extended by ${formatDuration(state.extendedSeconds)} in all.` : undefined;
}

/** `42m left`, `1h 5m left`, `2d 3h left`, or `expired`; partial minutes count as a minute. */
export function timeLeft(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (Number.isNaN(ms)) return 'time left unknown';
  if (ms <= 0) return 'expired';
  const minutes = Math.ceil(ms / 60_000);
  const parts = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor((minutes % 1440) / 60), 'h'],
    [minutes % 60, 'm'],
  ] as const;
  return `${parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ')} left`;
}

/** `2 approvals`, `1 approval`. */
function approvalCount(required: number): string {
  return `${required} approval${required === 1 ? '' : 's'}`;
}

function decisions(state: RequestState, stage: Decision['stage'], verdict: Decision['verdict']): Decision[] {
  return state.decisions.filter((d) => d.stage === stage && d.verdict === verdict);
}
