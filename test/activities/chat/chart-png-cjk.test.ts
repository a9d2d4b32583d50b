import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PNG } from 'pngjs';
import { pciTrendChart, topEntitlementsChart, type Chart } from '../../../bot/render/charts';
import { advanceOf, textWidth } from '../../../bot/render/charts/font-metrics';
import { fitLabel } from '../../../bot/render/charts/labels';
import { CHART_FALLBACK_FONT_FILES, renderChartPng } from '../../../activities/chat/chart-png';
import { decodePng } from '../../support/checks/png';
import { readTrueType } from '../../support/checks/truetype';
import { ramp } from '../../bot/render/charts/fixtures';

/**
 * Names in Japanese or Chinese in a chart: DejaVu Sans has none of their glyphs, so without the
 * fallback font resvg draws the same empty box for every character. Drawn for real, two different
 * names give two different pictures, and the layout measures them as wide as the font draws them.
 */

function topEntitlements(names: readonly string[]): Chart {
  return topEntitlementsChart({
    from: '2025-03-01',
    to: '2025-03-30',
    entitlements: names.map((entitlement, i) => ({ entitlement, grants: 40 - i * 9 })),
  });
}

function pciTrend(systems: readonly string[]): Chart {
  return pciTrendChart({
    from: '2025-01-01',
    to: '2025-03-31',
    systems: systems.map((system, i) => ({ system, points: ramp(20 + i * 20, 30 + i * 20) })),
  });
}

/** The same chart with every label emptied. */
function withoutText(chart: Chart): Chart {
  return { ...chart, svg: chart.svg.replace(/(<text\b[^>]*>)[^<]*(<\/text>)/g, '$1$2') };
}

/** The chart with only the texts holding `label` emptied: what is left when that label draws nothing. */
function withoutLabel(chart: Chart, label: string): Chart {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { ...chart, svg: chart.svg.replace(new RegExp(`(<text\\b[^>]*>)[^<]*${escaped}[^<]*(</text>)`, 'g'), '$1$2') };
}

function differing(a: PNG, b: PNG): number {
  let count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if ([0, 1, 2].some((c) => Math.abs(a.data[i + c]! - b.data[i + c]!) > 48)) count += 1;
  }
  return count;
}

const png = (chart: Chart): PNG => decodePng(renderChartPng(chart).png);

describe('chart PNG with CJK names', () => {
  test('a Japanese entitlement name is drawn where its label is: not blank beside the chart without it', () => {
    const chart = topEntitlements(['本番データベース読取', 's3-admin', 'billing-viewer']);
    assert.ok(chart.svg.includes('本番データベース読取'), 'the label is in the SVG as text');
    const drawn = differing(png(chart), png(withoutLabel(chart, '本番データベース読取')));
    assert.ok(drawn > 150, `${drawn} pixels are the label`);
  });

  test('different names draw different glyphs, not the same empty boxes', () => {
    const a = png(topEntitlements(['山田太郎の権限', 's3-admin']));
    const b = png(topEntitlements(['川口花子の権限', 's3-admin']));
    assert.ok(differing(a, b) > 80, `${differing(a, b)} pixels differ between two names of the same length`);
    const trendA = png(pciTrend(['東京本番', '大阪検証']));
    const trendB = png(pciTrend(['札幌開発', '福岡監査']));
    assert.ok(differing(trendA, trendB) > 80, 'system names in the legend too');
  });

  test('a chart of CJK names still draws its Latin title and axes', () => {
    const chart = pciTrend(['東京本番', '北京本番']);
    assert.ok(differing(png(chart), png(withoutText(chart))) > 1500);
  });

  test('the layout measures CJK as wide as the fallback font draws it', () => {
    const font = readTrueType(CHART_FALLBACK_FONT_FILES[0]!);
    const sample = [...'山田太郎北京漢字ひらがなカタカナ、。（）ＡＺｱﾝ'];
    const wrong = sample.filter(
      (char) => advanceOf(char, false) !== Math.round(((font.advanceOf(char) ?? -1) * 1000) / font.unitsPerEm),
    );
    assert.deepEqual(wrong, []);
    assert.equal(textWidth('山田太郎', 12), 48);
    assert.ok(textWidth('山田太郎', 12) > textWidth('abcd', 12), 'wider than Latin of the same length');
  });

  test('a long Japanese name is cut to its width in characters of one em', () => {
    const label = fitLabel('経理部門の本番環境データベース読取専用権限', 120, 12);
    assert.equal(label, '経理部門の本番環境…');
    assert.ok(textWidth(label, 12) <= 120);
  });
});
