import { statusWording } from '../status';
import { slackDate, userLine, userText } from './text';

/**
 * How a request stands, in the shared words of bot/render/status.ts, as mrkdwn lines for the
 * approver card, the requester's thread, App Home and the slash-command replies: times as Slack date
 * tokens, and everything a person wrote through Slack's escaping.
 */
export const { approvedLine, deniedLine, outcomeLines, people, progressLine, statusLine, untilLine, waitingLine } =
  statusWording({
    date: slackDate,
    line: userLine,
    text: userText,
  });

// The words that need no dialect too, so code importing a platform's status words finds them all here.
export * from '../status';
