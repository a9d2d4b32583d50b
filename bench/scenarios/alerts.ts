import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Worker } from '@temporalio/worker';
import { createAlertActivities } from '../../activities/alert';
import { SlackAlertPoster } from '../../activities/chat/slack-alert-poster';
import { buildActivities } from '../../app/runtime';
import { slackClientOptions } from '../../bot/slack/client-options';
import { alertWorkflowId, type AlertOccurrence } from '../../domain/alert/model';
import type { Policy } from '../../domain/policy/schema';
import { alertStateQuery } from '../../workflows/alert-messages';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../test/support/fakes/fake-slack';
import { workflowBundle } from '../../test/support/stacks/stack';
import { now, throwIfAborted } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { envInt } from '../lib/context';

/**
 * Issue 14's rule alerts, timed: (a) latency from raising an occurrence to its message arriving at the
 * Slack fake, for A alerts raised one at a time, beside the floor — the same message posted straight
 * through the WebClient — and the 2-second gather the workflow waits on purpose; (b) a burst of B
 * occurrences of one alert raised from P at once: how fast they are raised and how long until the
 * message shows the whole count, and how many chat calls it took.
 */

const CHANNEL = 'CBENCHALRT';

export async function alertsScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const report = newReport('alerts');
  const started = now();
  const alerts = envInt('BENCH_ALERTS', 20);
  const burst = envInt('BENCH_ALERT_BURST', 1000);
  const parallel = envInt('BENCH_ALERT_PARALLEL', 20);
  const slack = await FakeSlack.start();
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(slack.apiUrl), retryConfig: { retries: 0 } });
  const policy: Policy = {
    ...ctx.stack.policy,
    alerts: {
      ...ctx.stack.policy.alerts,
      channels: { critical: [], high: [{ platform: 'slack', channel: CHANNEL }], medium: [], low: [] },
    },
  };
  const taskQueue = `least-bench-alerts-${randomBytes(4).toString('hex')}`;
  const built = buildActivities(
    { store: ctx.stack.store, policy, slack: undefined, teams: undefined },
    { alertPosters: [new SlackAlertPoster({ client })] },
  );
  const worker = await Worker.create({
    connection: ctx.stack.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: built.activities,
  });
  const running = worker.run();
  const raiser = createAlertActivities({
    policy: () => policy,
    posters: [],
    temporal: () => ({ client: ctx.stack.env.client, taskQueue }),
  });
  const occurrence = (subject: string, id: string): AlertOccurrence => ({
    rule: 'out-of-band-grant',
    subject,
    occurrenceId: id,
    at: new Date().toISOString(),
    line: `bench grant ${id} made outside Least`,
  });
  const postedFor = async (subject: string, count: number, timeoutMs = 120_000): Promise<number> => {
    const deadline = now() + timeoutMs;
    for (;;) {
      throwIfAborted(ctx.signal);
      const text = JSON.stringify(slack.messagesIn(CHANNEL).filter((m) => JSON.stringify(m.blocks).includes(subject)));
      if (text.includes(subject) && (count === 1 || text.includes(`×${count.toLocaleString('en-US')}`))) return now();
      if (now() > deadline) throw new Error(`no alert message for ${subject} (×${count}) within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  try {
    // floor: the same kind of message, posted straight through the WebClient
    const floor: number[] = [];
    for (let i = 0; i < alerts; i++) {
      const t = now();
      await client.chat.postMessage({ channel: CHANNEL, text: `floor ${i}`, blocks: [] });
      floor.push(now() - t);
    }
    // (a) one occurrence each, one alert at a time: raise → message in the channel
    const toPost: number[] = [];
    const raiseCall: number[] = [];
    for (let i = 0; i < alerts; i++) {
      const subject = `bench-system-${i}-${randomBytes(3).toString('hex')}`;
      const t = now();
      await raiser.raiseAlerts([occurrence(subject, `${subject}:1`)]);
      raiseCall.push(now() - t);
      toPost.push((await postedFor(subject, 1)) - t);
    }
    latency(report, 'raise → alert message in the channel', toPost);
    latency(report, '  of which the raise (signal-with-start)', raiseCall);
    value(report, '  of which the gather, on purpose', 2000, 'ms');
    latency(report, 'floor: chat.postMessage straight to the fake', floor);

    // (b) a burst of one alert from `parallel` raisers at once
    const subject = `bench-burst-${randomBytes(3).toString('hex')}`;
    const callsBefore = slack.calls.length;
    const t = now();
    const outcome = await runPool(burst, parallel, ctx.signal, async (i) => {
      await raiser.raiseAlerts([occurrence(subject, `${subject}:${i}`)]);
    });
    const raised = now() - t;
    const shown = (await postedFor(subject, burst)) - t;
    const state = await ctx.stack.env.client.workflow
      .getHandle(alertWorkflowId('out-of-band-grant', subject, taskQueue))
      .query(alertStateQuery);
    const calls = slack.calls.slice(callsBefore);
    value(report, `burst: ${burst} occurrences raised from ${parallel} at once`, (raised / 1000).toFixed(2), 's');
    value(report, '  raised per second', Math.round(burst / (raised / 1000)));
    value(report, '  until the message shows the whole count', (shown / 1000).toFixed(2), 's');
    value(report, '  occurrences counted by the alert', state.episode.count);
    value(
      report,
      '  chat.postMessage / chat.update calls',
      `${calls.filter((c) => c.method === 'chat.postMessage').length} / ${calls.filter((c) => c.method === 'chat.update').length}`,
    );
    value(report, '  raise errors', outcome.errors.length);
  } finally {
    worker.shutdown();
    await running;
    await built.close();
    await slack.stop();
  }
  report.seconds = (now() - started) / 1000;
  return report;
}
