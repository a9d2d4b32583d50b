import type { Origin, RequestState } from '../domain/request';
import type { AccessClient, Outcome } from './access-client';
import type { Command } from './commands';

/** A command that changes or reads requests (not help, usage, a form or findings: bot/findings-flow.ts). */
export type RequestCommand = Exclude<
  Command,
  { kind: 'help' | 'usage' | 'request-form' | 'findings' | 'findings-identity' | 'report' }
>;

/**
 * Verbs on one request that chat reaches through buttons and cards, and the CLI types out: decide,
 * review a break-glass grant, show where it stands.
 */
export type RequestVerb =
  | { kind: 'decide'; requestId: string; verdict: 'approve' | 'deny'; reason?: string }
  | { kind: 'review'; requestId: string; note?: string }
  | { kind: 'show'; requestId: string };

export type FlowCommand = RequestCommand | RequestVerb;

/** What a command came to, for each front end to render in its own way. */
export type CommandResult =
  | { kind: 'submitted'; state: RequestState }
  | { kind: 'list'; states: RequestState[] }
  | { kind: 'approvals'; states: RequestState[] }
  /** extend, done, revoke, decide, review: the request as it is now. */
  | { kind: 'changed'; state: RequestState }
  /** `code` is the stable error code (`APPROVAL.NOT_AUTHORIZED`); `message` is for the person. */
  | { kind: 'refused'; code: string; message: string };

/** `show`: the request as it is now, unchanged. */
export type FlowResult = CommandResult | { kind: 'shown'; state: RequestState };

/** The words every front end records when the holder ends a grant early ("I'm done"). */
export const ENDED_BY_HOLDER = 'ended early by the holder';

/**
 * The one flow behind `/access …` in Slack, `access …` in Teams and the CLI's request verbs: the
 * front ends differ only in how the person is identified, how the answer travels and how it is drawn.
 */
export async function runCommand(access: AccessClient, command: RequestCommand, person: Person): Promise<CommandResult>;
export async function runCommand(access: AccessClient, command: FlowCommand, person: Person): Promise<FlowResult>;
export async function runCommand(access: AccessClient, command: FlowCommand, person: Person): Promise<FlowResult> {
  const { email } = person;
  switch (command.kind) {
    case 'request': {
      const outcome = await access.submit({
        requester: email,
        entitlementId: command.entitlementId,
        duration: command.duration,
        reason: command.reason,
        ...(command.ticket ? { ticket: command.ticket } : {}),
        ...(command.breakGlass ? { breakGlass: true } : {}),
        origin: person.origin,
        ...(person.idempotencySeed ? { idempotencySeed: person.idempotencySeed } : {}),
      });
      return outcome.ok ? { kind: 'submitted', state: outcome.state } : refused(outcome);
    }
    case 'list':
      return { kind: 'list', states: await access.mine(email) };
    case 'approvals':
      return { kind: 'approvals', states: await access.awaitingDecision(email) };
    case 'extend':
      return changed(await access.extend(command.requestId, email, command.duration));
    case 'done':
      return changed(await access.end(command.requestId, email, ENDED_BY_HOLDER));
    case 'revoke':
      return changed(await access.end(command.requestId, email, command.reason ?? `revoked by ${email}`));
    case 'decide':
      return changed(await access.decide(command.requestId, email, command.verdict, command.reason));
    case 'review':
      return changed(await access.review(command.requestId, email, command.note));
    case 'show': {
      const outcome = await access.status(command.requestId);
      return outcome.ok ? { kind: 'shown', state: outcome.state } : refused(outcome);
    }
  }
}

/** Who acts, where the answer goes, and (for chat) what makes a repeated submission the same one. */
export interface Person {
  email: string;
  origin: Origin;
  idempotencySeed?: string;
}

function changed(outcome: Outcome): CommandResult {
  return outcome.ok ? { kind: 'changed', state: outcome.state } : refused(outcome);
}

function refused(outcome: Outcome & { ok: false }): CommandResult {
  return { kind: 'refused', code: outcome.code, message: outcome.message };
}
