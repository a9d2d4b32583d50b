import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  ALERT_OCCURRED_SIGNAL,
  ALERT_WORKFLOW,
  alertWorkflowId,
  type AlertMessage,
  type AlertOccurrence,
  type AlertSetup,
  type AlertTargetRef,
  type PostedAlert,
} from '../../domain/alert/model';
import { ALERT_RULES, type AlertRule } from '../../domain/alert/rules';
import type { Anomaly } from '../../domain/anomaly/model';
import { expandPeople } from '../../domain/policy/evaluate';
import type { People, Policy } from '../../domain/policy/schema';
import type { AlertPoster } from '../chat/alert-poster';
import type { AlertFacts } from '../store/alert/facts';

export interface AlertActivityDeps {
  policy: () => Policy;
  /** Where alerts are posted, per platform; a platform without one leaves its channels undelivered. */
  posters: AlertPoster[];
  /** What the collection's alerts compare; none: collections raise no alerts. */
  facts?: Pick<AlertFacts, 'snapshotChanges' | 'unseen' | 'markSeen'>;
  /** The Temporal client and task queue alerts are started on; by default the running activity's own. */
  temporal?: () => { client: Client; taskQueue: string };
}

/** What `raiseAlerts` did: occurrences sent to their alerts, and those no channel was named for. */
export interface RaiseOutcome {
  raised: number;
  /** Rules switched off, or whose severity has no channel: nothing to tell anyone. */
  unrouted: number;
}

export interface AlertDelivery {
  posted: PostedAlert[];
  undelivered: { platform: 'slack' | 'teams'; channel: string; reason: string }[];
}

/** The alert's setup from the policy in force, or undefined when nobody is to be told. */
export function alertSetup(policy: Policy, rule: AlertRule, subject: string): AlertSetup | undefined {
  const settings = policy.alerts;
  const ruleSettings = settings.rules[rule];
  if (ruleSettings && !ruleSettings.enabled) return undefined;
  const severity = ruleSettings?.severity ?? ALERT_RULES[rule].severity;
  const targets: AlertTargetRef[] = settings.channels[severity].map((t) => ({
    platform: t.platform,
    channel: t.channel,
  }));
  if (targets.length === 0) return undefined;
  const blocks: People[] = settings.acknowledgers
    ? [settings.acknowledgers]
    : [policy.admins, policy.findings.securityViewers];
  return {
    rule,
    subject,
    severity,
    title: ALERT_RULES[rule].title,
    targets,
    acknowledgers: [...new Set(blocks.flatMap((people) => expandPeople(policy, people)))].sort(),
    acknowledgerGroups: [...new Set(blocks.flatMap((people) => people.slackUserGroups ?? []))].sort(),
    everyone: blocks.some((people) => people.everyone),
    throttleSeconds: settings.throttle,
    openForSeconds: settings.openFor,
  };
}

/**
 * Sends occurrences to their alerts: one workflow per rule and subject, started with its first
 * occurrence by signal-with-start, so every worker that raises the same alert reaches the same run
 * and nothing is counted in a process's memory.
 */
export async function raiseAlerts(
  deps: AlertActivityDeps,
  occurrences: readonly AlertOccurrence[],
): Promise<RaiseOutcome> {
  const policy = deps.policy();
  const outcome: RaiseOutcome = { raised: 0, unrouted: 0 };
  const fresh = await firstTimes(deps, occurrences);
  for (const occurrence of occurrences) {
    if (occurrence.once && !fresh.has(occurrence)) continue;
    const setup = alertSetup(policy, occurrence.rule, occurrence.subject);
    if (!setup) {
      outcome.unrouted += 1;
      continue;
    }
    const { client, taskQueue } = deps.temporal?.() ?? ownTemporal();
    await client.workflow.signalWithStart(ALERT_WORKFLOW, {
      workflowId: alertWorkflowId(occurrence.rule, occurrence.subject, taskQueue),
      taskQueue,
      args: [{ setup }],
      signal: ALERT_OCCURRED_SIGNAL,
      signalArgs: [occurrence],
    });
    outcome.raised += 1;
  }
  // Recorded only once raised: a raise that fails is tried again; one raised twice is counted once.
  for (const [rule, ids] of byRule([...fresh])) await deps.facts?.markSeen(rule, ids);
  return outcome;
}

/** The `once` occurrences never alerted on before (all of them when there is no store to remember). */
async function firstTimes(
  deps: AlertActivityDeps,
  occurrences: readonly AlertOccurrence[],
): Promise<Set<AlertOccurrence>> {
  const once = occurrences.filter((o) => o.once);
  if (!deps.facts) return new Set(once);
  const fresh = new Set<AlertOccurrence>();
  for (const [rule, ids] of byRule(once)) {
    const unseen = await deps.facts.unseen(rule, ids);
    for (const occurrence of once)
      if (occurrence.rule === rule && unseen.has(occurrence.occurrenceId)) fresh.add(occurrence);
  }
  return fresh;
}

