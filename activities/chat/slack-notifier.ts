import type { WebClient } from '@slack/web-api';
import { audienceOf, changesApproverCards, followsRequestIn, type Notice } from '../../domain/notice';
import { isApproverCard, Purpose, replyPurpose } from './message-purposes';
import type { Policy } from '../../domain/policy/schema';
import type { RequestFilter, RequestState } from '../../domain/request';
import { eligibleApprovers } from '../../domain/request';
import {
  approvalCard,
  requesterThreadParent,
  requesterUpdate,
  reviewCard,
  withRequesterFindings,
  type SlackMessage,
} from '../../bot/render/slack';
import type { RequesterFindingsView } from '../../bot/render/findings';
import { viewBuilder, type RequestView, type ViewBuilder } from '../../bot/render/view';
import type { ActivityStore } from '../store/port';
import type { MessageRef, RequestRecord } from '../store/types';
import { requesterStanding, type Notifier, type RequesterFindings } from './notifier';

/** Who someone is in Slack, by e-mail; the bot's SlackDirectory is the implementation. */
export interface SlackPeople {
  userIdOf(email: string): Promise<string | undefined>;
}

export interface SlackNotifierDeps {
  client: WebClient;
  store: Pick<ActivityStore, 'saveMessageRef' | 'messageRefs'> & {
    listRequests(filter: RequestFilter): Promise<RequestRecord[]>;
  };
  people: SlackPeople;
  policy: () => Policy;
  /** The requester's PCI and open findings on the system, shown on approval cards; optional and fail-safe. */
  requesterFindings?: RequesterFindings;
  now?: () => Date;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

function withStanding(card: SlackMessage, standing: RequesterFindingsView | undefined): SlackMessage {
  return standing ? withRequesterFindings(card, standing) : card;
}

/** Slack answers that no retry can fix: the message is skipped and logged, the others still go out. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'user_not_found',
  'users_not_found',
  'cannot_dm_bot',
  'user_disabled',
  'message_not_found',
  'account_inactive',
]);

/**
 * Notices as Slack messages. Approvers get a card (in the entitlement's channels and as DMs) that is
 * updated in place as the request moves on; the requester gets a DM whose top message shows the
 * current status and whose thread tells each step. Every post is remembered in `message_refs`, so a
 * retried activity edits the same messages instead of posting new ones.
 */
export class SlackNotifier implements Notifier {
  private readonly view: ViewBuilder;

  constructor(private readonly deps: SlackNotifierDeps) {
    this.view = viewBuilder('slack', {
      policy: deps.policy,
      requestsOf: async (requester, limit) =>
        (await deps.store.listRequests({ requester, limit })).map((record) => record.state),
      userIdOf: (email) => deps.people.userIdOf(email),
    });
  }

  async notify(notice: Notice): Promise<void> {
    const { kind, state } = notice;
    const refs = (await this.deps.store.messageRefs(state.request.requestId)).filter((ref) => ref.platform === 'slack');
    const view = await this.view(state, { withHistory: kind === 'approval-needed' || kind === 'extension-requested' });
    const now = this.now();

    if (kind === 'approval-needed' || kind === 'extension-requested') {
      const card = withStanding(approvalCard(view, now), await this.standing(state));
      const purpose =
        kind === 'approval-needed' ? Purpose.ApprovalCard : `${Purpose.ExtensionCard}:${state.extendedSeconds}`;
      await this.postCards(state, refs, purpose, card);
    }
    if (kind === 'break-glass' || kind === 'review-needed')
      await this.postCards(state, refs, Purpose.ReviewCard, reviewCard(view, now));
    if (kind === 'reminder') await this.remind(refs);
    if (changesApproverCards(kind)) await this.updateCards(refs, view);
    if (kind === 'right-sized') await this.tellApprovers(notice, refs, view);
    await this.tellRequester(notice, refs, view);
  }

  /** A reply under each approver's card, once per approver. */
  private async tellApprovers(notice: Notice, refs: MessageRef[], view: RequestView): Promise<void> {
    const reply = requesterUpdate(notice, view, this.now());
    for (const card of refs.filter((r) => r.purpose === Purpose.ApprovalCard && r.recipient.startsWith('user:'))) {
      if (refs.some((r) => r.purpose === Purpose.RightSize && r.recipient === card.recipient)) continue;
      await this.skippingPermanent({ purpose: Purpose.RightSize, recipient: card.recipient }, async () => {
        const posted = await this.deps.client.chat.postMessage({
          channel: card.channel,
          thread_ts: card.messageId,
          text: reply.text,
          blocks: reply.blocks,
          unfurl_links: false,
        });
        await this.remember(view.state, {
          recipient: card.recipient,
          purpose: Purpose.RightSize,
          channel: card.channel,
          messageId: posted.ts ?? '',
        });
      });
    }
  }

