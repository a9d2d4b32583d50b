import { audienceOf, changesApproverCards, followsRequestIn, type Notice } from '../../domain/notice';
import { isApproverCard, Purpose, replyPurpose } from './message-purposes';
import type { Policy } from '../../domain/policy/schema';
import type { RequestFilter, RequestState } from '../../domain/request';
import { eligibleApprovers } from '../../domain/request';
import {
  approvalCard,
  cardActivity,
  messageActivity,
  requesterStatusCard,
  requesterUpdate,
  reviewCard,
  withRequesterFindings,
  type AdaptiveCard,
} from '../../bot/render/teams';
import type { RequesterFindingsView } from '../../bot/render/findings';
import { viewBuilder, type RequestView, type ViewBuilder } from '../../bot/render/view';
import type { ActivityStore } from '../store/port';
import type { TeamsConversationRecord } from '../store/teams-conversations';
import type { MessageRef, RequestRecord } from '../store/types';
import { requesterStanding, type Notifier, type RequesterFindings } from './notifier';
import type { TeamsPoster } from './teams-poster';

export interface TeamsNotifierDeps {
  poster: TeamsPoster;
  store: Pick<ActivityStore, 'saveMessageRef' | 'messageRefs'> & {
    listRequests(filter: RequestFilter): Promise<RequestRecord[]>;
    teamsConversationOf(email: string): Promise<TeamsConversationRecord | undefined>;
    teamsChannel(conversationId: string): Promise<TeamsConversationRecord | undefined>;
  };
  policy: () => Policy;
  /** The requester's PCI and open findings on the system, shown on approval cards; optional and fail-safe. */
  requesterFindings?: RequesterFindings;
  now?: () => Date;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

function withStanding(card: AdaptiveCard, standing: RequesterFindingsView | undefined): AdaptiveCard {
  return standing ? withRequesterFindings(card, standing) : card;
}

/** Bot Connector answers no retry can fix: the app was removed or blocked, or the conversation is gone. */
const PERMANENT_STATUS = new Set([403, 404]);

/**
 * Notices as Teams messages, sent proactively into conversations stored on install or first contact.
 * Approvers get a card (in their personal chat with Least and in the entitlement's Teams channels)
 * whose buttons only they see (`refresh.userIds`) and which is updated in place as the request moves
 * on. The requester gets a status card kept current, and a message for each step. Every post is
 * remembered in `message_refs`, so a retried activity edits instead of posting again.
 */
export class TeamsNotifier implements Notifier {
  private readonly view: ViewBuilder;

  constructor(private readonly deps: TeamsNotifierDeps) {
    this.view = viewBuilder('teams', {
      policy: deps.policy,
      requestsOf: async (requester, limit) =>
        (await deps.store.listRequests({ requester, limit })).map((record) => record.state),
    });
  }

  async notify(notice: Notice): Promise<void> {
    const { kind, state } = notice;
    const refs = (await this.deps.store.messageRefs(state.request.requestId)).filter((ref) => ref.platform === 'teams');
    const view = await this.view(state, {
      withHistory: kind === 'approval-needed' || kind === 'extension-requested' || kind === 'break-glass',
    });
    const now = this.now();
    const options = { refreshUserIds: await this.refreshUserIds(state) };

    if (kind === 'approval-needed' || kind === 'extension-requested') {
      const card = withStanding(approvalCard(view, now, options), await this.standing(state));
      const purpose =
        kind === 'approval-needed' ? Purpose.ApprovalCard : `${Purpose.ExtensionCard}:${state.extendedSeconds}`;
      await this.postCards(state, refs, purpose, card);
    }
    if (kind === 'break-glass' || kind === 'review-needed')
      await this.postCards(state, refs, Purpose.ReviewCard, reviewCard(view, now, options));
    if (kind === 'reminder') await this.remind(state, refs);
    if (changesApproverCards(kind)) await this.updateCards(refs, view, options.refreshUserIds);
    if (kind === 'right-sized') await this.tellApprovers(notice, refs, view);
    await this.tellRequester(notice, refs, view);
  }

  /** A message in each approver's chat that had the card, once per approver. */
  private async tellApprovers(notice: Notice, refs: MessageRef[], view: RequestView): Promise<void> {
    const update = requesterUpdate(notice, view, this.now());
    for (const card of refs.filter((r) => r.purpose === Purpose.ApprovalCard && r.recipient.startsWith('user:'))) {
      if (refs.some((r) => r.purpose === Purpose.RightSize && r.recipient === card.recipient)) continue;
      const conversation = await this.conversationOf(card.recipient);
      if (!conversation) continue;
      await this.skippingPermanent({ purpose: Purpose.RightSize, recipient: card.recipient }, async () => {
        const id = await this.deps.poster.post(conversation.reference, messageActivity(update));
        await this.remember(view.state, {
          recipient: card.recipient,
          purpose: Purpose.RightSize,
          channel: conversation.conversationId,
          messageId: id,
        });
      });
    }
  }

  private async postCards(state: RequestState, refs: MessageRef[], purpose: string, card: AdaptiveCard): Promise<void> {
    for (const recipient of await this.cardRecipients(state)) {
      if (refs.some((ref) => ref.purpose === purpose && ref.recipient === recipient.key)) continue; // posted before a retry
      await this.skippingPermanent({ purpose, recipient: recipient.key }, async () => {
        const id = await this.deps.poster.post(recipient.conversation.reference, cardActivity(card, state.rules.title));
        await this.remember(state, {
          recipient: recipient.key,
          purpose,
          channel: recipient.conversation.conversationId,
          messageId: id,
        });
      });
    }
  }

