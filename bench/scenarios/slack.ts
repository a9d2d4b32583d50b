import { WebClient } from '@slack/web-api';
import { startBotServer } from '../../app/bot-server';
import { createSlackFrontEnd, SLACK_EVENTS_PATH, slackClientOptions } from '../../bot/slack/app';
import { SlackDirectory } from '../../bot/slack/directory';
import { SlackAction } from '../../bot/render/slack/ids';
import { inlinePolicyName } from '../../domain/lease';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../test/support/fakes/fake-slack';
import { SlackSender } from '../../test/support/generators/slack-requests';
import { LEAD } from '../../test/support/stacks/stack';
import { now } from '../lib/clock';
import { endAll, INLINE_ENTITLEMENT, requester, type BenchContext } from '../lib/context';
import { inlinePolicyObserver } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';

const SIGNING_SECRET = 'bench-signing-secret';
const LEAD_SLACK_ID = 'ULEADBENCH';

/**
 * The Slack front end under load, over loopback HTTP: the real Bolt app behind the bot server, the
 * fake Slack Web API under the real WebClient, the bench stack (dev server, PostgreSQL, moto) behind.
 * 1. N people send `/access request payments-logs 1h …` at once (signed): the time to Slack's ack
 *    (the HTTP response), and to the private reply carrying the request id (response_url).
 * 2. The lead clicks Approve on each (signed block_actions, bounded concurrency): the time from the
 *    click to the inline policy appearing in moto.
 */
export async function slackScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config } = ctx;
  const { commands, concurrency, approveConcurrency, pollMs } = config.slack;
  const report = newReport('slack');
  const startedAt = now();
  const fake = await FakeSlack.start();
  const people = Array.from({ length: commands }, (_, i) => ({
    email: requester('slack', i),
    userId: `UBENCH${String(i).padStart(4, '0')}`,
  }));
  for (const person of people) fake.addUser({ id: person.userId, email: person.email });
  fake.addUser({ id: LEAD_SLACK_ID, email: LEAD });
  const client = new WebClient(FAKE_BOT_TOKEN, slackClientOptions(fake.apiUrl));
  const directory = new SlackDirectory({ client, policy: () => stack.policy });
  const frontEnd = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: fake.apiUrl,
    access: stack.access,
    policy: () => stack.policy,
    client,
    directory,
  });
  const server = await startBotServer({ port: 0, routes: { [SLACK_EVENTS_PATH]: frontEnd.requestListener! } });
  const sender = new SlackSender({
    url: `${server.url}${SLACK_EVENTS_PATH}`,
    signingSecret: SIGNING_SECRET,
    responseUrl: (id) => fake.responseUrl(id),
  });
  const observer = inlinePolicyObserver(stack, pollMs);
  observer.start();
  const leases: { requestId: string; requester: string }[] = [];
  try {
    // Unmeasured: a few commands load Bolt's and our handler code paths.
    for (let i = 0; i < 5; i++) await sender.command(people[0]!.userId, 'help');
    const helpMs: number[] = [];
    const helped = await runPool(commands, concurrency, ctx.signal, async (i) => {
      const sent = now();
      const answer = await sender.command(people[i]!.userId, 'help');
      if (answer.status !== 200) throw new Error(`help answered ${answer.status}`);
      helpMs.push(now() - sent);
    });
    latency(
      report,
      `/access help sent → HTTP ack with the answer (${concurrency} at once)`,
      helpMs,
      helped.errors.length,
    );
    const ackMs: number[] = [];
    const replyMs: number[] = [];
    const ids: string[] = new Array<string>(commands);
    const asked = await runPool(commands, concurrency, ctx.signal, async (i) => {
      const person = people[i]!;
      const sent = now();
      const answer = await sender.command(person.userId, `request ${INLINE_ENTITLEMENT} 1h benchmark ${i}`, {
        triggerId: `bench-${i}`,
      });
      ackMs.push(now() - sent);
      if (answer.status !== 200) throw new Error(`command answered ${answer.status}`);
      const reply = await fake.waitFor('response_url', (call) => call.responseId === answer.responseId, 60_000);
      replyMs.push(now() - sent);
      const match = /r-[a-z0-9]{10}/.exec(JSON.stringify(reply.args));
      if (!match) throw new Error(`reply without a request id: ${JSON.stringify(reply.args).slice(0, 200)}`);
      ids[i] = match[0];
      leases.push({ requestId: match[0], requester: person.email });
    });
    latency(report, `slash command sent → HTTP ack (${concurrency} at once)`, ackMs, asked.errors.length);
    latency(report, 'slash command sent → private reply with the request id', replyMs, asked.errors.length);
    report.errors.push(...describeErrors(asked.errors).map((e) => `command: ${e}`));

    const clickMs: number[] = [];
    const approved = await runPool(commands, approveConcurrency, ctx.signal, async (i) => {
      const id = ids[i];
      if (!id) return;
      await ctx.notices.wait(id, 'approval-needed', 60_000);
      const key = inlinePolicyName(id);
      observer.watch(key);
      const sent = now();
      const answer = await sender.blockAction(LEAD_SLACK_ID, { action_id: SlackAction.Approve, value: id });
      if (answer.status !== 200) throw new Error(`click answered ${answer.status}`);
      const visible = await observer.waitPresent(key, 60_000);
      clickMs.push(visible - sent);
      observer.forget(key);
    });
    latency(
      report,
      `Approve click → inline policy listed in moto (${approveConcurrency} in flight)`,
      clickMs,
      approved.errors.length,
    );
    report.errors.push(...describeErrors(approved.errors).map((e) => `approve: ${e}`));
    value(report, 'requests (commands / approved)', `${commands} / ${clickMs.length}`);
    report.notes.push(
      'Bench, bot, worker and fake Slack share one Node process and the 2 cores with Temporal, moto and PostgreSQL; latencies at 50 at once are mostly queueing on that event loop.',
      'Acks come before the work (processBeforeResponse false, as in production over HTTP); the private reply includes policy evaluation, the workflow start and its first query.',
      'The click is timed from the signed HTTP request to the first ListRolePolicies that lists the policy; the observer polls every ' +
        `${pollMs} ms.`,
    );
  } finally {
    await observer.stop();
    const cleanup = await endAll(
      ctx,
      leases.filter((l) => l.requestId),
      20,
    );
    value(
      report,
      'cleanup: leases ended (20 in flight)',
      `${cleanup.results.length} in ${cleanup.seconds.toFixed(1)} s`,
    );
    await server.close();
    await fake.stop();
  }
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
