import { startBotServer } from '../../app/bot-server';
import { createTeamsFrontEnd } from '../../bot/teams/app';
import { TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { TeamsInput, TeamsVerb } from '../../bot/render/teams/ids';
import { inlinePolicyName } from '../../domain/lease';
import { FakeTeamsConnector } from '../../test/support/fakes/fake-teams';
import { LEAD } from '../../test/support/stacks/stack';
import { executeActionsIn, invokeCard, wordsOf } from '../../test/support/checks/teams-cards';
import {
  personalConversation,
  teamsUser,
  TeamsSender,
  type TeamsConversation,
  type TeamsUser,
} from '../../test/support/generators/teams-requests';
import { TEAMS_BOT_ID } from '../../test/support/stacks/teams-stack';
import { now } from '../lib/clock';
import { endAll, INLINE_ENTITLEMENT, requester, type BenchContext } from '../lib/context';
import { inlinePolicyObserver } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';

const REQUEST_ID = /r-[a-z0-9]{10}/;
/** Teams sends the id of the message whose card was clicked; these stand in for the request forms' ids. */
const FIRST_FORM_ID = 1_700_200_000_000;

interface Person {
  user: TeamsUser;
  chat: TeamsConversation;
}

function person(name: string, email: string): Person {
  const user = teamsUser(name, { email, userPrincipalName: email });
  return { user, chat: personalConversation(user) };
}

/**
 * The Teams front end under load, over loopback HTTP: the real Agents SDK adapter (local mode, no app
 * id) behind the bot server, the fake Bot Connector its own ConnectorClient replies to, the bench
 * stack (dev server, PostgreSQL, moto) behind. Everyone installs the app first (unmeasured).
 * 1. N people send `help` at once: the time to HTTP 200, which includes the reply POST to the connector.
 * 2. N people submit the request card (payments-logs, 1h) at once: the time to the invoke response
 *    carrying the request id (evaluation, workflow start and its first query happen inside the turn).
 * 3. The lead clicks Approve on each (bounded concurrency): the invoke response, and the inline
 *    policy appearing in moto.
 */
export async function teamsScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config } = ctx;
  const { messages, concurrency, approveConcurrency, pollMs } = config.teams;
  const report = newReport('teams');
  const startedAt = now();
  const connector = await FakeTeamsConnector.start();
  const people = Array.from({ length: messages }, (_, i) =>
    person(`Bench Teams ${String(i).padStart(4, '0')}`, requester('teams', i)),
  );
  const lead = person('Bench Lead', LEAD);
  for (const { user } of [...people, lead]) {
    connector.addMember({
      id: user.id,
      name: user.name,
      aadObjectId: user.aadObjectId,
      email: user.email,
      userPrincipalName: user.userPrincipalName,
    });
  }
  const frontEnd = createTeamsFrontEnd({
    access: stack.access,
    policy: () => stack.policy,
    conversations: stack.store,
  });
  const server = await startBotServer({ port: 0, routes: { [TEAMS_MESSAGES_PATH]: frontEnd.requestListener } });
  const sender = new TeamsSender({
    botUrl: `${server.url}${TEAMS_MESSAGES_PATH}`,
    serviceUrl: connector.url,
    botId: TEAMS_BOT_ID,
  });
  const observer = inlinePolicyObserver(stack, pollMs);
  observer.start();
  const leases: { requestId: string; requester: string }[] = [];
  try {
    // Unmeasured: installs store each chat and look each person up in the roster (the directory caches it).
    const installed = await runPool(messages + 1, concurrency, ctx.signal, async (i) => {
      const { user, chat } = i < messages ? people[i]! : lead;
      const { installationUpdate, conversationUpdate } = await sender.install(user, chat);
      if (installationUpdate.status !== 200 || conversationUpdate.status !== 200)
        throw new Error(`install answered ${installationUpdate.status} / ${conversationUpdate.status}`);
    });
    if (installed.errors.length) throw new Error(`install failed: ${describeErrors(installed.errors).join('; ')}`);
    // Unmeasured: a few messages load the SDK's and our handler code paths.
    for (let i = 0; i < 5; i++) await sender.message(people[0]!.user, people[0]!.chat, 'help');

    const helpMs: number[] = [];
    const helped = await runPool(messages, concurrency, ctx.signal, async (i) => {
      const { user, chat } = people[i]!;
      const sent = now();
      const answer = await sender.message(user, chat, 'help');
      if (answer.status !== 200) throw new Error(`help answered ${answer.status}`);
      helpMs.push(now() - sent);
      const replied = connector
        .callsTo('replyToActivity')
        .some((call) => call.activityId === answer.activity.id && call.status === 201);
      if (!replied) throw new Error('help answered 200 without a reply in the chat');
    });
    latency(
      report,
      `help message sent → HTTP 200, reply posted (${concurrency} at once)`,
      helpMs,
      helped.errors.length,
    );
    report.errors.push(...describeErrors(helped.errors).map((e) => `help: ${e}`));

    const submitMs: number[] = [];
    const ids: string[] = new Array<string>(messages);
    const submitted = await runPool(messages, concurrency, ctx.signal, async (i) => {
      const { user, chat } = people[i]!;
      const inputs = {
        [TeamsInput.Entitlement]: INLINE_ENTITLEMENT,
        [TeamsInput.Duration]: '1h',
        [TeamsInput.Reason]: `benchmark ${i}`,
      };
      const sent = now();
      const answer = await sender.execute(
        user,
        chat,
        { verb: TeamsVerb.SubmitRequest, inputs },
        String(FIRST_FORM_ID + i),
      );
      if (answer.status !== 200) throw new Error(`submit answered ${answer.status}`);
      const match = REQUEST_ID.exec(wordsOf(invokeCard(answer.body)));
      if (!match)
        throw new Error(`submitted card without a request id: ${wordsOf(invokeCard(answer.body)).slice(0, 200)}`);
      submitMs.push(now() - sent);
      ids[i] = match[0];
      leases.push({ requestId: match[0], requester: user.email });
    });
    latency(
      report,
      `request card submitted → invoke response with the request id (${concurrency} at once)`,
      submitMs,
      submitted.errors.length,
    );
    report.errors.push(...describeErrors(submitted.errors).map((e) => `submit: ${e}`));

    const answerMs: number[] = [];
    const clickMs: number[] = [];
    const approved = await runPool(messages, approveConcurrency, ctx.signal, async (i) => {
      const id = ids[i];
      if (!id) return;
      await ctx.notices.wait(id, 'approval-needed', 60_000);
      const card = await postApprovalCard(connector, lead.chat, id);
      const key = inlinePolicyName(id);
      observer.watch(key);
      const sent = now();
      const answer = await sender.execute(
        lead.user,
        lead.chat,
        { verb: TeamsVerb.Approve, data: { requestId: id } },
        card,
      );
      if (answer.status !== 200) throw new Error(`approve answered ${answer.status}`);
      // The lead still being offered buttons means the decision was refused; the card says why.
      if (executeActionsIn(invokeCard(answer.body)).length > 0)
        throw new Error(`approve refused: ${wordsOf(invokeCard(answer.body)).slice(0, 200)}`);
      answerMs.push(now() - sent);
      const visible = await observer.waitPresent(key, 60_000);
      clickMs.push(visible - sent);
      observer.forget(key);
    });
    latency(
      report,
      `Approve invoke → invoke response with the outcome card (${approveConcurrency} in flight)`,
      answerMs,
      approved.errors.length,
    );
    latency(
      report,
      `Approve invoke → inline policy listed in moto (${approveConcurrency} in flight)`,
      clickMs,
      approved.errors.length,
    );
    report.errors.push(...describeErrors(approved.errors).map((e) => `approve: ${e}`));
    value(report, 'requests (submitted / approved)', `${leases.length} / ${clickMs.length}`);
    value(report, 'Bot Connector calls (route status ×n)', connectorCalls(connector));
    report.notes.push(
      'Bench, bot, worker and fake Bot Connector share one Node process and the 2 cores with Temporal, moto and PostgreSQL; latencies at 50 at once are mostly queueing on that event loop.',
      "Teams waits for the bot: a message's 200 comes after the reply POST to the connector and the chat's reference is stored; an invoke's response carries the card, so the submit includes the idempotency query, policy evaluation, the workflow start and its first query, and the Approve includes the update's round trip and the PUT that updates the clicked card.",
      'People are looked up in the roster at install (unmeasured); the directory caches them, so no measured turn calls getConversationMember.',
      'The bench stack notifies through the LogNotifier only: the approval card the lead clicks is a stand-in posted to the fake connector before the click (unmeasured; the sendToConversation calls).',
      `The click is timed from the HTTP request to the first ListRolePolicies that lists the policy; the observer polls every ${pollMs} ms.`,
    );
  } finally {
    await observer.stop();
    const cleanup = await endAll(ctx, leases, 20);
    value(
      report,
      'cleanup: leases ended (20 in flight)',
      `${cleanup.results.length} in ${cleanup.seconds.toFixed(1)} s`,
    );
    await server.close();
    await connector.stop();
  }
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

/** What the notifier would have posted in the approver's chat: a message the click then names as `replyToId`. */
async function postApprovalCard(
  connector: FakeTeamsConnector,
  chat: TeamsConversation,
  requestId: string,
): Promise<string> {
  const response = await fetch(`${connector.url}v3/conversations/${encodeURIComponent(chat.id)}/activities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', text: `Approval needed: ${requestId}` }),
  });
  if (response.status !== 201)
    throw new Error(`could not post the approval card: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** What the bot asked of the connector, e.g. `replyToActivity 201 ×105`: shows every reply and card update landed. */
function connectorCalls(connector: FakeTeamsConnector): string {
  const counts = new Map<string, number>();
  for (const call of connector.calls)
    counts.set(`${call.route} ${call.status}`, (counts.get(`${call.route} ${call.status}`) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${key} ×${n}`).join(', ');
}
