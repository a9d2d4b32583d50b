import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value COPY's text format can carry: absent values become NULL. */
export type CopyValue = string | number | boolean | null | undefined;

const ROWS_PER_CHUNK = 2000;

/** COPY text format: backslash, tab, newline and carriage return are escaped; `\N` is NULL. */
function field(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function* lines(rows: readonly CopyValue[][]): Generator<string> {
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    let text = '';
    for (const row of rows.slice(start, start + ROWS_PER_CHUNK)) text += `${row.map(field).join('\t')}\n`;
    yield text;
  }
}

/**
 * Streams rows into `table` (a staging table of the caller's transaction) with COPY FROM STDIN. Table and
 * column names are the caller's constants, never input; values travel as COPY data, never as SQL.
 */
export async function copyRows(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: readonly CopyValue[][],
): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(lines(rows)), stream);
}
