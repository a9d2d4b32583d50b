import type { AlertMessage } from '../../../domain/alert/model';
import { ALERT_ACK_ACTION, alertWords, encodeAlertAck, type TemporalUi } from '../alert';
import { card, text, withCard, type CardAction, type TeamsMessage } from './card';
import { plainText, teamsDialect } from './text';

/** A rule alert in Teams: one card, with Acknowledge (a Universal Action) while it is open. */
export function alertTeamsMessage({ workflowId, series, setup, episode }: AlertMessage, ui?: TemporalUi): TeamsMessage {
  const words = alertWords(setup, episode, teamsDialect, ui);
  const links = words.requests.map(({ requestId, url }) => `[${requestId}](${markdownUrl(url)})`);
  const body = [
    text(words.headline, { size: 'medium' }),
    text(words.count, { subtle: true, spacing: 'none' }),
    ...(words.lines.length > 0 ? [text(words.lines.join('\n\n'), { spacing: 'small' })] : []),
    ...(words.status ? [text(words.status, { separator: true })] : []),
    ...(links.length > 0 ? [text(`In Temporal: ${links.join(' · ')}`, { subtle: true })] : []),
  ];
  const acknowledge: CardAction = {
    type: 'Action.Execute',
    title: 'Acknowledge',
    verb: ALERT_ACK_ACTION,
    data: { value: encodeAlertAck({ workflowId, series, episode: episode.number }) },
    style: 'positive',
  };
  return withCard(plainText(words.summary, 150), card(body, words.open ? { actions: [acknowledge] } : {}));
}

/** A URL inside a markdown link: the characters that would end or break the link are percent-encoded. */
function markdownUrl(url: string): string {
  return url.replace(/[()[\]\s<>]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
