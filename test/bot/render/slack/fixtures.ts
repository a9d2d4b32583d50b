// Request states and entitlements are the same on both platforms; what follows reads Slack payloads.
export * from '../fixtures';

/** Every `text` of a mrkdwn object, and a message's fallback `text`: what Slack parses for mentions and links. */
export function mrkdwnTexts(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, top: boolean): void => {
    if (Array.isArray(node)) return node.forEach((child) => walk(child, false));
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.text === 'string' && (record.type === 'mrkdwn' || (top && Array.isArray(record.blocks))))
      found.push(record.text);
    Object.values(record).forEach((child) => walk(child, false));
  };
  walk(value, true);
  return found;
}

/** The buttons of a payload, in order. */
export function buttons(
  value: unknown,
): { action_id: string; value?: string; style?: string; url?: string; text: string }[] {
  const found: { action_id: string; value?: string; style?: string; url?: string; text: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'button') {
      found.push({
        action_id: String(record.action_id),
        text: String((record.text as { text?: string }).text),
        ...(typeof record.value === 'string' ? { value: record.value } : {}),
        ...(typeof record.style === 'string' ? { style: record.style } : {}),
        ...(typeof record.url === 'string' ? { url: record.url } : {}),
      });
    }
    Object.values(record).forEach(walk);
  };
  walk(value);
  return found;
}

/** All mrkdwn of a payload as one string, for `includes`/`match`. */
export function shown(value: unknown): string {
  return mrkdwnTexts(value).join('\n');
}

export function blockTypes(blocks: readonly { type: string }[]): string[] {
  return blocks.map((block) => block.type);
}
