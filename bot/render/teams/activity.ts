import type { AdaptiveCard, TeamsMessage } from './card';

/** The attachment type Teams renders as an Adaptive Card; invoke responses carrying a card use it too. */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export function cardAttachment(card: AdaptiveCard): {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: AdaptiveCard;
} {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}

/** A card as a Bot Framework message; the summary is what notifications and the chat list show. */
export function cardActivity(card: AdaptiveCard, summary: string): Record<string, unknown> {
  return { type: 'message', summary: summary.slice(0, 200), attachments: [cardAttachment(card)] };
}

/** A rendered message as a Bot Framework activity: the card when there is one, else the text. */
export function messageActivity(message: TeamsMessage): Record<string, unknown> {
  return message.card
    ? cardActivity(message.card, message.text)
    : { type: 'message', text: message.text, textFormat: 'markdown' };
}
