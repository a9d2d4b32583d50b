import type { Origin, RequestState } from '../domain/request';
import type { AccessClient } from './access-client';
import type { Command } from './commands';

/** A command that changes or reads requests (not help, usage or a form). */
export type RequestCommand = Exclude<Command, { kind: 'help' | 'usage' | 'request-form' }>;

/** What a command came to, for each front end to render in its own way. */
export type CommandResult =
  | { kind: 'submitted'; state: RequestState }
  | { kind: 'list'; states: RequestState[] }
  | { kind: 'approvals'; states: RequestState[] }
  /** extend, done, revoke: the request as it is now. */
  | { kind: 'changed'; state: RequestState }
  | { kind: 'refused'; message: string };

/**
 * The one flow behind `/access …` in Slack and `access …` in Teams: the front ends differ only in
 * how the person is identified, how the answer travels and how it is drawn.
 */
export async function runCommand(
  access: AccessClient,
  command: RequestCommand,
  person: { email: string; origin: Origin; idempotencySeed?: string },
): Promise<CommandResult> {
  const { email } = person;
  const changed = (outcome: Awaited<ReturnType<AccessClient['end']>>): CommandResult =>
    outcome.ok ? { kind: 'changed', state: outcome.state } : { kind: 'refused', message: outcome.message };
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
      return outcome.ok ? { kind: 'submitted', state: outcome.state } : { kind: 'refused', message: outcome.message };
    }
    case 'list':
      return { kind: 'list', states: await access.mine(email) };
    case 'approvals':
      return { kind: 'approvals', states: await access.awaitingDecision(email) };
    case 'extend':
      return changed(await access.extend(command.requestId, email, command.duration));
    case 'done':
      return changed(await access.end(command.requestId, email, 'ended early by the holder'));
    case 'revoke':
      return changed(await access.end(command.requestId, email, command.reason ?? `revoked by ${email}`));
  }
}
