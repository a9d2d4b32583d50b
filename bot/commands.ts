import { REPORT_DAYS } from '../domain/report/content';

/**
 * The chat command language, shared by Slack (`/access …`) and Teams (`access …`): text in, a
 * command out. Pure and total: any input, however long or strange, becomes a command or a usage
 * problem to show the person, never an exception.
 */

export type Command =
  | { kind: 'help' }
  | { kind: 'request-form'; entitlementId?: string }
  | { kind: 'request'; entitlementId: string; duration: string; reason: string; ticket?: string; breakGlass: boolean }
  | { kind: 'list' }
  | { kind: 'approvals' }
  | { kind: 'extend'; requestId: string; duration: string }
  | { kind: 'done'; requestId: string }
  | { kind: 'revoke'; requestId: string; reason?: string }
  | { kind: 'findings'; systemId?: string }
  | { kind: 'findings-identity'; identity: string; systemId?: string }
  /** A forensic identity report of the last `days` days, delivered into the conversation it was asked in. */
  | { kind: 'report'; identity: string; days: number; systemId?: string }
  | { kind: 'usage'; problem: string };

/** Longer than any honest command (a reason is at most 1000 characters). */
export const MAX_COMMAND_LENGTH = 2000;

const REQUEST_ID = /^r-[a-z0-9]{10}$/;
const ENTITLEMENT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TICKET_WORD = /^ticket[:=](\S+)$/i;
/** Authorization system ids as policies write them (`aws-prod`, `azure-corp`). */
const SYSTEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function parseCommand(text: string): Command {
  if (text.length > MAX_COMMAND_LENGTH) {
    return usage(`That command is ${text.length} characters long; keep it under ${MAX_COMMAND_LENGTH}.`);
  }
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb = 'help', ...rest] = words;
  switch (verb.toLowerCase()) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'request':
      return rest.length <= 1 ? requestForm(rest[0]) : request(rest, false);
    case 'break-glass':
    case 'breakglass':
      return request(rest, true);
    case 'list':
    case 'mine':
      return rest.length === 0 ? { kind: 'list' } : usage('`list` takes nothing after it.');
    case 'approvals':
      return rest.length === 0 ? { kind: 'approvals' } : usage('`approvals` takes nothing after it.');
    case 'extend': {
      const [requestId, duration, ...extra] = rest;
      if (!requestId || !duration || extra.length > 0)
        return usage('Use `extend <request id> <duration>`, e.g. `extend r-abc123defg 1h`.');
      return withRequestId(requestId, (id) => ({ kind: 'extend', requestId: id, duration }));
    }
    case 'done':
    case 'end': {
      const [requestId, ...extra] = rest;
      if (!requestId || extra.length > 0) return usage('Use `done <request id>` to end your grant now.');
      return withRequestId(requestId, (id) => ({ kind: 'done', requestId: id }));
    }
    case 'revoke': {
      const [requestId, ...reason] = rest;
      if (!requestId) return usage('Use `revoke <request id> [reason]`.');
      const because = reason.join(' ');
      return withRequestId(requestId, (id) => ({
        kind: 'revoke',
        requestId: id,
        ...(because ? { reason: because } : {}),
      }));
    }
    case 'findings':
      return findings(rest);
    case 'report':
      return report(rest);
    default:
      return usage(`I do not know \`${clip(verb, 30)}\`.`);
  }
}

function requestForm(entitlementId: string | undefined): Command {
  if (entitlementId === undefined) return { kind: 'request-form' };
  const id = entitlementId.toLowerCase();
  return ENTITLEMENT_ID.test(id)
    ? { kind: 'request-form', entitlementId: id }
    : usage(entitlementProblem(entitlementId));
}

