import type { ReportStore } from '../store/report/store';

/**
 * Auditors' exports as RFC 4180 CSV: every field quoted (a quote doubled), CRLF between records, a header
 * first. A spreadsheet runs a cell that starts with = + - @, a tab or a carriage return as a formula
 * (CSV injection), so such a text cell gets a leading apostrophe: it shows as text, and the value is
 * still readable. Rows come a keyset page at a time, so an export of any length holds one page.
 */

export const CSV_EXPORTS = ['grants', 'pci-history', 'access-keys'] as const;
export type CsvExport = (typeof CSV_EXPORTS)[number];

export const CSV_COLUMNS: Readonly<Record<CsvExport, readonly string[]>> = {
  grants: [
    'lease_id',
    'request_id',
    'requester',
    'entitlement',
    'system',
    'approvers',
    'granted_at',
    'ended_at',
    'status',
    'ended_by',
    'audit_seq',
    'audit_hash',
  ],
  'pci-history': ['system', 'day', 'pci'],
  'access-keys': ['system', 'user', 'access_key_id', 'status', 'created_at', 'last_used_at'],
};

const PAGE = 1000;

/** One field: numbers as they are; text quoted, formula starts neutralised. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '""';
  if (typeof value === 'number') return Number.isFinite(value) ? `"${value}"` : '""';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csvRecord(values: readonly (string | number | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The export's records, header first, a page of rows read at a time. `days` are UTC `YYYY-MM-DD`, both included. */
export async function* csvExport(
  reports: ReportStore,
  kind: CsvExport,
  days: { from: string; to: string },
): AsyncGenerator<string> {
  yield csvRecord(CSV_COLUMNS[kind]);
  if (kind === 'grants') {
    const period = { from: `${days.from}T00:00:00.000Z`, to: nextDay(days.to) };
    let after: { grantedAt: string; leaseId: string } | undefined;
    for (;;) {
      const page = await reports.grantsExportPage(period, after, PAGE);
      for (const g of page)
        yield csvRecord([
          g.leaseId,
          g.requestId,
          g.requester,
          g.entitlementId,
          g.systemId,
          g.approvers.join(' '),
          g.grantedAt,
          g.endedAt,
          g.status,
          g.endedBy,
          g.auditSeq,
          g.auditHash,
        ]);
      const last = page[page.length - 1];
      if (!last || page.length < PAGE) return;
      after = { grantedAt: last.grantedAt, leaseId: last.leaseId };
    }
  }
  if (kind === 'pci-history') {
    let after: { systemId: string; day: string } | undefined;
    for (;;) {
      const page = await reports.pciHistoryExportPage(days, after, PAGE);
      for (const p of page) yield csvRecord([p.systemId, p.day, p.pci]);
      const last = page[page.length - 1];
      if (!last || page.length < PAGE) return;
      after = { systemId: last.systemId, day: last.day };
    }
  }
  let after: { systemId: string; keyId: string } | undefined;
  for (;;) {
    const page = await reports.accessKeysExportPage(after, PAGE);
    for (const k of page) yield csvRecord([k.systemId, k.user, k.keyId, k.status, k.createdAt, k.lastUsedAt]);
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    after = { systemId: last.systemId, keyId: last.keyId };
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}
