import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SYSTEMS, NO_DATA, pciTrendChart, type PciTrendInput } from '../../../../bot/render/charts';
import { textWidth } from '../../../../bot/render/charts/font-metrics';
import { assertInertSvg, svgTexts } from '../../../support/checks/svg';
import { HOSTILE_NAMES, HUGE, ramp, RTL_OVERRIDE, SCRIPT } from './fixtures';

/** PCI per system over 90 days: lines over the low / medium / high bands, and the gist in words. */

const PERIOD = { from: '2025-01-01', to: '2025-03-31' };
const KNOWN: PciTrendInput = {
  ...PERIOD,
  systems: [
    { system: 'aws-prod', points: ramp(41, 58) },
    { system: 'gcp-data', points: [{ day: '2025-02-10', pci: 12 }] },
    { system: 'azure-corp', points: ramp(70, 75) },
  ],
};
const AXES_AND_BANDS = [
  ...['0', '20', '40', '60', '80', '100'],
  ...['Jan 1', 'Jan 15', 'Feb 1', 'Feb 15', 'Mar 1', 'Mar 15'],
  ...['low 0–33', 'medium 34–66', 'high 67–100'],
];

/** The symbols (dots) ECharts drew for the series at `index`; the bands are series 0. */
function symbolsOf(svg: string, index: number): number {
  return [...svg.matchAll(/<path [^>]*ecmeta_series_index="(\d+)"[^>]*ecmeta_ssr_type="chart"/g)].filter(
    ([, series]) => Number(series) === index,
  ).length;
}