function request(rest: string[], breakGlass: boolean): Command {
  const verb = breakGlass ? 'break-glass' : 'request';
  const [entitlementId, duration, ...tail] = rest;
  if (!entitlementId || !duration) {
    return usage(
      `Use \`${verb} <entitlement> <duration> <reason…>\`, e.g. \`${verb} prod-read-only 2h investigate INC-42\`.`,
    );
  }
  const id = entitlementId.toLowerCase();
  if (!ENTITLEMENT_ID.test(id)) return usage(entitlementProblem(entitlementId));
  let ticket: string | undefined;
  const reasonWords: string[] = [];
  for (const word of tail) {
    const match = TICKET_WORD.exec(word);
    if (match && ticket === undefined) ticket = match[1];
    else reasonWords.push(word);
  }
  return {
    kind: 'request',
    entitlementId: id,
    duration,
    reason: reasonWords.join(' '),
    breakGlass,
    ...(ticket ? { ticket } : {}),
  };
}

/**
 * `findings`, `findings in <system>`, `findings <identity…>` and `findings <identity…> in <system>`:
 * an identity is everything before a trailing `in <system>` (names may hold spaces, ARNs never do).
 */
function findings(rest: string[]): Command {
  const inAt = rest.length >= 2 && rest[rest.length - 2]!.toLowerCase() === 'in' ? rest.length - 2 : -1;
  const words = inAt >= 0 ? rest.slice(0, inAt) : rest;
  const systemId = inAt >= 0 ? rest[rest.length - 1]! : undefined;
  if (systemId !== undefined && !SYSTEM_ID.test(systemId))
    return usage(`\`${clip(systemId, 40)}\` is not a system id; use \`findings [<identity>] [in <system>]\`.`);
  const where = systemId !== undefined ? { systemId } : {};
  if (words.length === 0) return { kind: 'findings', ...where };
  return { kind: 'findings-identity', identity: words.join(' '), ...where };
}

const REPORT_USAGE =
  'Use `report <identity> [days] [in <system>]`, e.g. `report ada@example.com 30`; days from 1 to 365.';
const MAX_IDENTITY_CHARS = 256;

/**
 * `report <identity…> [days] [in <system>]`: the identity is every word before an optional trailing
 * number of days (`30` or `30d`) and `in <system>`; one word alone is always the identity.
 */
function report(rest: string[]): Command {
  const inAt = rest.length >= 2 && rest[rest.length - 2]!.toLowerCase() === 'in' ? rest.length - 2 : -1;
  let words = inAt >= 0 ? rest.slice(0, inAt) : rest;
  const systemId = inAt >= 0 ? rest[rest.length - 1]! : undefined;
  if (systemId !== undefined && !SYSTEM_ID.test(systemId)) return usage(`That is not a system id. ${REPORT_USAGE}`);
  let days: number = REPORT_DAYS.fallback;
  // A trailing number is always the days (`report Payments Operator 2` is two days of "Payments Operator").
  const last = words.length >= 2 ? /^(\d+)d?$/i.exec(words[words.length - 1]!) : null;
  if (last) {
    days = last[1]!.length > 3 ? Infinity : Number(last[1]);
    if (days < REPORT_DAYS.min || days > REPORT_DAYS.max)
      return usage(`A report covers 1 to 365 days. ${REPORT_USAGE}`);
    words = words.slice(0, -1);
  }
  const identity = words.join(' ');
  if (identity === '') return usage(`Name the identity. ${REPORT_USAGE}`);
  // eslint-disable-next-line no-control-regex
  if (identity.length > MAX_IDENTITY_CHARS || /[\u0000-\u001f\u007f]/.test(identity))
    return usage(
      `That is not an identity name (at most ${MAX_IDENTITY_CHARS} characters, no control characters). ${REPORT_USAGE}`,
    );
  return { kind: 'report', identity, days, ...(systemId !== undefined ? { systemId } : {}) };
}

function withRequestId(text: string, build: (id: string) => Command): Command {
  const id = text.toLowerCase();
  if (!REQUEST_ID.test(id))
    return usage(`\`${clip(text, 30)}\` is not a request id; they look like \`r-abc123defg\` (see \`list\`).`);
  return build(id);
}

function entitlementProblem(text: string): string {
  return `\`${clip(text, 40)}\` is not an entitlement id; ids are lowercase letters, digits and dashes (see \`request\` for the form).`;
}

function usage(problem: string): Command {
  return { kind: 'usage', problem };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
