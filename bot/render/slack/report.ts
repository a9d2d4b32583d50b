import { message, section, type SlackMessage } from './blocks';
import { mention, userLine } from './text';

/** Reports asked for with `/access report …`: what the person is told while it is built and when it cannot land. */

export function reportBuildingReply(identity: string, days: number): SlackMessage {
  const text = `⏳ Building the report on *${userLine(identity, 120)}* for the last ${days} days; it will be uploaded to this conversation.`;
  return message(text, [section(text)]);
}

/** The comment shared with the uploaded file (mrkdwn): what it is and who asked. */
export function reportComment(title: string, days: number, userId: string, email: string): string {
  return `📄 ${userLine(title, 200)} · the last ${days} days · asked for by ${mention(userId, email)}`;
}

const UNDELIVERED: Record<string, string> = {
  not_in_channel:
    'I could not upload the report here: I am not in this channel. Invite me (`/invite @Least`) or ask me in a direct message.',
  channel_not_found:
    'I could not upload the report here: I cannot post in this conversation. Ask me in a direct message with Least, or in a channel I am in.',
  is_archived: 'I could not upload the report here: this channel is archived. Ask me in a direct message with Least.',
};

/** Why the upload did not happen (the report was built; nothing was shared). */
export function reportUndeliveredReply(code: string): SlackMessage {
  const text = `⛔ ${UNDELIVERED[code] ?? `Slack refused the upload (${userLine(code, 60)}); ask me in a direct message with Least.`}`;
  return message(text, [section(text)]);
}

/** The Slack errors that mean the report cannot land in this conversation, whatever the retry. */
export const REPORT_UPLOAD_REFUSALS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
  'not_allowed_token_type',
]);