describe('PCI trend chart', () => {
  test('says each system first → last with the band of the last, most worrying first', () => {
    const chart = pciTrendChart(KNOWN);
    assert.equal(
      chart.alt,
      'PCI per system over 90 days (2025-01-01 to 2025-03-31): azure-corp 70 → 75 (high), ' +
        'aws-prod 41 → 58 (medium), gcp-data 12 (low) on 2025-02-10.',
    );
    assert.deepEqual([chart.width, chart.height], [800, 400]);
  });

  test('draws the title, the period, calendar-day axis labels, the bands and one legend entry per system', () => {
    const texts = svgTexts(pciTrendChart(KNOWN).svg);
    assert.deepEqual(
      texts.sort(),
      [
        'PCI per system over 90 days',
        '2025-01-01 to 2025-03-31',
        ...AXES_AND_BANDS,
        'azure-corp',
        'aws-prod',
        'gcp-data',
      ].sort(),
    );
  });

  test('no data in the period: the axes and bands with a line saying so', () => {
    const chart = pciTrendChart({
      ...PERIOD,
      systems: [{ system: 'aws-prod', points: [{ day: '2024-12-31', pci: 50 }] }],
    });
    assert.deepEqual(
      svgTexts(chart.svg).sort(),
      ['PCI per system over 90 days', PERIOD.from + ' to ' + PERIOD.to, ...AXES_AND_BANDS, NO_DATA].sort(),
    );
    assert.equal(chart.alt, 'PCI per system over 90 days (2025-01-01 to 2025-03-31): no data in this period.');
    assert.equal(symbolsOf(chart.svg, 1), 0);
  });

  test('a system scored on one day is drawn as a visible dot', () => {
    const chart = pciTrendChart({
      ...PERIOD,
      systems: [{ system: 'aws-prod', points: [{ day: '2025-02-10', pci: 47 }] }],
    });
    assert.equal(symbolsOf(chart.svg, 1), 1);
    assert.match(chart.alt, /: aws-prod 47 \(medium\) on 2025-02-10\.$/);
  });

  test('a one-day period and an unreadable period draw without failing', () => {
    const oneDay = pciTrendChart({
      from: '2025-03-31',
      to: '2025-03-31',
      systems: [{ system: 's', points: [{ day: '2025-03-31', pci: 90 }] }],
    });
    assert.equal(oneDay.alt, 'PCI per system over 1 day (2025-03-31): s 90 (high) on 2025-03-31.');
    const backwards = pciTrendChart({ from: '2025-03-31', to: '2025-01-01', systems: KNOWN.systems });
    assert.ok(svgTexts(backwards.svg).includes(NO_DATA));
    assert.equal(backwards.alt, 'PCI per system (no valid period): no data in this period.');
  });

  test('a period longer than a year draws its last year and says so', () => {
    const chart = pciTrendChart({
      from: '2020-01-01',
      to: '2025-12-31',
      systems: [
        {
          system: 'old',
          points: [
            { day: '2021-01-01', pci: 50 },
            { day: '2025-06-01', pci: 40 },
          ],
        },
      ],
    });
    assert.equal(
      chart.alt,
      'PCI per system over 366 days (2024-12-31 to 2025-12-31, earlier days not shown): old 40 (medium) on 2025-06-01.',
    );
  });

  test('scores outside 0–100 or not numbers are clamped or left out; the last of a day counts', () => {
    const chart = pciTrendChart({
      ...PERIOD,
      systems: [
        {
          system: 'odd',
          points: [
            { day: '2025-01-01', pci: -5 },
            { day: '2025-01-02', pci: Number.NaN },
            { day: '2025-01-03', pci: 140 },
            { day: '2025-01-03T12:00:00Z', pci: 120 },
          ],
        },
      ],
    });
    assert.match(chart.alt, /: odd 0 → 100 \(high\)\.$/);
  });

  test(`more than ${MAX_SYSTEMS} systems: the highest latest scores are drawn, the rest counted in legend and alt`, () => {
    const systems = Array.from({ length: 13 }, (_, i) => ({
      system: `system-${String(i).padStart(2, '0')}`,
      points: ramp(10, 10 + i * 7),
    }));
    const chart = pciTrendChart({ ...PERIOD, systems });
    const legend = svgTexts(chart.svg).filter((text) => text.startsWith('system-') || text.startsWith('+'));
    assert.deepEqual(legend, [
      ...Array.from({ length: MAX_SYSTEMS }, (_, i) => `system-${String(12 - i).padStart(2, '0')}`),
      '+5 more systems',
    ]);
    assert.match(chart.alt, /: system-12 10 → 94 \(high\), .*, system-05 10 → 45 \(medium\); \+5 more systems\.$/);
  });

  test('hostile system names stay text: escaped, cut to fit, stripped of controls', () => {
    const systems = HOSTILE_NAMES.map((system, i) => ({ system, points: ramp(20 + i * 10, 30 + i * 10) }));
    const chart = pciTrendChart({ ...PERIOD, systems });
    assertInertSvg(chart.svg);
    assert.ok(chart.svg.includes('&lt;script&gt;alert(1)&lt;/sc'), 'the script tag shows as text');
    const legend = svgTexts(chart.svg).filter((text) => !AXES_AND_BANDS.includes(text) && !text.includes('2025'));
    assert.deepEqual(legend, [
      'zzzzzzzzzzzzzzzzzzzz…',
      'nul bell esc [31mline…',
      'evil gnp.exe',
      `a & b "double" 'singl…`,
      '<script>alert(1)</sc…',
      'PCI per system over 90 days',
    ]);
    const names = legend.slice(0, HOSTILE_NAMES.length);
    assert.ok(
      names.every((name) => textWidth(name, 12) <= 140),
      'each name fits the legend column',
    );
    assert.ok(!chart.alt.includes('\u202e') && !chart.alt.includes('\u0000'));
    assert.ok(chart.alt.includes(`${SCRIPT} 20 → 30 (low)`), 'the alt is plain text; chat renderers escape it');
    assert.ok(chart.alt.includes(`${HUGE.slice(0, 59)}… 60 → 70 (high)`));
    assert.ok(!chart.alt.includes(RTL_OVERRIDE));
  });

  test('the same data gives the same bytes, whatever was drawn before', () => {
    const first = pciTrendChart(KNOWN).svg;
    pciTrendChart({ ...PERIOD, systems: [] });
    assert.equal(pciTrendChart(KNOWN).svg, first);
    assert.doesNotMatch(first, /\bzr\d+-|class="/);
  });
});
