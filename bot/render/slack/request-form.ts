import type { InputBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../../domain/duration';
import type { EntitlementChoice } from '../view';
import { section } from './blocks';
import { SlackAction, SlackBlock, SlackView } from './ids';
import { SLACK_LIMITS } from './limits';
import { clip, plainText, userLine, visible } from './text';

/** The same bounds the request itself is held to (a reason of at most 1000 characters). */
const REASON_MAX = 1000;
const TICKET_MAX = 100;
const DENY_REASON_MAX = 500;

export interface RequestFormInput {
  choices: EntitlementChoice[];
  systems: { id: string; title: string }[];
  initial?: { entitlementId?: string; duration?: string; reason?: string; ticket?: string };
  /** Handler state that comes back on submission (JSON); built by the handler, never by a person. */
  privateMetadata: string;
}

/** `/access request` without arguments, and Home's "Request access": the modal that asks for everything. */
export function requestForm(input: RequestFormInput): ModalView {
  const initial = input.initial ?? {};
  const chosen = input.choices.find((choice) => choice.id === initial.entitlementId);
  const systems = input.systems
    .filter((system) => system.id.length <= SLACK_LIMITS.optionValue)
    .slice(0, SLACK_LIMITS.options);
  const longest = Math.max(0, ...input.choices.map((choice) => choice.maxDurationSeconds));
  const duration = initial.duration ?? (chosen ? formatDuration(chosen.defaultDurationSeconds) : undefined);
  const blocks: InputBlock[] = [];
  if (systems.length > 0) {
    const options = systems.map((system): PlainTextOption => option(system.title, system.id));
    const preset = options.find((o) => o.value === chosen?.systemId);
    blocks.push({
      type: 'input',
      block_id: SlackBlock.System,
      optional: true,
      dispatch_action: false,
      label: plain('Cloud or account'),
      hint: plain('Narrows the list of entitlements below.'),
      element: {
        type: 'static_select',
        action_id: SlackAction.SystemPicker,
        placeholder: plain('Any'),
        options,
        ...(preset ? { initial_option: preset } : {}),
      },
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: SlackBlock.Entitlement,
      label: plain('Access to'),
      element: {
        type: 'external_select',
        action_id: SlackAction.EntitlementPicker,
        min_query_length: 0,
        placeholder: plain('Type to search entitlements'),
        ...(chosen ? { initial_option: entitlementOption(chosen) } : {}),
      },
    },
    {
      type: 'input',
      block_id: SlackBlock.Duration,
      label: plain('For how long'),
      hint: plain(longest > 0 ? `e.g. 30m, 2h; at most ${formatDuration(longest)}` : 'e.g. 30m, 2h'),
      element: textInput(SlackAction.DurationInput, { initial: duration, max: 32 }),
    },
    {
      type: 'input',
      block_id: SlackBlock.Reason,
      label: plain('Why'),
      hint: plain('Approvers read this; say what you will do.'),
      element: textInput(SlackAction.ReasonInput, { initial: initial.reason, max: REASON_MAX, multiline: true }),
    },
    {
      type: 'input',
      block_id: SlackBlock.Ticket,
      optional: true,
      label: plain('Ticket'),
      hint: plain('e.g. OPS-123; some entitlements require one.'),
      element: textInput(SlackAction.TicketInput, { initial: initial.ticket, max: TICKET_MAX }),
    },
  );
  return {
    type: 'modal',
    callback_id: SlackView.RequestForm,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: metadata(input.privateMetadata),
    blocks,
  };
}

/**
 * The entitlement type-ahead: matches on id, title or system title; names that start with what was
 * typed come first, then by title. Slack shows at most 100 options.
 */
export function entitlementOptions(choices: EntitlementChoice[], query: string, systemId?: string): PlainTextOption[] {
  const typed = query.trim().toLowerCase();
  const starts = (choice: EntitlementChoice): boolean =>
    choice.id.toLowerCase().startsWith(typed) || choice.title.toLowerCase().startsWith(typed);
  return choices
    .filter((choice) => choice.id.length <= SLACK_LIMITS.optionValue)
    .filter((choice) => !systemId || choice.systemId === systemId)
    .filter((choice) =>
      [choice.id, choice.title, choice.systemTitle].some((text) => text.toLowerCase().includes(typed)),
    )
    .sort((a, b) => Number(starts(b)) - Number(starts(a)) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id))
    .slice(0, SLACK_LIMITS.options)
    .map(entitlementOption);
}

/** The Deny button's form: the requester reads the reason, so it is required. */
export function denyReasonForm(input: { requestId: string; title: string; privateMetadata: string }): ModalView {
  return {
    type: 'modal',
    callback_id: SlackView.DenyReason,
    title: plain('Deny request'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    private_metadata: metadata(input.privateMetadata),
    blocks: [
      section(
        `Deny *${userLine(input.title, 150)}* (\`${userLine(input.requestId, 40)}\`)? The requester will read your reason.`,
      ),
      {
        type: 'input',
        block_id: SlackBlock.DenyReason,
        label: plain('Reason'),
        element: textInput(SlackAction.DenyReasonInput, { max: DENY_REASON_MAX, multiline: true }),
      },
    ],
  };
}

function entitlementOption(choice: EntitlementChoice): PlainTextOption {
  const notes = [
    `up to ${formatDuration(choice.maxDurationSeconds)}`,
    choice.risk === 'high' ? 'high risk' : '',
    choice.ticketRequired ? 'ticket required' : '',
  ].filter(Boolean);
  return {
    text: plain(`${choice.title} · ${choice.systemTitle}`, SLACK_LIMITS.optionText),
    value: choice.id,
    description: plain(notes.join(' · '), SLACK_LIMITS.optionDescription),
  };
}

function option(title: string, value: string): PlainTextOption {
  return { text: plain(title || value, SLACK_LIMITS.optionText), value };
}

function textInput(actionId: string, options: { initial?: string | undefined; max: number; multiline?: boolean }) {
  const initial = options.initial ? clip(visible(options.initial), options.max) : '';
  return {
    type: 'plain_text_input' as const,
    action_id: actionId,
    max_length: options.max,
    ...(options.multiline ? { multiline: true } : {}),
    ...(initial ? { initial_value: initial } : {}),
  };
}

function plain(text: string, max: number = SLACK_LIMITS.inputLabel): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: plainText(text, max) };
}

/** Cut JSON would only fail later and vaguely; a handler that builds too much is a bug to hear about now. */
function metadata(text: string): string {
  if (text.length > SLACK_LIMITS.privateMetadata) {
    throw new RangeError(
      `private_metadata is ${text.length} characters; Slack keeps at most ${SLACK_LIMITS.privateMetadata}.`,
    );
  }
  return text;
}
