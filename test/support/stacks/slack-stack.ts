import { WebClient } from '@slack/web-api';
import { SlackNotifier } from '../../../activities/chat/slack-notifier';
import { SlackCleanupNotifier } from '../../../activities/chat/slack-cleanup-notifier';
import { SlackAlertPoster } from '../../../activities/chat/slack-alert-poster';
import type { AlertPoster } from '../../../activities/chat/alert-poster';
import type { CleanupNotifier } from '../../../activities/chat/cleanup-notifier';
import { startBotServer, type BotServer } from '../../../app/bot-server';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../../bot/slack/app';
import { SLACK_EVENTS_PATH } from '../../../bot/chat-routes';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { SlackDirectory } from '../../../bot/slack/directory';
import type { Policy, PolicyInput } from '../../../domain/policy/schema';
import type { Notifier } from '../../../activities/chat/notifier';
import type { PgStore } from '../../../activities/store/pg-store';
import type { AccessClientDeps } from '../../../bot/access-client';
import { FAKE_BOT_TOKEN, FakeSlack } from '../fakes/fake-slack';
import { SlackSender } from '../generators/slack-requests';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER, startStack, type Stack, type StackOptions } from './stack';

/**
 * The product with its Slack front end, on real components: the stack (Temporal, PostgreSQL, moto,
 * real activities) with the Slack notifier in the worker, the real Bolt app served over HTTP by the
 * bot server, and a local fake of the Slack Web API under the real WebClient.
 */

export const SIGNING_SECRET = 'test-signing-secret-not-a-real-one';
export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const SlackUser = {
  ada: 'UADA0001',
  lead: 'ULEAD001',
  lead2: 'ULEAD002',
  admin: 'USEC0001',
  stranger: 'UMAL0001',
  nomail: 'UNOMAIL1',
  groupLead: 'UGRP0001',
} as const;
export const GROUP_APPROVER = 'grace@example.com';
export const SLACK_GROUP = 'SAPPROVE1';

export interface SlackStack {
  stack: Stack;
  fake: FakeSlack;
  frontEnd: SlackFrontEnd;
  server: BotServer;
  sender: SlackSender;
  startWorker: Stack['startWorker'];
  close(): Promise<void>;
}

/**
 * Slack's half of a stack, before the stack exists: the fake Web API with its people, the client
 * and directory, what Slack adds to the policy, the notifier for the worker, and (once the stack
 * runs) the real Bolt front end. Shared by the Slack-only and the cross-platform stacks.
 */
export interface SlackSide {
  fake: FakeSlack;
  client: WebClient;
  directory: SlackDirectory;
  editPolicy(input: PolicyInput): void;
  notifier(parts: { store: PgStore; policy: Policy }): Notifier;
  /** The cleanup's DMs, channel summary and report in Slack, as app/runtime.ts wires them. */
  cleanupNotifier(parts: { store: PgStore }): CleanupNotifier;
  /** Rule alerts posted into Slack channels, as app/runtime.ts wires them. */
  alertPoster(): AlertPoster;
  access(): Partial<AccessClientDeps>;
  attach(stack: Stack): Promise<SlackFrontEnd>;
  sender(server: BotServer): SlackSender;
}

