import { cleanupDeniedWording, DENIED_TITLE, type CleanupDeniedNotice } from '../cleanup-denied';
import { actionSet, card, container, heading, text, withCard, type CardElement, type TeamsMessage } from './card';
import { restoreAction } from './cleanup';
import { escapeMarkdown, teamsDialect, unmarked } from './text';

/** The denied-call watch as an Adaptive Card: the denied calls, then the removed change with its Restore action. */
const words = cleanupDeniedWording(teamsDialect);

/** To an item's owners (or the channel): calls denied since Least removed it, and Restore. */
export function cleanupDeniedMessage(notice: CleanupDeniedNotice): TeamsMessage {
  const intro = words.intro(notice);
  const { lines, more } = words.denialLines(notice);
  const details = words.identities(notice.item.identities);
  const body: CardElement[] = [
    heading(DENIED_TITLE),
    text(intro),
    text(lines.join('\n\n'), { spacing: 'small' }),
    ...(more ? [text(more, { subtle: true, spacing: 'none' })] : []),
    container(
      [
        text(words.removedChange(notice)),
        ...(details ? [text(details, { subtle: true, spacing: 'none' })] : []),
        actionSet([restoreAction(notice.run.runId, notice.item.itemId)]),
      ],
      { separator: true },
    ),
    text(escapeMarkdown(words.restoreHint()), { subtle: true }),
  ];
  return withCard(unmarked(lines[0] ?? intro), card(body));
}
