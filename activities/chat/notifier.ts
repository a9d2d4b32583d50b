import type { Notice } from '../../domain/notice';
import type { RequesterFindingsView } from '../../bot/render/findings';
import type { RequestState } from '../../domain/request';

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

/**
 * The requester's own PCI and open findings on a request's system, for the approver's card (wired in
 * app/ over the findings store). Undefined when there is nothing to say.
 */
export type RequesterFindings = (systemId: string, requester: string) => Promise<RequesterFindingsView | undefined>;

/**
 * The section for a request's approver cards, or undefined. Never in the way of the card: a failure
 * is logged and the card goes out without it.
 */
export async function requesterStanding(
  port: RequesterFindings | undefined,
  state: RequestState,
  log: (msg: string, extra: Record<string, unknown>) => void,
): Promise<RequesterFindingsView | undefined> {
  if (!port) return undefined;
  try {
    return await port(state.rules.systemId, state.request.requester);
  } catch (error) {
    log('requester findings unavailable', { requestId: state.request.requestId, error: String(error) });
    return undefined;
  }
}
