import { randomBytes } from 'node:crypto';
import type { BlockAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Policy } from '../../domain/policy/schema';
import type { AccessClient } from '../access-client';
import type { AlertClient } from '../alert-client';
import type { CleanupClient } from '../cleanup-client';
import type { FindingsClient } from '../findings-client';
import type { ReportDesk } from '../report-flow';
import type { SlackMessage } from '../render/slack';
import type { ViewBuilder } from '../render/view';
import type { SlackDirectory } from './directory';

/** What every Slack handler works with; built once per app. */
export interface SlackContext {
  access: AccessClient;
  /** Absent where findings are not wired: `findings` then says so. */
  findings?: FindingsClient;
  /** Absent where cleanup is not wired: its buttons then say so. */
  cleanup?: CleanupClient;
  /** Absent where alerts are not wired: Acknowledge then says so. */
  alerts?: AlertClient;
  /** `/access report …`; absent where reports are not wired: `report` then says so. */
  reports?: ReportDesk;
  directory: SlackDirectory;
  policy: () => Policy;
  client: WebClient;
  now: () => Date;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
  /** A request's view for Slack messages (the requester's Slack id, an approver card's history). */
  view: ViewBuilder;
}

/** A short id a person can quote to an admin; the log line with the error carries the same id. */
export function errorReference(): string {
  return `E-${randomBytes(4).toString('hex')}`;
}

/**
 * Resolves on the next turn of the event loop, after the I/O already waiting. Handlers await it right
 * after `ack()`: in a burst, the requests that have already arrived are then each verified and acked
 * before any command's own work (directory lookups, Temporal calls) takes the loop.
 */
export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The actor recorded for someone we could not map to an e-mail address. */
export function slackActor(userId: string): string {
  return `slack:${userId.slice(0, 32)}`;
}

export type { SlackMessage };

export function ephemeral(
  message: SlackMessage,
): SlackMessage & { response_type: 'ephemeral'; replace_original: false } {
  return { ...message, response_type: 'ephemeral', replace_original: false };
}

/** Says something to the person who clicked: in place of an ephemeral card, privately in the channel, or by DM from Home. */
export type Tell = (
  message: SlackMessage & { replace_original?: boolean; response_type?: 'ephemeral' | 'in_channel' },
) => Promise<unknown>;

export function teller(ctx: SlackContext, body: BlockAction, respond: RespondFn | undefined): Tell {
  // Clicks in views (App Home, modals) come without a response_url: answer by DM instead.
  if (body.response_url && respond) return (message) => respond(message as Parameters<RespondFn>[0]);
  return async (message) => {
    const opened = await ctx.client.conversations.open({ users: body.user.id });
    const channel = opened.channel?.id;
    if (channel) await ctx.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  };
}

/** A form has no response_url: privately in the channel it was opened from, else (or if that fails) by DM. */
export async function tellPrivately(
  ctx: SlackContext,
  userId: string,
  channelId: string | undefined,
  message: SlackMessage,
): Promise<void> {
  if (channelId && !channelId.startsWith('D')) {
    try {
      await ctx.client.chat.postEphemeral({
        channel: channelId,
        user: userId,
        text: message.text,
        blocks: message.blocks,
      });
      return;
    } catch (error) {
      ctx.log('warn', 'ephemeral answer failed; sending a DM', { error: String(error) });
    }
  }
  const opened = await ctx.client.conversations.open({ users: userId });
  const channel = opened.channel?.id;
  if (channel) await ctx.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
}
