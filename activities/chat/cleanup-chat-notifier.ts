import { createHash } from 'node:crypto';
import type { NotifyTarget } from '../../domain/policy/schema';
import {
  reportItems,
  type CleanupAnnouncement,
  type CleanupItemView,
  type CleanupReport,
  type CleanupRestoreNotice,
  type CleanupRunView,
  type CleanupSummaryView,
} from '../../bot/render/cleanup';
import type { CleanupDeniedNotice } from '../../bot/render/cleanup-denied';
import type { CleanupMessageRecord, CleanupMessages } from '../store/cleanup/messages';
import type { AnnounceResult, CleanupNotifier, DeniedCallsResult } from './cleanup-notifier';

/** One platform's drawing of the cleanup messages (bot/render/slack/cleanup.ts, bot/render/teams/cleanup.ts). */
export interface CleanupDrawing<Message> {
  owner(run: CleanupRunView, items: readonly CleanupItemView[], options: { reminder?: boolean }): Message;
  summary(view: CleanupSummaryView): Message;
  report(run: CleanupRunView, items: readonly CleanupItemView[], options: { wholeRun?: boolean }): Message;
  restored(notice: CleanupRestoreNotice): Message;
  denied(notice: CleanupDeniedNotice): Message;
}

/** How one chat platform finds people and channels and posts into them. */
export interface CleanupChat<Conversation, Message> {
  platform: 'slack' | 'teams';
  /** Where to message this person directly; undefined when the platform does not know them. */
  person(email: string): Promise<Conversation | undefined>;
  /** A channel of this platform (a policy's notify target), when Least can post there. */
  channel(target: NotifyTarget): Promise<Conversation | undefined>;
  post(to: Conversation, message: Message): Promise<{ channel: string; messageId: string }>;
  /** Why no retry can deliver this (app removed, user gone), or undefined for a failure worth a retry. */
  permanent(error: unknown): string | undefined;
}

export type CleanupMessageLog = Pick<CleanupMessages, 'find' | 'save'>;

/**
 * The cleanup notifier over one chat platform. Each message is keyed by (run, platform, recipient,
 * purpose) in `cleanup_messages` and posted once: a retried activity finds it and skips. An owner the
 * platform does not know, or a permanent refusal for one owner, makes that owner unreached, never a
 * failed activity; their items then go to the channel with the summary (never silence). A failure
 * worth a retry (a timeout, Slack's 5xx) fails the call, and the retry posts only what is missing.
 */
export class ChatCleanupNotifier<Conversation, Message> implements CleanupNotifier {
  constructor(
    private readonly chat: CleanupChat<Conversation, Message>,
    private readonly draw: CleanupDrawing<Message>,
    private readonly messages: CleanupMessageLog,
    private readonly log: (msg: string, extra: Record<string, unknown>) => void,
  ) {}

  async announce(announcement: CleanupAnnouncement): Promise<AnnounceResult> {
    const { run } = announcement;
    const reached: string[] = [];
    const unreached: string[] = [];
    for (const { owner, items } of announcement.owners) {
      const told = await this.toPerson(run, owner, 'announce', () => this.draw.owner(run, items, {}));
      (told ? reached : unreached).push(owner);
    }
    let channelPosted = false;
    if (this.mine(announcement.channel)) {
      const view: CleanupSummaryView = {
        run,
        counts: announcement.counts,
        unowned: announcement.unowned,
        unreached: announcement.owners.filter((o) => unreached.includes(o.owner)),
        reached: reached.length,
      };
      channelPosted = await this.toChannel(run, announcement.channel, 'summary', () => this.draw.summary(view));
    }
    return { reached, unreached, channelPosted };
  }