function byRule(occurrences: readonly AlertOccurrence[]): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const o of occurrences) ids.set(o.rule, [...(ids.get(o.rule) ?? []), o.occurrenceId]);
  return ids;
}

function ownTemporal(): { client: Client; taskQueue: string } {
  const context = Context.current();
  return { client: context.client, taskQueue: context.info.taskQueue };
}

/** What a collection's snapshot raises: new super identities, a PCI jump, new anomalies. */
export function collectionOccurrences(
  policy: Policy,
  input: {
    systemId: string;
    runId: string;
    at: string;
    changes?: Awaited<ReturnType<AlertFacts['snapshotChanges']>>;
    anomalies?: readonly Anomaly[];
    anomaliesFound?: number;
  },
): AlertOccurrence[] {
  const { systemId, runId, at, changes } = input;
  const occurrences: AlertOccurrence[] = [];
  const base = { subject: systemId, systemId, at };
  if (changes) {
    for (const identity of changes.newSuper)
      occurrences.push({
        ...base,
        rule: 'new-super-identity',
        occurrenceId: `${runId}:super:${identity.identityId}`,
        line: `${identity.identityName} (${identity.identityId}) can now do everything on ${systemId}`,
      });
    const unlisted = changes.newSuperCount - changes.newSuper.length;
    if (unlisted > 0)
      occurrences.push({
        ...base,
        rule: 'new-super-identity',
        occurrenceId: `${runId}:super:more`,
        line: `and ${unlisted} more new super identities on ${systemId} (least findings ${systemId})`,
      });
    if (
      changes.pci !== undefined &&
      changes.previousPci !== undefined &&
      changes.pci - changes.previousPci >= policy.alerts.pciJump
    )
      occurrences.push({
        ...base,
        rule: 'pci-jump',
        occurrenceId: `${runId}:pci`,
        line: `${systemId}: Permission Creep Index ${changes.previousPci} → ${changes.pci} (+${changes.pci - changes.previousPci}; the threshold is ${policy.alerts.pciJump})`,
      });
  }
  const anomalies = input.anomalies ?? [];
  for (const anomaly of anomalies)
    occurrences.push({
      ...base,
      rule: 'new-anomalies',
      occurrenceId: `${runId}:anomaly:${anomaly.identityId}:${anomaly.day}:${anomaly.kind}:${anomaly.subject}`,
      line: `${anomaly.identityName}: ${anomaly.explanation}`,
    });
  const more = (input.anomaliesFound ?? anomalies.length) - anomalies.length;
  if (more > 0)
    occurrences.push({
      ...base,
      rule: 'new-anomalies',
      occurrenceId: `${runId}:anomaly:more`,
      line: `and ${more} more new anomalies on ${systemId} (least anomalies --system ${systemId})`,
    });
  return occurrences;
}

export function createAlertActivities(deps: AlertActivityDeps) {
  const posterOf = (platform: 'slack' | 'teams') => deps.posters.find((p) => p.platform === platform);
  return {
    raiseAlerts: (occurrences: AlertOccurrence[]) => raiseAlerts(deps, occurrences),

    /** Posts a new alert message into each channel of its severity; refusals are told, not retried. */
    async postAlert(input: AlertMessage): Promise<AlertDelivery> {
      const delivery: AlertDelivery = { posted: [], undelivered: [] };
      for (const target of input.setup.targets) {
        const poster = posterOf(target.platform);
        if (!poster) {
          delivery.undelivered.push({
            ...target,
            reason: `${target.platform === 'slack' ? 'Slack' : 'Teams'} is not configured on the worker`,
          });
          continue;
        }
        const posting = await poster.post(target.channel, input);
        if (posting.status === 'posted') delivery.posted.push(posting.message);
        else
          delivery.undelivered.push({ platform: posting.platform, channel: posting.channel, reason: posting.reason });
      }
      return delivery;
    },

    /** Brings every posted message of the episode up to date (count, acknowledgement, closing). */
    async updateAlert(input: AlertMessage): Promise<void> {
      for (const message of input.episode.posted) await posterOf(message.platform)?.update(message, input);
    },

    /**
     * After a collection: new super identities and a PCI jump against the previous snapshot, and the
     * anomalies the scan found new. Never fails the collection for want of facts.
     */
    async alertOnCollection(
      systemId: string,
      runId: string,
      anomalies: { newAnomalies?: Anomaly[]; found?: number } = {},
    ): Promise<RaiseOutcome> {
      const changes = deps.facts ? await deps.facts.snapshotChanges(systemId, runId) : undefined;
      const occurrences = collectionOccurrences(deps.policy(), {
        systemId,
        runId,
        at: new Date().toISOString(),
        ...(changes ? { changes } : {}),
        ...(anomalies.newAnomalies ? { anomalies: anomalies.newAnomalies } : {}),
        ...(anomalies.found !== undefined ? { anomaliesFound: anomalies.found } : {}),
      });
      return raiseAlerts(deps, occurrences);
    },
  };
}
