import type { Button } from '@slack/types';
import type { AlertMessage } from '../../../domain/alert/model';
import { ALERT_ACK_ACTION, alertWords, encodeAlertAck, type TemporalUi } from '../alert';
import { actions, context, message, section, type SlackMessage } from './blocks';
import { SLACK_LIMITS } from './limits';
import { clipEscaped, slackDialect, userLine } from './text';

/** A rule alert in Slack: the headline, the count, the latest occurrences, and Acknowledge while open. */
export function alertSlackMessage({ workflowId, series, setup, episode }: AlertMessage, ui?: TemporalUi): SlackMessage {
  const words = alertWords(setup, episode, slackDialect, ui);
  const links = words.requests.map(({ requestId, url }) => `<${slackUrl(url)}|${requestId}>`);
  const blocks = [
    section(clipEscaped(`${words.headline}\n${words.count}`, SLACK_LIMITS.sectionText)),
    ...(words.lines.length > 0 ? [section(clipEscaped(words.lines.join('\n'), SLACK_LIMITS.sectionText))] : []),
    ...(words.status ? [context(words.status)] : []),
    ...(links.length > 0 ? [context(`In Temporal: ${links.join(' · ')}`)] : []),
    ...(words.open ? [actions(acknowledgeButton(workflowId, series, episode.number))] : []),
  ];
  // The fallback text is what Slack notifies with, and it parses mentions there too: escaped, like the blocks.
  return message(userLine(words.summary, 150), blocks);
}

function acknowledgeButton(workflowId: string, series: string, episode: number): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
    action_id: ALERT_ACK_ACTION,
    style: 'primary',
    value: encodeAlertAck({ workflowId, series, episode }),
  };
}

/** A URL inside Slack's `<url|text>`: its control characters escaped, a `|` (which would end the URL) encoded. */
function slackUrl(url: string): string {
  return url.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '%7C');
}
