import { ApplicationFailure } from '@temporalio/common';
import { AuditAction } from '../../domain/audit';
import {
  ANOMALY_ROWS,
  buildDigest,
  GRANTS_CHART_DAYS,
  PCI_TREND_DAYS,
  type DigestContent,
  type DigestFacts,
} from '../../domain/digest/content';
import { trailingDays, type DigestPeriod } from '../../domain/digest/period';
import { ErrorCode } from '../../domain/errors';
import type { Digest, Policy } from '../../domain/policy/schema';
import { digestCharts } from '../../bot/render/digest-charts';
import type { DigestPoster } from '../chat/digest-poster';
import type { DigestPostRecord, DigestStore } from '../store/digest/store';
import type { AnomalyStore } from '../store/anomaly/store';
import type { AuditEntry } from '../store/types';

export interface DigestActivityDeps {
  /** `DigestStore` over PostgreSQL (activities/store/digest/store.ts). */
  store: Pick<DigestStore, 'access' | 'findings' | 'cleanup' | 'findPost' | 'savePost'>;
  /** One poster per platform this worker can post to; a digest for another platform is undelivered. */
  posters: readonly DigestPoster[];
  /** Where the anomalies section reads the period's anomalies; none: the section is left out. */
  anomalies?: Pick<AnomalyStore, 'forPeriod'>;
  policy: () => Policy;
  audit: (entry: AuditEntry) => Promise<unknown>;
  log?: (level: 'info' | 'warn', msg: string, extra: Record<string, unknown>) => void;
}

export interface DigestInputs {
  digest: Digest;
  period: DigestPeriod;
}

/** What one run of a digest did. */
export interface DigestOutcome {
  digestId: string;
  firstDay: string;
  lastDay: string;
  status: 'posted' | 'already-posted' | 'undelivered';
  channel: string;
  messageId?: string;
  /** Why it was not delivered (undelivered only). */
  reason?: string;
  /** Nothing happened: posted as one line. */
  quiet?: boolean;
  charts?: { pictures: string[]; words: string[] };
}

/**
 * The digest's side effects: read the period, then draw and post it once per digest and period.
 * The post is keyed by (digest id, first day) in `digest_posts`: a retried activity, a second run of
 * the same period, or a second worker finds the record and posts nothing.
 */
export function createDigestActivities(deps: DigestActivityDeps | undefined) {
  const log =
    deps?.log ??
    ((level: 'info' | 'warn', msg: string, extra: Record<string, unknown>) =>
      (level === 'warn' ? console.warn : console.log)(JSON.stringify({ level, msg, ...extra })));

  function ready(): DigestActivityDeps {
    if (!deps)
      throw ApplicationFailure.create({
        type: ErrorCode.PolicyInvalid,
        message: 'digests are not set up on this worker (no store or chat to post to)',
        nonRetryable: true,
      });
    return deps;
  }

  return {
    /** The digest's post for this period, when one was made already. */
    async digestPosted(digestId: string, firstDay: string): Promise<DigestOutcome | undefined> {
      const post = await ready().store.findPost(digestId, firstDay);
      return (
        post && {
          digestId,
          firstDay: post.firstDay,
          lastDay: post.lastDay,
          status: 'already-posted',
          channel: post.channel,
          messageId: post.messageId,
          charts: post.charts,
        }
      );
    },

    /** Everything the digest says about its period, cut to what a message holds. */
    async gatherDigest({ digest, period }: DigestInputs): Promise<DigestContent> {
      const { store, policy } = ready();
      const systems = policy().authorizationSystems.map((system) => system.id);
      const wants = (section: Digest['sections'][number]) => digest.sections.includes(section);
      const facts: DigestFacts = { digestId: digest.id, period, sections: digest.sections };
      if (wants('access')) facts.access = await store.access(period, trailingDays(period, GRANTS_CHART_DAYS));
      if (wants('findings'))
        facts.findings = await store.findings(systems, period, trailingDays(period, PCI_TREND_DAYS).firstDay);
      if (wants('cleanup')) facts.cleanup = await store.cleanup(systems, period);
      // Anomaly days are UTC days; the period's are the digest's zone's: close enough for a count and a few lines.
      if (wants('anomalies') && deps?.anomalies)
        facts.anomalies = await deps.anomalies.forPeriod(period.firstDay, period.lastDay, undefined, ANOMALY_ROWS);
      return buildDigest(facts);
    },

    /**
     * Draws the charts and posts the digest, once. A channel that refuses it for good is recorded in
     * the log and the audit log and answered `undelivered`; nothing is retried for it.
     */
    async postDigest({ digest, content }: { digest: Digest; content: DigestContent }): Promise<DigestOutcome> {
      const { store, posters, audit } = ready();
      const { period } = content;
      const base = { digestId: digest.id, firstDay: period.firstDay, lastDay: period.lastDay };
      const detail = {
        digestId: digest.id,
        period: `${period.firstDay}..${period.lastDay}`,
        timeZone: period.timeZone,
        platform: digest.platform,
      };
      const posted = (record: Pick<DigestPostRecord, 'channel' | 'messageId' | 'charts'>) =>
        audit({
          actor: 'workflow',
          action: AuditAction.DigestPosted,
          detail: { ...detail, ...record, quiet: content.quiet },
          key: `digest.posted:${digest.id}:${period.firstDay}`,
        });
      const earlier = await store.findPost(digest.id, period.firstDay);
      if (earlier) {
        // A retry after the post was recorded: its audit entry may be what the first attempt missed.
        await posted(earlier);
        return { ...base, status: 'already-posted', channel: earlier.channel, messageId: earlier.messageId };
      }
      const poster = posters.find((p) => p.platform === digest.platform);
      const delivery = poster
        ? await poster.post(digest.channel, content, digestCharts(content))
        : {
            status: 'undelivered' as const,
            channel: digest.channel,
            code: 'platform_unconfigured',
            reason: `${digest.platform === 'slack' ? 'Slack' : 'Teams'} is not configured on this worker, so digest "${digest.id}" cannot be posted`,
          };
      if (delivery.status === 'undelivered') {
        const why = { ...detail, channel: delivery.channel, code: delivery.code };
        log('warn', `digest not delivered: ${delivery.reason}`, why);
        await audit({
          actor: 'workflow',
          action: AuditAction.DigestUndelivered,
          detail: { ...why, reason: delivery.reason },
          key: `digest.undelivered:${digest.id}:${period.firstDay}`,
        });
        return { ...base, status: 'undelivered', channel: delivery.channel, reason: delivery.reason };
      }
      const record = { channel: delivery.channel, messageId: delivery.messageId, charts: delivery.charts };
      await store.savePost({
        ...base,
        periodFrom: period.from,
        periodTo: period.to,
        platform: digest.platform,
        ...record,
      });
      await posted(record);
      log('info', 'digest posted', { ...detail, ...record, quiet: content.quiet });
      return { ...base, status: 'posted', ...record, quiet: content.quiet };
    },
  };
}
