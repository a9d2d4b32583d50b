import type { NotifyTarget } from '../../domain/policy/schema';
import {
  cleanupWording,
  plainCleanupDialect,
  type CleanupDialect,
  type CleanupItemView,
  type CleanupRunView,
} from './cleanup';
import { formatCount, plural } from './findings';

/**
 * The denied-call watch in chat (issue 13): after a cleanup removed an action, the calls the cloud
 * denied to it since are shown to the item's owners with one Restore button, the report's own. Least
 * never restores by itself: a denied call may come from stolen credentials, and only a person's
 * click may win the rights back. The words are the same on Slack, Teams and the log; every name
 * goes through the platform's dialect like the rest of the cleanup's messages.
 */

/** One identity's calls to one removed action, denied on one UTC day. */
export interface CleanupDenialView {
  /** The identity's name. */
  identity: string;
  action: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** Calls denied that day. */
  count: number;
}

/** What one collection found denied to one removed item: one message to its owners. */
export interface CleanupDeniedNotice {
  /** The cleanup run that removed it; its Restore button is the report's. */
  run: CleanupRunView;
  item: CleanupItemView;
  /** When Least removed it (ISO). */
  removedAt: string;
  /** The inventory collection that read the denials: with the item, what makes this one message. */
  collectionRunId: string;
  denials: CleanupDenialView[];
  /** The item's owners (e-mails); none: the channel is told. */
  owners: string[];
  channel?: NotifyTarget;
}

/** Denied calls listed in one message; the rest are counted. */
export const DENIALS_SHOWN = 10;

export const DENIED_TITLE = 'Denied after cleanup';

export function cleanupDeniedWording(d: CleanupDialect) {
  const words = cleanupWording(d);
  const { name, system, action } = words;
  const day = (iso: string): string => d.line(iso.slice(0, 10), 10);

  function times(count: number): string {
    return count === 1 ? 'once' : `${formatCount(count)} times`;
  }

  /**
   * "cleanup-operator was denied s3:PutObject 14 times on 2026-12-03 after Least removed it on 2026-11-28 (run …)."
   * A staged item is not removed yet, only denied: "after Least staged its removal on …".
   */
  function denialLine(
    notice: Pick<CleanupDeniedNotice, 'run' | 'removedAt' | 'item'>,
    denial: CleanupDenialView,
  ): string {
    const what = notice.item.outcome === 'staged' ? 'staged its removal' : 'removed it';
    return (
      `${name(denial.identity)} was denied ${action(denial.action)} ${times(denial.count)} ` +
      `on ${day(denial.day)} after Least ${what} on ${day(notice.removedAt)} ` +
      `(run ${d.code(d.line(notice.run.runId, 80))}).`
    );
  }

  function intro(notice: CleanupDeniedNotice): string {
    const calls = notice.denials.reduce((sum, denial) => sum + denial.count, 0);
    const what =
      notice.item.outcome === 'staged'
        ? "what Least's cleanup denied before removing it (staged removal)"
        : "what Least's cleanup removed";
    return `${plural(calls, 'call was', 'calls were')} denied on ${system(notice.run)} to ${what}.`;
  }

  /** The lines shown, and how many more were left out. */
  function denialLines(notice: CleanupDeniedNotice): { lines: string[]; more?: string } {
    const lines = notice.denials.slice(0, DENIALS_SHOWN).map((denial) => denialLine(notice, denial));
    const hidden = notice.denials.length - lines.length;
    return hidden > 0
      ? {
          lines,
          more: `and ${plural(hidden, 'more day, identity or action', 'more days, identities or actions')} with denied calls`,
        }
      : { lines };
  }

  function restoreHint(): string {
    return 'If it is needed, Restore puts it back. Least never restores on its own: a denied call may come from stolen credentials.';
  }

  /** The change Restore undoes. */
  function removedChange(notice: CleanupDeniedNotice): string {
    return `Restore undoes: ${words.change(notice.item)}`;
  }

  return { intro, denialLine, denialLines, restoreHint, removedChange, identities: words.identities };
}

export type CleanupDeniedWording = ReturnType<typeof cleanupDeniedWording>;

/** The sentences as plain text (the log front end), in the cleanup's plain dialect. */
export const plainCleanupDeniedWording: CleanupDeniedWording = cleanupDeniedWording(plainCleanupDialect);
