import { TeamsNotifier } from '../../activities/chat/teams-notifier';
import { AdapterTeamsPoster } from '../../activities/chat/teams-poster';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { createTeamsFrontEnd, TEAMS_MESSAGES_PATH, type TeamsFrontEnd } from '../../bot/teams/app';
import type { PolicyInput } from '../../domain/policy/schema';
import { FakeTeamsConnector } from './fake-teams';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER, startStack, type Stack } from './stack';
import { personalConversation, teamsUser, TeamsSender, type TeamsConversation, type TeamsUser } from './teams-requests';

/**
 * The product with its Teams front end, on real components: the stack (Temporal, PostgreSQL, moto,
 * real activities) with the Teams notifier in the worker, the real Agents SDK adapter served at
 * /api/messages by the bot server in local (anonymous) mode, and a local fake Bot Connector that
 * the SDK's own connector client posts replies and proactive messages to.
 */

/** The bot's app id as Teams addresses it (`28:<id>`); local mode checks no token. */
export const TEAMS_BOT_ID = '00000000-0000-4000-8000-00000000b07a';

export const TeamsPeople = {
  ada: teamsUser('Ada', { email: REQUESTER, userPrincipalName: REQUESTER }),
  lead: teamsUser('Lead', { email: LEAD, userPrincipalName: LEAD }),
  lead2: teamsUser('Lead Two', { email: LEAD2, userPrincipalName: LEAD2 }),
  admin: teamsUser('Sec', { email: ADMIN, userPrincipalName: ADMIN }),
  stranger: teamsUser('Mallory', { email: STRANGER, userPrincipalName: STRANGER }),
  /** A guest whose roster entry carries no e-mail and no UPN. */
  nomail: teamsUser('Guest', { email: '', userPrincipalName: '' }),
} satisfies Record<string, TeamsUser>;

export interface TeamsStack {
  stack: Stack;
  connector: FakeTeamsConnector;
  frontEnd: TeamsFrontEnd;
  server: BotServer;
  sender: TeamsSender;
  /** Each person's 1:1 chat with the bot. */
  chat(user: TeamsUser): TeamsConversation;
  /** Installs the app for these people (what Teams sends), so Least can reach them later. */
  install(...users: TeamsUser[]): Promise<void>;
  close(): Promise<void>;
}

export interface TeamsStackOptions {
  policy?: (input: PolicyInput) => void;
  /** Another front end sharing the stack (cross-platform tests): its notifiers, access wiring, routes. */
  alongside?: Pick<Parameters<typeof startStack>[1] & object, 'notifiers' | 'access'>;
}

export async function startTeamsStack(kind: 'dev' | 'time-skipping', options: TeamsStackOptions = {}): Promise<TeamsStack> {
  const connector = await FakeTeamsConnector.start();
  for (const user of Object.values(TeamsPeople)) {
    connector.addMember({
      id: user.id,
      name: user.name,
      aadObjectId: user.aadObjectId,
      ...(user.email ? { email: user.email } : {}),
      ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
    });
  }
  const poster = new AdapterTeamsPoster({});
  const stack = await startStack(kind, {
    ...(options.policy ? { policy: options.policy } : {}),
    notifiers: (parts) => [new TeamsNotifier({ poster, store: parts.store, policy: () => parts.policy }), ...(options.alongside?.notifiers?.(parts) ?? [])],
    ...(options.alongside?.access ? { access: options.alongside.access } : {}),
  });
  const frontEnd = createTeamsFrontEnd({ access: stack.access, policy: () => stack.policy, conversations: stack.store });
  const server = await startBotServer({ port: 0, routes: { [TEAMS_MESSAGES_PATH]: frontEnd.requestListener } });
  const sender = new TeamsSender({ botUrl: `${server.url}${TEAMS_MESSAGES_PATH}`, serviceUrl: connector.url, botId: TEAMS_BOT_ID });
  return {
    stack,
    connector,
    frontEnd,
    server,
    sender,
    chat: (user) => personalConversation(user),
    async install(...users) {
      for (const user of users) await sender.install(user, personalConversation(user));
    },
    async close() {
      await server.close();
      await stack.close();
      await connector.stop();
    },
  };
}