  private async postCards(
    state: RequestState,
    refs: MessageRef[],
    purpose: string,
    message: SlackMessage,
  ): Promise<void> {
    const recipients = await this.cardRecipients(state);
    for (const recipient of recipients) {
      if (refs.some((ref) => ref.purpose === purpose && ref.recipient === recipient.key)) continue; // posted before a retry
      await this.skippingPermanent({ purpose, recipient: recipient.key }, async () => {
        const channel = recipient.userId
          ? await this.dmChannel(recipient.userId)
          : recipient.key.slice('channel:'.length);
        const posted = await this.deps.client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
        });
        await this.remember(state, {
          recipient: recipient.key,
          purpose,
          channel: posted.channel ?? channel,
          messageId: posted.ts ?? '',
        });
      });
    }
  }

  private async updateCards(refs: MessageRef[], view: RequestView): Promise<void> {
    const cards = refs.filter((ref) => isApproverCard(ref.purpose));
    if (cards.length === 0) return;
    const withHistory = await this.view(view.state, { withHistory: true });
    // Approval cards keep the requester's standing while the request waits; once settled it has done its job.
    const standing =
      view.state.status === 'pending' && cards.some((ref) => ref.purpose !== Purpose.ReviewCard)
        ? await this.standing(view.state)
        : undefined;
    for (const ref of cards) {
      const message =
        ref.purpose === Purpose.ReviewCard
          ? reviewCard(withHistory, this.now())
          : withStanding(approvalCard(withHistory, this.now()), standing);
      await this.skippingPermanent(ref, () =>
        this.deps.client.chat.update({
          channel: ref.channel,
          ts: ref.messageId,
          text: message.text,
          blocks: message.blocks,
        }),
      );
    }
  }

  private async remind(refs: MessageRef[]): Promise<void> {
    for (const ref of refs.filter((r) => r.purpose === Purpose.ApprovalCard)) {
      await this.skippingPermanent(ref, () =>
        this.deps.client.chat.postMessage({
          channel: ref.channel,
          thread_ts: ref.messageId,
          text: 'Still waiting for a decision on this request.',
        }),
      );
    }
  }

  /** The DM thread: its top message always shows the current status; requester notices are replies. */
  private async tellRequester(notice: Notice, refs: MessageRef[], view: RequestView): Promise<void> {
    const { state, kind } = notice;
    if (!followsRequestIn('slack', state)) return;
    const userId = view.requesterUserId;
    if (!userId) return;
    const recipient = `user:${userId}`;
    const parent = requesterThreadParent(view, this.now());
    let thread = refs.find((ref) => ref.purpose === Purpose.RequesterThread);
    await this.skippingPermanent({ purpose: Purpose.RequesterThread, recipient }, async () => {
      if (thread) {
        await this.deps.client.chat.update({
          channel: thread.channel,
          ts: thread.messageId,
          text: parent.text,
          blocks: parent.blocks,
        });
        return;
      }
      const channel = await this.dmChannel(userId);
      const posted = await this.deps.client.chat.postMessage({
        channel,
        text: parent.text,
        blocks: parent.blocks,
        unfurl_links: false,
      });
      thread = {
        requestId: state.request.requestId,
        platform: 'slack',
        recipient,
        purpose: Purpose.RequesterThread,
        channel: posted.channel ?? channel,
        messageId: posted.ts ?? '',
      };
      await this.deps.store.saveMessageRef(thread);
    });
    if (!thread || !audienceOf(kind).requester) return;
    // Each step is told once; an extension makes the later steps new ones. Reminders are not for the requester.
    const purpose = replyPurpose(kind, state.extendedSeconds);
    if (refs.some((ref) => ref.purpose === purpose)) return;
    const reply = requesterUpdate(notice, view, this.now());
    const at = thread;
    await this.skippingPermanent({ purpose, recipient }, async () => {
      const posted = await this.deps.client.chat.postMessage({
        channel: at.channel,
        thread_ts: at.messageId,
        text: reply.text,
        blocks: reply.blocks,
        unfurl_links: false,
      });
      await this.remember(state, { recipient, purpose, channel: at.channel, messageId: posted.ts ?? '' });
    });
  }

  /** Approvers other than the requester, as DMs, and the entitlement's Slack channels. */
  private async cardRecipients(state: RequestState): Promise<{ key: string; userId?: string }[]> {
    const recipients: { key: string; userId?: string }[] = state.rules.notify
      .filter((target) => target.platform === 'slack')
      .map((target) => ({ key: `channel:${target.channel}` }));
    for (const approver of eligibleApprovers(state)) {
      const userId = await this.deps.people.userIdOf(approver);
      if (userId) recipients.push({ key: `user:${userId}`, userId });
      else this.log('approver has no Slack account', { approver });
    }
    return recipients;
  }

  private async dmChannel(userId: string): Promise<string> {
    const opened = await this.deps.client.conversations.open({ users: userId });
    return opened.channel?.id ?? userId;
  }

  private async remember(state: RequestState, ref: Omit<MessageRef, 'requestId' | 'platform'>): Promise<void> {
    await this.deps.store.saveMessageRef({ requestId: state.request.requestId, platform: 'slack', ...ref });
  }

  private async skippingPermanent(
    where: { purpose: string; recipient: string },
    send: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await send();
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (!code || !PERMANENT.has(code)) throw error;
      this.log('slack message skipped', { ...where, error: code });
    }
  }

  private standing(state: RequestState): Promise<RequesterFindingsView | undefined> {
    return requesterStanding(this.deps.requesterFindings, state, (msg, extra) => this.log(msg, extra));
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private log(msg: string, extra: Record<string, unknown>): void {
    (this.deps.log ?? ((m, e) => console.warn(JSON.stringify({ level: 'warn', msg: m, ...e }))))(msg, extra);
  }
}
export { PERMANENT as SLACK_PERMANENT_ERRORS };
