/**
 * A unified-looking line diff of two JSON documents (a policy before and after its cleanup), for the
 * Show diff button. Pure and bounded: documents are cut to a number of lines before comparing, so a
 * hostile or huge document costs a bounded amount of work and never a message too large to send.
 */

export type DiffLineKind = 'same' | 'removed' | 'added' | 'gap';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line as written in the pretty-printed JSON, indentation kept; for a gap, how many lines were skipped. */
  text: string;
}

export interface DocumentDiff {
  lines: DiffLine[];
  removed: number;
  added: number;
  /** True when a document was longer than the comparison looks at: the tail is summarised, not diffed. */
  truncated: boolean;
}

/** Lines of each document compared at most; a policy document (6,144 characters inline) is far below it. */
const MAX_LINES = 1500;
const CONTEXT = 3;

/** Pretty-printed JSON lines; `null` and `undefined` (no document) are no lines. */
function documentLines(document: unknown): string[] {
  if (document === undefined || document === null) return [];
  const text = typeof document === 'string' ? document : (JSON.stringify(document, null, 2) ?? '');
  return text.split(/\r\n?|\n/);
}

/** The lines that differ between `before` and `after`, with a few lines of context and gaps between hunks. */
export function diffDocuments(before: unknown, after: unknown): DocumentDiff {
  const allOld = documentLines(before);
  const allNew = documentLines(after);
  const truncated = allOld.length > MAX_LINES || allNew.length > MAX_LINES;
  const old = allOld.slice(0, MAX_LINES);
  const next = allNew.slice(0, MAX_LINES);
  const edits = lineEdits(old, next);
  const removed = edits.filter((e) => e.kind === 'removed').length;
  const added = edits.filter((e) => e.kind === 'added').length;
  return { lines: withContext(edits), removed, added, truncated };
}

/** Longest-common-subsequence edit script over the lines between a shared head and tail. */
function lineEdits(old: string[], next: string[]): DiffLine[] {
  let head = 0;
  while (head < old.length && head < next.length && old[head] === next[head]) head += 1;
  let tail = 0;
  while (
    tail < old.length - head &&
    tail < next.length - head &&
    old[old.length - 1 - tail] === next[next.length - 1 - tail]
  )
    tail += 1;
  const a = old.slice(head, old.length - tail);
  const b = next.slice(head, next.length - tail);
  const middle: DiffLine[] = [];
  const width = b.length + 1;
  // lengths[i * width + j]: the LCS of a[i..] and b[j..]; at most 1500 × 1500 cells.
  const lengths = new Uint16Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i -= 1)
    for (let j = b.length - 1; j >= 0; j -= 1)
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1]! + 1
          : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      middle.push({ kind: 'same', text: a[i]! });
      i += 1;
      j += 1;
    } else if (j >= b.length || (i < a.length && lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!)) {
      middle.push({ kind: 'removed', text: a[i]! });
      i += 1;
    } else {
      middle.push({ kind: 'added', text: b[j]! });
      j += 1;
    }
  }
  return [
    ...old.slice(0, head).map((text): DiffLine => ({ kind: 'same', text })),
    ...middle,
    ...old.slice(old.length - tail).map((text): DiffLine => ({ kind: 'same', text })),
  ];
}

/** Keeps CONTEXT unchanged lines around each change; longer unchanged runs become one gap line. */
function withContext(edits: DiffLine[]): DiffLine[] {
  const near = new Array<boolean>(edits.length).fill(false);
  edits.forEach((edit, at) => {
    if (edit.kind === 'same') return;
    for (let k = Math.max(0, at - CONTEXT); k <= Math.min(edits.length - 1, at + CONTEXT); k += 1) near[k] = true;
  });
  const out: DiffLine[] = [];
  let skipped = 0;
  edits.forEach((edit, at) => {
    if (near[at]) {
      if (skipped > 0) out.push({ kind: 'gap', text: String(skipped) });
      skipped = 0;
      out.push(edit);
    } else skipped += 1;
  });
  if (skipped > 0 && out.length > 0) out.push({ kind: 'gap', text: String(skipped) });
  return out;
}
