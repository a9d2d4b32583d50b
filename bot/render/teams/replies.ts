import { COMMANDS, FORMATS } from '../help';
import type { RequestView } from '../view';
import { approvalSummary, commentInput } from './approval-card';
import {
  actionSet,
  card,
  container,
  execute,
  facts,
  heading,
  text,
  textOnly,
  withCard,
  type CardElement,
  type TeamsMessage,
} from './card';
import { TeamsVerb } from './ids';
import { statusColor, statusLine } from './status';
import { escapeMarkdown, userLine, userText } from './text';

/** How many requests a list shows; each is a few elements and at most two buttons. */
const LISTED = 10;

/** `help`: the commands, and a button for the form. */
export function helpMessage(): TeamsMessage {
  return withCard(
    'Least commands: request, break-glass, list, extend, done, revoke, approvals, help',
    card(
      [
        heading('Least: time-limited cloud access'),
        text('Type a command to me as a message:'),
        // escapeMarkdown would show a code span's backticks as typed, so the example stays plain.
        facts(
          COMMANDS.map(([usage, what, example]) => [
            escapeMarkdown(usage),
            escapeMarkdown(example ? `${what}, e.g. ${example}` : what),
          ]),
        ),
        text(FORMATS, { subtle: true }),
      ],
      { actions: [requestAccess()] },
    ),
  );
}

/** A command Least could not read: what was wrong (it may quote the person's own text) and where to look. */
export function usageMessage(problem: string): TeamsMessage {
  return textOnly(`${userText(problem, 1000)}\n\nType **help** for the commands.`);
}

/** A refusal from a validator or the policy; its message already says what to do. */
export function refusalMessage(refusal: string): TeamsMessage {
  return textOnly(`⛔ ${userText(refusal, 2000)}`);
}

/** Someone Least cannot map to a person in the policy: how to get mapped. */
export function noIdentityMessage(reason: string): TeamsMessage {
  return textOnly(
    `${userText(reason, 500)}\n\nLeast knows people by e-mail. Ask a Least admin to add the e-mail of your Microsoft ` +
      'account to the policy, or to map your Microsoft Entra object id to your e-mail under **chatUsers.teams** in the policy.',
  );
}

/** Something broke on our side; the reference is in the log line with the error. */
export function errorMessage(reference: string): TeamsMessage {
  return textOnly(
    `Something went wrong on our side. Try again; if it keeps happening, give an admin this reference: **${userLine(reference, 40)}**.`,
  );
}

/** `list`: my live and pending requests, End now on each live one. */
export function requestListMessage(views: RequestView[], now: Date): TeamsMessage {
  const mine = views.filter((v) => ['pending', 'approved', 'active'].includes(v.state.status));
  if (mine.length === 0) {
    return withCard(
      'You have no live or pending requests.',
      card([text('You have no live or pending requests.')], { actions: [requestAccess()] }),
    );
  }
  const items = mine.slice(0, LISTED).map((view): CardElement => {
    const { state } = view;
    const id = state.request.requestId;
    return container(
      [
        text(`**${userLine(state.rules.title, 150)}** on ${userLine(view.systemTitle, 150)} · ${userLine(id, 40)}`),
        text(statusLine(state, now), { color: statusColor(state), spacing: 'none' }),
        ...(state.status === 'active'
          ? [actionSet([execute('End now', TeamsVerb.EndNow, { requestId: id }, 'destructive')])]
          : []),
      ],
      { separator: true },
    );
  });
  const count = `You have ${mine.length} live or pending request${mine.length === 1 ? '' : 's'}.`;
  return withCard(count, card([heading(count), ...items, ...more(mine.length)]));
}

/**
 * `approvals`: each waiting request with Approve and Deny. One comment box serves the whole list:
 * every button sends the card's inputs, and input ids must be unique within a card.
 */
export function approvalsMessage(views: RequestView[], now: Date): TeamsMessage {
  if (views.length === 0) return textOnly('Nothing is waiting for your approval.');
  const count = `${views.length} request${views.length === 1 ? '' : 's'} waiting for your approval`;
  return withCard(
    count,
    card([
      heading(count),
      commentInput('Comment for the request you decide on (required to deny)'),
      ...views.slice(0, LISTED).map((view) => approvalSummary(view, now)),
      ...more(views.length),
    ]),
  );
}

function requestAccess() {
  return execute('Request access', TeamsVerb.OpenRequestForm, undefined, 'positive');
}

function more(total: number): CardElement[] {
  return total > LISTED ? [text(`and ${total - LISTED} more, not shown here.`, { subtle: true })] : [];
}
