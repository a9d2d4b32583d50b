import type { Notice } from '../../domain/notice';

/** The port workflows reach people through. Slack and Teams implement it; the log one always works. */
export interface Notifier {
  notify(notice: Notice): Promise<void>;
}

/**
 * Sends each notice to every notifier. One failing front end does not silence the others, and its
 * failure still fails the activity, so the retry reaches it; notifiers are idempotent per notice,
 * so the ones that already delivered do not post twice.
 */
export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(notice: Notice): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((notifier) => notifier.notify(notice)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) throw failures[0]!.reason;
  }
}
