import { ErrorCode, refuse, type Verdict } from '../errors';
import type { AlertRule, AlertSeverity } from './rules';

/**
 * One alert's life (issue 14, item 3): occurrences of one rule about one subject fold into one message
 * with a count; somebody acknowledges it; repeats after that, once the throttle has passed, make a new
 * message. Pure: the `alert` workflow keeps this state, the chat renderers draw it.
 */

/** The workflow type and its signal's name, shared by the workflow and the activity that raises alerts. */
export const ALERT_WORKFLOW = 'alert';
export const ALERT_OCCURRED_SIGNAL = 'alertOccurred';

/** Lines of recent occurrences a message shows; the count says how many there were in all. */
export const ALERT_LINES_SHOWN = 5;
/** Occurrence ids remembered, so a retried raise is not counted twice. */
export const OCCURRENCE_IDS_KEPT = 1000;
/** The longest line an occurrence brings (hostile or huge text is cut). */
export const ALERT_LINE_MAX = 300;

/** Something that happened which a rule alerts on. */
export interface AlertOccurrence {
  rule: AlertRule;
  /** What occurrences fold by (an entitlement id, a system id): with the rule, the alert's key. */
  subject: string;
  /** Unique per happening (`<request id>:break-glass`), so a raise that is retried counts once. */
  occurrenceId: string;
  /** When it happened (ISO). */
  at: string;
  /** One line for people: "frank@example.com took aws-prod-admin for 1h: INC-42". */
  line: string;
  requestId?: string;
  systemId?: string;
  /**
   * Alerted on once for good, not once per alert: what a sweep finds again and again (a grant made
   * outside Least) is told the first time only.
   */
  once?: boolean;
}

export interface AlertTargetRef {
  platform: 'slack' | 'teams';
  channel: string;
}

export interface PostedAlert extends AlertTargetRef {
  /** Slack `ts`, Teams activity id. */
  messageId: string;
}

export interface AlertAcknowledgement {
  by: string;
  at: string;
  /** The Slack user group the acknowledger counted through, when it was one. */
  group?: string;
  via: 'slack' | 'teams' | 'cli';
}

/** One message: the occurrences it gathered, where it went, and who acknowledged it. */
export interface AlertEpisode {
  /** 1, 2, …: a button names the episode it was on, so a click on an old message is told so. */
  number: number;
  openedAt: string;
  lastAt: string;
  count: number;
  /** The latest lines, newest last (at most ALERT_LINES_SHOWN). */
  lines: string[];
  posted: PostedAlert[];
  /** Targets that refused the post for good (the bot not in the channel), with why. */
  undelivered: { platform: 'slack' | 'teams'; channel: string; reason: string }[];
  acknowledged?: AlertAcknowledgement;
  /** Set when the alert closed with nobody acknowledging it. */
  expired?: boolean;
}

/** What the workflow starts with: the alert's key and everything fixed for its life. */
export interface AlertSetup {
  rule: AlertRule;
  subject: string;
  severity: AlertSeverity;
  title: string;
  targets: AlertTargetRef[];
  /** Who may acknowledge, expanded to e-mail addresses when the alert opened. */
  acknowledgers: string[];
  /** Slack user groups whose members may acknowledge (the bot reads the clicker's groups). */
  acknowledgerGroups: string[];
  everyone: boolean;
  throttleSeconds: number;
  openForSeconds: number;
}

export interface AlertState {
  workflowId: string;
  /**
   * The alert's life: its workflow's first run id, the same across continue-as-new. A button names it,
   * so a button of an alert that closed cannot acknowledge the next alert with the same id.
   */
  series: string;
  setup: AlertSetup;
  episode: AlertEpisode;
  /** Ids of occurrences already counted, newest last (at most OCCURRENCE_IDS_KEPT). */
  seen: string[];
}

/** What an alert message is drawn from: the alert, its life and the episode as it stands. */
export interface AlertMessage {
  workflowId: string;
  series: string;
  setup: AlertSetup;
  episode: AlertEpisode;
}

