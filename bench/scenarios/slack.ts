import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { startBotServer } from '../../app/bot-server';
import { createBotMetrics } from '../../app/metrics';
import { createSlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH } from '../../bot/chat-routes';
import { slackClientOptions } from '../../bot/slack/client-options';
import { SlackDirectory } from '../../bot/slack/directory';
import { SlackAction } from '../../bot/render/slack/ids';
import { inlinePolicyName } from '../../domain/lease';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../test/support/fakes/fake-slack';
import { SlackSender } from '../../test/support/generators/slack-requests';
import { LEAD } from '../../test/support/stacks/stack';
import { now } from '../lib/clock';
import { endAll, envInt, INLINE_ENTITLEMENT, requester, type BenchContext } from '../lib/context';
import { inlinePolicyObserver } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { ackHistogramSince, describeAckHistogram, readAckHistogram } from '../lib/slack-ack-histogram';
import { startFloorServer, startSlackLoad, type SlackLoad } from '../lib/slack-load';
import type { SlackLoadCommand, SlackLoadSample } from '../lib/slack-load-protocol';
import { startProfile } from '../lib/slack-profile';

const LEAD_SLACK_ID = 'ULEADBENCH';
const RESULTS_DIR = path.join(__dirname, '..', 'results');

/**
 * The Slack front end under load, over loopback HTTP: the real Bolt app behind the bot server (with
 * the bot's metrics), the fake Slack Web API under the real WebClient, the bench stack (dev server,
 * PostgreSQL, moto) behind. The commands come from a load generator in a child process of its own
 * (`bench/lib/slack-load-child.ts`): it signs and sends them, times the HTTP answer (the ack) and
 * serves the response_urls the private replies are posted to, on a loop that is not the bot's.
 * 0. Floor: the same signed commands, from the same generator, to a bare node:http server here.
 * 1. N `/access help` at once: the answer is in the ack.
 * 2. N people send `/access request payments-logs 1h …` at once: the ack, the private reply with the
 *    request id; beside them the bot's own `least_slack_ack_seconds` for the phase.
 * 3. The lead clicks Approve on each (signed block_actions, bounded concurrency): the time from the
 *    click to the inline policy appearing in moto.
 * BENCH_SLACK_PROFILE=1 writes a CPU profile of this process over phase 2 into bench/results/.
 */
