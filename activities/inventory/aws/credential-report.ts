import { GenerateCredentialReportCommand, GetCredentialReportCommand, type IAMClient } from '@aws-sdk/client-iam';

/**
 * The IAM credential report: one CSV row per user with password and access-key use. AWS builds it
 * asynchronously and keeps it for four hours, so asking again within a run is cheap.
 */

export interface CredentialRow {
  user: string;
  arn: string;
  passwordEnabled: boolean;
  passwordLastUsed?: string;
  /** When the password was last set (its age, for "unused since it was set"). */
  passwordLastChanged?: string;
  /** Last use of access keys 1 and 2, as the report has them. */
  keysLastUsed: string[];
}

export interface ReportPolling {
  delayMs: number;
  attempts: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_REPORT_POLLING: ReportPolling = {
  delayMs: 2_000,
  attempts: 30,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Generates the report when none is fresh, waits for it, and reads it by user ARN. */
export async function readCredentialReport(
  iam: IAMClient,
  polling: ReportPolling,
): Promise<{ rows: Map<string, CredentialRow>; malformed: string[] }> {
  for (let attempt = 0; attempt < polling.attempts; attempt++) {
    const generated = await iam.send(new GenerateCredentialReportCommand({}));
    if (generated.State === 'COMPLETE') break;
    await polling.sleep(polling.delayMs);
  }
  // still being built after every attempt: GetCredentialReport fails, and the retried page asks again
  const report = await iam.send(new GetCredentialReportCommand({}));
  return parseCredentialReport(Buffer.from(report.Content ?? new Uint8Array()).toString('utf8'));
}

/** The report's dates are ISO times, or words for "never": `N/A`, `no_information`, `not_supported`. */
function reportDate(value: string | undefined): string | undefined | null {
  if (!value || value === 'N/A' || value === 'no_information' || value === 'not_supported') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

export function parseCredentialReport(csv: string): { rows: Map<string, CredentialRow>; malformed: string[] } {
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines.shift() ?? '').split(',');
  const column = (name: string): number => header.indexOf(name);
  const at = {
    user: column('user'),
    arn: column('arn'),
    passwordEnabled: column('password_enabled'),
    passwordLastUsed: column('password_last_used'),
    passwordLastChanged: column('password_last_changed'),
    key1: column('access_key_1_last_used_date'),
    key2: column('access_key_2_last_used_date'),
  };
  const rows = new Map<string, CredentialRow>();
  const malformed: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const user = cells[at.user] ?? '';
    const arn = cells[at.arn] ?? '';
    if (user === '<root_account>') continue;
    const dates = [at.passwordLastUsed, at.key1, at.key2, at.passwordLastChanged].map((index) =>
      reportDate(cells[index]),
    );
    if (!arn.startsWith('arn:') || dates.includes(null)) {
      malformed.push(user || line.slice(0, 80));
      continue;
    }
    const [passwordLastUsed, key1, key2, passwordLastChanged] = dates as (string | undefined)[];
    rows.set(arn, {
      user,
      arn,
      passwordEnabled: cells[at.passwordEnabled] === 'true',
      passwordLastUsed,
      ...(passwordLastChanged ? { passwordLastChanged } : {}),
      keysLastUsed: [key1, key2].filter((date): date is string => date !== undefined),
    });
  }
  return { rows, malformed };
}
