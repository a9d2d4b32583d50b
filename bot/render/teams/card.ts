import {
  ADAPTIVE_CARD_VERSION,
  REFRESH_USER_IDS_MAX,
  TEAMS_CARD_MAX_BYTES,
  TeamsVerb,
  type TeamsActionData,
} from './ids';
import { clip, clipEscaped, cut, plainText, userText } from './text';

/** An Adaptive Card as Teams receives it in an attachment or an invoke response. */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: string;
  $schema?: string;
  body: unknown[];
  actions?: unknown[];
  refresh?: {
    action: { type: 'Action.Execute'; verb: string; data?: Record<string, unknown> };
    userIds?: string[];
  };
  msteams?: { width?: 'Full' };
  [key: string]: unknown;
}

/**
 * A Teams message: fallback text plus at most one card. Without a card, `text` is the message, in
 * escaped Teams markdown. With one, `text` is a plain one-line summary of at most `SUMMARY_CHARS`
 * for notifications and the chat list (the activity's `summary`): Teams parses no markdown there.
 */
export interface TeamsMessage {
  text: string;
  card?: AdaptiveCard;
}

export type CardElement = { type: string; [key: string]: unknown };
export type CardAction = {
  type: 'Action.Execute' | 'Action.OpenUrl' | 'Action.ShowCard';
  title: string;
  [key: string]: unknown;
};

export const SUMMARY_CHARS = 200;
/** The message text when there is no card: Teams' limit is far above it, the reader's patience is not. */
export const MESSAGE_CHARS = 4000;
/** One TextBlock's markdown at most; callers clip user text to their own, smaller share first. */
const TEXT_CHARS = 5000;
const TITLE_CHARS = 40;
/** Request ids are `r-` and ten characters; a longer value is no request id the bot would accept. */
const DATA_CHARS = 64;

const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
const UTF8 = new TextEncoder();

export type Color = 'default' | 'good' | 'warning' | 'attention' | 'accent';

/**
 * A card within Teams' size limit. Budgets are in characters, but Teams counts bytes and a character
 * can take three of them (CJK, or a `\[` escape in JSON): when the card is still too large, the
 * longest texts are halved until it fits.
 */
export function card(
  body: CardElement[],
  options: { actions?: CardAction[]; refresh?: { requestId: string; userIds: readonly string[] } } = {},
): AdaptiveCard {
  const { actions = [], refresh } = options;
  const userIds = refresh?.userIds.slice(0, REFRESH_USER_IDS_MAX) ?? [];
  return fit({
    type: 'AdaptiveCard',
    $schema: SCHEMA,
    version: ADAPTIVE_CARD_VERSION,
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...(refresh && userIds.length > 0
      ? {
          refresh: {
            action: {
              type: 'Action.Execute',
              verb: TeamsVerb.Refresh,
              data: { requestId: cut(refresh.requestId, DATA_CHARS) },
            },
            userIds,
          },
        }
      : {}),
    msteams: { width: 'Full' },
  });
}

/** Bytes of the card as Teams receives it (UTF-8 JSON). */
export function cardBytes(value: AdaptiveCard): number {
  return jsonBytes(value);
}

/** Bytes of any part of a card, for lists that fill a share of the card's budget. */
export function jsonBytes(value: unknown): number {
  return UTF8.encode(JSON.stringify(value)).length;
}

/** A message with a card: `summary` is plain text, clipped for a notification. */
export function withCard(summary: string, value: AdaptiveCard): TeamsMessage {
  return { text: plainText(summary, SUMMARY_CHARS), card: value };
}

/** A message without a card: `markdown` is already escaped. */
export function textOnly(markdown: string): TeamsMessage {
  return { text: clipEscaped(markdown, MESSAGE_CHARS) };
}

/** Markdown that is already escaped; Teams shows an empty TextBlock as a gap, so there is always text. */
export function text(
  markdown: string,
  style: {
    weight?: 'bolder';
    size?: 'small' | 'medium' | 'large';
    color?: Color;
    subtle?: boolean;
    separator?: boolean;
    spacing?: 'none' | 'small' | 'medium';
  } = {},
): CardElement {
  return {
    type: 'TextBlock',
    text: clipEscaped(markdown, TEXT_CHARS).trim() || '–',
    wrap: true,
    ...(style.weight ? { weight: style.weight } : {}),
    ...(style.size ? { size: style.size } : {}),
    ...(style.color ? { color: style.color } : {}),
    ...(style.subtle ? { isSubtle: true } : {}),
    ...(style.separator ? { separator: true } : {}),
    ...(style.spacing ? { spacing: style.spacing } : {}),
  };
}

