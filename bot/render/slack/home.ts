import type { HomeView, KnownBlock } from '@slack/types';
import { formatDuration } from '../../../domain/duration';
import { timeLeft } from '../status';
import type { RequestView } from '../view';
import { approvalSummary } from './approval-card';
import { actions, context, divider, header, section } from './blocks';
import { endNowButton, requestAccessButton } from './buttons';
import { SLACK_COMMAND } from './ids';
import { progressLine } from './status';
import { slackDate, userLine } from './text';

/**
 * How many of each list Home shows. Worst case: 3 top blocks + 3 × (header, "and N more", divider)
 * + 20 live + 20 pending + 2 × 15 approvals = 82, under Slack's 100.
 */
const SHOWN = { live: 20, pending: 20, approvals: 15 } as const;

export interface HomeInput {
  live: RequestView[];
  pending: RequestView[];
  approvals: RequestView[];
  now: Date;
}

/** App Home: my live grants (End now on each), my pending requests, and what waits for my decision. */
export function homeView({ live, pending, approvals, now }: HomeInput): HomeView {
  const blocks: KnownBlock[] = [
    section('*Least* gives you time-limited cloud access, approved in chat.'),
    actions(requestAccessButton()),
    divider(),
    ...list('Your live grants', live, SHOWN.live, 'You have no live grants.', `${SLACK_COMMAND} list`, (view) => [
      liveGrant(view, now),
    ]),
    ...list(
      'Your pending requests',
      pending,
      SHOWN.pending,
      'Nothing is waiting for approval.',
      `${SLACK_COMMAND} list`,
      (view) => [pendingRequest(view)],
    ),
    ...list(
      'Waiting for your approval',
      approvals,
      SHOWN.approvals,
      'Nothing waits for your decision.',
      `${SLACK_COMMAND} approvals`,
      (view) => approvalSummary(view, now),
    ),
  ];
  return { type: 'home', blocks };
}

function list(
  title: string,
  views: RequestView[],
  shown: number,
  empty: string,
  command: string,
  render: (view: RequestView) => KnownBlock[],
): KnownBlock[] {
  const more = views.length - shown;
  return [
    header(title),
    ...(views.length === 0 ? [context(empty)] : views.slice(0, shown).flatMap(render)),
    ...(more > 0 ? [context(`and ${more} more — use \`${command}\``)] : []),
    divider(),
  ];
}

function liveGrant(view: RequestView, now: Date): KnownBlock {
  const { state } = view;
  const left =
    state.status === 'active' && state.expiresAt
      ? `🟢 ${timeLeft(state.expiresAt, now)} · until ${slackDate(state.expiresAt)}`
      : '⚙️ Approved; access is being applied';
  return section(
    `${heading(view)}\n${left} · \`${userLine(state.request.requestId, 40)}\``,
    endNowButton(state.request.requestId, state.rules.title),
  );
}

function pendingRequest(view: RequestView): KnownBlock {
  const { state } = view;
  return section(
    `${heading(view)} · ${formatDuration(state.request.durationSeconds)}\n⏳ ${progressLine(state, 'request')} · submitted ${slackDate(state.request.submittedAt)} · \`${userLine(state.request.requestId, 40)}\``,
  );
}

function heading(view: RequestView): string {
  return `*${userLine(view.state.rules.title, 150)}* on ${userLine(view.systemTitle, 150)}`;
}
