import { randomBytes } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Policy } from '../../domain/policy/schema';
import type { AccessClient } from '../access-client';
import type { SlackMessage } from '../render/slack';
import type { ViewBuilder } from '../render/view';
import type { SlackDirectory } from './directory';

/** What every Slack handler works with; built once per app. */
export interface SlackContext {
  access: AccessClient;
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
