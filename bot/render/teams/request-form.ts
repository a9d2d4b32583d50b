import { formatDuration } from '../../../domain/duration';
import type { EntitlementChoice } from '../view';
import { card, execute, heading, jsonBytes, problemBlock, text, type AdaptiveCard, type CardElement } from './card';
import { TeamsInput, TeamsVerb } from './ids';
import { clip, plainText, visible } from './text';

/** The same bounds the request itself is held to (a reason of at most 1000 characters). */
const REASON_MAX = 1000;
const TICKET_MAX = 100;
const DURATION_MAX = 32;
const CHOICE_TITLE_CHARS = 100;
/** Entitlement ids are at most 63 characters; a longer one is not an entitlement the bot would accept. */
const CHOICE_ID_CHARS = 63;
/** The share of the card the entitlement list may take; the rest is the form around it. */
const CHOICES_BYTES = 16 * 1024;
/** Past this many, a person would rather type to find one than scroll. */
const FILTERED_FROM = 6;

export interface RequestFormCardInput {
  choices: EntitlementChoice[];
  /** The entitlement to preselect: from `request <entitlement>`, or the one just submitted. */
  entitlementId?: string;
  /** What the person typed last time, when the form comes back with a problem. */
  values?: { duration?: string; reason?: string; ticket?: string };
  /** Why the last submission was refused; it may quote what the person typed. */
  problem?: string;
}

/** `request` without arguments, and the help card's button: the card that asks for everything. */
export function requestFormCard(input: RequestFormCardInput): AdaptiveCard {
  const problem = problemBlock(input.problem);
  const offered = input.choices.filter((choice) => choice.id.length > 0 && choice.id.length <= CHOICE_ID_CHARS);
  if (offered.length === 0) {
    return card([
      heading('Request access'),
      ...problem,
      text(
        'There is nothing you may request in Least. Ask a Least admin to make you a requester of the entitlements you need.',
      ),
    ]);
  }
  const values = input.values ?? {};
  const chosen = offered.find((choice) => choice.id === input.entitlementId);
  const options = fitting(offered, chosen);
  const body: CardElement[] = [
    heading('Request access'),
    ...problem,
    {
      type: 'Input.ChoiceSet',
      id: TeamsInput.Entitlement,
      label: 'Access to',
      isRequired: true,
      errorMessage: 'Choose what you need access to.',
      // A drop-down (`compact`) is the default, which the schema leaves unsaid.
      ...(options.length >= FILTERED_FROM ? { style: 'filtered' } : {}),
      placeholder: 'Type to search entitlements',
      choices: options.map((choice) => ({
        title: plainText(`${choice.title} · ${choice.systemTitle}`, CHOICE_TITLE_CHARS),
        value: choice.id,
      })),
      ...(chosen ? { value: chosen.id } : {}),
    },
  ];
  if (options.length < offered.length) {
    body.push(
      text(
        `Showing ${options.length} of ${offered.length} entitlements; type **request** and an entitlement id for the others.`,
        {
          subtle: true,
          spacing: 'none',
        },
      ),
    );
  }
  body.push(
    textInput(TeamsInput.Duration, 'For how long', {
      placeholder: durationHint(offered, chosen),
      max: DURATION_MAX,
      value: values.duration,
    }),
    textInput(TeamsInput.Reason, 'Why', {
      placeholder: 'Approvers read this; say what you will do.',
      max: REASON_MAX,
      value: values.reason,
      multiline: true,
      required: 'Say why you need it; approvers read this.',
    }),
    textInput(TeamsInput.Ticket, ticketLabel(offered, chosen), {
      placeholder: 'e.g. OPS-123',
      max: TICKET_MAX,
      value: values.ticket,
    }),
  );
  return card(body, { actions: [execute('Request', TeamsVerb.SubmitRequest, undefined, 'positive')] });
}

/** As many entitlements as fit the list's share of the card, the preselected one always among them. */
function fitting(choices: EntitlementChoice[], chosen: EntitlementChoice | undefined): EntitlementChoice[] {
  const ordered = chosen ? [chosen, ...choices.filter((choice) => choice !== chosen)] : choices;
  const shown: EntitlementChoice[] = [];
  let bytes = 0;
  for (const choice of ordered) {
    bytes += jsonBytes({
      title: plainText(`${choice.title} · ${choice.systemTitle}`, CHOICE_TITLE_CHARS),
      value: choice.id,
    });
    if (bytes > CHOICES_BYTES) break;
    shown.push(choice);
  }
  // The preselected one went first only to be kept; the list reads in the policy's order.
  return choices.filter((choice) => shown.includes(choice));
}

/** `1h (max 4h)` for the chosen entitlement, or when every entitlement has the same bounds. */
function durationHint(choices: EntitlementChoice[], chosen: EntitlementChoice | undefined): string {
  const first = choices[0];
  const same =
    first &&
    choices.every(
      (c) =>
        c.defaultDurationSeconds === first.defaultDurationSeconds && c.maxDurationSeconds === first.maxDurationSeconds,
    );
  const subject = chosen ?? (same ? first : undefined);
  if (subject) {
    return `${formatDuration(subject.defaultDurationSeconds)} (max ${formatDuration(subject.maxDurationSeconds)})`;
  }
  const longest = Math.max(...choices.map((choice) => choice.maxDurationSeconds));
  return `Blank for the entitlement's default; at most ${formatDuration(longest)}`;
}

/** Optional on the card: the policy decides per entitlement, and the bot says which one needs it. */
function ticketLabel(choices: EntitlementChoice[], chosen: EntitlementChoice | undefined): string {
  if (chosen) return chosen.ticketRequired ? 'Ticket (required for this entitlement)' : 'Ticket (optional)';
  const needing = choices.filter((choice) => choice.ticketRequired).length;
  if (needing === 0) return 'Ticket (optional)';
  return needing === choices.length ? 'Ticket (required)' : 'Ticket (required for some entitlements)';
}

function textInput(
  id: string,
  label: string,
  options: { placeholder: string; max: number; value?: string | undefined; multiline?: boolean; required?: string },
): CardElement {
  // Input values are plain text the person edits; Teams parses no markdown in them.
  const typed = options.value ?? '';
  const value = options.multiline ? clip(visible(typed).trim(), options.max) : plainText(typed, options.max);
  return {
    type: 'Input.Text',
    id,
    label,
    placeholder: plainText(options.placeholder, 150),
    maxLength: options.max,
    ...(options.multiline ? { isMultiline: true } : {}),
    ...(options.required ? { isRequired: true, errorMessage: options.required } : {}),
    ...(value ? { value } : {}),
  };
}
