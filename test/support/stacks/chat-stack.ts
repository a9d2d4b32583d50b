import { startBotServer, type BotServer } from '../../../app/bot-server';
import type { SlackFrontEnd } from '../../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../../bot/chat-routes';
import type { PolicyInput } from '../../../domain/policy/schema';
import type { FakeSlack } from '../fakes/fake-slack';
import type { FakeTeamsConnector } from '../fakes/fake-teams';
import type { SlackSender } from '../generators/slack-requests';
import { prepareSlack } from './slack-stack';
import { startStack, type Stack } from './stack';
import { personalConversation, type TeamsSender, type TeamsUser } from '../generators/teams-requests';
import { prepareTeams } from './teams-stack';

/**
 * Slack and Teams on one stack, as a company running both would: one worker notifying both, one
 * bot server with `/slack/events` and `/api/messages`. For cross-platform tests.
 */
export interface ChatStack {
  stack: Stack;
  server: BotServer;
  slack: { fake: FakeSlack; sender: SlackSender; frontEnd: SlackFrontEnd };
  teams: { connector: FakeTeamsConnector; sender: TeamsSender; install(...users: TeamsUser[]): Promise<void> };
  close(): Promise<void>;
}

export async function startChatStack(
  kind: 'dev' | 'time-skipping',
  options: { policy?: (input: PolicyInput) => void } = {},
): Promise<ChatStack> {
  const slack = await prepareSlack();
  const teams = await prepareTeams();
  const stack = await startStack(kind, {
    policy: (input) => {
      slack.editPolicy(input);
      teams.editPolicy(input);
      options.policy?.(input);
    },
    notifiers: (parts) => [slack.notifier(parts), teams.notifier(parts)],
    cleanupNotifiers: (parts) => [slack.cleanupNotifier(parts), teams.cleanupNotifier(parts)],
    access: () => slack.access(),
  });
  const slackFrontEnd = await slack.attach(stack);
  const teamsFrontEnd = teams.attach(stack);
  const server = await startBotServer({
    port: 0,
    routes: {
      [SLACK_EVENTS_PATH]: slackFrontEnd.requestListener!,
      [TEAMS_MESSAGES_PATH]: teamsFrontEnd.requestListener,
    },
  });
  const teamsSender = teams.sender(server);
  return {
    stack,
    server,
    slack: { fake: slack.fake, sender: slack.sender(server), frontEnd: slackFrontEnd },
    teams: {
      connector: teams.connector,
      sender: teamsSender,
      async install(...users) {
        for (const user of users) await teamsSender.install(user, personalConversation(user));
      },
    },
    async close() {
      await server.close();
      await slackFrontEnd.stop();
      await teamsFrontEnd.stop();
      await stack.close();
      await slack.fake.stop();
      await teams.connector.stop();
    },
  };
}
