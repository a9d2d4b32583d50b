import { clip, cut } from '../clip';
import { textWidth } from './font-metrics';

/**
 * Names in charts come from clouds and people (system, identity and entitlement names), so they are
 * made plain before anything measures or draws them: characters XML forbids (an SVG with one will not
 * parse), bidirectional controls (a right-to-left override can make `evil‮gpj.exe` read as something
 * else), line breaks (ECharts would start a new line) go; whitespace runs become one space. ECharts
 * escapes `<`, `&` and quotes when it writes the SVG; this makes what it escapes short and honest.
 */

/** Longer than any label can show; cut first so a 10,000-character name costs nothing to measure. */
const MAX_LABEL_CHARS = 200;

const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The name as plain one-line text of at most `maxChars` characters, `…` where it was cut. */
export function plainLabel(name: string, maxChars = MAX_LABEL_CHARS): string {
  const plain = cut(name, MAX_LABEL_CHARS * 2)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(UNSAFE, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clip(plain || '(unnamed)', maxChars);
}

/** The plain name, cut with `…` to fit `maxWidth` pixels at `fontSize`. */
export function fitLabel(name: string, maxWidth: number, fontSize: number): string {
  const plain = plainLabel(name);
  if (textWidth(plain, fontSize) <= maxWidth) return plain;
  let low = 0;
  let high = plain.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (textWidth(clip(plain, mid), fontSize) <= maxWidth) low = mid;
    else high = mid - 1;
  }
  return clip(plain, Math.max(low, 1));
}

/**
 * Labels made distinct by a ` (2)`, ` (3)` … suffix: ECharts joins series of the same name in its
 * legend, and two names cut to the same prefix must still be two lines. `taken` are names already used.
 */
export function distinctLabels(labels: readonly string[], taken: readonly string[] = []): string[] {
  const seen = new Set(taken);
  return labels.map((label) => {
    let candidate = label;
    for (let n = 2; seen.has(candidate); n += 1) candidate = `${label} (${n})`;
    seen.add(candidate);
    return candidate;
  });
}

/** `+3 more systems`. */
export function moreLabel(count: number, noun: string): string {
  return `+${count} more ${noun}`;
}
