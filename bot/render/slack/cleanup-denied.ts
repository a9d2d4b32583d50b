import type { KnownBlock } from '@slack/types';
import { cleanupDeniedWording, DENIED_TITLE, type CleanupDeniedNotice } from '../cleanup-denied';
import { context, header, message, section, type SlackMessage } from './blocks';
import { restoreButton } from './cleanup';
import { escapeMrkdwn, slackDialect, unmarked } from './text';

/** The denied-call watch in Block Kit: the denied calls, then the removed change with its Restore button. */
const words = cleanupDeniedWording(slackDialect);

/** To an item's owners (or the channel): calls denied since Least removed it, and Restore. */
export function cleanupDeniedMessage(notice: CleanupDeniedNotice): SlackMessage {
  const intro = words.intro(notice);
  const { lines, more } = words.denialLines(notice);
  const restore = restoreButton(notice.run.runId, notice.item.itemId);
  const change = [words.removedChange(notice), words.identities(notice.item.identities)].filter(Boolean).join('\n');
  const blocks: KnownBlock[] = [
    header(DENIED_TITLE),
    section(intro),
    section(lines.join('\n')),
    ...(more ? [context(more)] : []),
    section(restore ? change : `${change}\n_No button: its id is too long for Slack._`, restore),
    context(escapeMrkdwn(words.restoreHint())),
  ];
  return message(unmarked(lines[0] || intro), blocks);
}
