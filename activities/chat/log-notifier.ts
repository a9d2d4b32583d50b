import { audienceOf, type Notice } from '../../domain/notice';
import { describeNotice } from '../../bot/render/text';
import type { Notifier } from './notifier';

/** One line a person would read, addressed to someone; what the log front end "posts". */
export interface LogMessage {
  to: string;
  kind: Notice['kind'];
  requestId: string;
  text: string;
}

/**
 * The notifier for the CLI and for deployments without chat: every notice becomes a line per
 * recipient, written to the sink (stdout as JSON by default). It never includes secrets: notices
 * carry request data only.
 */
export class LogNotifier implements Notifier {
  constructor(
    private readonly sink: (message: LogMessage) => void = (m) => console.log(JSON.stringify({ notice: m })),
  ) {}

  async notify(notice: Notice): Promise<void> {
    const audience = audienceOf(notice.kind);
    const text = describeNotice(notice);
    const recipients = new Set<string>();
    if (audience.requester) recipients.add(notice.state.request.requester);
    if (audience.approvers) notice.state.rules.approvers.forEach((a) => recipients.add(a));
    if (audience.channels) notice.state.rules.notify.forEach((t) => recipients.add(`${t.platform}:${t.channel}`));
    for (const to of recipients) this.sink({ to, kind: notice.kind, requestId: notice.state.request.requestId, text });
    return Promise.resolve();
  }
}
