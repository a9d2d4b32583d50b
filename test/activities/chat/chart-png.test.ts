import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import {
  CHART_FONT_FAMILY,
  grantsPerDayChart,
  pciTrendChart,
  topEntitlementsChart,
  type Chart,
} from '../../../bot/render/charts';
import { advanceOf, textWidth } from '../../../bot/render/charts/font-metrics';
import { CHART_FONT_FILES, fontFamilies, MAX_PNG_SIDE, renderChartPng } from '../../../activities/chat/chart-png';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { readTrueType } from '../../support/checks/truetype';
import { days, HOSTILE_NAMES, ramp } from '../../bot/render/charts/fixtures';

/** Charts as PNG: the size asked for, something drawn, and the text really there in the shipped font. */

const SAMPLES: Record<string, Chart> = {
  'PCI trend': pciTrendChart({
    from: '2025-01-01',
    to: '2025-03-31',
    systems: [
      { system: 'aws-prod', points: ramp(41, 58) },
      { system: 'azure-corp', points: ramp(70, 75) },
      { system: 'gcp-data', points: [{ day: '2025-02-10', pci: 12 }] },
    ],
  }),
  'grants per day': grantsPerDayChart({
    from: '2025-03-01',
    to: '2025-03-30',
    days: days(30, '2025-03-01').map((day, i) => ({ day, grants: (i * 7) % 11 })),
  }),
  'top entitlements': topEntitlementsChart({
    from: '2025-03-01',
    to: '2025-03-30',
    entitlements: ['prod-db-readonly', 's3-admin', 'billing-viewer', 'audit-reader'].map((entitlement, i) => ({
      entitlement,
      grants: 40 - i * 9,
    })),
  }),
};

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

/** Pixels that are not the white ground. */
function inked(image: PNG, area = { x: 0, y: 0, width: image.width, height: image.height }): number {
  let count = 0;
  for (let y = area.y; y < area.y + area.height; y += 1) {
    for (let x = area.x; x < area.x + area.width; x += 1) {
      const i = (y * image.width + x) * 4;
      if (image.data[i]! < 235 || image.data[i + 1]! < 235 || image.data[i + 2]! < 235) count += 1;
    }
  }
  return count;
}

function differing(a: PNG, b: PNG): number {
  let count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if ([0, 1, 2].some((c) => Math.abs(a.data[i + c]! - b.data[i + c]!) > 48)) count += 1;
  }
  return count;
}

/** The same chart with every label emptied: what a renderer without a font would draw. */
function withoutText(chart: Chart): Chart {
  return { ...chart, svg: chart.svg.replace(/(<text\b[^>]*>)[^<]*(<\/text>)/g, '$1$2') };
}

const TITLE_AREA = { x: 16, y: 10, width: 180, height: 22 };

