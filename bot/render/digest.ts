import type {
  AccessContent,
  AnomaliesContent,
  CleanupContent,
  DigestContent,
  FindingsContent,
  Shown,
  SystemMovement,
} from '../../domain/digest/content';
import type { DigestPeriod } from '../../domain/digest/period';
import type { DigestSection } from '../../domain/digest/sections';
import { formatCount, plural } from './findings';

/**
 * A digest in chat, in the same words on Slack and Teams. Like findings.ts, the sentences are bound
 * to a platform's dialect: everything a person, a policy or a cloud wrote (entitlement titles,
 * requesters, error messages, system and run ids) reaches them through the dialect, which escapes
 * and clips it for that platform; the rest is our own words and numbers.
 */

/** How one platform writes what the sentences quote and stress. */
export interface DigestDialect {
  /** User text on one line, escaped and clipped to `max`. */
  line: (text: string, max: number) => string;
  /** A time each reader sees in their own time zone. */
  date: (iso: string) => string;
  /** Stress on markup that is already escaped. */
  bold: (markup: string) => string;
  /** A name or id as typed, on markup that is already escaped. */
  code: (markup: string) => string;
}

/** A chart as the message carries it: its title, and its gist in words (plain text). */
export interface DigestChart {
  title: string;
  alt: string;
}

const CHARS = { title: 80, id: 64, person: 80, error: 160, system: 64 };
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SECTION_TITLE: Record<DigestSection, string> = {
  access: 'Access',
  findings: 'Findings',
  cleanup: 'Cleanup',
  anomalies: 'Anomalies',
};

/** `Sun 29 Mar 2026` for a calendar day `YYYY-MM-DD`: no locale, no zone (the day is already the zone's). */
export function dayWords(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(year, month - 1, date)).getUTCDay();
  return `${WEEKDAY[weekday]} ${date} ${MONTH[month - 1]} ${year}`;
}

/** The period as a title says it: one day, or first – last. */
export function periodWords(period: Pick<DigestPeriod, 'firstDay' | 'lastDay'>): string {
  return period.firstDay === period.lastDay
    ? dayWords(period.firstDay)
    : `${dayWords(period.firstDay)} – ${dayWords(period.lastDay)}`;
}

