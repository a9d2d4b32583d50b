import type { ConnectorClient, TurnContext } from '@microsoft/agents-hosting';
import type { Policy } from '../../domain/policy/schema';

export type Identity = { ok: true; email: string } | { ok: false; reason: string };

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;

/**
 * Who a Teams user is in Least's terms (an e-mail address). The policy's `chatUsers.teams` mapping
 * (by Entra object id or Teams user id) wins; otherwise the e-mail or UPN Teams reports for the
 * member of this conversation. Answers are cached for a few minutes.
 */
export class TeamsDirectory {
  private readonly cache = new Map<string, { at: number; identity: Identity }>();

  constructor(private readonly options: { policy: () => Policy; connectorKey: symbol; now?: () => number }) {}

  async emailOf(context: TurnContext): Promise<Identity> {
    const from = context.activity.from;
    const userId = from?.id ?? '';
    const aadObjectId = from?.aadObjectId?.toLowerCase();
    if (!userId) return { ok: false, reason: 'Teams did not say who you are.' };
    const mapping = this.options.policy().chatUsers.teams;
    const mapped = (aadObjectId && lookup(mapping, aadObjectId)) || lookup(mapping, userId);
    if (mapped) return { ok: true, email: mapped.toLowerCase() };
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(userId);
    if (hit && now - hit.at < TTL_MS) return hit.identity;
    const identity = await this.fromRoster(context, userId);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(userId, { at: now, identity });
    return identity;
  }

  private async fromRoster(context: TurnContext, userId: string): Promise<Identity> {
    const client = context.turnState.get<ConnectorClient | undefined>(this.options.connectorKey);
    const conversationId = context.activity.conversation?.id;
    if (!client || !conversationId) return { ok: false, reason: 'Least could not look you up in Teams.' };
    try {
      const member = (await client.getConversationMember(userId, conversationId)) as {
        email?: string;
        userPrincipalName?: string;
      };
      const email = (member.email ?? member.userPrincipalName ?? '').trim().toLowerCase();
      if (!email.includes('@'))
        return { ok: false, reason: 'Your Teams account has no e-mail address Least can read.' };
      return { ok: true, email };
    } catch (error) {
      if (statusOf(error) === 404)
        return { ok: false, reason: 'Teams does not know your account in this conversation.' };
      throw error;
    }
  }
}

function lookup(mapping: Record<string, string>, key: string): string | undefined {
  const direct = mapping[key];
  if (direct) return direct;
  const lower = key.toLowerCase();
  return Object.entries(mapping).find(([id]) => id.toLowerCase() === lower)?.[1];
}

function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: number; status?: number; response?: { status?: number } };
  return e.statusCode ?? e.status ?? e.response?.status;
}
