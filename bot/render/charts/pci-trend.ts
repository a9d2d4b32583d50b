import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { PciBand } from '../../../domain/findings/model';
import { bandOf, PCI_BANDS } from '../../../domain/findings/pci';
import {
  baseOption,
  dayAxis,
  CHART_HEIGHT,
  CHART_WIDTH,
  FONT_SIZE,
  MUTED,
  NO_DATA,
  noDataNotice,
  renderSvg,
  RULE,
  SERIES_COLOURS,
  type Chart,
} from './chart';
import { dayOf, daysInclusive, eachDay, periodOf, periodTitle } from './days';
import { distinctLabels, fitLabel, moreLabel, plainLabel } from './labels';

/** One system's PCI, one point per day a collection scored it. */
export interface PciTrendSeries {
  system: string;
  points: readonly { day: string; pci: number }[];
}

export interface PciTrendInput {
  /** First and last day of the period, `YYYY-MM-DD` (UTC), both drawn. */
  from: string;
  to: string;
  systems: readonly PciTrendSeries[];
}

/** More lines than this are a tangle; the rest are named by count in the legend and the alt text. */
export const MAX_SYSTEMS = SERIES_COLOURS.length;

const LEGEND_WIDTH = 170;
const PLOT = { left: 48, right: LEGEND_WIDTH + 28, top: 68, bottom: 36 };
/** Alt text is read aloud or shown as a caption: names there are cut sooner than in a legend. */
const ALT_NAME_CHARS = 60;

const BAND_TINTS: Record<PciBand, { fill: string; ink: string }> = {
  low: { fill: 'rgba(0, 158, 115, 0.10)', ink: '#00704f' },
  medium: { fill: 'rgba(230, 159, 0, 0.13)', ink: '#8a5d00' },
  high: { fill: 'rgba(213, 94, 0, 0.13)', ink: '#a14600' },
};

interface Line {
  label: string;
  points: { day: string; pci: number }[];
}

/**
 * PCI per system over the period as lines on 0–100, over the low / medium / high bands. Systems
 * beyond MAX_SYSTEMS (those with the lowest latest score) are left out and counted.
 */
export function pciTrendChart(input: PciTrendInput): Chart {
  const period = periodOf(input.from, input.to);
  const lines = period ? linesOf(input.systems, period) : [];
  const shown = lines.slice(0, MAX_SYSTEMS);
  const hidden = lines.length - shown.length;
  const days = period ? daysInclusive(period.from, period.to) : 0;
  const title = period ? `PCI per system over ${days} ${days === 1 ? 'day' : 'days'}` : 'PCI per system';
  const subtitle = period ? periodTitle(period) : 'no valid period';

  const labels = distinctLabels(shown.map((line) => fitLabel(line.label, LEGEND_WIDTH - 30, FONT_SIZE)));
  const more = hidden ? distinctLabels([moreLabel(hidden, hidden === 1 ? 'system' : 'systems')], labels)[0] : undefined;

  const legendLeft = CHART_WIDTH - LEGEND_WIDTH - 8;
  const option: EChartsOption = {
    ...baseOption(title, subtitle),
    grid: PLOT,
    legend: {
      type: 'plain',
      orient: 'vertical',
      left: legendLeft,
      top: PLOT.top,
      itemWidth: 18,
      itemHeight: 10,
      itemGap: 10,
      textStyle: { color: MUTED },
      data: [...labels, ...(more ? [{ name: more, icon: 'none' }] : [])],
    },
    xAxis: dayAxis(period ? eachDay(period.from, period.to) : [], false),
    yAxis: {
      type: 'value',
      min: 0,
      max: 100,
      interval: 20,
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: RULE } },
    },
    series: [
      bandsSeries(),
      ...shown.map((line, i) => lineSeries(line, period!.from, labels[i] ?? line.label, SERIES_COLOURS[i] ?? MUTED)),
      ...(more ? [{ type: 'line' as const, name: more, data: [], color: MUTED }] : []),
    ],
    graphic: shown.length === 0 ? noDataNotice(PLOT) : [],
  };

  return {
    svg: renderSvg(option),
    alt: altText(title, subtitle, shown, hidden),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  };
}

function linesOf(systems: readonly PciTrendSeries[], period: { from: string; to: string }): Line[] {
  const lines = systems.map((system) => {
    const byDay = new Map<string, number>();
    for (const point of system.points) {
      const day = dayOf(point.day);
      if (!day || day < period.from || day > period.to || !Number.isFinite(point.pci)) continue;
      byDay.set(day, Math.min(100, Math.max(0, Math.round(point.pci))));
    }
    const points = [...byDay].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([day, pci]) => ({ day, pci }));
    return { label: plainLabel(system.system), points };
  });
  // The most worrying first: the highest latest score, then by name so ties draw the same way every time.
  return lines
    .filter((line) => line.points.length > 0)
    .sort((a, b) => latest(b) - latest(a) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

function latest(line: Line): number {
  return line.points[line.points.length - 1]?.pci ?? 0;
}

/** The three bands as shaded areas, on a series of their own so they show even with no data. */
function bandsSeries(): LineSeriesOption {
  return {
    type: 'line',
    data: [],
    silent: true,
    markArea: {
      silent: true,
      data: PCI_BANDS.map(({ band, from, to }) => [
        {
          name: `${band} ${from}–${to}`,
          yAxis: Math.max(0, from - 0.5),
          itemStyle: { color: BAND_TINTS[band].fill },
          label: { position: 'insideTopLeft', color: BAND_TINTS[band].ink, fontSize: 11 },
        },
        { yAxis: Math.min(100, to + 0.5) },
      ]),
    },
  };
}

function lineSeries(line: Line, from: string, name: string, colour: string): LineSeriesOption {
  const single = line.points.length === 1;
  return {
    type: 'line',
    name,
    color: colour,
    data: line.points.map((point) => [daysInclusive(from, point.day) - 1, point.pci]),
    // A lone day would be an invisible zero-length line: draw it as a large dot.
    showSymbol: line.points.length <= 31,
    // On a category axis ECharts would otherwise draw symbols only on labelled days.
    showAllSymbol: true,
    symbol: 'circle',
    symbolSize: single ? 10 : 5,
    lineStyle: { width: 2 },
  };
}

function altText(title: string, subtitle: string, shown: readonly Line[], hidden: number): string {
  if (shown.length === 0) return `${title} (${subtitle}): ${NO_DATA.toLowerCase()}.`;
  const parts = shown.map((line) => {
    const name = plainLabel(line.label, ALT_NAME_CHARS);
    const first = line.points[0]!;
    const last = line.points[line.points.length - 1]!;
    if (line.points.length === 1) return `${name} ${last.pci} (${bandOf(last.pci)}) on ${last.day}`;
    return `${name} ${first.pci} → ${last.pci} (${bandOf(last.pci)})`;
  });
  const more = hidden ? `; ${moreLabel(hidden, hidden === 1 ? 'system' : 'systems')}` : '';
  return `${title} (${subtitle}): ${parts.join(', ')}${more}.`;
}
