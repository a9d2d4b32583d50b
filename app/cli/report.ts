import type { FileHandle } from 'node:fs/promises';
import { CSV_EXPORTS, type CsvExport } from '../../activities/report/csv';
import { loadPolicy, withPgStore } from './connect';
import { usage, type Invocation } from './usage';

/**
 * `least report …`: a forensic identity report as one self-contained HTML file, and auditors' CSV
 * exports (grants, PCI history, access keys). Reads PostgreSQL only; every report and export is audited.
 */
export async function runReport(invocation: Invocation): Promise<number> {
  const [first, ...rest] = invocation.rest;
  if (first === undefined)
    usage(
      'report needs an identity (an e-mail, ARN, role name, object id or member), or grants|pci-history|access-keys --csv',
    );
  if ((CSV_EXPORTS as readonly string[]).includes(first) && rest.length === 0)
    return csvExport({ ...invocation, rest }, first as CsvExport);
  if (rest.length > 0)
    usage(`report takes one identity, not "${[first, ...rest].join(' ').slice(0, 80)}" (quote a name with spaces)`);
  return identityReport(invocation, first);
}

async function identityReport({ values, json, print }: Invocation, identity: string): Promise<number> {
  if (values.csv) usage('--csv is for the exports: report grants|pci-history|access-keys --csv');
  if (values.from !== undefined || values.to !== undefined)
    usage('--from and --to are for the CSV exports; an identity report takes --days N (1 to 365)');
  const out = values.out;
  if (!out) usage('report IDENTITY needs --out FILE: the HTML report is written there');
  const days = daysOption(values.days);
  const { buildIdentityReport } = await import('../../activities/report/identity-report');
  const { DomainError } = await import('../../domain/errors');
  const policy = await loadPolicy();
  return withPgStore(async (store) => {
    let file;
    try {
      file = await buildIdentityReport(
        { store, policy: () => policy, audit: async (entry) => void (await store.appendAudit(entry)) },
        {
          identity,
          ...(values.system !== undefined ? { systemId: values.system } : {}),
          days,
          at: new Date().toISOString(),
          requestedBy: await asker(values.as),
        },
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      print(
        json ? JSON.stringify({ ok: false, code: error.code, message: error.message }) : `refused: ${error.message}`,
      );
      return 1;
    }
    const written = await writeOut(out, values.force ?? false, async (handle) => handle.writeFile(file.body, 'utf8'));
    if (!written.ok) {
      print(json ? JSON.stringify({ ok: false, message: written.message }) : `error: ${written.message}`);
      return 1;
    }
    if (json)
      print(
        JSON.stringify({
          ok: true,
          path: written.path,
          bytes: written.bytes,
          title: file.title,
          subjects: file.subjects,
          ...(file.person ? { person: file.person } : {}),
        }),
      );
    else {
      print(`wrote ${written.path} (${written.bytes.toLocaleString('en-US')} bytes)`);
      print(
        `${file.title}: ${file.subjects.length === 0 ? 'no cloud identity in the inventory' : file.subjects.map((s) => `${s.name} in ${s.systemId}`).join(', ')}`,
      );
    }
    return 0;
  });
}

async function csvExport({ values, json, print }: Invocation, kind: CsvExport): Promise<number> {
  if (!values.csv) usage(`report ${kind} is an export: add --csv`);
  if (kind === 'access-keys' && (values.from !== undefined || values.to !== undefined))
    usage('access-keys lists the keys of the current inventory: --from and --to do not apply');
  if (values.days !== undefined || values.system !== undefined)
    usage('the CSV exports take --from YYYY-MM-DD --to YYYY-MM-DD, not --days or --system');
  const days = periodOption(values.from, values.to);
  const { csvExport: records } = await import('../../activities/report/csv');
  const { AuditAction } = await import('../../domain/audit');
  const requestedBy = await asker(values.as);
  return withPgStore(async (store) => {
    let rows = -1; // the header is not a row
    const audit = async (detail: Record<string, unknown>): Promise<void> =>
      void (await store.appendAudit({
        actor: requestedBy,
        action: AuditAction.ReportGenerated,
        detail: { export: kind, ...(kind === 'access-keys' ? {} : days), ...detail },
      }));
    if (!values.out) {
      // each record ends in CRLF: print adds the LF
      for await (const record of records(store.reports, kind, days)) {
        print(record.slice(0, -1));
        rows += 1;
      }
      await audit({ rows, to: 'stdout' });
      return 0;
    }
    const written = await writeOut(values.out, values.force ?? false, async (handle) => {
      let batch = '';
      for await (const record of records(store.reports, kind, days)) {
        batch += record;
        rows += 1;
        if (batch.length > 256 * 1024) {
          await handle.write(batch);
          batch = '';
        }
      }
      await handle.write(batch);
    });
    if (!written.ok) {
      print(json ? JSON.stringify({ ok: false, message: written.message }) : `error: ${written.message}`);
      return 1;
    }
    await audit({ rows, file: written.path });
    if (json) print(JSON.stringify({ ok: true, path: written.path, bytes: written.bytes, rows }));
    else
      print(
        `wrote ${written.path} (${written.bytes.toLocaleString('en-US')} bytes, ${rows.toLocaleString('en-US')} rows)`,
      );
    return 0;
  });
}

/** `--days`: a whole number from 1 to 365; 90 when absent. */
function daysOption(raw: string | undefined): number {
  if (raw === undefined) return 90;
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(days) || days < 1 || days > 365)
    usage(`--days is a whole number from 1 to 365, not "${raw.slice(0, 20)}"`);
  return days;
}

/** `--from`/`--to` as UTC days; the last 90 days to today when absent. */
function periodOption(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const today = new Date().toISOString().slice(0, 10);
  const last = to === undefined ? today : calendarDay(to, '--to');
  const first =
    from === undefined
      ? new Date(Date.parse(`${last}T00:00:00Z`) - 89 * 86_400_000).toISOString().slice(0, 10)
      : calendarDay(from, '--from');
  if (first > last) usage(`--from ${first} is after --to ${last}`);
  return { from: first, to: last };
}

function calendarDay(raw: string, option: string): string {
  const ms = Date.parse(`${raw}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== raw)
    usage(`${option} is a day, YYYY-MM-DD, not "${raw.slice(0, 20)}"`);
  return raw;
}

/** Who the header and the audit log name: `--as`, or the operator's login on this machine. */
async function asker(as: string | undefined): Promise<string> {
  if (as !== undefined && as.trim() !== '') return as.trim().toLowerCase();
  const os = await import('node:os');
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (a container's arbitrary uid): still say it came from the CLI
  }
  return `cli:${user}`;
}

/**
 * Writes a new file (never over an existing one unless `force`), and says where and how big. A failed
 * write leaves no half file behind when the file was new.
 */
async function writeOut(
  file: string,
  force: boolean,
  write: (handle: FileHandle) => Promise<unknown>,
): Promise<{ ok: true; path: string; bytes: number } | { ok: false; message: string }> {
  const { open, stat, unlink } = await import('node:fs/promises');
  const path = await import('node:path');
  const target = path.resolve(file);
  let handle: FileHandle;
  try {
    handle = await open(target, force ? 'w' : 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      message:
        code === 'EEXIST'
          ? `${target} exists; add --force to overwrite it`
          : `cannot write ${target}: ${(error as Error).message}`,
    };
  }
  try {
    await write(handle);
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (!force) await unlink(target).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return { ok: true, path: target, bytes: (await stat(target)).size };
}
