import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  SectionBlock,
} from '@slack/types';
import { SLACK_LIMITS } from './limits';
import { clipEscaped, plainText } from './text';

/** A message for chat.postMessage/update or respond(): `text` is the notification and screen-reader fallback. */
export type SlackMessage = { text: string; blocks: KnownBlock[] };

/**
 * Block builders that hold Block Kit's limits. They take mrkdwn that is already escaped and clip it
 * once more, because lines are joined after each was clipped to its own share.
 */
export function message(fallback: string, blocks: KnownBlock[]): SlackMessage {
  return { text: clipEscaped(fallback, SLACK_LIMITS.fallbackText), blocks };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string, accessory?: Button): SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: nonEmpty(clipEscaped(mrkdwn, SLACK_LIMITS.sectionText)) },
    ...(accessory ? { accessory } : {}),
  };
}

/** Label/value pairs shown two to a row. */
export function fields(pairs: readonly (readonly [label: string, mrkdwn: string])[]): SectionBlock {
  return {
    type: 'section',
    fields: pairs.slice(0, SLACK_LIMITS.sectionFields).map(([label, value]) => ({
      type: 'mrkdwn',
      text: clipEscaped(`*${label}*\n${value || '–'}`, SLACK_LIMITS.fieldText),
    })),
  };
}

export function context(...items: string[]): ContextBlock {
  return {
    type: 'context',
    elements: items
      .filter(Boolean)
      .slice(0, SLACK_LIMITS.contextElements)
      .map((text) => ({ type: 'mrkdwn', text: clipEscaped(text, SLACK_LIMITS.sectionText) })),
  };
}

export function actions(...buttons: Button[]): ActionsBlock {
  return { type: 'actions', elements: buttons.slice(0, SLACK_LIMITS.actionElements) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

// Slack rejects an empty text object.
function nonEmpty(text: string): string {
  return text.trim() ? text : '–';
}
