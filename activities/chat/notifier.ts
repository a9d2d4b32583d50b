import type { Notice } from '../../domain/notice';

/** The port workflows reach people through. Slack and Teams implement it; the log one always works. */
export interface Notifier {
  notify(notice: Notice): Promise<void>;
}

/** Sends each notice to every notifier; one failing front end does not silence the others. */
export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(notice: Notice): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((notifier) => notifier.notify(notice)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length === results.length && failures.length > 0) throw failures[0]!.reason;
  }
}