describe('chart PNG', () => {
  for (const [name, chart] of Object.entries(SAMPLES)) {
    test(`${name}: decodes at 800×400 with a good share of it drawn`, () => {
      const rendered = renderChartPng(chart);
      const image = decode(rendered.png);
      assert.deepEqual([image.width, image.height, rendered.width, rendered.height], [800, 400, 800, 400]);
      assert.ok(inked(image) > 0.03 * 800 * 400, `${inked(image)} pixels drawn`);
    });

    test(`${name}: the text is really drawn, in the title and across the labels`, () => {
      const labelled = decode(renderChartPng(chart).png);
      const blank = decode(renderChartPng(withoutText(chart)).png);
      assert.ok(differing(labelled, blank) > 1500, `${differing(labelled, blank)} pixels are text`);
      assert.ok(inked(labelled, TITLE_AREA) > 300, 'the title is drawn');
      assert.equal(inked(blank, TITLE_AREA), 0, 'and only text is drawn there');
    });

    test(`${name}: every family the SVG asks for is the shipped font's`, () => {
      assert.deepEqual(fontFamilies(chart.svg), [CHART_FONT_FAMILY]);
    });
  }

  test('the shipped font files are the family the charts name, regular and bold', () => {
    assert.deepEqual(
      CHART_FONT_FILES.map((file) => readTrueType(file).family),
      [CHART_FONT_FAMILY, CHART_FONT_FAMILY],
    );
  });

  test('the layout measures text with the shipped font’s own advance widths', () => {
    const characters = [
      ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
      ...Array.from({ length: 0x100 - 0xa0 }, (_, i) => String.fromCharCode(0xa0 + i)),
      ...'…→−–—',
    ];
    CHART_FONT_FILES.forEach((file, face) => {
      const font = readTrueType(file);
      const wrong = characters.filter(
        (char) => advanceOf(char, face === 1) !== Math.round(((font.advanceOf(char) ?? 0) * 1000) / font.unitsPerEm),
      );
      assert.deepEqual(wrong, [], file);
    });
  });

  test('a label measured for layout is as wide as resvg draws it', () => {
    const text = 'prod-db-readonly · aws-prod 41 → 58 (medium)';
    const rendered = decode(
      renderChartPng({
        svg:
          `<svg width="800" height="40" xmlns="http://www.w3.org/2000/svg"><rect width="800" height="40" fill="#fff"/>` +
          `<text x="10" y="25" style="font-size:12px;font-family:${CHART_FONT_FAMILY};">${text}</text></svg>`,
      }).png,
    );
    let [left, right] = [800, 0];
    for (let x = 0; x < 800; x += 1) {
      if (inked(rendered, { x, y: 0, width: 1, height: 40 }) > 0) [left, right] = [Math.min(left, x), x];
    }
    assert.ok(
      Math.abs(right - left + 1 - textWidth(text, 12)) < 4,
      `${right - left + 1} drawn, ${textWidth(text, 12)} measured`,
    );
  });

  test('hostile names reach the PNG as text and the SVG still parses', () => {
    const chart = pciTrendChart({
      from: '2025-01-01',
      to: '2025-03-31',
      systems: HOSTILE_NAMES.map((system, i) => ({ system, points: ramp(10 + i * 15, 20 + i * 15) })),
    });
    const image = decode(renderChartPng(chart).png);
    assert.ok(differing(image, decode(renderChartPng(withoutText(chart)).png)) > 3000);
  });

  test('scale draws sharper pictures, never past the size guard', () => {
    const chart = SAMPLES['grants per day']!;
    assert.deepEqual(pick(renderChartPng(chart, { scale: 2 })), [1600, 800]);
    assert.deepEqual(pick(renderChartPng(chart, { scale: 4 })), [MAX_PNG_SIDE, MAX_PNG_SIDE / 2]);
    const huge = `<svg width="5000" height="1000" xmlns="http://www.w3.org/2000/svg"><rect width="5000" height="1000" fill="#abc"/></svg>`;
    const scaled = renderChartPng({ svg: huge });
    assert.deepEqual(pick(scaled), [2000, 400]);
    assert.deepEqual([decode(scaled.png).width, decode(scaled.png).height], [2000, 400]);
  });

  test('refused with CHART.UNRENDERABLE: another font family, no size, not an SVG', () => {
    const cases = [
      SAMPLES['PCI trend']!.svg.replace(/font-family:DejaVu Sans/, 'font-family:Arial'),
      SAMPLES['PCI trend']!.svg.replace(
        /style="font-size:12px;font-family:DejaVu Sans;"/,
        'style="font: normal 12px \'Noto Sans\'"',
      ),
      '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>',
      '<svg width="0" height="400" xmlns="http://www.w3.org/2000/svg"></svg>',
      '<svg width="800" height="400" xmlns="http://www.w3.org/2000/svg"><rect></svg>',
    ];
    for (const svg of cases) {
      assert.throws(
        () => renderChartPng({ svg }),
        (error: unknown) => error instanceof DomainError && error.code === ErrorCode.ChartUnrenderable,
        svg.slice(0, 80),
      );
    }
  });
});

function pick(png: { png: Buffer; width: number; height: number }): [number, number] {
  return [png.width, png.height];
}
