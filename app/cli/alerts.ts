import type { AlertState } from '../../domain/alert/model';
import { withCore } from './connect';
import { usage, type Invocation } from './usage';

/** Open alerts listed at most; the rest are counted. */
const LISTED = 50;
/** How long an alert's workflow is given to answer (a query needs a running worker). */
const QUERY_WAIT_MS = 10_000;

/**
 * `least alerts` lists the open rule alerts (their workflows on Temporal) and `least alerts ack ID --as
 * EMAIL` acknowledges one, through the same update as the chat button: who may is the alert's call,
 * and a refusal is audited.
 */
export async function runAlerts(invocation: Invocation): Promise<number> {
  const [verb, ...rest] = invocation.rest;
  if (verb === undefined) return list(invocation);
  if (verb === 'ack') return acknowledge({ ...invocation, rest });
  return usage(`unknown alerts verb "${verb.slice(0, 40)}": use ack, or none to list`);
}

async function list({ json, print }: Invocation): Promise<number> {
  return withCore(async (core, config) => {
    const states: AlertState[] = [];
    let open = 0;
    let unanswered = 0;
    // this deployment's alerts: others may share the namespace
    const query = `WorkflowType = 'alert' AND ExecutionStatus = 'Running' AND TaskQueue = '${config.taskQueue.replace(/'/g, '')}'`;
    for await (const execution of core.temporal.workflow.list({ query })) {
      open += 1;
      if (states.length >= LISTED) continue;
      // a query waits for a worker: with none running, say so rather than hang
      const state = await withinWait(core.alerts.state(execution.workflowId));
      if (state === 'timeout') unanswered += 1;
      else if (state) states.push(state);
    }
    if (json) {
      print(JSON.stringify({ open, unanswered, alerts: states }));
      return 0;
    }
    if (open === 0) {
      print('No open alerts.');
      return 0;
    }
    print(`${open} open alert${open === 1 ? '' : 's'}:`);
    for (const { workflowId, setup, episode } of states) {
      const ack = episode.acknowledged ? `acknowledged by ${episode.acknowledged.by}` : 'not acknowledged';
      print(`  ${workflowId}  ${setup.severity}  ${setup.title} · ${setup.subject}  ×${episode.count}  ${ack}`);
      for (const line of episode.lines.slice(-2)) print(`      ${line}`);
    }
    if (unanswered > 0) print(`${unanswered} did not answer within ${QUERY_WAIT_MS / 1000} s: is a worker running?`);
    if (open > states.length + unanswered) print(`…and ${open - states.length - unanswered} more`);
    return 0;
  });
}

async function acknowledge({ rest, values, json, print }: Invocation): Promise<number> {
  const [workflowId, ...extra] = rest;
  if (!workflowId || extra.length > 0 || !workflowId.startsWith('alert:'))
    usage('use `alerts ack ALERT-ID --as EMAIL`');
  if (!values.as) usage('`alerts ack` needs --as EMAIL: who acknowledges');
  return withCore(async (core) => {
    const state = await withinWait(core.alerts.state(workflowId));
    if (state === 'timeout') {
      print(
        `refused: alert ${workflowId.slice(0, 200)} did not answer within ${QUERY_WAIT_MS / 1000} s: is a worker running?`,
      );
      return 1;
    }
    if (!state) {
      print(
        json
          ? JSON.stringify({ ok: false, code: 'ALERT.CLOSED' })
          : `refused: there is no open alert ${workflowId.slice(0, 200)}`,
      );
      return 1;
    }
    const outcome = await core.alerts.acknowledge({
      workflowId,
      series: state.series,
      episode: state.episode.number,
      by: values.as!,
      via: 'cli',
    });
    if (json) print(JSON.stringify(outcome.ok ? { ok: true, episode: outcome.episode } : outcome));
    else print(outcome.ok ? `acknowledged ${workflowId} (×${outcome.episode.count})` : `refused: ${outcome.message}`);
    return outcome.ok ? 0 : 1;
  });
}

/** The answer, or 'timeout' when no worker gave one in time. */
function withinWait<T>(answer: Promise<T>): Promise<T | 'timeout'> {
  return Promise.race([
    answer,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), QUERY_WAIT_MS).unref()),
  ]);
}
