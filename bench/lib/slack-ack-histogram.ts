/**
 * The bot's own view of its acks: `least_slack_ack_seconds` (app/metrics.ts) read from the bot's
 * registry before and after a phase, so the phase's share can be printed beside the load generator's.
 * A histogram only knows buckets: percentiles are the upper bound of the bucket that holds them.
 */
import type { Registry } from 'prom-client';

export interface AckHistogram {
  /** Cumulative counts by upper bound in seconds (`+Inf` as Infinity), ascending. */
  buckets: [number, number][];
  sum: number;
  count: number;
}

const METRIC = 'least_slack_ack_seconds';

export async function readAckHistogram(registry: Registry, kind: string): Promise<AckHistogram> {
  const metric = registry.getSingleMetric(METRIC);
  if (!metric) throw new Error(`${METRIC} is not in the bot's registry`);
  const { values } = (await metric.get()) as {
    values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  };
  const mine = values.filter((v) => v.labels.kind === kind);
  const buckets = mine
    .filter((v) => v.metricName === `${METRIC}_bucket`)
    .map((v): [number, number] => [v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value])
    .sort((a, b) => a[0] - b[0]);
  const sum = mine.find((v) => v.metricName === `${METRIC}_sum`)?.value ?? 0;
  const count = mine.find((v) => v.metricName === `${METRIC}_count`)?.value ?? 0;
  return { buckets, sum, count };
}

/** What was observed between two readings. */
export function ackHistogramSince(before: AckHistogram, after: AckHistogram): AckHistogram {
  const earlier = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([le, n]): [number, number] => [le, n - (earlier.get(le) ?? 0)]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** `n, mean, p50 ≤ …, p99 ≤ …` in milliseconds, for a report's value row. */
export function describeAckHistogram(h: AckHistogram): string {
  if (h.count === 0) return 'no observations';
  const bound = (q: number): string => {
    const le = h.buckets.find(([, n]) => n >= q * h.count)?.[0] ?? Infinity;
    return le === Infinity ? '> largest bucket' : `≤ ${Math.round(le * 1000)} ms`;
  };
  return `n ${h.count}, mean ${((h.sum / h.count) * 1000).toFixed(1)} ms, p50 ${bound(0.5)}, p99 ${bound(0.99)}`;
}
