import { ActivityFailure, ApplicationFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { DigestOutcome, LeastActivities } from '../activities';
import { AuditAction } from '../domain/audit';
import { digestPeriod, type DigestPeriod } from '../domain/digest/period';
import { DomainError } from '../domain/errors';
import type { Digest } from '../domain/policy/schema';
import { failureMessage } from './failures';

export interface DigestInput {
  /** The digest as the policy said when its schedule was last brought up to date. */
  digest: Digest;
  /** When the digest is due (ISO). By default its schedule's time for this run, else the run's start. */
  at?: string;
}

/** Temporal sets this on every run a Schedule starts: the time the run was meant for, even when it starts late. */
export const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/** Reading the period from PostgreSQL: retried with backoff, given up after two hours (the next digest comes). */
const { digestPosted, gatherDigest } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '2 hours',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Posting: a chat outage is retried for an hour, then the run records that it could not post and
 * ends. A channel that refuses the digest for good is not retried at all (the activity says so).
 */
const { postDigest } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', maximumInterval: '2 minutes', backoffCoefficient: 2 },
});

/** The audit log is the record of what was not delivered: keep trying until it lands. */
const { audit } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * One digest for one period (issue 14): the period from the schedule's time and the digest's zone,
 * then gather → draw the charts and post, once per digest and period. A run for a period already
 * posted (a retry, a second run, the hour DST repeats) posts nothing.
 */
export async function digest(input: DigestInput): Promise<DigestOutcome> {
  const period = periodOf(input);
  const earlier = await digestPosted(input.digest.id, period.firstDay);
  if (earlier) return earlier;
  const content = await gatherDigest({ digest: input.digest, period });
  try {
    return await postDigest({ digest: input.digest, content });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return await unreachable(input.digest, period, error);
  }
}

/** 1. The period: the schedule's time in the digest's zone (a bad zone cannot get past the policy; if it does, the run fails for good). */
function periodOf(input: DigestInput): DigestPeriod {
  const scheduled = workflowInfo().typedSearchAttributes.get(ScheduledStartTime);
  const at = input.at ?? (scheduled ?? workflowInfo().startTime).toISOString();
  try {
    return digestPeriod(input.digest.cadence, input.digest.timeZone, at);
  } catch (error) {
    if (error instanceof DomainError)
      throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true });
    throw error;
  }
}

/** Chat stayed unreachable for the whole retry window: said in the log and the audit log, and the run ends. */
async function unreachable(digest: Digest, period: DigestPeriod, error: unknown): Promise<DigestOutcome> {
  const reason = `${digest.platform === 'slack' ? 'Slack' : 'Teams'} could not be reached for an hour: ${failureMessage(error).slice(0, 300)}`;
  log.warn('digest not delivered', { digestId: digest.id, firstDay: period.firstDay, reason });
  await audit({
    actor: 'workflow',
    action: AuditAction.DigestUndelivered,
    detail: {
      digestId: digest.id,
      period: `${period.firstDay}..${period.lastDay}`,
      timeZone: period.timeZone,
      platform: digest.platform,
      channel: digest.channel,
      code: 'unreachable',
      reason,
    },
    key: `digest.undelivered:${digest.id}:${period.firstDay}`,
  });
  return {
    digestId: digest.id,
    firstDay: period.firstDay,
    lastDay: period.lastDay,
    status: 'undelivered',
    channel: digest.channel,
    reason,
  };
}
