import type { ActionsBlock, Button } from '@slack/types';
import { encodeDigestValue, slackDigestActionId, type DigestButton } from '../digest-buttons';
import { actions } from './blocks';
import { SLACK_LIMITS } from './limits';
import { cut, plainText } from './text';

/** A digest section's buttons as one actions block, or none. Labels are plain text; values are ids only. */
export function digestActionsBlock(buttons: readonly DigestButton[]): ActionsBlock | undefined {
  if (buttons.length === 0) return undefined;
  return actions(
    ...buttons.map((b, index): Button => ({
      type: 'button',
      text: { type: 'plain_text', text: plainText(b.label, SLACK_LIMITS.buttonText), emoji: true },
      action_id: slackDigestActionId(b.action, index),
      value: cut(encodeDigestValue(b.target), SLACK_LIMITS.buttonValue),
    })),
  );
}
