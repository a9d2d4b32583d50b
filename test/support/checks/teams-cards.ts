import type { FakeTeamsConnector, ConnectorActivity } from '../fakes/fake-teams';
import { waitUntil } from './assertions';

/** Reading Teams messages as a person would: the cards in a chat, their buttons and words. */

export interface ExecuteAction {
  verb: string;
  data: Record<string, unknown>;
  title?: string;
}

/** Every Action.Execute in a card (buttons, not the refresh action). */
export function executeActionsIn(card: unknown): ExecuteAction[] {
  const found: ExecuteAction[] = [];
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) node.forEach((child) => walk(child));
    else if (node && typeof node === 'object') {
      const element = node as Record<string, unknown>;
      if (key !== 'refresh' && element.type === 'Action.Execute' && typeof element.verb === 'string') {
        found.push({
          verb: element.verb,
          data: (element.data as Record<string, unknown>) ?? {},
          ...(typeof element.title === 'string' ? { title: element.title } : {}),
        });
      }
      for (const [childKey, child] of Object.entries(element)) {
        if (childKey === 'refresh') continue;
        walk(child, childKey);
      }
    }
  };
  walk(card);
  return found;
}

/** The card's `refresh.userIds`, or undefined when it does not refresh. */
export function refreshUserIdsOf(card: unknown): string[] | undefined {
  const refresh = (card as { refresh?: { userIds?: string[] } } | undefined)?.refresh;
  return refresh ? (refresh.userIds ?? []) : undefined;
}

/** All the words of a card or message, for assertions about what a person reads. */
export function wordsOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (typeof child === 'string' && ['text', 'title', 'value', 'summary', 'label', 'placeholder'].includes(key))
          parts.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  return parts.join('\n');
}

/** The card in a message, if it has one. */
export function cardOf(message: ConnectorActivity | undefined): Record<string, unknown> | undefined {
  const attachment = message?.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return attachment?.content as Record<string, unknown> | undefined;
}

/** Waits for a message in a conversation that matches, and returns it as it reads now. */
export async function messageIn(
  connector: FakeTeamsConnector,
  conversationId: string,
  matches: (message: ConnectorActivity) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<ConnectorActivity> {
  let found: ConnectorActivity | undefined;
  await waitUntil(
    () => {
      found = connector.messagesIn(conversationId).find(matches);
      return found !== undefined;
    },
    `${what} (in ${conversationId}: ${connector
      .messagesIn(conversationId)
      .map((m) => wordsOf(m).slice(0, 80))
      .join(' | ')
      .slice(0, 600)})`,
    timeoutMs,
  );
  return found!;
}

/** The card an invoke answered with (`adaptiveCard/action` response body). */
export function invokeCard(body: unknown): Record<string, unknown> {
  const response = body as { statusCode?: number; type?: string; value?: unknown };
  if (response?.type !== 'application/vnd.microsoft.card.adaptive')
    throw new Error(`not a card response: ${JSON.stringify(body).slice(0, 400)}`);
  return response.value as Record<string, unknown>;
}

/** The text an invoke answered with, when it answered with a message. */
export function invokeMessage(body: unknown): string {
  const response = body as { type?: string; value?: unknown };
  if (response?.type !== 'application/vnd.microsoft.activity.message')
    throw new Error(`not a message response: ${JSON.stringify(body).slice(0, 400)}`);
  return String(response.value);
}
