/**
 * Calendar days as the charts use them: `YYYY-MM-DD` in UTC, so the same data draws the same picture
 * on any machine whatever its time zone.
 */

const DAY_MS = 86_400_000;

/** A year of days is still readable at 800 pixels; a longer period shows its last year and says so. */
export const MAX_DAYS = 366;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The UTC day of an ISO date (`2025-03-05`) or of a timestamp with its zone (`…T01:00:00+05:00` is
 * the 4th); undefined for anything else, including a timestamp without a zone, whose day would
 * depend on the machine's.
 */
export function dayOf(iso: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(iso);
  const date = match?.[1];
  if (date === undefined || !isCalendarDay(date)) return undefined;
  if (match?.[2] === undefined) return date;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : undefined;
}

function isCalendarDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(day);
}

/** Midnight UTC of a day, in milliseconds. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function addDays(day: string, count: number): string {
  return new Date(dayStart(day) + count * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both counted: 1 when they are the same day. */
export function daysInclusive(from: string, to: string): number {
  return Math.round((dayStart(to) - dayStart(from)) / DAY_MS) + 1;
}

/** `Mar 5`: short enough for an axis, and no locale or time zone involved. */
export function shortDay(ms: number): string {
  const date = new Date(ms);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

/** A period as a person reads it: `2025-01-01 to 2025-03-31`, or the one day. */
export function periodWords(from: string, to: string): string {
  return from === to ? from : `${from} to ${to}`;
}

/** Every day from `from` to `to`, both included. */
export function eachDay(from: string, to: string): string[] {
  const count = daysInclusive(from, to);
  return Array.from({ length: Math.max(0, count) }, (_, i) => addDays(from, i));
}

/**
 * Which days of a period of `count` days get an axis label: every day in two weeks, every seventh in
 * two months, the 1st and 15th in half a year, else the 1st of each month. Calendar marks read
 * faster than every-n-days ticks, and never crowd at 800 pixels.
 */
export function labelledDay(count: number): (day: string, index: number) => boolean {
  if (count <= 14) return () => true;
  if (count <= 62) return (_day, index) => index % 7 === 0;
  if (count <= 190) return (day) => day.endsWith('-01') || day.endsWith('-15');
  return (day) => day.endsWith('-01');
}

/** `Mar 5` from `2025-03-05`. */
export function shortDayOf(day: string): string {
  return shortDay(dayStart(day));
}

/** A chart's period: both ends readable and in order, at most MAX_DAYS (the latest); undefined otherwise. */
export function periodOf(from: string, to: string): { from: string; to: string; cut: boolean } | undefined {
  const first = dayOf(from);
  const last = dayOf(to);
  if (!first || !last || first > last) return undefined;
  const cut = daysInclusive(first, last) > MAX_DAYS;
  return { from: cut ? addDays(last, 1 - MAX_DAYS) : first, to: last, cut };
}

/** The period in the subtitle and alt: `2025-01-01 to 2025-03-31`, with a note when it was cut. */
export function periodTitle(period: { from: string; to: string; cut: boolean }): string {
  const words = periodWords(period.from, period.to);
  return period.cut ? `${words}, earlier days not shown` : words;
}
