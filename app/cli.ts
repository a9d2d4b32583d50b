/**
 * `least` admin CLI: drives the whole request flow without chat, and stays useful to operators.
 * Exit codes: 0 done, 1 refused or failed (the reason is printed), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import type { RequestState } from '../domain/request';
import { formatDuration } from '../domain/duration';
import type { Outcome } from '../bot/access-client';
import { PgStore } from '../activities/store/pg-store';
import { loadConfig } from './config';
import { loadPolicyFile } from './policy-file';
import { policyJsonSchema } from './policy-schema';
import { connectCore, withPolicyFallback, type Core } from './runtime';

const USAGE = `least — time-limited cloud access

  request   --as EMAIL --entitlement ID --duration 2h --reason TEXT [--ticket T] [--break-glass]
  approve   ID --as EMAIL
  deny      ID --as EMAIL --reason TEXT
  extend    ID DURATION --as EMAIL
  done      ID --as EMAIL                 end your own grant now
  revoke    ID --as EMAIL [--reason TEXT] approvers and admins
  review    ID --as EMAIL [--reason TEXT] review a break-glass grant
  show      ID
  list      [--as EMAIL] [--status S,S] [--approver EMAIL] [--limit N]
  reconcile                               run the reconciliation sweep now and print its report
  verify-audit                            check the audit log's hash chain
  migrate                                 apply database migrations
  validate  [FILE]                        check a policy file (default: LEAST_POLICY_FILE)
  schema    [--out FILE]                  print the policy JSON Schema

Add --json for machine-readable output.`;

const OPTIONS = {
  as: { type: 'string' },
  entitlement: { type: 'string' },
  duration: { type: 'string' },
  reason: { type: 'string' },
  ticket: { type: 'string' },
  'break-glass': { type: 'boolean' },
  status: { type: 'string' },
  approver: { type: 'string' },
  limit: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

export async function runCli(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    print(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    print(USAGE);
    return command ? 0 : 2;
  }
  const json = values.json ?? false;
  try {
    switch (command) {
      case 'validate': {
        const file = rest[0] ?? withPolicyFallback(loadConfig()).policyFile;
        const policy = loadPolicyFile(file);
        print(
          `${file}: valid (${policy.authorizationSystems.length} authorization systems, ${policy.entitlements.length} entitlements)`,
        );
        return 0;
      }
      case 'schema': {
        const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
        if (values.out) writeFileSync(values.out, text);
        else print(text);
        return 0;
      }
      case 'migrate': {
        const store = PgStore.connect(loadConfig().databaseUrl);
        try {
          const applied = await store.migrate();
          print(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        } finally {
          await store.close();
        }
        return 0;
      }
      case 'verify-audit': {
        const store = PgStore.connect(loadConfig().databaseUrl);
        try {
          const result = await store.verifyAudit();
          if (json) print(JSON.stringify(result));
          else if (result.ok) print(`audit log intact: ${result.rows} rows verified`);
          else result.problems.forEach((p) => print(p.problem));
          return result.ok ? 0 : 1;
        } finally {
          await store.close();
        }
      }
    }
    const core = await connectCore(withPolicyFallback(loadConfig()));
    try {
      return await runRequestCommand(core, command, rest, values, print, json);
    } finally {
      await core.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      print(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    print(`error: ${(error as Error).message}`);
    return 1;
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function runRequestCommand(
  core: Core,
  command: string,
  rest: string[],
  values: Values,
  print: (line: string) => void,
  json: boolean,
): Promise<number> {
  const as = (): string => values.as ?? usage('--as EMAIL is required: who is acting');
  const id = (): string => rest[0] ?? usage(`${command} needs a request id`);
  const show = (outcome: Outcome): number => {
    if (json) print(JSON.stringify(outcome.ok ? outcome.state : outcome));
    else if (outcome.ok) print(describe(outcome.state));
    else print(`refused (${outcome.code}): ${outcome.message}`);
    return outcome.ok ? 0 : 1;
  };
  switch (command) {
    case 'request':
      return show(
        await core.access.submit({
          requester: as(),
          entitlementId: values.entitlement ?? usage('--entitlement ID is required'),
          duration: values.duration ?? usage('--duration is required, e.g. 2h'),
          reason: values.reason ?? '',
          ...(values.ticket ? { ticket: values.ticket } : {}),
          ...(values['break-glass'] ? { breakGlass: true } : {}),
          origin: { platform: 'cli' },
        }),
      );
    case 'approve':
      return show(await core.access.decide(id(), as(), 'approve'));
    case 'deny':
      return show(await core.access.decide(id(), as(), 'deny', values.reason));
    case 'extend':
      return show(await core.access.extend(id(), as(), rest[1] ?? usage('extend needs a duration, e.g. 30m')));
    case 'done':
      return show(await core.access.end(id(), as(), 'ended early by the requester'));
    case 'revoke':
      return show(await core.access.end(id(), as(), values.reason ?? 'revoked'));
    case 'review':
      return show(await core.access.review(id(), as(), values.reason));
    case 'show': {
      const outcome = await core.access.status(id());
      if (outcome.ok || outcome.code !== 'REQUEST.UNKNOWN') return show(outcome);
      const record = await core.store.getRequest(id());
      return show(record ? { ok: true, state: record.state } : outcome);
    }
    case 'list': {
      const records = await core.store.listRequests({
        ...(values.as ? { requester: values.as.toLowerCase() } : {}),
        ...(values.approver ? { approver: values.approver.toLowerCase() } : {}),
        ...(values.status ? { statuses: values.status.split(',') as RequestState['status'][] } : {}),
        limit: Number(values.limit ?? 50),
      });
      if (json) print(JSON.stringify(records.map((r) => r.state)));
      else if (records.length === 0) print('no requests');
      else records.forEach((r) => print(oneLine(r.state)));
      return 0;
    }
    case 'reconcile': {
      const report = await core.temporal.workflow.execute('reconcile', {
        workflowId: `reconcile-manual-${Date.now()}`,
        taskQueue: loadConfig().taskQueue,
        args: [],
      });
      print(JSON.stringify(report, null, json ? 0 : 2));
      return 0;
    }
    default:
      usage(`unknown command "${command.slice(0, 40)}"`);
  }
}

function usage(message: string): never {
  throw new UsageError(message);
}

export function oneLine(state: RequestState): string {
  const until = state.expiresAt && state.status === 'active' ? ` until ${state.expiresAt}` : '';
  return `${state.request.requestId}  ${state.status.padEnd(9)} ${state.request.entitlementId}  ${state.request.requester}  ${formatDuration(state.request.durationSeconds)}${until}`;
}

export function describe(state: RequestState): string {
  const lines = [
    `request   ${state.request.requestId} (${state.status})`,
    `who       ${state.request.requester}`,
    `what      ${state.rules.title} [${state.request.entitlementId}] on ${state.rules.systemId}`,
    `how long  ${formatDuration(state.request.durationSeconds)}${state.extendedSeconds ? ` + ${formatDuration(state.extendedSeconds)} extended` : ''}`,
    `why       ${state.request.reason}${state.request.ticket ? ` (${state.request.ticket})` : ''}`,
    `approval  ${state.outcome}; ${state.decisions.map((d) => `${d.verdict} by ${d.approver}`).join(', ') || `needs ${state.rules.requiredApprovals}`}`,
  ];
  if (state.expiresAt) lines.push(`expires   ${state.expiresAt}`);
  if (state.access) lines.push(`access    ${state.access.summary}${state.access.url ? ` ${state.access.url}` : ''}`);
  if (state.revocationReceipt) lines.push(`revoked   ${state.endReason ?? ''}; verified: ${state.revocationReceipt}`);
  if (state.failure) lines.push(`failure   ${state.failure.code}: ${state.failure.message}`);
  return lines.join('\n');
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
