import { dirname, join } from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { DomainError, ErrorCode } from '../../domain/errors';
import { CHART_FONT_FAMILY, type Chart } from '../../bot/render/charts';

/**
 * Chart SVGs (bot/render/charts) as PNG for Slack uploads and Teams cards. Out of render/ because it
 * loads a native module and font files. resvg draws text only with a font it was given and says
 * nothing when it has none, so the project ships DejaVu Sans (`dejavu-fonts-ttf`, the family the
 * charts name) and loads no system font: the picture is the same on a laptop, in CI and in the image.
 */

export interface ChartPng {
  png: Buffer;
  width: number;
  height: number;
}

/** Neither side of a PNG goes past this; a larger chart is scaled down to fit, keeping its shape. */
export const MAX_PNG_SIDE = 2000;

/** Regular and bold: ECharts sets titles in bold, and resvg does not embolden a regular face. */
export const CHART_FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${file}`),
);

/**
 * Where DejaVu has no glyph (Chinese, Japanese: an identity named 山田太郎), resvg falls back to the
 * next font given. Noto Sans JP Regular (OFL-1.1, from `@embedpdf/fonts-jp`, whose exports name only
 * its index, hence the path beside it) has kana, the JIS kanji and most hanzi; no Hangul.
 */
export const CHART_FALLBACK_FONT_FILES = [
  join(dirname(require.resolve('@embedpdf/fonts-jp')), '..', 'fonts', 'NotoSansJP-Regular.otf'),
];

const FONT: NonNullable<ResvgRenderOptions['font']> = {
  fontFiles: [...CHART_FONT_FILES, ...CHART_FALLBACK_FONT_FILES],
  loadSystemFonts: false,
  defaultFontFamily: CHART_FONT_FAMILY,
  sansSerifFamily: CHART_FONT_FAMILY,
};

/**
 * The chart as a PNG of its own size times `scale` (2 for sharp pictures on high-density screens),
 * scaled down to MAX_PNG_SIDE when that would be larger. Refuses an SVG that names a font family the
 * renderer was not given, since its text would silently vanish.
 */
export function renderChartPng(chart: Pick<Chart, 'svg'>, options: { scale?: number } = {}): ChartPng {
  const unknownFamily = fontFamilies(chart.svg).find((family) => family !== CHART_FONT_FAMILY);
  if (unknownFamily !== undefined) {
    throw new DomainError(
      ErrorCode.ChartUnrenderable,
      `The chart asks for the font "${unknownFamily}", but only ${CHART_FONT_FAMILY} ships; its text would not show.`,
    );
  }
  const size = svgSize(chart.svg);
  const wanted = options.scale !== undefined && options.scale > 0 ? options.scale : 1;
  const zoom = Math.min(wanted, MAX_PNG_SIDE / size.width, MAX_PNG_SIDE / size.height);
  let image: ReturnType<Resvg['render']>;
  try {
    image = new Resvg(chart.svg, {
      font: FONT,
      fitTo: { mode: 'width', value: Math.max(1, Math.floor(size.width * zoom)) },
      logLevel: 'off',
    }).render();
  } catch (error) {
    throw new DomainError(ErrorCode.ChartUnrenderable, `The chart SVG could not be drawn: ${(error as Error).message}`);
  }
  return { png: image.asPng(), width: image.width, height: image.height };
}

/** Every family the SVG's text asks for, from `font-family:` and the `font:` shorthand ECharts writes. */
export function fontFamilies(svg: string): string[] {
  const families = new Set<string>();
  for (const [, list] of svg.matchAll(/font-family:\s*([^;"]+)/g)) families.add(clean(list));
  for (const [, list] of svg.matchAll(/font:[^;"]*?\d(?:\.\d+)?px\s+([^;"]+)/g)) families.add(clean(list));
  return [...families];
}

function clean(list: string | undefined): string {
  return (list ?? '').trim().replace(/^['"]|['"]$/g, '');
}

/** The root element's width and height: parsing the whole SVG twice to learn them would cost more. */
function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new DomainError(ErrorCode.ChartUnrenderable, 'The chart SVG has no width and height of its own.');
  }
  return { width, height };
}