export async function prepareSlack(): Promise<SlackSide> {
  const fake = await FakeSlack.start();
  fake.addUser({ id: SlackUser.ada, email: REQUESTER, name: 'ada' });
  fake.addUser({ id: SlackUser.lead, email: LEAD, name: 'lead' });
  fake.addUser({ id: SlackUser.lead2, email: LEAD2, name: 'lead2' });
  fake.addUser({ id: SlackUser.admin, email: ADMIN, name: 'sec' });
  fake.addUser({ id: SlackUser.stranger, email: STRANGER, name: 'mallory' });
  fake.addUser({ id: SlackUser.nomail, name: 'no-mail' });
  fake.addUser({ id: SlackUser.groupLead, email: GROUP_APPROVER, name: 'grace' });
  fake.addUsergroup(SLACK_GROUP, [SlackUser.groupLead]);

  const client = new WebClient(FAKE_BOT_TOKEN, slackClientOptions(fake.apiUrl));
  // The directory needs the policy, which exists once the stack is up.
  const started: { stack?: Stack } = {};
  const policy = () => {
    if (!started.stack) throw new Error('the stack is not started yet');
    return started.stack.policy;
  };
  const directory = new SlackDirectory({ client, policy });
  return {
    fake,
    client,
    directory,
    editPolicy(input) {
      const readOnly = input.entitlements.find((e) => e.id === 'prod-read-only')!;
      readOnly.notify = [...(readOnly.notify ?? []), { platform: 'slack', channel: APPROVAL_CHANNEL }];
      input.entitlements.push({
        id: 'payments-logs-by-group',
        title: 'Read payment logs (group approval)',
        system: 'aws-prod',
        grant: {
          kind: 'aws-iam-inline-policy',
          statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::payments-logs/*'] }],
        },
        requesters: { everyone: true },
        approvers: { slackUserGroups: [SLACK_GROUP] },
      });
    },
    notifier: ({ store, policy: stackPolicy }) =>
      new SlackNotifier({ client, store, people: directory, policy: () => stackPolicy }),
    cleanupNotifier: ({ store }) =>
      new SlackCleanupNotifier({ client, people: directory, messages: store.cleanupMessages }),
    alertPoster: () => new SlackAlertPoster({ client }),
    access: () => ({ externalGroups: () => directory.externalGroups() }),
    async attach(stack) {
      started.stack = stack;
      const frontEnd = createSlackFrontEnd({
        botToken: FAKE_BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        apiUrl: fake.apiUrl,
        access: stack.access,
        cleanup: stack.cleanup,
        alerts: stack.alerts,
        policy,
        client,
        directory,
      });
      await frontEnd.start();
      return frontEnd;
    },
    sender: (server) =>
      new SlackSender({
        url: `${server.url}${SLACK_EVENTS_PATH}`,
        signingSecret: SIGNING_SECRET,
        responseUrl: (id) => fake.responseUrl(id),
      }),
  };
}

export async function startSlackStack(
  kind: 'dev' | 'time-skipping',
  options: { policy?: (input: PolicyInput) => void; clouds?: StackOptions['clouds'] } = {},
): Promise<SlackStack> {
  const slack = await prepareSlack();
  const stack = await startStack(kind, {
    ...(options.clouds ? { clouds: options.clouds } : {}),
    policy: (input) => {
      slack.editPolicy(input);
      options.policy?.(input);
    },
    notifiers: (parts) => [slack.notifier(parts)],
    cleanupNotifiers: (parts) => [slack.cleanupNotifier(parts)],
    alertPosters: () => [slack.alertPoster()],
    access: () => slack.access(),
  });
  const frontEnd = await slack.attach(stack);
  const server = await startBotServer({ port: 0, routes: { [SLACK_EVENTS_PATH]: frontEnd.requestListener! } });
  return {
    stack,
    fake: slack.fake,
    frontEnd,
    server,
    sender: slack.sender(server),
    startWorker: () => stack.startWorker(),
    async close() {
      await server.close();
      await frontEnd.stop();
      await stack.close();
      await slack.fake.stop();
    },
  };
}

/** The request id a person was shown (in a reply, a modal or a card). */
export function requestIdIn(value: unknown): string {
  const match = /r-[a-z0-9]{10}/.exec(JSON.stringify(value));
  if (!match) throw new Error(`no request id in ${JSON.stringify(value).slice(0, 300)}`);
  return match[0];
}

/** Every button (action id and value) in a set of blocks. */
export function buttonsIn(blocks: unknown): { action_id: string; value?: string }[] {
  const found: { action_id: string; value?: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const element = node as Record<string, unknown>;
      if (element.type === 'button' && typeof element.action_id === 'string') {
        found.push({
          action_id: element.action_id,
          ...(typeof element.value === 'string' ? { value: element.value } : {}),
        });
      }
      Object.values(element).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

/** All the words of some blocks, for assertions about what a person reads. */
export function textOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object')
      Object.entries(node).forEach(([key, child]) =>
        key === 'text' && typeof child === 'string' ? parts.push(child) : walk(child),
      );
  };
  walk(value);
  return parts.join('\n');
}