export interface AcknowledgeInput {
  /** The clicker's e-mail address, resolved by the front end that verified the click. */
  by: string;
  /** The alert's life (AlertState.series) and the episode the button was on. */
  series: string;
  episode: number;
  via: 'slack' | 'teams' | 'cli';
  /** Slack user groups the front end found the clicker in (never what a request claims). */
  groups?: string[];
}

/**
 * The workflow id of one alert: readable, bounded, the same on every worker of a deployment. The hash
 * covers the task queue too, so deployments (or test runs) sharing a Temporal namespace never share
 * an alert, and two subjects that read the same once made plain stay apart.
 */
export function alertWorkflowId(rule: AlertRule, subject: string, taskQueue: string): string {
  const plain = subject.replace(/[^A-Za-z0-9._@:-]/g, '_').slice(0, 120);
  return `alert:${rule}:${plain}:${fnv1a(`${taskQueue}\n${subject}`)}`;
}

/** A stable short hash, so two subjects that read the same once made plain stay apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** A new episode, opened at `at` (the workflow's time: the raisers' clocks may differ). */
export function newEpisode(number: number, at: string): AlertEpisode {
  return {
    number,
    openedAt: at,
    lastAt: at,
    count: 0,
    lines: [],
    posted: [],
    undelivered: [],
  };
}

/**
 * Counts an occurrence into the episode, received at `at` (the workflow's time); false when it was
 * counted before (a retried raise).
 */
export function countOccurrence(state: AlertState, occurrence: AlertOccurrence, at: string): boolean {
  if (state.seen.includes(occurrence.occurrenceId)) return false;
  state.seen.push(occurrence.occurrenceId);
  if (state.seen.length > OCCURRENCE_IDS_KEPT) state.seen.splice(0, state.seen.length - OCCURRENCE_IDS_KEPT);
  const episode = state.episode;
  episode.count += 1;
  if (at > episode.lastAt) episode.lastAt = at;
  episode.lines.push(lineOf(occurrence.line));
  if (episode.lines.length > ALERT_LINES_SHOWN) episode.lines.splice(0, episode.lines.length - ALERT_LINES_SHOWN);
  return true;
}

/** One line of at most ALERT_LINE_MAX characters; a cut never leaves half an emoji (Teams refuses the card). */
function lineOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim().slice(0, ALERT_LINE_MAX);
  return /[\uD800-\uDBFF]$/.test(line) ? line.slice(0, -1) : line;
}

/** Whether `input` may acknowledge the alert now. */
export function checkAcknowledge(state: AlertState, input: AcknowledgeInput): Verdict {
  const { setup, episode } = state;
  const who = input.by.trim().toLowerCase();
  if (input.series !== state.series)
    return refuse(ErrorCode.AlertClosed, 'The alert this message was about has closed; a newer message may be open.');
  if (input.episode !== episode.number)
    return refuse(ErrorCode.AlertSuperseded, 'This alert message is older than the latest one: acknowledge that.');
  if (episode.acknowledged)
    return refuse(
      ErrorCode.AlertAlreadyAcknowledged,
      `Already acknowledged by ${episode.acknowledged.by} at ${episode.acknowledged.at}.`,
    );
  if (episode.expired) return refuse(ErrorCode.AlertClosed, 'This alert closed with nobody acknowledging it.');
  const allowed =
    setup.everyone ||
    setup.acknowledgers.includes(who) ||
    (input.groups ?? []).some((group) => setup.acknowledgerGroups.includes(group));
  if (!allowed)
    return refuse(
      ErrorCode.AlertNotAuthorized,
      'You may not acknowledge alerts: the admins, the security viewers and the people the policy names under alerts.acknowledgers may.',
    );
  return { ok: true };
}

/** The Slack user group the acknowledger counted through, when they are not named themselves. */
export function acknowledgedThrough(state: AlertState, input: AcknowledgeInput): string | undefined {
  const who = input.by.trim().toLowerCase();
  if (state.setup.everyone || state.setup.acknowledgers.includes(who)) return undefined;
  return (input.groups ?? []).find((group) => state.setup.acknowledgerGroups.includes(group));
}
