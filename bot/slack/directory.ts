import type { WebClient } from '@slack/web-api';
import { slackGroupKey, slackGroupsIn, type ExternalGroups } from '../../domain/policy/evaluate';
import type { Policy } from '../../domain/policy/schema';

export type Identity = { ok: true; email: string } | { ok: false; reason: string };

export interface SlackDirectoryOptions {
  client: WebClient;
  policy: () => Policy;
  /** How long a looked-up person or group stays trusted; profile changes show up after this. */
  ttlMs?: number;
  now?: () => number;
}

const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;

/**
 * Who a Slack user is in Least's terms (an e-mail address) and back. The policy's `chatUsers.slack`
 * mapping wins; otherwise the profile e-mail (users:read.email). Answers are cached for a few
 * minutes: a slash command must be acknowledged within 3 seconds.
 */
export class SlackDirectory {
  private readonly emails = new Cache<Identity>();
  private readonly userIds = new Cache<string | undefined>();
  private readonly groups = new Cache<string[]>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SlackDirectoryOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async emailOf(userId: string): Promise<Identity> {
    const mapped = this.options.policy().chatUsers.slack[userId];
    if (mapped) return { ok: true, email: mapped };
    return this.cached(this.emails, userId, async () => {
      try {
        const { user } = await this.options.client.users.info({ user: userId });
        if (!user || user.deleted) return { ok: false, reason: 'Your Slack account is deactivated.' };
        if (user.is_bot) return { ok: false, reason: 'Bots cannot request or approve access.' };
        const email = user.profile?.email?.trim().toLowerCase();
        if (!email) return { ok: false, reason: 'Your Slack profile has no e-mail address Least can read.' };
        return { ok: true, email };
      } catch (error) {
        if (slackError(error) === 'user_not_found') return { ok: false, reason: 'Slack does not know your account.' };
        throw error;
      }
    });
  }

  /** The Slack user to DM for an e-mail address, if there is one. */
  async userIdOf(email: string): Promise<string | undefined> {
    const wanted = email.toLowerCase();
    const mapped = Object.entries(this.options.policy().chatUsers.slack).find(
      ([, mappedEmail]) => mappedEmail === wanted,
    );
    if (mapped) return mapped[0];
    return this.cached(this.userIds, wanted, async () => {
      try {
        const { user } = await this.options.client.users.lookupByEmail({ email: wanted });
        return user?.id && !user.deleted ? user.id : undefined;
      } catch (error) {
        if (slackError(error) === 'users_not_found') return undefined;
        throw error;
      }
    });
  }

  /** Members (as e-mail addresses) of every Slack user group the policy names. */
  async externalGroups(): Promise<ExternalGroups> {
    const entries = await Promise.all(
      slackGroupsIn(this.options.policy()).map(
        async (groupId) => [slackGroupKey(groupId), await this.groupMembers(groupId)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  private async groupMembers(groupId: string): Promise<string[]> {
    return this.cached(this.groups, groupId, async () => {
      let users: string[];
      try {
        users = (await this.options.client.usergroups.users.list({ usergroup: groupId })).users ?? [];
      } catch (error) {
        // A group that is gone has no members: nobody gets authority from it.
        if (slackError(error) === 'no_such_subteam') return [];
        throw error;
      }
      const identities = await Promise.all(users.map((userId) => this.emailOf(userId)));
      return identities.flatMap((identity) => (identity.ok ? [identity.email] : []));
    });
  }

  private async cached<T>(cache: Cache<T>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key, this.now());
    if (hit) return hit.value;
    const value = await load();
    cache.set(key, value, this.now() + this.ttlMs);
    return value;
  }
}

/** The `error` string of a Slack Web API platform error (`user_not_found`), if it is one. */
export function slackError(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

class Cache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  get(key: string, now: number): { value: T } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: T, until: number): void {
    // Oldest first in a Map: dropping the first key keeps memory bounded under hostile traffic.
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until });
  }
}
