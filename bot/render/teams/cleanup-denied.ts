import { CleanupAction, cleanupButtonValue } from '../cleanup';
import { cleanupDeniedWording, DENIED_TITLE, type CleanupDeniedNotice } from '../cleanup-denied';
import { card, container, heading, text, withCard, type CardElement, type TeamsMessage } from './card';
import { escapeMarkdown, teamsDate, userLine } from './text';

/** The denied-call watch as an Adaptive Card: the denied calls, then the removed change with its Restore action. */
const words = cleanupDeniedWording({
  line: userLine,
  date: teamsDate,
  bold: (markup) => `**${markup}**`,
  // Teams markdown has no code spans; names and actions stand out in bold.
  code: (markup) => `**${markup}**`,
  escape: escapeMarkdown,
});

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
        {
          type: 'ActionSet',
          actions: [
            {
              type: 'Action.Execute',
              title: 'Restore',
              verb: CleanupAction.Restore,
              data: { value: cleanupButtonValue(notice.run.runId, notice.item.itemId) },
            },
          ],
        },
      ],
      { separator: true },
    ),
    text(escapeMarkdown(words.restoreHint()), { subtle: true }),
  ];
  return withCard(summaryOf(lines[0] ?? intro), card(body));
}

/** The notification summary: plain text (Teams parses no markdown there), our stress marks dropped. */
function summaryOf(markdown: string): string {
  return markdown.replace(/\*\*|\\(?=[\\`*[\]<~|{_&#>+\-=.)])/g, '');
}
