import type { EChartsOption } from 'echarts';
import {
  baseOption,
  CHART_HEIGHT,
  CHART_WIDTH,
  dayAxis,
  MUTED,
  NO_DATA,
  noDataNotice,
  renderSvg,
  RULE,
  SERIES_COLOURS,
  type Chart,
} from './chart';
import { dayOf, eachDay, periodOf, periodTitle } from './days';

export interface GrantsPerDayInput {
  /** First and last day of the period, `YYYY-MM-DD` (UTC), both drawn; a day not listed had no grants. */
  from: string;
  to: string;
  days: readonly { day: string; grants: number }[];
}

const PLOT = { left: 52, right: 24, top: 68, bottom: 36 };

/** Grants per day as bars, every day of the period drawn, days without grants as gaps at zero. */
export function grantsPerDayChart(input: GrantsPerDayInput): Chart {
  const period = periodOf(input.from, input.to);
  if (!period) return drawn([], 'Grants per day', 'no valid period', 'Grants per day: no valid period.');
  const days = eachDay(period.from, period.to);
  const counts = new Map(days.map((day) => [day, 0]));
  for (const entry of input.days) {
    const day = dayOf(entry.day);
    const before = day === undefined ? undefined : counts.get(day);
    if (before === undefined || !Number.isFinite(entry.grants) || entry.grants <= 0) continue;
    counts.set(day!, before + Math.round(entry.grants));
  }
  const series = days.map((day) => counts.get(day) ?? 0);
  const subtitle = periodTitle(period);
  return drawn(
    days.map((day, i) => ({ day, grants: series[i] ?? 0 })),
    'Grants per day',
    subtitle,
    altText(days, series, subtitle),
  );
}

function drawn(days: readonly { day: string; grants: number }[], title: string, subtitle: string, alt: string): Chart {
  const total = days.reduce((sum, d) => sum + d.grants, 0);
  const option: EChartsOption = {
    ...baseOption(title, subtitle),
    grid: PLOT,
    xAxis: dayAxis(
      days.map((d) => d.day),
      true,
    ),
    yAxis: {
      type: 'value',
      minInterval: 1,
      // An empty period keeps a 0–1 scale rather than a bare line.
      max: total === 0 ? 1 : undefined,
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: RULE } },
    },
    series: [
      {
        type: 'bar',
        name: 'Grants',
        data: days.map((d) => d.grants),
        color: SERIES_COLOURS[0],
        barMaxWidth: 40,
        barMinHeight: 0,
      },
    ],
    graphic: total === 0 ? noDataNotice(PLOT) : [],
  };
  return { svg: renderSvg(option), alt, width: CHART_WIDTH, height: CHART_HEIGHT };
}

function altText(days: readonly string[], counts: readonly number[], subtitle: string): string {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return `Grants per day, ${subtitle}: ${NO_DATA.toLowerCase()}.`;
  const busiest = counts.reduce((best, n, i) => (n > (counts[best] ?? 0) ? i : best), 0);
  const quiet = counts.filter((n) => n === 0).length;
  const span = `${days.length} ${days.length === 1 ? 'day' : 'days'}`;
  const parts = [
    `${total} ${total === 1 ? 'grant' : 'grants'} in ${span}`,
    ...(days.length > 1 ? [`busiest day ${days[busiest]} with ${counts[busiest]}`] : []),
    ...(quiet > 0 ? [`${quiet} ${quiet === 1 ? 'day' : 'days'} without grants`] : []),
  ];
  return `Grants per day, ${subtitle}: ${parts.join('; ')}.`;
}
