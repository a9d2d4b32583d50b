import type { CleanupAnnouncement, CleanupReport, CleanupRestoreNotice } from '../../bot/render/cleanup';
import type { CleanupDeniedNotice } from '../../bot/render/cleanup-denied';
import type { AnnounceResult, CleanupNotifier, DeniedCallsResult } from './cleanup-notifier';

/**
 * The cleanup port over every front end (log, Slack, Teams). An owner counts as told when any front
 * end reached them, so the channel gets only the items of owners nobody reached: each front end first
 * messages the owners, then every front end gets the owners none of them reached, with the channel,
 * and the one whose platform the channel is on posts the summary with their items. A failure worth a
 * retry in any front end fails the call after the others ran; each is idempotent, so the retry posts
 * only what is missing, and nothing reaches the channel before every front end had its try.
 */
export class FanOutCleanupNotifier implements CleanupNotifier {
  constructor(private readonly notifiers: readonly CleanupNotifier[]) {}

  async announce(announcement: CleanupAnnouncement): Promise<AnnounceResult> {
    const { channel, ...direct } = announcement;
    const first = await settled(this.notifiers.map((n) => n.announce({ ...direct, unowned: [] })));
    const reached = new Set(first.flatMap((result) => result.reached));
    const missed = announcement.owners.filter((o) => !reached.has(o.owner));
    let channelPosted = false;
    if (channel) {
      const fallback = await settled(this.notifiers.map((n) => n.announce({ ...announcement, owners: missed })));
      for (const result of fallback) result.reached.forEach((owner) => reached.add(owner));
      channelPosted = fallback.some((result) => result.channelPosted);
    }
    return {
      reached: announcement.owners.map((o) => o.owner).filter((owner) => reached.has(owner)),
      unreached: announcement.owners.map((o) => o.owner).filter((owner) => !reached.has(owner)),
      channelPosted,
    };
  }

  async remind(announcement: CleanupAnnouncement): Promise<void> {
    await settled(this.notifiers.map((n) => n.remind(announcement)));
  }

  async report(report: CleanupReport): Promise<void> {
    await settled(this.notifiers.map((n) => n.report(report)));
  }

  async restored(notice: CleanupRestoreNotice): Promise<void> {
    await settled(this.notifiers.map((n) => n.restored(notice)));
  }

  /** Owners first on every front end; the channel only when no front end reached any of them. */
  async deniedCalls(notice: CleanupDeniedNotice): Promise<DeniedCallsResult> {
    const { channel, ...direct } = notice;
    const first = await settled(this.notifiers.map((n) => n.deniedCalls(direct)));
    const reached = new Set(first.flatMap((result) => result.reached));
    let channelPosted = false;
    if (channel && reached.size === 0) {
      const fallback = await settled(this.notifiers.map((n) => n.deniedCalls({ ...notice, owners: [] })));
      channelPosted = fallback.some((result) => result.channelPosted);
    }
    return { reached: notice.owners.filter((owner) => reached.has(owner)), channelPosted };
  }
}

/** Every notifier runs; the first failure is thrown once all are done. */
async function settled<T>(calls: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(calls);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
