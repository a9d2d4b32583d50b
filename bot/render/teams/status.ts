import type { RequestState } from '../../../domain/request';
import { statusWording } from '../status';
import type { Color } from './card';
import { teamsDate, userLine, userText } from './text';

/**
 * How a request stands, in the shared words of bot/render/status.ts, as Teams markdown lines for the
 * approver cards, the requester's cards and the list replies: times as `{{DATE()}}` functions, and
 * everything a person wrote through Teams' escaping.
 */
export const { approvedLine, deniedLine, outcomeLines, people, progressLine, statusLine, untilLine, waitingLine } =
  statusWording({
    date: teamsDate,
    line: userLine,
    text: userText,
  });

// The words that need no dialect too, so code importing a platform's status words finds them all here.
export * from '../status';

/** The colour Teams gives a status line: green once granted, red once refused or broken. */
export function statusColor(state: RequestState): Color {
  if (state.status === 'approved' || state.status === 'active') return 'good';
  if (state.status === 'denied' || state.status === 'failed') return 'attention';
  return 'default';
}
