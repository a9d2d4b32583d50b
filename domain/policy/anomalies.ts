import { z } from 'zod';
import { ANOMALY_KINDS } from '../anomaly/model';

/**
 * The policy's `anomalies:` block (issue 14, item 4): how far from its own history an identity must go
 * before a day is called unusual, what is switched off, and what is suppressed (kept as code, like the
 * findings' suppressions). Every key has a default, so `anomalies: {}` (or no block) is a working setup.
 */

const systemId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an authorization system id');
const email = z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address'));

export const ANOMALY_DEFAULTS = {
  enabled: true,
  minHistoryDays: 14,
  judgeDays: 3,
  volume: { minCount: 50, madThreshold: 6, minDays: 5, madFloorRatio: 0.1 },
  hours: { minHistoryDays: 30, minQuietHours: 4 },
  maxPerIdentity: 5,
  maxPerRun: 500,
} as const;

const volume = z
  .object({
    minCount: z
      .number()
      .int()
      .min(1)
      .default(ANOMALY_DEFAULTS.volume.minCount)
      .describe('A day below this count is never a volume anomaly, however quiet the action usually is'),
    madThreshold: z
      .number()
      .min(1)
      .max(1000)
      .default(ANOMALY_DEFAULTS.volume.madThreshold)
      .describe('How many robust deviations (1.4826 × MAD) above the median make a day unusual'),
    minDays: z
      .number()
      .int()
      .min(2)
      .default(ANOMALY_DEFAULTS.volume.minDays)
      .describe('Days an action must have been used before its volume is judged'),
    madFloorRatio: z
      .number()
      .min(0)
      .max(10)
      .default(ANOMALY_DEFAULTS.volume.madFloorRatio)
      .describe('The deviation is at least this share of the median (and at least 1): a flat series is not fragile'),
  })
  .strict();

const hours = z
  .object({
    minHistoryDays: z
      .number()
      .int()
      .min(1)
      .default(ANOMALY_DEFAULTS.hours.minHistoryDays)
      .describe('Days with hourly detail before hours, regions, addresses and resources are judged'),
    minQuietHours: z
      .number()
      .int()
      .min(1)
      .max(23)
      .default(ANOMALY_DEFAULTS.hours.minQuietHours)
      .describe('Only a stretch of at least this many never-worked hours makes activity in it unusual'),
  })
  .strict();

/** An anomaly (or every anomaly of an identity, or of one kind) stored as suppressed until a date. */
export const anomalySuppressionEntry = z
  .object({
    system: systemId,
    identity: z.string().min(1).max(2048).describe('Identity id (ARN, object id, member) or name'),
    kind: z.enum(ANOMALY_KINDS).optional().describe('Absent: every kind'),
    subject: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .describe('The service, action, region, address or hour; absent: any'),
    reason: z.string().min(1).max(500),
    by: email,
    until: z.iso.date().describe('YYYY-MM-DD; the suppression ends at the start of that day (UTC)'),
  })
  .strict();

export const anomalyPolicySchema = z
  .object({
    enabled: z.boolean().default(ANOMALY_DEFAULTS.enabled).describe('Scan each new snapshot for anomalies'),
    minHistoryDays: z
      .number()
      .int()
      .min(1)
      .default(ANOMALY_DEFAULTS.minHistoryDays)
      .describe('Days with usage before an identity is judged at all (a new identity is not "first time" everywhere)'),
    judgeDays: z
      .number()
      .int()
      .min(1)
      .max(31)
      .default(ANOMALY_DEFAULTS.judgeDays)
      .describe('At most this many of the newest days of a snapshot are judged'),
    volume: volume.prefault({}),
    hours: hours.prefault({}),
    kinds: z
      .array(z.enum(ANOMALY_KINDS))
      .default([])
      .describe('Kinds switched off: first-service, first-resource, volume, unusual-hour, new-region, new-address'),
    maxPerIdentity: z.number().int().min(1).max(100).default(ANOMALY_DEFAULTS.maxPerIdentity),
    maxPerRun: z.number().int().min(1).max(100_000).default(ANOMALY_DEFAULTS.maxPerRun),
    suppressions: z.array(anomalySuppressionEntry).default([]).describe('Suppressions kept as code'),
  })
  .strict();

export type AnomalyPolicy = z.output<typeof anomalyPolicySchema>;
export type AnomalySuppressionEntry = z.output<typeof anomalySuppressionEntry>;

/** The block as a policy without one reads it. */
export const DEFAULT_ANOMALY_POLICY: AnomalyPolicy = anomalyPolicySchema.parse({});
