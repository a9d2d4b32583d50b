import { ErrorCode } from '../../domain/errors';
import type { RequestState } from '../../domain/request';
import { runCommand, type FlowCommand, type FlowResult } from '../../bot/command-flow';
import { loadConfig } from '../config';
import { withPolicyFallback } from '../policy-fallback';
import { connectCore, temporalUi, type Core } from '../runtime';
import { workflowUiLink, type TemporalUi } from '../temporal-connection';
import { describe, oneLine } from './text';
import { usage, type Invocation } from './usage';

/**
 * The CLI as a third front end over the command flow Slack and Teams use: `--as` identifies the
 * person, the answer is text or `--json`. Only the transport differs from chat.
 */

export const REQUEST_VERBS = [
  'request',
  'approve',
  'deny',
  'extend',
  'done',
  'revoke',
  'review',
  'approvals',
  'show',
] as const;

export async function runRequestVerb(invocation: Invocation): Promise<number> {
  const command = flowCommand(invocation);
  const email = invocation.command === 'show' ? (invocation.values.as ?? '') : as(invocation);
  const config = withPolicyFallback(loadConfig());
  const core = await connectCore(config);
  try {
    let result = await runCommand(core.access, command, { email, origin: { platform: 'cli' } });
    if (command.kind === 'show' && result.kind === 'refused' && result.code === ErrorCode.RequestUnknown)
      result = await fromRecord(core, command.requestId, result);
    return print(invocation, result, temporalUi(config));
  } finally {
    await core.close();
  }
}

function flowCommand(invocation: Invocation): FlowCommand {
  const { command, values, rest } = invocation;
  const requestId = (): string => rest[0] ?? usage(`${command} needs a request id`);
  switch (command) {
    case 'request':
      return {
        kind: 'request',
        entitlementId: values.entitlement ?? usage('--entitlement ID is required'),
        duration: values.duration ?? usage('--duration is required, e.g. 2h'),
        reason: values.reason ?? '',
        breakGlass: values['break-glass'] ?? false,
        ...(values.ticket ? { ticket: values.ticket } : {}),
      };
    case 'approve':
      return { kind: 'decide', requestId: requestId(), verdict: 'approve' };
    case 'deny':
      return {
        kind: 'decide',
        requestId: requestId(),
        verdict: 'deny',
        ...(values.reason ? { reason: values.reason } : {}),
      };
    case 'extend':
      return {
        kind: 'extend',
        requestId: requestId(),
        duration: rest[1] ?? usage('extend needs a duration, e.g. 30m'),
      };
    case 'done':
      return { kind: 'done', requestId: requestId() };
    case 'revoke':
      return { kind: 'revoke', requestId: requestId(), ...(values.reason ? { reason: values.reason } : {}) };
    case 'review':
      return { kind: 'review', requestId: requestId(), ...(values.reason ? { note: values.reason } : {}) };
    case 'approvals':
      return { kind: 'approvals' };
    case 'show':
      return { kind: 'show', requestId: requestId() };
    default:
      return usage(`unknown command "${command.slice(0, 40)}"`);
  }
}

function as({ values }: Invocation): string {
  return values.as ?? usage('--as EMAIL is required: who is acting');
}

/** A finished workflow may be gone from Temporal (retention); PostgreSQL still holds the request. */
async function fromRecord(core: Core, requestId: string, unknown: FlowResult): Promise<FlowResult> {
  const record = await core.store.getRequest(requestId);
  return record ? { kind: 'shown', state: record.state } : unknown;
}

/** `ui`: a request shown in text ends with where its workflow opens in Temporal's web UI. */
function print({ json, print }: Invocation, result: FlowResult, ui: TemporalUi | undefined): number {
  const states = (list: RequestState[]): void => {
    if (json) print(JSON.stringify(list));
    else if (list.length === 0) print('no requests');
    else list.forEach((state) => print(oneLine(state)));
  };
  switch (result.kind) {
    case 'refused':
      print(
        json
          ? JSON.stringify({ ok: false, code: result.code, message: result.message })
          : `refused (${result.code}): ${result.message}`,
      );
      return 1;
    case 'list':
    case 'approvals':
      states(result.states);
      return 0;
    case 'submitted':
    case 'changed':
    case 'shown':
      if (json) print(JSON.stringify(result.state));
      else {
        print(describe(result.state));
        if (ui) print(`temporal: ${workflowUiLink(ui, result.state.request.requestId)}`);
      }
      return 0;
  }
}
