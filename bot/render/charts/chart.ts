import type { EChartsOption, XAXisComponentOption as XAXisOption } from 'echarts';
import { labelledDay, shortDayOf } from './days';
import { textWidth } from './font-metrics';

type GraphicOption = EChartsOption['graphic'];

/** A chart ready to post: the picture as SVG, and the same gist in words for those who cannot see it. */
export interface Chart {
  svg: string;
  /** Plain text (no markup): each platform's renderer escapes it like any other text. */
  alt: string;
  width: number;
  height: number;
}

/** Fits a Slack message and an Adaptive Card alike, and is legible without a click. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;

/**
 * The one font the charts name; activities/chat/chart-png.ts ships its file. Any other family in the
 * SVG would find no font there, and resvg would drop that text without a word.
 */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

export const NO_DATA = 'No data in this period';

/** Distinct for the common kinds of colour blindness (Okabe–Ito), darkened to read on a white ground. */
export const SERIES_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#e69f00', '#000000', '#999999'];
export const INK = '#222222';
export const MUTED = '#5f6368';
export const RULE = '#e3e5e8';

export const FONT_SIZE = 12;
const TITLE_SIZE = 16;

let loaded: typeof import('echarts') | undefined;

/**
 * ECharts (~27 MiB of heap) loads with the first chart drawn, not with every process that imports a
 * renderer: a worker that never posts a digest never holds it (issue 15). `require` as in
 * activities/cloud/azure/connections.ts: `import()` would be asynchronous, and take the ESM build.
 */
function echarts(): typeof import('echarts') {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, as said above
    loaded = require('echarts') as typeof import('echarts');
    // Lay text out for the font the PNG renderer really draws, not ECharts' Helvetica guess (font-metrics.ts).
    loaded.setPlatformAPI({
      measureText: (text, font) => {
        const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? FONT_SIZE);
        return { width: textWidth(text, size, /\bbold\b|\b[6-9]00\b/.test(font ?? '')) };
      },
    });
  }
  return loaded;
}

/** What every chart shares: no animation (an SSR frame is the last one anyway), our font, a white ground. */
export function baseOption(title: string, subtitle: string): EChartsOption {
  return {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    color: SERIES_COLOURS,
    textStyle: { fontFamily: CHART_FONT_FAMILY, fontSize: FONT_SIZE, color: INK },
    title: {
      text: title,
      subtext: subtitle,
      left: 16,
      top: 10,
      itemGap: 6,
      textStyle: { fontFamily: CHART_FONT_FAMILY, fontSize: TITLE_SIZE, fontWeight: 'bold', color: INK },
      subtextStyle: { fontFamily: CHART_FONT_FAMILY, fontSize: FONT_SIZE, color: MUTED },
    },
  };
}

/**
 * The option drawn once by ECharts' server-side SVG renderer. The output is made byte-stable: ZRender
 * numbers its ids and hover classes from process-wide counters, so ids take a fixed prefix and the
 * hover classes go, with their stylesheet (a picture has no hover). Only tags are touched: text
 * between them is the data's, already escaped.
 */
export function renderSvg(option: EChartsOption, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart
      .renderToSVGString()
      .replace(/<style\b[^>]*>[\s\S]*?<\/style>\s*/g, '')
      .replace(/<[^>]*>/g, (tag) => tag.replace(/\sclass="[^"]*"/g, '').replace(/\bzr\d+-/g, 'chart-'));
  } finally {
    chart.dispose();
  }
}

/** A category axis of calendar days, labelled at calendar marks (days.ts) so ticks fall evenly. */
export function dayAxis(days: readonly string[], boundaryGap: boolean): XAXisOption {
  const labelled = labelledDay(days.length);
  const interval = (index: number, day: string): boolean => labelled(day, index);
  return {
    type: 'category',
    data: [...days],
    boundaryGap,
    axisLabel: { color: MUTED, interval, formatter: (day: string) => shortDayOf(day) },
    axisTick: { interval, alignWithLabel: true },
    axisLine: { lineStyle: { color: MUTED } },
  };
}

/** Where the "nothing to draw" line goes: the middle of the plot, on a white ground over any band. */
export function noDataNotice(plot: { left: number; right: number; top: number; bottom: number }): GraphicOption {
  return [
    {
      type: 'text',
      z: 100,
      x: (plot.left + CHART_WIDTH - plot.right) / 2,
      y: (plot.top + CHART_HEIGHT - plot.bottom) / 2,
      silent: true,
      style: {
        text: NO_DATA,
        fontFamily: CHART_FONT_FAMILY,
        fontSize: TITLE_SIZE,
        fill: MUTED,
        align: 'center',
        verticalAlign: 'middle',
        backgroundColor: '#ffffff',
        padding: [6, 10],
      },
    },
  ];
}
