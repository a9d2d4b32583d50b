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

export interface UsageTimelineInput {
  /** First and last day of the period, `YYYY-MM-DD` (UTC), both drawn; a day not listed had no calls. */
  from: string;
  to: string;
  days: readonly { day: string; calls: number; denied: number }[];
}

const PLOT = { left: 64, right: 24, top: 68, bottom: 36 };
const TITLE = 'Calls per day';

/**
 * A forensic report's usage timeline: calls per day as bars and denied attempts beside them, every day
 * of the period drawn. No names go in: the picture carries counts and days only, so nothing a cloud or
 * a person named can reach the SVG.
 */
export function usageTimelineChart(input: UsageTimelineInput): Chart {
  const period = periodOf(input.from, input.to);
  if (!period) return drawn([], [], [], 'no valid period', `${TITLE}: no valid period.`);
  const days = eachDay(period.from, period.to);
  const calls = new Map(days.map((day) => [day, 0]));
  const denied = new Map(days.map((day) => [day, 0]));
  for (const entry of input.days) {
    const day = dayOf(entry.day);
    if (day === undefined || !calls.has(day)) continue;
    if (Number.isFinite(entry.calls) && entry.calls > 0) calls.set(day, calls.get(day)! + Math.round(entry.calls));
    if (Number.isFinite(entry.denied) && entry.denied > 0) denied.set(day, denied.get(day)! + Math.round(entry.denied));
  }
  const callSeries = days.map((day) => calls.get(day) ?? 0);
  const deniedSeries = days.map((day) => denied.get(day) ?? 0);
  const subtitle = periodTitle(period);
  return drawn(days, callSeries, deniedSeries, subtitle, altText(days, callSeries, deniedSeries, subtitle));
}

function drawn(
  days: readonly string[],
  calls: readonly number[],
  denied: readonly number[],
  subtitle: string,
  alt: string,
): Chart {
  const total = calls.reduce((sum, n) => sum + n, 0) + denied.reduce((sum, n) => sum + n, 0);
  const option: EChartsOption = {
    ...baseOption(TITLE, subtitle),
    grid: PLOT,
    legend: {
      right: 24,
      top: 14,
      textStyle: { color: MUTED },
      data: ['Calls', 'Denied'],
    },
    xAxis: dayAxis(days, true),
    yAxis: {
      type: 'value',
      minInterval: 1,
      max: total === 0 ? 1 : undefined,
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: RULE } },
    },
    series: [
      { type: 'bar', name: 'Calls', data: [...calls], color: SERIES_COLOURS[0], barMaxWidth: 40, stack: 'usage' },
      { type: 'bar', name: 'Denied', data: [...denied], color: SERIES_COLOURS[1], barMaxWidth: 40, stack: 'usage' },
    ],
    graphic: total === 0 ? noDataNotice(PLOT) : [],
  };
  return { svg: renderSvg(option), alt, width: CHART_WIDTH, height: CHART_HEIGHT };
}

function altText(
  days: readonly string[],
  calls: readonly number[],
  denied: readonly number[],
  subtitle: string,
): string {
  const totalCalls = calls.reduce((sum, n) => sum + n, 0);
  const totalDenied = denied.reduce((sum, n) => sum + n, 0);
  if (totalCalls + totalDenied === 0) return `${TITLE}, ${subtitle}: ${NO_DATA.toLowerCase()}.`;
  const active = calls.filter((n) => n > 0).length;
  const busiest = calls.reduce((best, n, i) => (n > (calls[best] ?? 0) ? i : best), 0);
  const parts = [
    `${totalCalls.toLocaleString('en-US')} ${totalCalls === 1 ? 'call' : 'calls'} on ${active} of ${days.length} ${days.length === 1 ? 'day' : 'days'}`,
    ...(totalCalls > 0 ? [`busiest day ${days[busiest]} with ${(calls[busiest] ?? 0).toLocaleString('en-US')}`] : []),
    ...(totalDenied > 0 ? [`${totalDenied.toLocaleString('en-US')} denied`] : []),
  ];
  return `${TITLE}, ${subtitle}: ${parts.join('; ')}.`;
}
