import type { ActionCount, DayDetail, IdentityHistory } from '../../../domain/anomaly/detect';

/**
 * Synthetic usage of one identity, day by day: an ordinary working rhythm (weekdays busier than
 * weekends, office hours, a few regions and addresses, seeded noise) to plant anomalies in. Shared by
 * the detector's tests, the scan's tests and the anomaly-scan bench.
 */

const DAY_MS = 86_400_000;

/** A small seeded generator (mulberry32): the same series on every machine and run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` consecutive UTC days ending with `last`, oldest first. */
export function daysEnding(last: string, count: number): string[] {
  const end = Date.parse(`${last}T00:00:00.000Z`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

export function isWeekend(day: string): boolean {
  const weekday = new Date(`${day}T00:00:00.000Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/** An action's usual day: around `weekday` on weekdays and `weekend` on weekends, ±`noise` (a share). */
export interface ActionRhythm {
  action: string;
  weekday: number;
  weekend: number;
  noise: number;
}

export const OFFICE_ACTIONS: readonly ActionRhythm[] = [
  { action: 's3:GetObject', weekday: 35, weekend: 12, noise: 0.25 },
  { action: 's3:PutObject', weekday: 12, weekend: 3, noise: 0.4 },
  { action: 'sts:AssumeRole', weekday: 8, weekend: 2, noise: 0.3 },
  { action: 'dynamodb:Query', weekday: 1200, weekend: 300, noise: 0.15 },
  { action: 'kms:Decrypt', weekday: 60, weekend: 20, noise: 0.2 },
];

export interface OrdinaryOptions {
  systemId?: string;
  identityId?: string;
  identityName?: string;
  /** The last day of history (inclusive). */
  lastDay: string;
  days: number;
  seed?: number;
  actions?: readonly ActionRhythm[];
  /** Working hours, UTC, [from, to). */
  hours?: [number, number];
  regions?: readonly string[];
  addresses?: readonly string[];
}

/** An identity's ordinary history: every day worked, in its rhythm, from its usual hours and places. */
export function ordinaryHistory(
  options: OrdinaryOptions,
): IdentityHistory & { usage: ActionCount[]; detail: DayDetail[] } {
  const random = seeded(options.seed ?? 1);
  const actions = options.actions ?? OFFICE_ACTIONS;
  const [from, to] = options.hours ?? [8, 18];
  const regions = options.regions ?? ['us-east-1', 'eu-west-1'];
  const addresses = options.addresses ?? ['198.51.100.7', '198.51.100.8', '198.51.100.9'];
  const usage: ActionCount[] = [];
  const detail: DayDetail[] = [];
  for (const day of daysEnding(options.lastDay, options.days)) {
    let calls = 0;
    for (const rhythm of actions) {
      const usual = isWeekend(day) ? rhythm.weekend : rhythm.weekday;
      const count = Math.max(1, Math.round(usual * (1 + rhythm.noise * (2 * random() - 1))));
      usage.push({ action: rhythm.action, day, count });
      calls += count;
    }
    const hours = new Array<number>(24).fill(0);
    for (let left = calls, hour = from; left > 0; hour = hour + 1 < to ? hour + 1 : from) {
      const share = Math.min(left, 1 + Math.floor(random() * Math.max(1, calls / (to - from))));
      hours[hour]! += share;
      left -= share;
    }
    detail.push({
      day,
      hours,
      regions: [...regions],
      addresses: addresses.filter((_, i) => i === 0 || random() < 0.5),
      newResources: [],
    });
  }
  return {
    systemId: options.systemId ?? 'aws-prod',
    identityId: options.identityId ?? 'arn:aws:iam::123456789012:role/payments-app',
    identityName: options.identityName ?? 'payments-app',
    usage,
    detail,
  };
}
