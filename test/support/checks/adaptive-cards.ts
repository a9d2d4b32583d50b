import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cardBytes, type AdaptiveCard } from '../../../bot/render/teams';
import { ADAPTIVE_CARD_VERSION, REFRESH_USER_IDS_MAX, TEAMS_CARD_MAX_BYTES } from '../../../bot/render/teams/ids';

/**
 * Cards checked by the Adaptive Cards library itself (the renderer Teams' web client is built on),
 * then by what the library does not say: it drops an element, an action or a property it does not
 * know (an Action.Execute `verb` on a card below 1.4, say) without a single event, so every typed
 * object is also compared with what survives a parse and re-serialisation. Teams' own limits
 * (size, refresh audience) come last.
 */

interface LibraryEvent {
  event: number;
  message: string;
}

interface Library {
  AdaptiveCard: new () => {
    parse(json: unknown, context?: unknown): void;
    validateProperties(): { validationEvents: LibraryEvent[]; allIds: Record<string, number> };
    toJSON(): unknown;
  };
  SerializationContext: new () => { readonly eventCount: number; getEventAt(index: number): LibraryEvent };
  ValidationEvent: Record<number, string>;
}

// The package's `main` (lib/) is ES modules imported without file extensions, which Node cannot
// load; the webpack bundle in dist/ is CommonJS and parses, validates and serialises without a DOM.
const AC = createRequire(__filename)('adaptivecards/dist/adaptivecards.js') as Library;

const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Everything wrong with a card, as lines a person can read; empty when Teams would take it. */
export function validateCard(card: AdaptiveCard): string[] {
  // What Teams receives is JSON: anything that does not survive stringify is not there.
  const sent = JSON.parse(JSON.stringify(card)) as AdaptiveCard;
  const problems: string[] = [];
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(sent, context);
  for (let i = 0; i < context.eventCount; i += 1) problems.push(`parse: ${describe(context.getEventAt(i))}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${describe(event)}`);

  const survived = signatures(parsed.toJSON());
  for (const signature of signatures(sent)) {
    const at = survived.indexOf(signature);
    if (at === -1) problems.push(`dropped by the parser: ${signature}`);
    else survived.splice(at, 1);
  }
  problems.push(...structure(sent), ...teamsLimits(sent, card));
  return problems;
}

/** Fails with every problem of the card, and returns it for chaining. */
export function assertCardValid<T extends AdaptiveCard>(card: T): T {
  const problems = validateCard(card);
  assert.deepEqual(problems, [], `Adaptive Card rejected:\n${problems.join('\n')}`);
  return card;
}

function describe(event: LibraryEvent): string {
  return `${AC.ValidationEvent[event.event] ?? event.event}: ${event.message}`;
}

/**
 * One line per typed object: its type and what a handler or a reader depends on (input id, verb,
 * data, URL, text). `msteams` is Teams' own extension, which the library does not model.
 */
function signatures(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(signatures);
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const own: string[] = [];
  if (typeof record.type === 'string') {
    const parts = [record.type];
    for (const key of ['id', 'verb', 'data', 'url', 'text', 'title', 'value', 'isRequired', 'style']) {
      if (record[key] !== undefined) parts.push(`${key}=${stable(record[key])}`);
    }
    own.push(parts.join(' '));
  }
  if (Array.isArray(record.userIds)) own.push(`userIds=${stable(record.userIds)}`);
  if (Array.isArray(record.facts)) {
    for (const fact of record.facts) own.push(`fact ${stable(fact)}`);
  }
  if (Array.isArray(record.choices)) {
    for (const choice of record.choices) own.push(`choice ${stable(choice)}`);
  }
  return [
    ...own,
    ...Object.entries(record)
      .filter(([key]) => key !== 'msteams' && key !== 'facts' && key !== 'choices')
      .flatMap(([, child]) => signatures(child)),
  ];
}

/** JSON with sorted keys, lower-cased enum-like strings: the library writes `Bolder` for `bolder`. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${key}:${stable((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What the library accepts but Teams shows badly or the bot cannot handle. */
function structure(card: AdaptiveCard): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${path}[${i}]`));
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) problems.push(`${path}: half an emoji`);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const type = record.type;
    if (type === 'TextBlock' && !(typeof record.text === 'string' && record.text.trim())) {
      problems.push(`${path}: a TextBlock without text`);
    }
    if (typeof type === 'string' && type.startsWith('Action.') && !path.endsWith('.action')) {
      if (!(typeof record.title === 'string' && record.title.trim()))
        problems.push(`${path}: an action without a title`);
    }
    if (type === 'Action.Execute' && !(typeof record.verb === 'string' && record.verb)) {
      problems.push(`${path}: an Action.Execute without a verb`);
    }
    if (type === 'Action.OpenUrl' && !(typeof record.url === 'string' && record.url.startsWith('https://'))) {
      problems.push(`${path}: a link that is not https`);
    }
    if (type === 'Input.Text' || type === 'Input.ChoiceSet') {
      if (!(typeof record.label === 'string' && record.label.trim()))
        problems.push(`${path}: an input without a label`);
    }
    Object.entries(record).forEach(([key, child]) => walk(child, `${path}.${key}`));
  };
  walk(card, 'card');
  return problems;
}

function teamsLimits(sent: AdaptiveCard, card: AdaptiveCard): string[] {
  const problems: string[] = [];
  if (sent.type !== 'AdaptiveCard') problems.push(`type: ${String(sent.type)}`);
  if (sent.version !== ADAPTIVE_CARD_VERSION) problems.push(`version: ${sent.version}, not ${ADAPTIVE_CARD_VERSION}`);
  if (sent.$schema !== SCHEMA) problems.push(`$schema: ${String(sent.$schema)}`);
  const bytes = cardBytes(card);
  if (bytes > TEAMS_CARD_MAX_BYTES) problems.push(`${bytes} bytes > ${TEAMS_CARD_MAX_BYTES}`);
  if (sent.refresh) {
    const { action, userIds } = sent.refresh;
    if (action?.type !== 'Action.Execute' || !action.verb) problems.push('refresh: not an Action.Execute with a verb');
    // Without userIds Teams refreshes for everyone in a small chat, who would all get the approver's card.
    if (!userIds || userIds.length === 0) problems.push('refresh: no userIds');
    else if (userIds.length > REFRESH_USER_IDS_MAX)
      problems.push(`refresh: ${userIds.length} userIds > ${REFRESH_USER_IDS_MAX}`);
  }
  return problems;
}
