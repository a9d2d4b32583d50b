import type { KnownBlock } from '@slack/types';
import { COMMANDS, FORMATS } from '../help';
import type { RequestView } from '../view';
import { approvalSummary } from './approval-card';
import { context, message, section, type SlackMessage } from './blocks';
import { endNowButton } from './buttons';
import { SLACK_COMMAND } from './ids';
import { statusLine } from './status';
import { escapeMrkdwn, userLine, userText } from './text';

/** How many requests a reply lists; each is one or two blocks, under a message's 50. */
const LISTED = 20;

/** `/access help`. Usage lines are escaped: `<entitlement>` would otherwise be read as a Slack link. */
export function helpReply(): SlackMessage {
  const lines = COMMANDS.map(([usage, what, example]) => {
    const said = example ? `${what}, e.g. \`${example}\`` : what;
    return `• \`${escapeMrkdwn(`${SLACK_COMMAND} ${usage}`)}\` — ${escapeMrkdwn(said)}`;
  });
  return message(`${SLACK_COMMAND} commands`, [
    section(`*Least: time-limited cloud access*\n${lines.join('\n')}`),
    context(FORMATS),
  ]);
}

/** A command Least could not read: what was wrong (it may quote the person's own text) and where to look. */
export function usageReply(problem: string): SlackMessage {
  const text = `${userText(problem, 1000)}\nTry \`${SLACK_COMMAND} help\`.`;
  return message(text, [section(text)]);
}

/** A refusal from a validator or the policy; its message already says what to do. */
export function refusalReply(refusal: string): SlackMessage {
  const text = `⛔ ${userText(refusal, 2000)}`;
  return message(text, [section(text)]);
}

/** `/access list`: my live and pending requests. */
export function requestListReply(views: RequestView[], now: Date): SlackMessage {
  const mine = views.filter((v) => ['pending', 'approved', 'active'].includes(v.state.status));
  if (mine.length === 0) return simple('You have no live or pending requests.');
  const blocks: KnownBlock[] = mine.slice(0, LISTED).map((view) => {
    const { state } = view;
    const line = `*${userLine(state.rules.title, 150)}* on ${userLine(view.systemTitle, 150)} · \`${userLine(state.request.requestId, 40)}\`\n${statusLine(state, now)}`;
    return section(
      line,
      state.status === 'active' ? endNowButton(state.request.requestId, state.rules.title) : undefined,
    );
  });
  return message(`You have ${mine.length} live or pending request${mine.length === 1 ? '' : 's'}.`, [
    ...blocks,
    ...more(mine.length),
  ]);
}

/** `/access approvals`: each waiting request with Approve and Deny. */
export function approvalsReply(views: RequestView[], now: Date): SlackMessage {
  if (views.length === 0) return simple('Nothing is waiting for your approval.');
  return message(`${views.length} request${views.length === 1 ? '' : 's'} waiting for your approval.`, [
    ...views.slice(0, LISTED).flatMap((view) => approvalSummary(view, now)),
    ...more(views.length),
  ]);
}

/** Someone Least cannot map to a person in the policy: how to get mapped. */
export function noIdentityReply(reason: string): SlackMessage {
  const text =
    `${userText(reason, 500)}\nLeast knows people by e-mail. Ask a Least admin to add the e-mail on your Slack profile ` +
    'to the policy, or to map your Slack member id to your e-mail under `chatUsers.slack` in the policy.';
  return message(text, [section(text)]);
}

/** Something broke on our side; the reference is in the log line with the error. */
export function errorReply(reference: string): SlackMessage {
  const text = `Something went wrong on our side. Try again; if it keeps happening, give an admin this reference: \`${userLine(reference, 40)}\`.`;
  return message(text, [section(text)]);
}

function simple(text: string): SlackMessage {
  return message(text, [section(text)]);
}

function more(total: number): KnownBlock[] {
  return total > LISTED ? [context(`and ${total - LISTED} more, not shown here.`)] : [];
}