/** `5 min`, `7 h`, `3 d 4 h`: how long a request has waited. */
export function waitWords(seconds: number): string {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)} h`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  return hours ? `${days} d ${hours} h` : `${days} d`;
}

function signed(n: number): string {
  return n > 0 ? `▲ +${formatCount(n)}` : n < 0 ? `▼ −${formatCount(-n)}` : 'unchanged';
}

export interface DigestWording {
  /** Plain text: a Slack header or the card's heading. */
  title: (content: DigestContent) => string;
  period: (period: DigestPeriod) => string;
  /** The whole digest when nothing happened. */
  quiet: (content: DigestContent) => string;
  sectionTitle: (section: DigestSection) => string;
  accessHeadline: (access: AccessContent) => string;
  entitlements: (access: AccessContent) => string[];
  waiting: (access: AccessContent) => string[];
  revocations: (access: AccessContent) => string[];
  breakGlass: (access: AccessContent) => string[];
  findingsHeadline: (findings: FindingsContent) => string;
  systems: (findings: FindingsContent) => string[];
  cleanupHeadline: (cleanup: CleanupContent) => string;
  cleanupRuns: (cleanup: CleanupContent) => string[];
  anomaliesHeadline: (anomalies: AnomaliesContent) => string;
  anomalies: (anomalies: AnomaliesContent) => string[];
  /** A chart told in words, where its picture could not go. */
  chartInWords: (chart: DigestChart) => string;
  /** The notification: the gist in one plain line. */
  fallback: (content: DigestContent) => string;
}

export function digestWording(d: DigestDialect): DigestWording {
  const title = (text: string): string => d.bold(d.line(text, CHARS.title));
  const id = (text: string, max = CHARS.id): string => d.code(d.line(text, max));
  const person = (email: string): string => d.line(email, CHARS.person);
  const more = <T>(list: Shown<T>, what: string): string[] =>
    list.more > 0 ? [`…and ${plural(list.more, `more ${what}`, `more ${what}s`)}`] : [];

  function periodLine(period: DigestPeriod): string {
    const days = period.firstDay === period.lastDay ? 1 : 7;
    const usual = days * 24;
    const dst =
      period.hours < usual
        ? ` (${period.hours} hours: the clocks went forward)`
        : period.hours > usual
          ? ` (${period.hours} hours: the clocks went back)`
          : '';
    return `${periodWords(period)}, 00:00–24:00 ${d.line(period.timeZone, 64)}${dst}`;
  }

  function titleOf(content: DigestContent): string {
    const kind = content.period.cadence === 'weekly' ? 'Weekly' : 'Daily';
    return `${kind} digest · ${periodWords(content.period)}`;
  }

  function quiet(content: DigestContent): string {
    const nothing = content.sections.map(
      (section) =>
        ({
          access: 'no requests, grants or approvals waiting',
          findings: 'no findings moved',
          cleanup: 'no cleanup runs',
          anomalies: 'no anomalies',
        })[section],
    );
    return `${d.bold(`Least ${content.period.cadence} digest`)} for ${periodWords(content.period)} (${d.line(content.period.timeZone, 64)}): nothing to report — ${nothing.join(', ')}.`;
  }

  function accessHeadline(access: AccessContent): string {
    const t = access.totals;
    return [
      plural(t.requested, 'request'),
      plural(t.granted, 'grant'),
      `${formatCount(t.denied)} denied`,
      `${formatCount(t.expired)} expired`,
      `${formatCount(t.unanswered)} unanswered`,
    ].join(' · ');
  }

  function entitlements(access: AccessContent): string[] {
    return [
      ...access.entitlements.rows.map((e) => {
        const counts = [
          `${formatCount(e.requested)} requested`,
          `${formatCount(e.granted)} granted`,
          e.denied ? `${formatCount(e.denied)} denied` : '',
          e.expired ? `${formatCount(e.expired)} expired` : '',
          e.unanswered ? `${formatCount(e.unanswered)} unanswered` : '',
        ].filter(Boolean);
        return `• ${title(e.title)} ${id(e.entitlementId)}: ${counts.join(' · ')}`;
      }),
      ...more(access.entitlements, 'entitlement'),
    ];
  }

  function waiting(access: AccessContent): string[] {
    if (access.waiting.rows.length === 0) return [];
    const total = access.waiting.rows.length + access.waiting.more;
    return [
      `⏳ ${d.bold(plural(total, 'approval', 'approvals'))} waiting, the longest for ${waitWords(access.longestWaitSeconds ?? 0)}:`,
      ...access.waiting.rows.map(
        (w) =>
          `• ${id(w.requestId)} ${title(w.title)} for ${person(w.requester)}: waiting ${waitWords(w.waitingSeconds)}`,
      ),
      ...more(access.waiting, 'request'),
    ];
  }

  function revocations(access: AccessContent): string[] {
    if (access.revocations.rows.length === 0) return [];
    const total = access.revocations.rows.length + access.revocations.more;
    return [
      `🔁 ${d.bold(plural(total, 'revocation', 'revocations'))} retried, ${formatCount(access.stillFailing)} still failing:`,
      ...access.revocations.rows.map((r) => {
        const state = r.resolved
          ? `✅ revoked after ${plural(r.attempts, 'attempt')}`
          : `⚠️ still failing after ${plural(r.attempts, 'attempt')}`;
        const error = r.lastError ? `: ${d.line(r.lastError, CHARS.error)}` : '';
        return `• ${id(r.requestId)} ${title(r.title)} (${person(r.requester)}) ${state}${error}`;
      }),
      ...more(access.revocations, 'revocation'),
    ];
  }

  function breakGlass(access: AccessContent): string[] {
    if (access.breakGlass.rows.length === 0) return [];
    const total = access.breakGlass.rows.length + access.breakGlass.more;
    return [
      `🚨 ${d.bold(plural(total, 'break-glass use', 'break-glass uses'))}, ${formatCount(access.unreviewed)} not reviewed yet:`,
      ...access.breakGlass.rows.map(
        (b) =>
          `• ${id(b.requestId)} ${title(b.title)} by ${person(b.requester)} at ${d.date(b.at)}: ${b.reviewed ? 'reviewed' : 'review missing'}`,
      ),
      ...more(access.breakGlass, 'use'),
    ];
  }

  function findingsHeadline(findings: FindingsContent): string {
    const systems = findings.systems.rows.length + findings.systems.more;
    if (systems === 0) return 'No system has been assessed yet.';
    return `${formatCount(findings.changed)} of ${plural(systems, 'system')} changed`;
  }

  function system(s: SystemMovement): string {
    const name = id(s.systemId, CHARS.system);
    if (s.isNew)
      return `• ${name}: first assessed, PCI ${formatCount(s.pciTo ?? 0)} · ${plural(s.openTo ?? 0, 'open finding')}`;
    const pci =
      s.pciChange !== undefined && s.pciChange !== 0
        ? `PCI ${formatCount(s.pciFrom ?? 0)} → ${formatCount(s.pciTo ?? 0)} (${signed(s.pciChange)})`
        : `PCI ${formatCount(s.pciTo ?? s.pciFrom ?? 0)} (unchanged)`;
    const open =
      s.openChange !== undefined && s.openChange !== 0
        ? `open findings ${formatCount(s.openFrom ?? 0)} → ${formatCount(s.openTo ?? 0)} (${signed(s.openChange)})`
        : plural(s.openTo ?? s.openFrom ?? 0, 'open finding');
    const high = s.highTo ? ` · ${formatCount(s.highTo)} high or critical` : '';
    return `• ${name}: ${pci} · ${open}${high}`;
  }

  function systems(findings: FindingsContent): string[] {
    return [...findings.systems.rows.map(system), ...more(findings.systems, 'system')];
  }

  function cleanupHeadline(cleanup: CleanupContent): string {
    const runs = cleanup.runs.rows.length + cleanup.runs.more;
    const t = cleanup.totals;
    return [
      plural(runs, 'run'),
      `${formatCount(t.removed)} removed`,
      `${formatCount(t.kept)} kept`,
      `${formatCount(t.restored)} restored`,
      ...(t.failed ? [`${formatCount(t.failed)} failed`] : []),
    ].join(' · ');
  }

  function cleanupRuns(cleanup: CleanupContent): string[] {
    return [
      ...cleanup.runs.rows.map(
        (r) =>
          `• ${id(r.runId, 100)} on ${id(r.systemId, CHARS.system)} (${r.mode}, ${d.line(r.status, 20)}): ` +
          `${formatCount(r.removed)} removed · ${formatCount(r.kept)} kept · ${formatCount(r.restored)} restored` +
          (r.failed ? ` · ${formatCount(r.failed)} failed` : ''),
      ),
      ...more(cleanup.runs, 'run'),
    ];
  }

  function anomaliesHeadline(anomalies: AnomaliesContent): string {
    if (anomalies.total === 0) return 'No anomalies.';
    const systems = anomalies.systems.map(
      (s) => `${id(s.systemId, CHARS.system)} ${formatCount(s.count)}${s.high ? ` (${formatCount(s.high)} high)` : ''}`,
    );
    return `${plural(anomalies.total, 'anomaly', 'anomalies')}: ${systems.join(' · ')}`;
  }

  function anomalyLines(anomalies: AnomaliesContent): string[] {
    const lines = anomalies.top.map(
      (a) =>
        `• ${a.severity === 'high' ? '🔴' : a.severity === 'medium' ? '🟠' : '⚪'} ${d.line(a.identityName, CHARS.person)} on ${id(a.systemId, CHARS.system)}: ${d.line(a.explanation, CHARS.error * 2)}`,
    );
    const rest = anomalies.total - anomalies.top.length;
    return rest > 0 ? [...lines, `…and ${plural(rest, 'more anomaly', 'more anomalies')}`] : lines;
  }

  function chartInWords(chart: DigestChart): string {
    return `📈 ${d.bold(d.line(chart.title, CHARS.title))}: ${d.line(chart.alt, 1200)}`;
  }

  function fallback(content: DigestContent): string {
    if (content.quiet)
      return `Least ${content.period.cadence} digest for ${periodWords(content.period)}: nothing to report.`;
    const parts: string[] = [];
    if (content.access) {
      parts.push(plural(content.access.totals.granted, 'grant'));
      const waitingNow = content.access.waiting.rows.length + content.access.waiting.more;
      if (waitingNow) parts.push(`${plural(waitingNow, 'approval')} waiting`);
      if (content.access.stillFailing) parts.push(`${plural(content.access.stillFailing, 'revocation')} failing`);
    }
    if (content.findings?.changed) parts.push(`findings changed on ${plural(content.findings.changed, 'system')}`);
    if (content.cleanup)
      parts.push(plural(content.cleanup.runs.rows.length + content.cleanup.runs.more, 'cleanup run'));
    if (content.anomalies?.total) parts.push(plural(content.anomalies.total, 'anomaly', 'anomalies'));
    return `Least ${content.period.cadence} digest for ${periodWords(content.period)}: ${parts.join(', ')}.`;
  }

  return {
    title: titleOf,
    period: periodLine,
    quiet,
    sectionTitle: (section) => SECTION_TITLE[section],
    accessHeadline,
    entitlements,
    waiting,
    revocations,
    breakGlass,
    findingsHeadline,
    systems,
    cleanupHeadline,
    cleanupRuns,
    anomaliesHeadline,
    anomalies: anomalyLines,
    chartInWords,
    fallback,
  };
}

/** One section of a digest as every platform shows it: a title, a headline, and lists of lines. */
export interface DigestPart {
  /** Which section this is, for what a platform adds beneath it (the buttons into its details). */
  section: DigestSection;
  title: string;
  headline: string;
  lists: string[][];
}

/** The sections the digest asked for that have something, in its order, in the platform's words. */
export function digestParts(content: DigestContent, wording: DigestWording): DigestPart[] {
  const parts: DigestPart[] = [];
  for (const name of content.sections) {
    if (name === 'access' && content.access) {
      const a = content.access;
      parts.push({
        section: name,
        title: wording.sectionTitle(name),
        headline: wording.accessHeadline(a),
        lists: [wording.entitlements(a), wording.waiting(a), wording.revocations(a), wording.breakGlass(a)],
      });
    }
    if (name === 'findings' && content.findings)
      parts.push({
        section: name,
        title: wording.sectionTitle(name),
        headline: wording.findingsHeadline(content.findings),
        lists: [wording.systems(content.findings)],
      });
    if (name === 'cleanup' && content.cleanup)
      parts.push({
        section: name,
        title: wording.sectionTitle(name),
        headline: wording.cleanupHeadline(content.cleanup),
        lists: [wording.cleanupRuns(content.cleanup)],
      });
    if (name === 'anomalies' && content.anomalies)
      parts.push({
        section: name,
        title: wording.sectionTitle(name),
        headline: wording.anomaliesHeadline(content.anomalies),
        lists: [wording.anomalies(content.anomalies)],
      });
  }
  return parts;
}
