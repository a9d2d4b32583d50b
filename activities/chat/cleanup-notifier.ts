import type { CleanupAnnouncement, CleanupReport, CleanupRestoreNotice } from '../../bot/render/cleanup';
import type { CleanupDeniedNotice } from '../../bot/render/cleanup-denied';

/**
 * How the cleanup workflow reaches people (issue 13): owners get a DM with their items and the buttons
 * Keep / Remove now / Snooze / Show diff, the system's channel a summary; after the run, a report with
 * Restore buttons. Slack and Teams implement it; the log one always works. Every implementation is
 * idempotent per (run, recipient, purpose): a retried activity skips, never posts twice.
 *
 * The views it takes are the renderers' (bot/render/cleanup.ts, cleanup-denied.ts), which the bot's
 * handlers read too (the bot may not import activities). activities/cleanup still reads three of them
 * through this port; new code imports them from the renderers.
 */
export type { CleanupItemView, CleanupRunView } from '../../bot/render/cleanup';
export type { CleanupDeniedNotice } from '../../bot/render/cleanup-denied';

export interface AnnounceResult {
  /** Owners who got their DM. */
  reached: string[];
  /** Owners who could not be found or messaged in this front end. */
  unreached: string[];
  /** Whether the channel summary (with the unowned and unreached owners' items) went out. */
  channelPosted: boolean;
}

export interface CleanupNotifier {
  /** Tells each owner and the channel; says who could not be told (never silence: the channel gets those). */
  announce(announcement: CleanupAnnouncement): Promise<AnnounceResult>;
  /**
   * Before the notice period ends: to owners who have not answered every item. The channel gets a
   * reminder of `unowned`, where the workflow puts the items of owners `announce` could not reach.
   */
  remind(announcement: CleanupAnnouncement): Promise<void>;
  /** What the run removed, kept, snoozed, reported or skipped, with Restore buttons. */
  report(report: CleanupReport): Promise<void>;
  restored(notice: CleanupRestoreNotice): Promise<void>;
  /**
   * Calls the cloud denied to what a run removed (the denied-call watch), with the item's Restore
   * button: to its owners, and to the channel when it has none or none could be told. Only tells:
   * nothing is restored without a person's click.
   */
  deniedCalls(notice: CleanupDeniedNotice): Promise<DeniedCallsResult>;
}

export interface DeniedCallsResult {
  /** Owners who got the message. */
  reached: string[];
  /** Whether the channel got it. */
  channelPosted: boolean;
}
