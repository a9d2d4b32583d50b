/**
 * `least`, the CLI: the request verbs of chat for people without chat, and operators' commands.
 * Run as `npx least …` (app/cli/least.cjs) or `npm run cli -- …`. Each command loads its own
 * dependencies when it runs, so `least help` answers at once and needs no server.
 */
import { parseArgs } from 'node:util';
import { OPTIONS, USAGE, UsageError, type Invocation } from './cli/usage';

type Run = (invocation: Invocation) => Promise<number>;

const REQUEST_VERB: Run = async (invocation) => (await import('./cli/request-verbs')).runRequestVerb(invocation);

const COMMANDS: Record<string, Run> = {
  request: REQUEST_VERB,
  approve: REQUEST_VERB,
  deny: REQUEST_VERB,
  extend: REQUEST_VERB,
  done: REQUEST_VERB,
  revoke: REQUEST_VERB,
  review: REQUEST_VERB,
  approvals: REQUEST_VERB,
  show: REQUEST_VERB,
  list: async (invocation) => (await import('./cli/records')).list(invocation),
  migrate: async (invocation) => (await import('./cli/records')).migrate(invocation),
  'verify-audit': async (invocation) => (await import('./cli/records')).verifyAudit(invocation),
  validate: async (invocation) => (await import('./cli/policy')).validate(invocation),
  schema: async (invocation) => (await import('./cli/policy')).schema(invocation),
  reconcile: async (invocation) => (await import('./cli/reconcile')).runReconcile(invocation),
  inventory: async (invocation) => (await import('./cli/inventory')).runInventory(invocation),
  findings: async (invocation) => (await import('./cli/findings')).runFindings(invocation),
  cleanup: async (invocation) => (await import('./cli/cleanup')).runCleanup(invocation),
  alerts: async (invocation) => (await import('./cli/alerts')).runAlerts(invocation),
  anomalies: async (invocation) => (await import('./cli/anomalies')).runAnomalies(invocation),
  report: async (invocation) => (await import('./cli/report')).runReport(invocation),
};

/** Runs one command line; resolves to the exit code (0 done, 1 refused or failed, 2 usage error). */
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
  if (command === undefined || command === 'help' || values.help) {
    print(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  try {
    if (!run) throw new UsageError(`unknown command "${command.slice(0, 40)}"`);
    return await run({ command, values, rest, json: values.json ?? false, print });
  } catch (error) {
    if (error instanceof UsageError) {
      print(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    print(`error: ${(error as Error).message}`);
    return 1;
  }
}

/** The process entry: run, then exit with the command's code (pools and connections are closed by then). */
export function main(argv: string[]): void {
  runCli(argv).then(
    // Standard output to a pipe is written asynchronously: exit only once all of it is out.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

if (require.main === module) main(process.argv.slice(2));
