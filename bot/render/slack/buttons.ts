import type { Button } from '@slack/types';
import { SlackAction } from './ids';
import { SLACK_LIMITS } from './limits';
import { clipEscaped, cut, plainText, userLine } from './text';

/**
 * The product's buttons. A button's value is the request id (plus a duration for Extend): handlers
 * check it against `r-…` and ask the workflow, so a value is never trusted for anything else.
 */
function button(text: string, actionId: string, extra: Omit<Button, 'type' | 'text' | 'action_id'> = {}): Button {
  // Cut, not clipped: a value is opaque, and one this long is no request id the handler would accept anyway.
  const value = extra.value === undefined ? {} : { value: cut(extra.value, SLACK_LIMITS.buttonValue) };
  return {
    type: 'button',
    text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    ...extra,
    ...value,
  };
}

export function approveButton(requestId: string): Button {
  return button('Approve', SlackAction.Approve, { value: requestId, style: 'primary' });
}

/** No confirm dialog: Deny opens a form that asks for the reason. */
export function denyButton(requestId: string): Button {
  return button('Deny', SlackAction.Deny, { value: requestId, style: 'danger' });
}

export function endNowButton(requestId: string, title: string): Button {
  return button('End now', SlackAction.EndNow, {
    value: requestId,
    style: 'danger',
    confirm: {
      title: { type: 'plain_text', text: 'End access now?' },
      text: {
        type: 'mrkdwn',
        text: clipEscaped(
          `Your access to *${userLine(title, 150)}* ends now and cannot be resumed; make a new request if you need it again.`,
          SLACK_LIMITS.confirmText,
        ),
      },
      confirm: { type: 'plain_text', text: 'End now' },
      deny: { type: 'plain_text', text: 'Keep it' },
      style: 'danger',
    },
  });
}

/** `duration` as people type it (`30m`, `1h`); the handler parses it like `/access extend`. */
export function extendButton(requestId: string, duration: string): Button {
  return button(`Extend ${duration}`, SlackAction.Extend, { value: `${requestId} ${duration}` });
}

export function reviewButton(requestId: string): Button {
  return button('Mark as reviewed', SlackAction.Review, { value: requestId, style: 'primary' });
}

export function requestAccessButton(): Button {
  return button('Request access', SlackAction.OpenRequestForm, { style: 'primary' });
}

const SAFE_URL = /^https:\/\/[^\s<>|"]+$/;

/** A link button, only for an https URL that fits: a cloud's URL is still not ours to trust blindly. */
export function openAccessButton(url: string | undefined): Button | undefined {
  if (!url || url.length > SLACK_LIMITS.buttonUrl || !SAFE_URL.test(url)) return undefined;
  return button('Open the access portal', SlackAction.OpenAccess, { url });
}
