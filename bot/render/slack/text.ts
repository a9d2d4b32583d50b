import { clip } from '../clip';

/**
 * Text that reaches Slack's mrkdwn parser. Anything a person or a policy wrote goes through
 * `userText`/`userLine`: Slack turns `<…>` into mentions and links, so an unescaped reason could ping
 * a channel or show `bank.example` while linking elsewhere.
 */

// Cutting to a limit is the same on every platform; what differs is the escaping below.
export { clip, cut } from '../clip';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Controls have no place in a card; bidi overrides and isolates reorder the text after them (Trojan Source).
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;
// Only a word on its own: `ops@here.example` is an address, not a broadcast.
const BROADCAST = /(?<![\w.+-])@(channel|here|everyone)\b/gi;
const WORD_JOINER = '\u2060';
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** Escapes `& < >` and breaks literal `@channel`/`@here`/`@everyone` with an invisible joiner. */
export function escapeMrkdwn(text: string): string {
  return visible(text)
    .replace(/[&<>]/g, (c) => ENTITIES[c] ?? c)
    .replace(BROADCAST, `@${WORD_JOINER}$1`);
}

/** Text without controls or bidi overrides, newlines kept: for input values a person will edit. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/** `clip` for text that is already escaped: a cut `&amp;` would show as a stray `&am`. */
export function clipEscaped(escaped: string, max: number): string {
  const cut = clip(escaped, max);
  if (cut === escaped || max <= 1) return cut;
  // In escaped text every `&` starts an entity, so a trailing `&` without its `;` is half an entity.
  return cut.slice(0, -1).replace(/&[a-z]*$/, '') + '…';
}

/** User or policy text for a mrkdwn field, escaped, then clipped to the field's limit. */
export function userText(text: string, max: number): string {
  return clipEscaped(escapeMrkdwn(text), max);
}

/** `userText` on one line: a newline in a ticket or a name must not forge a line of the card. */
export function userLine(text: string, max: number): string {
  return userText(oneLine(text), max);
}

/**
 * User text as a mrkdwn quote: every line starts with `>`, so a reason cannot pass its own lines off
 * as the card's (e.g. "Approved by the CISO").
 */
export function quoted(text: string, max: number): string {
  const lines = escapeMrkdwn(
    text
      .replace(/\r\n?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
  ).split('\n');
  return clipEscaped(lines.map((line) => `>${line}`).join('\n'), max);
}

/** For plain_text objects: Slack parses no mentions or links there, so no escaping, only one clipped line. */
export function plainText(text: string, max: number): string {
  return clip(oneLine(text), max);
}

/** `<@U123>` when the id is a Slack user id, else the escaped e-mail. */
export function mention(userId: string | undefined, email: string): string {
  return userId && userId.length <= 32 && SLACK_USER_ID.test(userId) ? `<@${userId}>` : userLine(email, 254);
}

/** A time each reader sees in their own time zone; the ISO fallback is for clients that cannot. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return userLine(iso, 40);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

function oneLine(text: string): string {
  return visible(text).replace(/\s+/g, ' ').trim();
}

/**
 * How Slack writes what the shared sentences (findings', the cleanup's) quote and stress: user text
 * escaped on one line, times in each reader's zone, `*bold*` and `` `code` ``.
 */
export const slackDialect = {
  line: userLine,
  date: slackDate,
  bold: (markup: string): string => `*${markup}*`,
  code: (markup: string): string => `\`${markup}\``,
  escape: escapeMrkdwn,
};

/** A notification's text: mrkdwn in the dialect above without its stress or code marks. */
export function unmarked(mrkdwn: string): string {
  return mrkdwn.replace(/[*`]/g, '');
}
