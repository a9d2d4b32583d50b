import { DomainError, ErrorCode } from './errors';

const SHORT = /^(\d{1,6})\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days)$/i;
const COMPOUND = /^(?:(\d{1,4})d)?\s*(?:(\d{1,6})h)?\s*(?:(\d{1,6})m)?\s*(?:(\d{1,6})s)?$/i;
const ISO = /^P(?:(\d{1,4})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Longest duration the product accepts at all, whatever a policy says: 90 days. */
export const ABSOLUTE_MAX_SECONDS = 90 * 86400;

/**
 * Parses `30m`, `2h`, `1d`, `1h30m`, `90s` or ISO 8601 (`PT2H`, `P1DT4H`) into whole seconds.
 * Throws DURATION.MALFORMED with an example of what works.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  const seconds = parseSeconds(input);
  if (seconds === undefined || seconds <= 0 || !Number.isSafeInteger(seconds)) {
    throw new DomainError(
      ErrorCode.DurationMalformed,
      `"${truncate(input, 40)}" is not a duration. Use forms like 30m, 2h, 1d, 1h30m or PT2H.`,
    );
  }
  if (seconds > ABSOLUTE_MAX_SECONDS) {
    throw new DomainError(ErrorCode.DurationTooLong, `${formatDuration(seconds)} is longer than the 90 day limit.`);
  }
  return seconds;
}

function parseSeconds(input: string): number | undefined {
  if (input.length === 0 || input.length > 32) return undefined;
  const short = SHORT.exec(input);
  if (short) {
    const unit = short[2]!.toLowerCase()[0]!;
    return Number(short[1]) * UNIT_SECONDS[unit]!;
  }
  const iso = ISO.exec(input);
  if (iso && input.toUpperCase() !== 'P' && !input.toUpperCase().endsWith('T')) {
    return sum(iso[1], iso[2], iso[3], iso[4]);
  }
  const compound = COMPOUND.exec(input);
  if (compound && /\d/.test(input)) return sum(compound[1], compound[2], compound[3], compound[4]);
  return undefined;
}

function sum(days?: string, hours?: string, minutes?: string, seconds?: string): number {
  return Number(days ?? 0) * 86400 + Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
}

/** `5400` → `1h30m`; the shortest exact form, the same shape people type. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds <= 0) return '0s';
  const d = Math.floor(totalSeconds / 86400);
  const h = Math.floor((totalSeconds % 86400) / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join('');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** ISO timestamp `seconds` after `fromIso`. */
export function addSeconds(fromIso: string, seconds: number): string {
  return new Date(Date.parse(fromIso) + seconds * 1000).toISOString();
}
