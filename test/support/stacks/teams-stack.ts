import { TeamsNotifier } from '../../../activities/chat/teams-notifier';
import { TeamsCleanupNotifier } from '../../../activities/chat/teams-cleanup-notifier';
import type { CleanupNotifier } from '../../../activities/chat/cleanup-notifier';
import { TeamsAlertPoster } from '../../../activities/chat/teams-alert-poster';
import type { AlertPoster } from '../../../activities/chat/alert-poster';
import { startBotServer, type BotServer } from '../../../app/bot-server';
import { teamsPoster } from '../../../app/runtime';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../../bot/teams/app';
import { TEAMS_MESSAGES_PATH } from '../../../bot/chat-routes';
import type { Policy, PolicyInput } from '../../../domain/policy/schema';
import type { Notifier } from '../../../activities/chat/notifier';
import type { PgStore } from '../../../activities/store/pg-store';
import { FakeTeamsConnector } from '../fakes/fake-teams';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER, startStack, type Stack } from './stack';
import {
  personalConversation,
  teamsUser,
  TeamsSender,
  type TeamsConversation,
  type TeamsUser,
} from '../generators/teams-requests';

/**
 * The product with its Teams front end, on real components: the stack (Temporal, PostgreSQL, moto,
 * real activities) with the Teams notifier in the worker, the real Agents SDK adapter served at
 * /api/messages by the bot server in local (anonymous) mode, and a local fake Bot Connector that
 * the SDK's own connector client posts replies and proactive messages to.
 */

/** The bot's app id as Teams addresses it (`28:<id>`); local mode checks no token. */
export const TEAMS_BOT_ID = '00000000-0000-4000-8000-00000000b07a';

/** The team channel where `payments-logs` cards are posted (a policy notify target). */
/** The on-call person of the stack's policy (may break glass on `payments-logs`). */
export const ONCALL = 'oncall@example.com';

export const TEAMS_CHANNEL = '19:approvals0123456789abcdef@thread.tacv2';

export const TeamsPeople = {
  ada: teamsUser('Ada', { email: REQUESTER, userPrincipalName: REQUESTER }),
  lead: teamsUser('Lead', { email: LEAD, userPrincipalName: LEAD }),
  lead2: teamsUser('Lead Two', { email: LEAD2, userPrincipalName: LEAD2 }),
  admin: teamsUser('Sec', { email: ADMIN, userPrincipalName: ADMIN }),
  stranger: teamsUser('Mallory', { email: STRANGER, userPrincipalName: STRANGER }),
  /** A guest whose roster entry carries no e-mail and no UPN. */
  nomail: teamsUser('Guest', { email: '', userPrincipalName: '' }),
  /** No e-mail in Teams either, but mapped by Entra object id in the policy's `chatUsers.teams`. */
  oncall: teamsUser('On Call', { email: '', userPrincipalName: '' }),
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

/**
 * Teams' half of a stack, before the stack exists: the fake Bot Connector with its roster, the
 * notifier for the worker, and (once the stack runs) the real front end in local mode.
 */
export interface TeamsSide {
  connector: FakeTeamsConnector;
  editPolicy(input: PolicyInput): void;
  notifier(parts: { store: PgStore; policy: Policy }): Notifier;
  /** The cleanup's cards in owners' chats and the channel, as app/runtime.ts wires them. */
  cleanupNotifier(parts: { store: PgStore }): CleanupNotifier;
  /** Rule alerts posted into Teams channels, as app/runtime.ts `defaultAlertPosters` wires them. */
  alertPoster(parts: { store: PgStore }): AlertPoster;
  attach(stack: Stack): TeamsFrontEnd;
  sender(server: BotServer): TeamsSender;
}

export async function prepareTeams(): Promise<TeamsSide> {
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
  // the worker's own poster: the Agents SDK loads with the first message, as in production
  const poster = teamsPoster({});
  return {
    connector,
    editPolicy(input) {
      input.chatUsers = {
        ...input.chatUsers,
        teams: { ...input.chatUsers?.teams, [TeamsPeople.oncall.aadObjectId]: ONCALL },
      };
      const logs = input.entitlements.find((e) => e.id === 'payments-logs')!;
      logs.notify = [...(logs.notify ?? []), { platform: 'teams', channel: TEAMS_CHANNEL }];
    },
    notifier: ({ store, policy }) => new TeamsNotifier({ poster, store, policy: () => policy }),
    cleanupNotifier: ({ store }) =>
      new TeamsCleanupNotifier({ poster, conversations: store, messages: store.cleanupMessages }),
    alertPoster: ({ store }) => new TeamsAlertPoster({ poster, conversations: store }),
    attach: (stack) =>
      createTeamsFrontEnd({
        access: stack.access,
        cleanup: stack.cleanup,
        alerts: stack.alerts,
        policy: () => stack.policy,
        conversations: stack.store,
      }),
    sender: (server) =>
      new TeamsSender({
        botUrl: `${server.url}${TEAMS_MESSAGES_PATH}`,
        serviceUrl: connector.url,
        botId: TEAMS_BOT_ID,
      }),
  };
}

export async function startTeamsStack(
  kind: 'dev' | 'time-skipping',
  options: { policy?: (input: PolicyInput) => void } = {},
): Promise<TeamsStack> {
  const teams = await prepareTeams();
  const stack = await startStack(kind, {
    policy: (input) => {
      teams.editPolicy(input);
      options.policy?.(input);
    },
    notifiers: (parts) => [teams.notifier(parts)],
    cleanupNotifiers: (parts) => [teams.cleanupNotifier(parts)],
    alertPosters: (parts) => [teams.alertPoster(parts)],
  });
  const frontEnd = teams.attach(stack);
  const server = await startBotServer({ port: 0, routes: { [TEAMS_MESSAGES_PATH]: frontEnd.requestListener } });
  const sender = teams.sender(server);
  return {
    stack,
    connector: teams.connector,
    frontEnd,
    server,
    sender,
    chat: (user) => personalConversation(user),
    async install(...users) {
      for (const user of users) await sender.install(user, personalConversation(user));
    },
    async close() {
      await server.close();
      await frontEnd.stop();
      await stack.close();
      await teams.connector.stop();
    },
  };
}