/** Label/value pairs; values are escaped markdown. */
export function facts(pairs: readonly (readonly [title: string, markdown: string])[]): CardElement {
  return {
    type: 'FactSet',
    facts: pairs.map(([title, value]) => ({ title, value: clipEscaped(value, TEXT_CHARS).trim() || '–' })),
  };
}

/** A group of elements; `emphasis` shades it, to set a person's words apart from the card's own. */
export function container(
  items: CardElement[],
  options: { style?: 'emphasis' | 'good' | 'attention' | 'warning'; separator?: boolean } = {},
): CardElement {
  return {
    type: 'Container',
    items,
    ...(options.style ? { style: options.style } : {}),
    ...(options.separator ? { separator: true, spacing: 'medium' } : {}),
  };
}

export function actionSet(actions: CardAction[]): CardElement {
  return { type: 'ActionSet', actions };
}

/** A Universal Action: Teams sends `verb` and `data` (plus the card's inputs) to the bot. */
export function execute(
  title: string,
  verb: TeamsVerb,
  data: TeamsActionData | undefined,
  style?: 'positive' | 'destructive',
): CardAction {
  const opaque = data
    ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, cut(String(value), DATA_CHARS)]))
    : undefined;
  return {
    type: 'Action.Execute',
    title: plainText(title, TITLE_CHARS),
    verb,
    ...(opaque ? { data: opaque } : {}),
    ...(style ? { style } : {}),
  };
}

const SAFE_URL = /^https:\/\/[^\s<>"'`\\]+$/;
const URL_CHARS = 2000;

/** A link button, only for an https URL that fits: a cloud's URL is still not ours to trust blindly. */
export function openUrl(title: string, url: string | undefined): CardAction | undefined {
  if (!url || url.length > URL_CHARS || !SAFE_URL.test(url)) return undefined;
  try {
    if (new URL(url).protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return { type: 'Action.OpenUrl', title: plainText(title, TITLE_CHARS), url };
}

/** A card's own headline. */
export function heading(title: string): CardElement {
  return text(title, { weight: 'bolder', size: 'medium' });
}

/** A problem the person must fix, at the top of the card; it may quote what they typed. */
export function problemBlock(problem: string | undefined): CardElement[] {
  return problem ? [text(`⚠️ ${userText(problem, 1000)}`, { color: 'attention', weight: 'bolder' })] : [];
}

/** Halves the longest text until the card fits; lists are capped where they are built. */
function fit(value: AdaptiveCard): AdaptiveCard {
  for (let round = 0; round < 200 && cardBytes(value) > TEAMS_CARD_MAX_BYTES; round += 1) {
    const longest = texts(value).sort((a, b) => b.get().length - a.get().length)[0];
    if (!longest || longest.get().length <= 80) break;
    longest.set(clipEscaped(longest.get(), Math.floor(longest.get().length / 2)));
  }
  if (cardBytes(value) <= TEAMS_CARD_MAX_BYTES) return value;
  // Only a bug (a list built without a cap) gets here; a card Teams accepts beats one it refuses.
  return {
    type: 'AdaptiveCard',
    $schema: SCHEMA,
    version: ADAPTIVE_CARD_VERSION,
    body: [
      text(clip('This card is too large for Teams to show. Type **list** or **approvals** to see it in parts.', 200)),
    ],
  };
}

/** Every TextBlock text and fact value, as a handle that can shorten it in place. */
function texts(node: unknown): { get: () => string; set: (next: string) => void }[] {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const own: { get: () => string; set: (next: string) => void }[] = [];
  if (record.type === 'TextBlock' && typeof record.text === 'string') {
    own.push({ get: () => record.text as string, set: (next) => void (record.text = next) });
  }
  if (record.type === 'FactSet' && Array.isArray(record.facts)) {
    for (const fact of record.facts as { value: string }[]) {
      own.push({ get: () => fact.value, set: (next) => void (fact.value = next) });
    }
    return own;
  }
  return [...own, ...Object.values(record).flatMap(texts)];
}