  private async updateCards(refs: MessageRef[], view: RequestView, refreshUserIds: string[]): Promise<void> {
    const cards = refs.filter((ref) => isApproverCard(ref.purpose));
    if (cards.length === 0) return;
    const withHistory = await this.view(view.state, { withHistory: true });
    const options = { refreshUserIds };
    // Approval cards keep the requester's standing while the request waits; once settled it has done its job.
    const standing =
      view.state.status === 'pending' && cards.some((ref) => ref.purpose !== Purpose.ReviewCard)
        ? await this.standing(view.state)
        : undefined;
    for (const ref of cards) {
      const card =
        ref.purpose === Purpose.ReviewCard
          ? reviewCard(withHistory, this.now(), options)
          : withStanding(approvalCard(withHistory, this.now(), options), standing);
      const conversation = await this.conversationOf(ref.recipient);
      if (!conversation) continue;
      await this.skippingPermanent(ref, () =>
        this.deps.poster.update(conversation.reference, ref.messageId, cardActivity(card, view.state.rules.title)),
      );
    }
  }

  private async remind(state: RequestState, refs: MessageRef[]): Promise<void> {
    for (const ref of refs.filter((r) => r.purpose === Purpose.ApprovalCard && r.recipient.startsWith('user:'))) {
      const conversation = await this.conversationOf(ref.recipient);
      if (!conversation) continue;
      await this.skippingPermanent(ref, () =>
        this.deps.poster.post(conversation.reference, {
          type: 'message',
          text: `Still waiting for your decision on ${state.request.requestId} (see the card above).`,
        }),
      );
    }
  }

  /** The requester's personal chat: a status card kept current, and one message per step. */
  private async tellRequester(notice: Notice, refs: MessageRef[], view: RequestView): Promise<void> {
    const { state, kind } = notice;
    if (!followsRequestIn('teams', state)) return;
    const requester = state.request.requester.toLowerCase();
    const conversation = await this.deps.store.teamsConversationOf(requester);
    if (!conversation) return;
    const recipient = `user:${requester}`;
    const status = requesterStatusCard(view, this.now());
    const posted = refs.find((ref) => ref.purpose === Purpose.RequesterStatus);
    await this.skippingPermanent({ purpose: Purpose.RequesterStatus, recipient }, async () => {
      if (posted) {
        await this.deps.poster.update(
          conversation.reference,
          posted.messageId,
          cardActivity(status, state.rules.title),
        );
        return;
      }
      const id = await this.deps.poster.post(conversation.reference, cardActivity(status, state.rules.title));
      await this.remember(state, {
        recipient,
        purpose: Purpose.RequesterStatus,
        channel: conversation.conversationId,
        messageId: id,
      });
    });
    if (!audienceOf(kind).requester) return;
    // Each step is told once; an extension makes the later steps new ones.
    const purpose = replyPurpose(kind, state.extendedSeconds);
    if (refs.some((ref) => ref.purpose === purpose)) return;
    const update = requesterUpdate(notice, view, this.now());
    await this.skippingPermanent({ purpose, recipient }, async () => {
      const id = await this.deps.poster.post(conversation.reference, messageActivity(update));
      await this.remember(state, { recipient, purpose, channel: conversation.conversationId, messageId: id });
    });
  }

  /** Approvers other than the requester, in their personal chats, and the entitlement's Teams channels. */
  private async cardRecipients(state: RequestState): Promise<{ key: string; conversation: TeamsConversationRecord }[]> {
    const recipients: { key: string; conversation: TeamsConversationRecord }[] = [];
    for (const target of state.rules.notify.filter((t) => t.platform === 'teams')) {
      const conversation = await this.deps.store.teamsChannel(target.channel);
      if (conversation) recipients.push({ key: `channel:${target.channel}`, conversation });
      else this.log('teams channel unknown: add Least to it first', { channel: target.channel });
    }
    for (const approver of eligibleApprovers(state)) {
      const conversation = await this.deps.store.teamsConversationOf(approver);
      if (conversation) recipients.push({ key: `user:${approver.toLowerCase()}`, conversation });
    }
    return recipients;
  }

  private async refreshUserIds(state: RequestState): Promise<string[]> {
    const ids: string[] = [];
    for (const approver of eligibleApprovers(state)) {
      const user = (await this.deps.store.teamsConversationOf(approver))?.reference.user as
        { id?: unknown } | undefined;
      if (typeof user?.id === 'string') ids.push(user.id);
    }
    return ids;
  }

  private conversationOf(recipient: string): Promise<TeamsConversationRecord | undefined> {
    if (recipient.startsWith('user:')) return this.deps.store.teamsConversationOf(recipient.slice('user:'.length));
    return this.deps.store.teamsChannel(recipient.slice('channel:'.length));
  }

  private async remember(state: RequestState, ref: Omit<MessageRef, 'requestId' | 'platform'>): Promise<void> {
    await this.deps.store.saveMessageRef({ requestId: state.request.requestId, platform: 'teams', ...ref });
  }

  private async skippingPermanent(
    where: { purpose: string; recipient: string },
    send: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await send();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || !PERMANENT_STATUS.has(status)) throw error;
      this.log('teams message skipped', { ...where, status });
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
export { PERMANENT_STATUS as TEAMS_PERMANENT_STATUS };
