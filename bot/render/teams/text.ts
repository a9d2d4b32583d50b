import { clip } from '../clip';

/**
 * Text that reaches Teams' markdown. TextBlocks and fact values render a markdown subset (bold,
 * italic, lists, links), so anything a person, a policy or a cloud wrote goes through
 * `userText`/`userLine`: a reason must not show `bank.example` while linking elsewhere, pass its own
 * bold line off as the card's, or reorder the text around it.
 */

// Cutting to a limit is the same on every platform; what differs is the escaping below.
export { clip, cut } from '../clip';

// Controls and C1 controls have no place in a card; bidi overrides, isolates and marks reorder the
// text after them (Trojan Source); zero-width and tag characters hide text. A zero-width joiner is
// kept only inside an emoji sequence (👩‍💻), where it is what joins the picture.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]|\u200D(?!\p{Extended_Pictographic})/gu;
// Characters that open a link or an image (`[`), emphasis, code, a strikethrough, a table cell,
// an autolink or a Teams mention tag (`<at>`), the `{{DATE()}}` functions Teams expands, and the
// backslash itself, so a person's `\` cannot undo the escape after it. Parentheses are left alone: a
// link needs `](`, and escaping them would put a backslash into every `AWS production (1234…)` on
// clients whose markdown ignores escapes.
const INLINE = /[\\`*[\]<~|{]/g;
// `_` emphasises only at a word's edge; inside `first_last@example.com` it is a letter.
const EDGE_UNDERSCORE = /(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
// `&` only where it starts an entity: `&#x202E;` would decode to the override just removed.
const ENTITY = /&(?=#?[a-z0-9]+;)/gi;
// Characters that only matter at the start of a line: headings, quotes, list bullets, setext rules.
const LINE_START = /^([ \t]*)([#>+\-=])/gm;
// `1.` or `1)` at the start of a line is a numbered list; escaping the dot keeps the number.
const ORDERED = /^([ \t]*\d+)([.)])/gm;

const TEAMS_DATE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/;

/** Text without controls, bidi overrides or invisible characters; newlines kept, in one form. */
export function visible(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(INVISIBLE, '')
    .replace(/\t/g, ' ');
}

/** Backslash-escapes what Teams markdown would read as syntax, so the text shows as typed. */
export function escapeMarkdown(text: string): string {
  return visible(text)
    .replace(INLINE, '\\$&')
    .replace(EDGE_UNDERSCORE, '\\_')
    .replace(ENTITY, '\\&')
    .replace(LINE_START, '$1\\$2')
    .replace(ORDERED, '$1\\$2');
}

/**
 * `clip` for text that is already escaped: a cut that ends on the `\` of `\[` would leave a lone
 * backslash, which escapes whatever follows it (our own `**`, say).
 */
export function clipEscaped(escaped: string, max: number): string {
  const clipped = clip(escaped, max);
  if (clipped === escaped || max <= 1) return clipped;
  const body = clipped.slice(0, -1);
  const backslashes = body.length - body.replace(/\\+$/, '').length;
  return `${backslashes % 2 === 1 ? body.slice(0, -1) : body}…`;
}

/**
 * User or policy text for a TextBlock or fact value: escaped, clipped to `max`, each line its own
 * paragraph (markdown joins lines parted by a single newline).
 */
export function userText(text: string, max: number): string {
  const lines = visible(text)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n\n');
  return clipEscaped(escapeMarkdown(lines), max);
}

/** `userText` on one line: a newline in a ticket or a name must not forge a line of the card. */
export function userLine(text: string, max: number): string {
  return clipEscaped(escapeMarkdown(oneLine(text)), max);
}

/**
 * For what Teams shows as plain text (input labels and values, choice titles, button titles, the
 * notification summary): no markdown is parsed there, so no escaping, only one visible clipped line.
 */
export function plainText(text: string, max: number): string {
  return clip(oneLine(text), max);
}

/**
 * A time each reader sees in their own time zone and language: Teams expands `{{DATE()}}` and
 * `{{TIME()}}` in TextBlocks. It reads only whole-second UTC times, so milliseconds are dropped.
 */
export function teamsDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return userLine(iso, 40);
  const match = TEAMS_DATE.exec(new Date(ms).toISOString());
  if (!match) return userLine(iso, 40);
  const utc = `${match[1]}Z`;
  return `{{DATE(${utc}, SHORT)}} {{TIME(${utc})}}`;
}

/**
 * How Teams writes what the shared sentences (findings', the cleanup's) quote and stress: user text
 * escaped on one line, times in each reader's zone, bold. Teams markdown has no code spans; names and
 * commands stand out in bold.
 */
export const teamsDialect = {
  line: userLine,
  date: teamsDate,
  bold: (markup: string): string => `**${markup}**`,
  code: (markup: string): string => `**${markup}**`,
  escape: escapeMarkdown,
};

/** A notification's summary: plain text (Teams parses no markdown there), the dialect's stress and escapes dropped. */
export function unmarked(markdown: string): string {
  return markdown.replace(/\*\*|\\(?=[\\`*[\]<~|{_&#>+\-=.)])/g, '');
}

function oneLine(text: string): string {
  return visible(text).replace(/\s+/g, ' ').trim();
}
