import type { AdaptiveCard } from '../../../../bot/render/teams';

// Request states and entitlements are the same on both platforms; what follows reads Teams cards.
export * from '../fixtures';

/** Teams user ids of approvers, as the bot passes them for `refresh.userIds`. */
export const APPROVER_IDS = ['29:1lead-a', '29:1lead-b'];

type Node = Record<string, unknown>;

function walk(node: unknown, visit: (record: Node, key: string) => void, key = ''): void {
  if (Array.isArray(node)) return node.forEach((child) => walk(child, visit, key));
  if (!node || typeof node !== 'object') return;
  const record = node as Node;
  visit(record, key);
  Object.entries(record).forEach(([childKey, child]) => walk(child, visit, childKey));
}

/** Every string Teams renders as markdown: TextBlock texts, fact titles and values, in order. */
export function markdownTexts(card: AdaptiveCard | undefined): string[] {
  const found: string[] = [];
  walk(card, (record, key) => {
    if (record.type === 'TextBlock' && typeof record.text === 'string') found.push(record.text);
    if (key === 'facts' && typeof record.title === 'string' && typeof record.value === 'string') {
      found.push(record.title, record.value);
    }
  });
  return found;
}

/** All markdown of a card as one string, for `includes`/`match`. */
export function shown(card: AdaptiveCard | undefined): string {
  return markdownTexts(card).join('\n');
}

/** The facts of a card as `title → value`. */
export function factsOf(card: AdaptiveCard | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  walk(card, (record, key) => {
    if (key === 'facts' && typeof record.title === 'string' && typeof record.value === 'string') {
      found[record.title] = record.value;
    }
  });
  return found;
}

export interface ShownAction {
  type: string;
  title: string;
  verb?: string;
  data?: Record<string, unknown>;
  style?: string;
  url?: string;
}

/** The buttons a person can click, in order: the card's own and those of ActionSets; not refresh. */
export function buttons(card: AdaptiveCard | undefined): ShownAction[] {
  const found: ShownAction[] = [];
  walk({ body: card?.body, actions: card?.actions }, (record) => {
    if (typeof record.type !== 'string' || !record.type.startsWith('Action.')) return;
    found.push({
      type: record.type,
      title: String(record.title),
      ...(typeof record.verb === 'string' ? { verb: record.verb } : {}),
      ...(record.data ? { data: record.data as Record<string, unknown> } : {}),
      ...(typeof record.style === 'string' ? { style: record.style } : {}),
      ...(typeof record.url === 'string' ? { url: record.url } : {}),
    });
  });
  return found;
}

/** `[verb, data]` of each Action.Execute button. */
export function verbs(card: AdaptiveCard | undefined): [string | undefined, Record<string, unknown> | undefined][] {
  return buttons(card)
    .filter((b) => b.type === 'Action.Execute')
    .map((b) => [b.verb, b.data]);
}

/** The inputs of a card, by id. */
export function inputs(card: AdaptiveCard | undefined): Record<string, Node> {
  const found: Record<string, Node> = {};
  walk(card?.body, (record) => {
    if (typeof record.type === 'string' && record.type.startsWith('Input.') && typeof record.id === 'string') {
      found[record.id] = record;
    }
  });
  return found;
}
