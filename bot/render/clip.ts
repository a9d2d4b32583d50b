/**
 * Cutting text to a chat platform's limit. Slack and Teams count in UTF-16 units alike; what differs
 * is escaping, so each platform's `clipEscaped` builds on these.
 */

/** At most `max` characters, ending with `…` when cut; never splits an emoji's surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? '…' : '';
  return `${cut(text, max - 1)}…`;
}

/** The first `max` UTF-16 units, one fewer when that would split a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
