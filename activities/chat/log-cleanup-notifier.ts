import {
  plainCleanupWording as words,
  reportItems,
  type CleanupAnnouncement,
  type CleanupItemView,
  type CleanupReport,
  type CleanupRestoreNotice,
  type CleanupRunView,
} from '../../bot/render/cleanup';
import { plainCleanupDeniedWording as deniedWords, type CleanupDeniedNotice } from '../../bot/render/cleanup-denied';
import type { AnnounceResult, CleanupNotifier, DeniedCallsResult } from './cleanup-notifier';

/** One line a person would read, addressed to someone; what the log front end "posts" for a cleanup run. */
export interface CleanupLogMessage {
  /** An owner's e-mail, or `<platform>:<channel>` for the channel. */
  to: string;
  kind:
    | 'cleanup.announce'
    | 'cleanup.summary'
    | 'cleanup.remind'
    | 'cleanup.report'
    | 'cleanup.restored'
    | 'cleanup.denied';
  runId: string;
  text: string;
}

/**
 * The cleanup notifier for the CLI and for deployments without chat: every message becomes a line per
 * recipient, written to the sink (stdout as JSON by default). A log line tells nobody, so it reaches
 * no owner: beside Slack or Teams it never keeps an owner's items out of the channel, and on its own
 * it says every owner was unreached (the run records that it could not tell them). It "posts" the
 * channel summary only for a channel on the `log` platform.
 */
export class LogCleanupNotifier implements CleanupNotifier {
  constructor(
    private readonly sink: (message: CleanupLogMessage) => void = (m) => console.log(JSON.stringify({ cleanup: m })),
  ) {}

  announce(announcement: CleanupAnnouncement): Promise<AnnounceResult> {
    const { run } = announcement;
    for (const { owner, items } of announcement.owners)
      this.write(owner, 'cleanup.announce', run, `${words.ownerIntro(run, items.length)} ${this.items(items)}`);
    const channel = announcement.channel?.platform === 'log' ? announcement.channel : undefined;
    if (channel) {
      const waiting = [...announcement.unowned, ...announcement.owners.flatMap((o) => o.items)];
      this.write(
        `log:${channel.channel}`,
        'cleanup.summary',
        run,
        `${words.counts(announcement.counts)}. ${this.items(waiting)}`,
      );
    }
    return Promise.resolve({
      reached: [],
      unreached: announcement.owners.map((o) => o.owner),
      channelPosted: channel !== undefined,
    });
  }

  remind(announcement: CleanupAnnouncement): Promise<void> {
    const { run } = announcement;
    for (const { owner, items } of announcement.owners)
      this.write(owner, 'cleanup.remind', run, `${words.reminderIntro(run, items.length)} ${this.items(items)}`);
    if (announcement.channel?.platform === 'log' && announcement.unowned.length > 0)
      this.write(
        `log:${announcement.channel.channel}`,
        'cleanup.remind',
        run,
        `${words.reminderIntro(run, announcement.unowned.length)} ${this.items(announcement.unowned)}`,
      );
    return Promise.resolve();
  }

  report(report: CleanupReport): Promise<void> {
    const { run } = report;
    for (const { owner, items } of report.owners)
      this.write(owner, 'cleanup.report', run, `${words.reportIntro(run, items)} ${this.outcomes(items)}`);
    if (report.channel?.platform === 'log') {
      const unique = reportItems(report);
      this.write(
        `log:${report.channel.channel}`,
        'cleanup.report',
        run,
        `${words.reportIntro(run, unique)} ${this.outcomes(unique)}`,
      );
    }
    return Promise.resolve();
  }

  restored(notice: CleanupRestoreNotice): Promise<void> {
    const text = `${words.restoredIntro(notice)} ${notice.items.map(words.restoredItem).join('; ')}`;
    for (const owner of new Set(notice.owners)) this.write(owner, 'cleanup.restored', notice.run, text);
    if (notice.channel?.platform === 'log')
      this.write(`log:${notice.channel.channel}`, 'cleanup.restored', notice.run, text);
    return Promise.resolve();
  }

  /** A line per owner, and the log channel's when there is one: like announce, it reaches nobody. */
  deniedCalls(notice: CleanupDeniedNotice): Promise<DeniedCallsResult> {
    const { lines, more } = deniedWords.denialLines(notice);
    const text = [
      ...lines,
      ...(more ? [`${more}.`] : []),
      `${deniedWords.removedChange(notice)}.`,
      deniedWords.restoreHint(),
    ].join(' ');
    for (const owner of new Set(notice.owners)) this.write(owner, 'cleanup.denied', notice.run, text);
    const channel = notice.channel?.platform === 'log' ? notice.channel : undefined;
    if (channel) this.write(`log:${channel.channel}`, 'cleanup.denied', notice.run, text);
    return Promise.resolve({ reached: [], channelPosted: channel !== undefined });
  }

  private items(items: readonly CleanupItemView[]): string {
    return items.map((item) => `${words.change(item)} (${words.itemDetails(item).join('; ')})`).join(' | ');
  }

  private outcomes(items: readonly CleanupItemView[]): string {
    return items.map((item) => words.reportItem(item).join(', ')).join(' | ');
  }

  private write(to: string, kind: CleanupLogMessage['kind'], run: CleanupRunView, text: string): void {
    this.sink({ to, kind, runId: run.runId, text });
  }
}