  async remind(announcement: CleanupAnnouncement): Promise<void> {
    const { run } = announcement;
    for (const { owner, items } of announcement.owners)
      await this.toPerson(run, owner, 'remind', () => this.draw.owner(run, items, { reminder: true }));
    if (this.mine(announcement.channel) && announcement.unowned.length > 0) {
      const view: CleanupSummaryView = {
        run,
        counts: announcement.counts,
        unowned: announcement.unowned,
        unreached: [],
        reached: 0,
        reminder: true,
      };
      await this.toChannel(run, announcement.channel, 'remind', () => this.draw.summary(view));
    }
  }

  async report(report: CleanupReport): Promise<void> {
    const { run } = report;
    for (const { owner, items } of report.owners)
      await this.toPerson(run, owner, 'report', () => this.draw.report(run, items, {}));
    if (this.mine(report.channel)) {
      const all = reportItems(report);
      await this.toChannel(run, report.channel, 'report', () => this.draw.report(run, all, { wholeRun: true }));
    }
  }

  async restored(notice: CleanupRestoreNotice): Promise<void> {
    // Each restore is its own message: the same items restored by the same person is the same restore.
    const key = createHash('sha256')
      .update(JSON.stringify([notice.by.toLowerCase(), notice.items.map((i) => i.itemId).sort()]))
      .digest('hex')
      .slice(0, 16);
    const purpose = `restored:${key}`;
    for (const owner of new Set(notice.owners.map((o) => o.toLowerCase())))
      await this.toPerson(notice.run, owner, purpose, () => this.draw.restored(notice));
    if (this.mine(notice.channel))
      await this.toChannel(notice.run, notice.channel, purpose, () => this.draw.restored(notice));
  }

  async deniedCalls(notice: CleanupDeniedNotice): Promise<DeniedCallsResult> {
    // One message per collection and item: a retried watch finds it; the next collection's denials are new.
    const key = createHash('sha256')
      .update(JSON.stringify([notice.collectionRunId, notice.item.itemId]))
      .digest('hex')
      .slice(0, 16);
    const purpose = `denied:${key}`;
    const reached: string[] = [];
    for (const owner of new Set(notice.owners))
      if (await this.toPerson(notice.run, owner, purpose, () => this.draw.denied(notice))) reached.push(owner);
    // Never silence: nobody reached, and the channel hears it.
    const channelPosted =
      reached.length === 0 && this.mine(notice.channel)
        ? await this.toChannel(notice.run, notice.channel, purpose, () => this.draw.denied(notice))
        : false;
    return { reached, channelPosted };
  }

  private mine(target: NotifyTarget | undefined): target is NotifyTarget {
    return target?.platform === this.chat.platform;
  }

  private toPerson(run: CleanupRunView, owner: string, purpose: string, message: () => Message): Promise<boolean> {
    const email = owner.trim().toLowerCase();
    return this.deliver(run, `user:${email}`, purpose, () => this.chat.person(email), message);
  }

  private toChannel(
    run: CleanupRunView,
    target: NotifyTarget,
    purpose: string,
    message: () => Message,
  ): Promise<boolean> {
    return this.deliver(run, `channel:${target.channel}`, purpose, () => this.chat.channel(target), message);
  }

  /** Posts once per (run, recipient, purpose); true when the message is (now, or already) there. */
  private async deliver(
    run: CleanupRunView,
    recipient: string,
    purpose: string,
    address: () => Promise<Conversation | undefined>,
    message: () => Message,
  ): Promise<boolean> {
    const key = { runId: run.runId, platform: this.chat.platform, recipient, purpose } as const;
    if (await this.messages.find(key)) return true;
    const to = await address();
    if (to === undefined) {
      this.log('cleanup recipient not found', { ...key });
      return false;
    }
    let posted: { channel: string; messageId: string };
    try {
      posted = await this.chat.post(to, message());
    } catch (error) {
      const reason = this.chat.permanent(error);
      if (reason === undefined) throw error;
      this.log('cleanup message not delivered', { ...key, reason });
      return false;
    }
    const record: CleanupMessageRecord = { ...key, ...posted };
    await this.messages.save(record);
    return true;
  }
}
