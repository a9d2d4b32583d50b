import { DomainError, ErrorCode } from '../errors';

/**
 * The period a digest tells about, from the digest's own time and a named IANA time zone: yesterday
 * from 00:00 to 24:00 for a daily digest, the seven days before for a weekly one, both as the zone's
 * clocks read them. Days are the zone's calendar days, so a day across a DST change lasts 23 or 25
 * hours and a week 167 or 169. The zone's rules come from the runtime's ICU data (Intl), the only
 * time zone database a pure function can read.
 */

export const DIGEST_CADENCES = ['daily', 'weekly'] as const;
export type DigestCadence = (typeof DIGEST_CADENCES)[number];

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface DigestPeriod {
  cadence: DigestCadence;
  timeZone: string;
  /** When the digest was due (its schedule's time), ISO UTC. */
  at: string;
  /** Start of the first day, inclusive (ISO UTC). */
  from: string;
  /** Start of the day after the last, exclusive (ISO UTC). */
  to: string;
  /** The zone's calendar days the period covers, `YYYY-MM-DD`. */
  firstDay: string;
  lastDay: string;
  /** Real hours from `from` to `to`: 24 on most days, 23 or 25 across a DST change. */
  hours: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAYS_OF: Record<DigestCadence, number> = { daily: 1, weekly: 7 };
/**
 * A named zone (`Europe/Berlin`, `UTC`, `Etc/GMT+5`), not an offset (`+01:00`), which has no DST rules
 * to follow. Written as the database writes it: ICU forgives `europe/berlin`, Temporal's server (Go) does not.
 */
const ZONE_NAME = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** True for a time zone name the IANA database knows (what the runtime's ICU data holds). */
export function isTimeZone(name: string): boolean {
  if (!ZONE_NAME.test(name) || name.length > 64) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The digest's time zone, or a DomainError a person can act on. */
export function checkTimeZone(name: string): string {
  if (!isTimeZone(name)) {
    throw new DomainError(
      ErrorCode.DigestTimeZoneUnknown,
      `"${name.slice(0, 64)}" is not a time zone name; use one from the IANA database such as Europe/Berlin or America/New_York`,
    );
  }
  return name;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What the zone's clocks read at an instant. */
export function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The zone's calendar day at an instant, `YYYY-MM-DD`. */
export function localDayOf(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return dayString(w.year, w.month, w.day);
}

/**
 * The first instant of a calendar day in the zone: its 00:00, or, where the clocks jump over
 * midnight (Santiago, Beirut), the first moment the day exists.
 */
export function startOfLocalDay(day: string, timeZone: string): number {
  const match = DAY.exec(day);
  if (!match) throw new DomainError(ErrorCode.DigestPeriodInvalid, `"${day}" is not a day (YYYY-MM-DD)`);
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // The offsets in force a day before and a day after bracket any change near midnight.
  const candidates = [offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone), offsetAt(wall, timeZone)]
    .map((offset) => wall - offset)
    .filter((instant) => localDayOf(instant, timeZone) === day);
  if (candidates.length === 0)
    throw new DomainError(ErrorCode.DigestPeriodInvalid, `${day} has no start in ${timeZone}`);
  return Math.min(...candidates);
}

/** `day` moved by `count` calendar days (no zone involved: a calendar day is a calendar day). */
export function addCalendarDays(day: string, count: number): string {
  const match = DAY.exec(day);
  if (!match) throw new DomainError(ErrorCode.DigestPeriodInvalid, `"${day}" is not a day (YYYY-MM-DD)`);
  const moved = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + count));
  return dayString(moved.getUTCFullYear(), moved.getUTCMonth() + 1, moved.getUTCDate());
}

/**
 * The period of a digest due at `at`: the calendar day (daily) or the seven calendar days (weekly)
 * before the zone's day of `at`. A run late by hours still tells the period its schedule meant.
 */
export function digestPeriod(cadence: DigestCadence, timeZone: string, at: string): DigestPeriod {
  checkTimeZone(timeZone);
  const atMs = Date.parse(at);
  if (!Number.isFinite(atMs)) throw new DomainError(ErrorCode.DigestPeriodInvalid, `"${at}" is not a time`);
  const today = localDayOf(atMs, timeZone);
  const firstDay = addCalendarDays(today, -DAYS_OF[cadence]);
  const lastDay = addCalendarDays(today, -1);
  const from = startOfLocalDay(firstDay, timeZone);
  const to = startOfLocalDay(today, timeZone);
  return {
    cadence,
    timeZone,
    at: new Date(atMs).toISOString(),
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    firstDay,
    lastDay,
    hours: Math.round((to - from) / HOUR_MS),
  };
}

/** The `days` calendar days ending with the period's last day, and when the first one starts: a chart's window. */
export function trailingDays(
  period: Pick<DigestPeriod, 'lastDay' | 'timeZone'>,
  days: number,
): { firstDay: string; lastDay: string; from: string } {
  const firstDay = addCalendarDays(period.lastDay, -(Math.max(1, days) - 1));
  return {
    firstDay,
    lastDay: period.lastDay,
    from: new Date(startOfLocalDay(firstDay, period.timeZone)).toISOString(),
  };
}

/** A digest's key for one period: the same digest and period is the same post, whoever runs it. */
export function periodKey(digestId: string, period: Pick<DigestPeriod, 'firstDay' | 'lastDay'>): string {
  return `${digestId}:${period.firstDay}..${period.lastDay}`;
}

function dayString(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
