import { createHash } from 'node:crypto';
import type { AuditProblem, AuditRow, AuditVerification } from './types';

/**
 * The audit log's hash chain: each row's hash covers its own contents and the previous row's hash, so
 * changing, removing or reordering any row breaks every link after it. Pure: no database here.
 */

export const GENESIS_HASH = '0'.repeat(64);

/** Verification stops listing problems past this many; a log that broken needs a person, not a longer list. */
const MAX_PROBLEMS = 1000;

export type ChainedContent = Pick<
  AuditRow,
  'seq' | 'at' | 'actor' | 'action' | 'requestId' | 'detail' | 'key' | 'prevHash'
>;

/**
 * JSON with object keys sorted at every depth, so the same content always gives the same text whatever
 * order jsonb (which reorders keys) or a caller put them in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  return `{${members.join(',')}}`;
}

/** What the detail becomes after a trip through jsonb: undefined dropped, Dates as strings, NaN as null. */
export function storedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(detail, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value)),
  ) as Record<string, unknown>;
}

/**
 * jsonb refuses NUL and unpaired surrogates, which hostile chat text can carry; the refusal of such
 * text must still be audited, so those characters are replaced before hashing and storing.
 */
function storableText(text: string): string {
  return text
    .replaceAll('\u0000', '\uFFFD')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** timestamptz comes back with millisecond precision at best; hashing that form keeps old rows verifiable. */
export function normaliseAt(at: string): string {
  const time = new Date(at);
  if (Number.isNaN(time.getTime())) throw new RangeError(`audit time "${at}" is not an ISO 8601 time`);
  return time.toISOString();
}

export function chainHash(content: ChainedContent): string {
  const canonical = canonicalJson({
    seq: content.seq,
    at: normaliseAt(content.at),
    actor: content.actor,
    action: content.action,
    request_id: content.requestId ?? null,
    detail: content.detail,
    key: content.key ?? null,
    prev_hash: content.prevHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Takes rows one at a time in ascending seq order (the caller's job), so a log of any length verifies in
 * constant memory, and collects problems in words an operator can act on.
 */
export class ChainWalk {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  private rows = 0;
  private readonly problems: AuditProblem[] = [];
  private dropped = 0;

  visit(row: AuditRow): void {
    this.rows += 1;
    const gap = row.seq > this.expectedSeq;
    if (gap) {
      const first = this.expectedSeq;
      const last = row.seq - 1;
      this.report(
        first,
        first === last ? `row ${first} is missing (deleted)` : `rows ${first} to ${last} are missing (deleted)`,
      );
    }
    if (chainHash(row) !== row.hash) {
      this.report(row.seq, `row ${row.seq} was modified: its hash does not match its contents`);
    }
    // Across a gap the previous row is gone, so its hash cannot be compared; the gap is already reported.
    if (!gap && row.prevHash !== this.previousHash) {
      this.report(
        row.seq,
        row.seq === 1
          ? 'row 1 does not start the chain: its prev_hash should be all zeros'
          : `row ${row.seq} does not follow row ${row.seq - 1}: it records a different hash for row ${row.seq - 1}, ` +
              `so row ${row.seq - 1} was rewritten (contents and hash) or row ${row.seq} was`,
      );
    }
    this.previousHash = row.hash;
    this.expectedSeq = row.seq + 1;
  }

  /** Compares the end of the chain with the head, which is what reveals deletion of the newest rows. */
  finish(head: AuditHead | undefined): AuditVerification {
    const last = this.expectedSeq - 1;
    if (!head) {
      this.report(last, 'the audit head row is missing, so deletion of the newest rows cannot be ruled out');
    } else if (head.seq > last) {
      this.report(
        last + 1,
        last === 0
          ? `every row was deleted: head says ${head.seq}`
          : `the newest row(s) after ${last} were deleted: head says ${head.seq}`,
      );
    } else if (head.seq < last) {
      this.report(
        head.seq + 1,
        `rows after ${head.seq} were added outside the audit log's append: head says ${head.seq}, last row is ${last}`,
      );
    } else if (head.hash !== this.previousHash) {
      this.report(
        last,
        last === 0
          ? 'the audit head was altered: an empty log must have an all-zero head hash'
          : `row ${last} does not match the head: the newest row was rewritten (contents and hash)`,
      );
    }
    if (this.dropped > 0) {
      this.problems.push({
        seq: last,
        problem: `${this.dropped} more problem(s) not listed; the log is badly damaged`,
      });
    }
    return { ok: this.problems.length === 0, rows: this.rows, problems: this.problems };
  }

  private report(seq: number, problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ seq, problem });
    else this.dropped += 1;
  }
}
