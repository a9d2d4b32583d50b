/**
 * What the bench and its worker child (`worker-child.ts`) say to each other: a config file handed over
 * at start, then IPC messages. Parsed with zod on the receiving side: it is a process boundary.
 */
import { z } from 'zod';
import type { LogMessage } from '../../activities/chat/log-notifier';

export const workerChildConfigSchema = z.object({
  temporalAddress: z.string().min(1),
  taskQueue: z.string().min(1),
  databaseUrl: z.string().min(1),
  motoUrl: z.string().min(1),
  /** The moto account the stack made (test/support/fakes/aws-fixtures `AwsAccount`), to build the same policy. */
  account: z.record(z.string(), z.unknown()),
  /** Requesters mapped to the application role, as the stack's policy maps them. */
  people: z.array(z.string()),
  maxCachedWorkflows: z.number().int().min(0),
  /** Pre-built workflow bundles (the parent bundles; the child only loads). */
  bundlePath: z.string().min(1),
  floorBundlePath: z.string().min(1),
});
export type WorkerChildConfig = z.infer<typeof workerChildConfigSchema>;

export const childRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('usage'), id: z.number().int(), gc: z.boolean() }),
  z.object({ type: z.literal('stop') }),
]);
export type ChildRequest = z.infer<typeof childRequestSchema>;

/** One reading of the child: its whole CPU (all threads: Rust core, workflow thread, main) and memory. */
export const usageReadingSchema = z.object({
  cpuMs: z.number(),
  rss: z.number(),
  heapUsed: z.number(),
  external: z.number(),
  maxRss: z.number(),
  cachedWorkflows: z.number(),
  inFlightActivities: z.number(),
  inFlightActivations: z.number(),
  gcForced: z.boolean(),
  /** CPU ms so far per thread kind (bench/lib/worker-threads.ts). */
  threads: z.record(z.string(), z.number()),
});
export type UsageReading = z.infer<typeof usageReadingSchema>;

export type ChildReply =
  | { type: 'ready'; reading: UsageReading }
  | { type: 'usage'; id: number; reading: UsageReading }
  | { type: 'notice'; message: LogMessage }
  | { type: 'stopped' }
  | { type: 'failed'; error: string };

export const childReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), reading: usageReadingSchema }),
  z.object({ type: z.literal('usage'), id: z.number().int(), reading: usageReadingSchema }),
  // the notice is our own LogNotifier's message, passed through as is
  z.object({ type: z.literal('notice'), message: z.custom<LogMessage>((m) => typeof m === 'object' && m !== null) }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('failed'), error: z.string() }),
]);
