/**
 * What the slack scenario and its load generator child (`slack-load-child.ts`) say to each other over
 * IPC. Parsed with zod on the receiving side: it is a process boundary.
 */
import { z } from 'zod';

/** One `/access …` command to send, signed, as the person `userId`. */
export const slackLoadCommandSchema = z.object({
  userId: z.string().min(1),
  text: z.string(),
  triggerId: z.string().min(1).optional(),
});
export type SlackLoadCommand = z.infer<typeof slackLoadCommandSchema>;

export const slackLoadRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run'),
    id: z.number().int(),
    /** Full URL of the endpoint under test (the bot's `/slack/events`, or the floor server). */
    url: z.string().url(),
    signingSecret: z.string().min(1),
    commands: z.array(slackLoadCommandSchema),
    concurrency: z.number().int().min(1),
    /** Wait for each command's private reply on its response_url (served by the child). */
    awaitReply: z.boolean(),
    replyTimeoutMs: z.number().int().min(1),
  }),
  z.object({ type: z.literal('stop') }),
]);
export type SlackLoadRequest = z.infer<typeof slackLoadRequestSchema>;

/** One command's outcome, timed by the child's own clock (performance.now()). */
export const slackLoadSampleSchema = z.object({
  index: z.number().int(),
  status: z.number().int(),
  /** Sent (just before signing) → the HTTP answer's body read. */
  ackMs: z.number(),
  /** Sent → the POST to the command's response_url received by the child. */
  replyMs: z.number().optional(),
  /** The first request id (`r-…`) in the reply, when there is one. */
  requestId: z.string().optional(),
  error: z.string().optional(),
});
export type SlackLoadSample = z.infer<typeof slackLoadSampleSchema>;

export const slackLoadReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), replyBaseUrl: z.string().url() }),
  z.object({ type: z.literal('result'), id: z.number().int(), samples: z.array(slackLoadSampleSchema) }),
  z.object({ type: z.literal('failed'), error: z.string() }),
]);
export type SlackLoadReply = z.infer<typeof slackLoadReplySchema>;
