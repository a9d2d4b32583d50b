import { ALERT_LINE_MAX, type AlertEpisode, type AlertSetup } from '../../domain/alert/model';
import { ALERT_RULES, type AlertSeverity } from '../../domain/alert/rules';
import { formatDuration } from '../../domain/duration';
import type { DigestDialect } from './digest';

/**
 * A rule alert's message, in words shared by Slack and Teams (issue 14, item 3): the rule, the
 * subject, how many times it happened since when, the latest occurrences (quoted through the
 * dialect: a line carries names people and clouds wrote), and who acknowledged it.
 */

export const ALERT_ACK_ACTION = 'least.alert.acknowledge';

const MARK: Record<AlertSeverity, string> = { critical: '🔴', high: '🟠', medium: '🟡', low: '⚪' };
// A line is already at most ALERT_LINE_MAX characters as typed; its limit here is for the escaped
// text, which Teams' backslashes can make twice as long: cutting it at 300 again would drop the
// request id at its end.
const CHARS = { subject: 120, line: 2 * ALERT_LINE_MAX, person: 120 };

/** The button's value: the alert's workflow id and the episode (message) it was on (bot/alert-client.ts reads it). */
export type AlertAckTarget = { workflowId: string; series: string; episode: number };

export function encodeAlertAck(target: AlertAckTarget): string {
  return JSON.stringify({ a: target.workflowId, s: target.series, e: target.episode });
}

/** Temporal's web UI, where a request's workflow can be followed (its id is the request id). */
export interface TemporalUi {
  /** e.g. http://127.0.0.1:8233 or https://cloud.temporal.io, without a trailing slash. */
  baseUrl: string;
  namespace: string;
}

/** `${ui}/namespaces/<ns>/workflows/<id>`, each part URL-encoded. */
export function workflowUiLink(ui: TemporalUi, workflowId: string): string {
  return `${ui.baseUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Request ids as app/ids.ts makes them (`r-` and ten of its letters and digits). */
const REQUEST_ID = /\br-[a-km-np-z2-9]{10}\b/g;
/** Links shown under one alert message, at most: one per request among its latest lines. */
export const REQUEST_LINKS_MAX = 5;

/** The requests an alert's latest lines concern (a request's occurrence names its id), newest first, once each. */
export function requestLinks(
  lines: readonly string[],
  ui: TemporalUi | undefined,
): { requestId: string; url: string }[] {
  if (!ui) return [];
  const ids = new Set<string>();
  for (const line of [...lines].reverse()) for (const [id] of line.matchAll(REQUEST_ID)) ids.add(id);
  return [...ids].slice(0, REQUEST_LINKS_MAX).map((requestId) => ({ requestId, url: workflowUiLink(ui, requestId) }));
}

export interface AlertWords {
  /** "🔴 Critical · Break-glass access used · aws-prod-admin" */
  headline: string;
  /** "×3 since 10:02 (last 10:07)" */
  count: string;
  /** Latest occurrences, newest last, escaped. */
  lines: string[];
  /** "Acknowledged by …", "Closed: nobody acknowledged it", or undefined while open. */
  status?: string;
  /** Whether the message still offers Acknowledge. */
  open: boolean;
  /** Plain text for notifications. */
  summary: string;
  /** Why it could not be posted somewhere, told on the messages that were. */
  elsewhere?: string;
  /** The requests it concerns, each with its workflow in Temporal's web UI (when a UI is configured). */
  requests: { requestId: string; url: string }[];
}

export function alertWords(
  setup: AlertSetup,
  episode: AlertEpisode,
  dialect: DigestDialect,
  ui?: TemporalUi,
): AlertWords {
  const severity = setup.severity[0]!.toUpperCase() + setup.severity.slice(1);
  const subject = dialect.line(setup.subject, CHARS.subject);
  const headline = `${MARK[setup.severity]} ${dialect.bold(`${severity} · ${setup.title}`)} · ${dialect.code(subject)}`;
  const times =
    episode.count <= 1
      ? `at ${dialect.date(episode.openedAt)}`
      : `×${episode.count.toLocaleString('en-US')} since ${dialect.date(episode.openedAt)} (latest ${dialect.date(episode.lastAt)})`;
  const shown = episode.lines.length;
  const more = episode.count > shown ? ` · the latest ${shown} below` : '';
  const ack = episode.acknowledged;
  const status = ack
    ? `✅ Acknowledged by ${dialect.line(ack.by, CHARS.person)} ${dialect.date(ack.at)}${ack.group ? ' (through a Slack user group)' : ''}`
    : episode.expired
      ? `Closed: nobody acknowledged it within ${formatDuration(setup.openForSeconds)} of its last occurrence`
      : undefined;
  return {
    headline,
    count: `${times}${more}`,
    lines: episode.lines.map((line) => `• ${dialect.line(line, CHARS.line)}`),
    ...(status ? { status } : {}),
    open: !ack && !episode.expired,
    summary: `${severity}: ${ALERT_RULES[setup.rule].title} (${setup.subject.slice(0, 80)})${episode.count > 1 ? ` ×${episode.count}` : ''}`,
    requests: requestLinks(episode.lines, ui),
  };
}
