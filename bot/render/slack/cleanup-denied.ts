import type { Button, KnownBlock } from '@slack/types';
import { CleanupAction, cleanupButtonValue } from '../cleanup';
import { cleanupDeniedWording, DENIED_TITLE, type CleanupDeniedNotice } from '../cleanup-denied';
import { context, header, message, section, type SlackMessage } from './blocks';
import { SLACK_LIMITS } from './limits';
import { escapeMrkdwn, plainText, slackDate, userLine } from './text';

/** The denied-call watch in Block Kit: the denied calls, then the removed change with its Restore button. */
const words = cleanupDeniedWording({
  line: userLine,
  date: slackDate,
  bold: (markup) => `*${markup}*`,
  code: (markup) => `\`${markup}\``,
  escape: escapeMrkdwn,
});

/** To an item's owners (or the channel): calls denied since Least removed it, and Restore. */
export function cleanupDeniedMessage(notice: CleanupDeniedNotice): SlackMessage {
  const intro = words.intro(notice);
  const { lines, more } = words.denialLines(notice);
  const value = cleanupButtonValue(notice.run.runId, notice.item.itemId);
  const restore: Button | undefined =
    value.length <= SLACK_LIMITS.buttonValue
      ? {
          type: 'button',
          text: { type: 'plain_text', text: plainText('Restore', SLACK_LIMITS.buttonText), emoji: true },
          action_id: CleanupAction.Restore,
          value,
        }
      : undefined;
  const change = [words.removedChange(notice), words.identities(notice.item.identities)].filter(Boolean).join('\n');
  const blocks: KnownBlock[] = [
    header(DENIED_TITLE),
    section(intro),
    section(lines.join('\n')),
    ...(more ? [context(more)] : []),
    section(restore ? change : `${change}\n_No button: its id is too long for Slack._`, restore),
    context(escapeMrkdwn(words.restoreHint())),
  ];
  return message(lines[0] ? plainSummary(lines[0]) : plainSummary(intro), blocks);
}

/** The notification text: the first denied call without mrkdwn stress or code marks. */
function plainSummary(mrkdwn: string): string {
  return mrkdwn.replace(/[*`]/g, '');
}
