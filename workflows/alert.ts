import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeastActivities } from '../activities';
import {
  acknowledgedThrough,
  checkAcknowledge,
  countOccurrence,
  newEpisode,
  type AcknowledgeInput,
  type AlertEpisode,
  type AlertMessage,
  type AlertOccurrence,
  type AlertSetup,
  type AlertState,
} from '../domain/alert/model';
import { AuditAction } from '../domain/audit';
import { acknowledgeAlertUpdate, alertOccurredSignal, alertStateQuery } from './alert-messages';
import { enforce, failureMessage } from './failures';

/** A new alert waits this long before its first post, so a burst arrives as one message with its count. */
export const GATHER_MS = 2_000;
/** A posted message's count is brought up to date at most this often. */
export const UPDATE_EVERY_MS = 10_000;
/** Events after which the alert carries its state into a new run (a long burst must not grow one history). */
export const EVENTS_PER_RUN = 2_000;

export interface AlertInput {
  setup: AlertSetup;
  /** The state a previous run of this alert carried over (continue-as-new). */
  carried?: AlertState;
}

/**
 * Chat is told within a bounded time or the alert is recorded as undelivered there; an alert never
 * waits on chat for long, and a channel that refuses it for good is not retried.
 */
const { postAlert, updateAlert } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

/** The audit log is the record: keep trying until it lands. */
const { audit } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * One alert (issue 14, item 3): one rule about one subject. Occurrences arrive by signal-with-start,
 * so however many workers raise it, they reach this one run; a burst becomes one message whose count
 * is kept current. Someone acknowledges it (audited; the validator refuses whoever may not); after
 * that, repeats once the throttle has passed make a new message. Nobody acknowledging it closes it
 * `openFor` after its last occurrence.
 */
export async function alert(input: AlertInput): Promise<AlertEpisode> {
  const run = new AlertRun(input);
  setHandler(alertOccurredSignal, (occurrence) => {
    run.inbox.push(occurrence);
  });
  setHandler(alertStateQuery, () => run.state);
  setHandler(acknowledgeAlertUpdate, (ack) => run.acknowledge(ack), {
    validator: (ack) => enforce(checkAcknowledge(run.state, ack)),
  });

  if (run.state.episode.posted.length === 0 && run.state.episode.count === 0) await openEpisode(run);
  for (;;) {
    const quietUntil = Date.parse(run.state.episode.lastAt) + run.quietSeconds() * 1000;
    const woke = await condition(
      () => run.inbox.length > 0 || run.ackSeen !== run.ackCount,
      Math.max(0, quietUntil - Date.now()),
    );
    if (!woke) break;
    if (run.ackSeen !== run.ackCount) await tellAcknowledged(run);
    else if (run.state.episode.acknowledged && run.throttlePassed()) await openEpisode(run);
    else await fold(run);
    if (workflowInfo().historyLength > EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (run.inbox.length === 0 && run.ackSeen === run.ackCount)
        return await continueAsNew<typeof alert>({ setup: run.state.setup, carried: run.state });
    }
  }
  if (!run.state.episode.acknowledged) await close(run);
  await condition(allHandlersFinished);
  return run.state.episode;
}

/** 1. A new message: gather the burst for a moment, post it, record it. */
async function openEpisode(run: AlertRun): Promise<void> {
  const first = run.inbox[0];
  if (!first) await condition(() => run.inbox.length > 0);
  const number = run.state.episode.count === 0 ? run.state.episode.number : run.state.episode.number + 1;
  run.state.episode = newEpisode(number, new Date(Date.now()).toISOString());
  run.absorb();
  await sleep(GATHER_MS);
  run.absorb();
  const episode = run.state.episode;
  try {
    const delivery = await postAlert(run.message());
    episode.posted = delivery.posted;
    episode.undelivered = delivery.undelivered;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    episode.undelivered = run.state.setup.targets.map((target) => ({ ...target, reason: failureMessage(error) }));
  }
  run.told = episode.count;
  run.toldAt = Date.now();
  await audit({
    actor: 'workflow',
    action: AuditAction.AlertRaised,
    detail: {
      alert: run.state.workflowId,
      rule: run.state.setup.rule,
      subject: run.state.setup.subject,
      severity: run.state.setup.severity,
      episode: episode.number,
      count: episode.count,
      posted: episode.posted.map((p) => `${p.platform}:${p.channel}`),
      ...(episode.undelivered.length > 0
        ? { undelivered: episode.undelivered.map((u) => `${u.platform}:${u.channel}: ${u.reason.slice(0, 200)}`) }
        : {}),
    },
    key: `alert.raised:${run.state.workflowId}:${workflowInfo().runId}:${episode.number}`,
  });
}

