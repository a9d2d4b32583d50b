import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../../domain/duration';
import { eligibleApprovers, isBreakGlass, openStage, type RequestState } from '../../../domain/request';
import { approvalHeadline } from '../status';
import type { RequestView } from '../view';
import { actions, context, fields, header, message, section, type SlackMessage } from './blocks';
import { approveButton, denyButton, reviewButton } from './buttons';
import { outcomeLines, people, progressLine, statusLine } from './status';
import { mention, quoted, slackDate, userLine } from './text';

const TITLE_CHARS = 150;
const REASON_CHARS = 2000;
const RECENT = 5;

/**
 * The card approvers decide on, posted to channels and DMs and updated in place: Approve/Deny while
 * a decision is open (the request, or an extension of an active grant), then who decided and what
 * became of it, with no buttons left to click.
 */
export function approvalCard(view: RequestView, now: Date): SlackMessage {
  const { state } = view;
  const stage = openStage(state);
  const id = state.request.requestId;
  const decision: KnownBlock[] = stage
    ? [section(`*Approvals:* ${progressLine(state, stage)}`), actions(approveButton(id), denyButton(id))]
    : [section(outcome(state, now))];
  const headline = approvalHeadline(state);
  return message(fallback(view, headline), [header(headline), ...body(view, now), ...decision, footer(state)]);
}

/** After-the-fact review of a break-glass grant: one button until someone has reviewed it. */
export function reviewCard(view: RequestView, now: Date): SlackMessage {
  const { state } = view;
  const review: KnownBlock[] = [];
  if (state.reviewRequired && !state.reviewedBy) review.push(actions(reviewButton(state.request.requestId)));
  if (state.reviewedBy) review.push(section(`✅ Reviewed by ${userLine(state.reviewedBy, 100)}`));
  return message(fallback(view, 'Break-glass review'), [
    header('Break-glass review'),
    ...body(view, now),
    section(outcome(state, now)),
    ...review,
    footer(state),
  ]);
}

/** A request waiting for this approver, short enough to list many (App Home, `/access approvals`). */
export function approvalSummary(view: RequestView, now: Date): KnownBlock[] {
  const { state } = view;
  const stage = openStage(state) ?? 'request';
  const id = state.request.requestId;
  return [
    section(
      [
        `${asker(view)} · *${userLine(state.rules.title, TITLE_CHARS)}* on ${userLine(view.systemTitle, 150)} · ${length(state)}`,
        quoted(state.request.reason, 300),
        `${stage === 'extension' ? statusLine(state, now) : `⏳ ${progressLine(state, stage)}`} · \`${userLine(id, 40)}\``,
      ].join('\n'),
    ),
    actions(approveButton(id), denyButton(id)),
  ];
}

function body(view: RequestView, now: Date): KnownBlock[] {
  const { state } = view;
  const { request, rules } = state;
  const title = `*${userLine(rules.title, TITLE_CHARS)}* (\`${userLine(request.entitlementId, 100)}\`)`;
  const ask =
    openStage(state) === 'extension'
      ? `${asker(view)} asks to extend ${title} by *${length(state)}*.\n${statusLine(state, now)}`
      : `${asker(view)} ${isBreakGlass(state) ? 'used break-glass for' : 'asks for'} ${title} for *${formatDuration(request.durationSeconds)}*.`;
  return [
    section(ask),
    fields([
      ['System', userLine(view.systemTitle, 200)],
      ['Duration', formatDuration(request.durationSeconds)],
      ['Ticket', request.ticket ? userLine(request.ticket, 100) : 'none'],
      ['Required approvals', `${rules.requiredApprovals} from ${people(eligibleApprovers(state))}`],
    ]),
    section(`*Reason*\n${quoted(request.reason, REASON_CHARS)}`),
    ...warnings(state),
    ...history(view),
  ];
}

function warnings(state: RequestState): KnownBlock[] {
  const lines: KnownBlock[] = [];
  if (isBreakGlass(state)) {
    lines.push(
      section('🚨 *BREAK-GLASS*: access was granted immediately, without approval. Review it after the fact.'),
    );
  }
  if (state.rules.risk === 'high') {
    lines.push(section('⚠️ *High-risk entitlement*: check the reason and the ticket before you approve.'));
  }
  return lines;
}

/** What this person asked for before, so an approver sees a pattern (a daily break-glass, say). */
function history(view: RequestView): KnownBlock[] {
  if (!view.recent) return [];
  const recent = view.recent.slice(0, RECENT);
  if (recent.length === 0) return [context('No earlier requests from this person.')];
  const lines = recent.map(
    (s) =>
      `• ${userLine(s.rules.title, 100)} (\`${userLine(s.request.entitlementId, 100)}\`) · ${s.status} · ${slackDate(s.request.submittedAt)}`,
  );
  return [section(`*Recent requests by ${userLine(view.state.request.requester, 100)}*\n${lines.join('\n')}`)];
}

/** What became of a request nobody can decide on any more. */
function outcome(state: RequestState, now: Date): string {
  const { approved, status, extensionDenied, extended } = outcomeLines(state, now);
  return [approved, status, extensionDenied, extended].filter(Boolean).join('\n');
}

function footer(state: RequestState): KnownBlock {
  return context(
    `Request \`${userLine(state.request.requestId, 40)}\` · submitted ${slackDate(state.request.submittedAt)}`,
  );
}

/** The requester as a mention (which Slack shows by name) and by e-mail, which is what the policy uses. */
function asker(view: RequestView): string {
  const email = userLine(view.state.request.requester, 254);
  const who = mention(view.requesterUserId, view.state.request.requester);
  return who === email ? email : `${who} (${email})`;
}

/** The length asked for: the request's, or `+1h` for an extension. */
function length(state: RequestState): string {
  return state.pendingExtension && openStage(state) === 'extension'
    ? `+${formatDuration(state.pendingExtension.additionalSeconds)}`
    : formatDuration(state.request.durationSeconds);
}

function fallback(view: RequestView, label: string): string {
  const { state } = view;
  const what = `${label}: ${userLine(state.rules.title, TITLE_CHARS)} for ${userLine(state.request.requester, 254)}, ${length(state)}`;
  return openStage(state) ? what : `${what} (${state.status})`;
}