export async function slackScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config } = ctx;
  const { commands, concurrency, approveConcurrency, pollMs } = config.slack;
  const profiling = process.env.BENCH_SLACK_PROFILE === '1';
  const report = newReport('slack');
  const startedAt = now();
  const signingSecret = randomBytes(16).toString('hex');
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
    signingSecret,
    apiUrl: fake.apiUrl,
    access: stack.access,
    policy: () => stack.policy,
    client,
    directory,
  });
  const metrics = createBotMetrics();
  const server = await startBotServer({
    port: 0,
    routes: { [SLACK_EVENTS_PATH]: frontEnd.requestListener! },
    metrics,
  });
  const botUrl = `${server.url}${SLACK_EVENTS_PATH}`;
  const floor = await startFloorServer();
  const load: SlackLoad = await startSlackLoad(ctx.signal);
  const sender = new SlackSender({ url: botUrl, signingSecret, responseUrl: (id) => fake.responseUrl(id) });
  const observer = inlinePolicyObserver(stack, pollMs);
  observer.start();
  const leases: { requestId: string; requester: string }[] = [];
  const batch = (list: SlackLoadCommand[], url: string, awaitReply: boolean) =>
    load.run({ url, signingSecret, commands: list, concurrency, awaitReply, replyTimeoutMs: 60_000 });
  const requests: SlackLoadCommand[] = people.map((person, i) => ({
    userId: person.userId,
    text: `request ${INLINE_ENTITLEMENT} 1h benchmark ${i}`,
    triggerId: `bench-${i}`,
  }));
  try {
    // Unmeasured before each measured batch: as many `help`s at once, so Bolt's and our code paths are
    // warm and the generator holds as many open connections as it will have commands in flight.
    const helps = people.map((person) => ({ userId: person.userId, text: 'help' }));
    const warm = (url: string) => batch(helps, url, false);

    await warm(floor.url);
    const floorSamples = await batch(requests, floor.url, false);
    acks(
      report,
      `floor: bare node:http answering 200 to the same signed commands (${concurrency} at once)`,
      floorSamples,
    );

    await warm(botUrl);
    const helpSamples = await batch(helps, botUrl, false);
    acks(report, `/access help sent → HTTP ack with the answer (${concurrency} at once)`, helpSamples);

    await warm(botUrl);
    const before = await readAckHistogram(metrics.registry, 'slash_command');
    const profile = profiling ? await startProfile() : undefined;
    const asked = await batch(requests, botUrl, true);
    if (profile) {
      const summary = await profile.stop(path.join(RESULTS_DIR, `slack-requests-${Date.now()}.cpuprofile`));
      report.notes.push(
        `CPU profile of the bench process over the request phase (${summary.totalMs.toFixed(0)} ms sampled): ${summary.file}`,
        `  by owner (ms): ${summary.owners.map(([o, ms]) => `${o} ${ms.toFixed(0)}`).join(', ')}`,
        `  top functions (self ms): ${summary.functions.map(([f, ms]) => `${f} ${ms.toFixed(0)}`).join('; ')}`,
      );
    }
    const botView = ackHistogramSince(before, await readAckHistogram(metrics.registry, 'slash_command'));
    acks(report, `slash command sent → HTTP ack (${concurrency} at once)`, asked);
    value(report, "the bot's own least_slack_ack_seconds over the same commands", describeAckHistogram(botView));
    const replied = asked.filter((s) => s.replyMs !== undefined && s.requestId);
    latency(
      report,
      'slash command sent → private reply with the request id',
      replied.map((s) => s.replyMs!),
      asked.length - replied.length + (commands - asked.length),
    );
    report.errors.push(...summariseErrors(asked).map((e) => `command: ${e}`));
    const ids: (string | undefined)[] = new Array<string | undefined>(commands);
    for (const sample of replied) {
      ids[sample.index] = sample.requestId;
      leases.push({ requestId: sample.requestId!, requester: people[sample.index]!.email });
    }

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
    const ended = await endAll(ctx, leases.splice(0), 20);
    value(report, 'cleanup: leases ended (20 in flight)', `${ended.results.length} in ${ended.seconds.toFixed(1)} s`);

    // The reply alone, at fewer in flight: the same people ask again (their leases have ended).
    for (const inFlight of replyConcurrencies()) {
      const size = Math.min(commands, envInt('BENCH_SLACK_REPLY_COMMANDS', 40));
      const again = requests
        .slice(0, size)
        .map((command, i) => ({ ...command, triggerId: `bench-${inFlight}-again-${i}` }));
      await warm(botUrl);
      const samples = await load.run({
        url: botUrl,
        signingSecret,
        commands: again,
        concurrency: inFlight,
        awaitReply: true,
        replyTimeoutMs: 60_000,
      });
      const answered = samples.filter((s) => s.replyMs !== undefined && s.requestId);
      latency(
        report,
        `slash command sent → private reply with the request id (${inFlight} in flight)`,
        answered.map((s) => s.replyMs!),
        size - answered.length,
      );
      report.errors.push(...summariseErrors(samples).map((e) => `command (${inFlight} in flight): ${e}`));
      const withdrawn = await runPool(answered.length, 20, ctx.signal, async (i) => {
        const sample = answered[i]!;
        const outcome = await stack.access.end(sample.requestId!, people[sample.index]!.email, 'benchmark over');
        if (!outcome.ok) throw new Error(`${outcome.code} ${outcome.message}`);
      });
      report.errors.push(...describeErrors(withdrawn.errors).map((e) => `withdraw: ${e}`));
    }
    report.notes.push(
      `Commands come from a load generator in its own process (pid ${load.pid}): acks and replies are timed on a loop that holds nothing else. The bot, the worker and the fake Slack Web API share this process and the 2 cores with Temporal, moto and PostgreSQL.`,
      "The bot's own figure is least_slack_ack_seconds (request handed to the bot server → answer sent), read from the bot's registry before and after the phase; a histogram gives bucket bounds, not exact percentiles.",
      'The floor server reads the body and answers 200 (no signature check, no Bolt, nothing of ours), in this process, between phases.',
      'Acks come before the work (processBeforeResponse false, as in production over HTTP); the private reply includes the identity lookup, policy evaluation and the workflow start.',
      'The click is timed from the signed HTTP request to the first ListRolePolicies that lists the policy; the observer polls every ' +
        `${pollMs} ms.`,
    );
  } finally {
    await observer.stop();
    // Whatever an error left open.
    if (leases.length) await endAll(ctx, leases, 20);
    await load.stop();
    await floor.close();
    await server.close();
    await fake.stop();
  }
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

/** BENCH_SLACK_REPLY_CONCURRENCY: a comma list of in-flight levels for the reply-only batches (default 1,10). */
function replyConcurrencies(): number[] {
  const raw = process.env.BENCH_SLACK_REPLY_CONCURRENCY?.trim();
  if (!raw) return [1, 10];
  const levels = raw.split(',').map((part) => Number(part.trim()));
  if (levels.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_SLACK_REPLY_CONCURRENCY must be a comma list of integers ≥ 1, not "${raw}"`);
  return levels;
}

function acks(report: ScenarioReport, metric: string, samples: SlackLoadSample[]): void {
  const answered = samples.filter((s) => s.status === 200);
  latency(
    report,
    metric,
    answered.map((s) => s.ackMs),
    samples.length - answered.length,
  );
}

function summariseErrors(samples: SlackLoadSample[]): string[] {
  return describeErrors(samples.filter((s) => s.error).map((s) => ({ error: new Error(s.error) })));
}