/** 2. Repeats fold into the message: counted at once, the message brought up to date at most every UPDATE_EVERY_MS. */
async function fold(run: AlertRun): Promise<void> {
  run.absorb();
  const wait = run.toldAt + UPDATE_EVERY_MS - Date.now();
  if (wait > 0) await condition(() => run.ackSeen !== run.ackCount, wait);
  run.absorb();
  if (run.state.episode.count !== run.told) await tell(run);
}

/** 3. Acknowledged: the message says by whom, for everyone in the channel. */
async function tellAcknowledged(run: AlertRun): Promise<void> {
  run.ackSeen = run.ackCount;
  run.absorb();
  await tell(run);
}

/** 4. Nobody acknowledged it in time: the message says so, and the audit log records it. */
async function close(run: AlertRun): Promise<void> {
  run.state.episode.expired = true;
  await tell(run);
  await audit({
    actor: 'workflow',
    action: AuditAction.AlertExpired,
    detail: { alert: run.state.workflowId, episode: run.state.episode.number, count: run.state.episode.count },
    key: `alert.expired:${run.state.workflowId}:${workflowInfo().runId}:${run.state.episode.number}`,
  });
}

/** The posted messages, updated to the episode as it stands; a failure costs the update, not the alert. */
async function tell(run: AlertRun): Promise<void> {
  const episode = run.state.episode;
  run.told = episode.count;
  run.toldAt = Date.now();
  if (episode.posted.length === 0) return;
  try {
    await updateAlert(run.message());
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    log.warn('alert message not updated', { alert: run.state.workflowId, error: failureMessage(error) });
  }
}

class AlertRun {
  state: AlertState;
  readonly inbox: AlertOccurrence[] = [];
  /** Acknowledgements made, and those the message has been updated for. */
  ackCount = 0;
  ackSeen = 0;
  /** The count the messages show, and when they were last posted or updated (workflow time). */
  told = 0;
  toldAt = 0;

  constructor(input: AlertInput) {
    const { setup } = input;
    this.state = input.carried ?? {
      workflowId: workflowInfo().workflowId,
      series: workflowInfo().firstExecutionRunId,
      setup,
      episode: {
        number: 1,
        openedAt: new Date(Date.now()).toISOString(),
        lastAt: new Date(Date.now()).toISOString(),
        count: 0,
        lines: [],
        posted: [],
        undelivered: [],
      },
      seen: [],
    };
    if (input.carried) {
      this.told = input.carried.episode.count;
      this.toldAt = Date.now();
    }
  }

  message(): AlertMessage {
    const { workflowId, series, setup, episode } = this.state;
    return { workflowId, series, setup, episode };
  }

  /** Counts what arrived; an occurrence counted before (a retried raise) is dropped. */
  absorb(): void {
    const at = new Date(Date.now()).toISOString();
    for (const occurrence of this.inbox.splice(0)) countOccurrence(this.state, occurrence, at);
  }

  /** How long the alert stays open after its last occurrence: the throttle once acknowledged, else openFor. */
  quietSeconds(): number {
    const { setup, episode } = this.state;
    return episode.acknowledged ? setup.throttleSeconds : setup.openForSeconds;
  }

  throttlePassed(): boolean {
    return Date.now() - Date.parse(this.state.episode.openedAt) >= this.state.setup.throttleSeconds * 1000;
  }

  async acknowledge(ack: AcknowledgeInput): Promise<AlertEpisode> {
    const episode = this.state.episode;
    const at = new Date(Date.now()).toISOString();
    const by = ack.by.trim().toLowerCase();
    const group = acknowledgedThrough(this.state, ack);
    episode.acknowledged = { by, at, via: ack.via, ...(group ? { group } : {}) };
    this.ackCount += 1;
    await audit({
      actor: by,
      action: AuditAction.AlertAcknowledged,
      detail: {
        alert: this.state.workflowId,
        rule: this.state.setup.rule,
        subject: this.state.setup.subject,
        episode: episode.number,
        count: episode.count,
        via: ack.via,
        ...(group ? { slackUserGroup: group } : {}),
      },
      key: `alert.acknowledged:${this.state.workflowId}:${workflowInfo().runId}:${episode.number}`,
    });
    return episode;
  }
}
