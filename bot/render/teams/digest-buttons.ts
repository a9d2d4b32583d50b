import type { DigestButton } from '../digest-buttons';
import { actionSet, type CardAction, type CardElement } from './card';
import { plainText } from './text';

/** Teams shows an Action.Execute title on one line; longer ones are cut by the client anyway. */
const TITLE_CHARS = 40;

/**
 * A digest section's buttons as one ActionSet of Universal Actions (Action.Execute), or none: a click
 * is an `adaptiveCard/action` invoke to the bot, answered to the clicker alone. Data holds ids only.
 */
export function digestActionSet(buttons: readonly DigestButton[]): CardElement | undefined {
  if (buttons.length === 0) return undefined;
  return actionSet(
    buttons.map((b): CardAction => ({
      type: 'Action.Execute',
      title: plainText(b.label, TITLE_CHARS),
      verb: b.action,
      data: { ...b.target },
    })),
  );
}
