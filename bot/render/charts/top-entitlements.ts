import type { EChartsOption } from 'echarts';
import {
  baseOption,
  CHART_HEIGHT,
  CHART_WIDTH,
  FONT_SIZE,
  INK,
  MUTED,
  NO_DATA,
  noDataNotice,
  renderSvg,
  RULE,
  SERIES_COLOURS,
  type Chart,
} from './chart';
import { dayOf, periodWords } from './days';
import { textWidth } from './font-metrics';
import { distinctLabels, fitLabel, moreLabel, plainLabel } from './labels';

export interface TopEntitlementsInput {
  /** The period the counts cover, `YYYY-MM-DD`; named in the subtitle only. */
  from: string;
  to: string;
  entitlements: readonly { entitlement: string; grants: number }[];
}

/** Ten bars fill 400 pixels with room for their names; the rest are counted in the subtitle and alt. */
export const MAX_ENTITLEMENTS = 10;

/** Names longer than this are cut: the bars need the rest of the width. */
const MAX_NAME_WIDTH = 240;
const ALT_NAME_CHARS = 60;

/** The entitlements granted most often in the period, as horizontal bars, largest at the top. */
export function topEntitlementsChart(input: TopEntitlementsInput): Chart {
  const from = dayOf(input.from);
  const to = dayOf(input.to);
  const period = from && to && from <= to ? periodWords(from, to) : 'no valid period';
  const ranked = rank(input.entitlements);
  const shown = ranked.slice(0, MAX_ENTITLEMENTS);
  const rest = ranked.slice(MAX_ENTITLEMENTS);
  const restGrants = rest.reduce((sum, e) => sum + e.grants, 0);
  const more = rest.length
    ? `${moreLabel(rest.length, rest.length === 1 ? 'entitlement' : 'entitlements')} (${restGrants} ${restGrants === 1 ? 'grant' : 'grants'})`
    : '';
  const subtitle = more ? `${period} · ${more}` : period;

  const labels = distinctLabels(shown.map((e) => fitLabel(e.name, MAX_NAME_WIDTH, FONT_SIZE)));
  const widest = Math.max(0, ...labels.map((label) => textWidth(label, FONT_SIZE)));
  const plot = { left: Math.ceil(24 + widest), right: 48, top: 68, bottom: 32 };
  const option: EChartsOption = {
    ...baseOption('Top entitlements by grants', subtitle),
    grid: plot,
    xAxis: {
      type: 'value',
      minInterval: 1,
      max: shown.length === 0 ? 1 : undefined,
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: RULE } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: labels,
      axisLabel: { color: INK, interval: 0 },
      axisTick: { show: false },
      axisLine: { show: shown.length > 0, lineStyle: { color: MUTED } },
    },
    series: [
      {
        type: 'bar',
        name: 'Grants',
        data: shown.map((e) => e.grants),
        color: SERIES_COLOURS[0],
        barMaxWidth: 22,
        label: { show: true, position: 'right', color: INK },
      },
    ],
    graphic: shown.length === 0 ? noDataNotice(plot) : [],
  };
  return {
    svg: renderSvg(option),
    alt: altText(period, shown, rest.length, restGrants),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  };
}

interface Ranked {
  name: string;
  grants: number;
}

/** Counts per entitlement (listed twice is added up), largest first, ties by name. */
function rank(entitlements: TopEntitlementsInput['entitlements']): Ranked[] {
  const totals = new Map<string, number>();
  for (const { entitlement, grants } of entitlements) {
    if (!Number.isFinite(grants) || grants <= 0) continue;
    totals.set(entitlement, (totals.get(entitlement) ?? 0) + Math.round(grants));
  }
  return [...totals]
    .map(([name, grants]) => ({ name, grants }))
    .filter((e) => e.grants > 0)
    .sort((a, b) => b.grants - a.grants || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function altText(period: string, shown: readonly Ranked[], others: number, otherGrants: number): string {
  if (shown.length === 0) return `Top entitlements by grants, ${period}: ${NO_DATA.toLowerCase()}.`;
  const list = shown.map((e) => `${plainLabel(e.name, ALT_NAME_CHARS)} ${e.grants}`).join(', ');
  const more = others
    ? `; ${moreLabel(others, others === 1 ? 'entitlement' : 'entitlements')} with ${otherGrants} ${otherGrants === 1 ? 'grant' : 'grants'}`
    : '';
  return `Top entitlements by grants, ${period}: ${list}${more}.`;
}
