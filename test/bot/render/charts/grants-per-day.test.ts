import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grantsPerDayChart, MAX_DAYS, NO_DATA } from '../../../../bot/render/charts';
import { assertInertSvg, barSizes, svgTexts } from '../../../support/checks/svg';
import { days } from './fixtures';

/** Grants per day: a bar for every day of the period, days without grants at zero. */

const TEN_DAYS = { from: '2025-03-01', to: '2025-03-10' };

/** Bar heights as multiples of the tallest's `max`: the counts the picture shows. */
function drawnCounts(svg: string, max: number): number[] {
  const heights = barSizes(svg).map((bar) => bar.height);
  const tallest = Math.max(...heights);
  return heights.map((height) => Math.round((height / tallest) * max));
}

describe('grants per day chart', () => {
  test('adds up each day, leaves out what is outside the period or not a count, and says the gist', () => {
    const chart = grantsPerDayChart({
      ...TEN_DAYS,
      days: [
        { day: '2025-03-01', grants: 3 },
        { day: '2025-03-03', grants: 5 },
        { day: '2025-03-05', grants: 2 },
        { day: '2025-03-05T10:00:00Z', grants: 3 },
        { day: '2025-02-28', grants: 9 },
        { day: '2025-03-11', grants: 9 },
        { day: '2025-03-02', grants: -4 },
        { day: '2025-03-04', grants: Number.NaN },
        { day: 'not a day', grants: 1 },
      ],
    });
    assert.equal(
      chart.alt,
      'Grants per day, 2025-03-01 to 2025-03-10: 13 grants in 10 days; busiest day 2025-03-03 with 5; ' +
        '7 days without grants.',
    );
    assert.deepEqual(drawnCounts(chart.svg, 5), [3, 0, 5, 0, 5, 0, 0, 0, 0, 0]);
    const texts = svgTexts(chart.svg);
    assert.deepEqual(texts.slice(0, 2).concat(texts.slice(-2)), [
      '0',
      '1',
      'Grants per day',
      '2025-03-01 to 2025-03-10',
    ]);
    assert.deepEqual(
      texts.filter((text) => text.startsWith('Mar ')),
      days(10, '2025-03-01').map((_, i) => `Mar ${i + 1}`),
    );
    assertInertSvg(chart.svg);
  });

  test('90 days are labelled on the 1st and the 15th', () => {
    const chart = grantsPerDayChart({ from: '2025-01-01', to: '2025-03-31', days: [{ day: '2025-02-02', grants: 1 }] });
    assert.deepEqual(
      svgTexts(chart.svg).filter((text) => /^[A-Z][a-z]{2} \d+$/.test(text)),
      ['Jan 1', 'Jan 15', 'Feb 1', 'Feb 15', 'Mar 1', 'Mar 15'],
    );
    assert.equal(barSizes(chart.svg).length, 90);
  });

  test('no grants in the period: a line saying so, and the alt says it too', () => {
    const chart = grantsPerDayChart({ ...TEN_DAYS, days: [] });
    assert.ok(svgTexts(chart.svg).includes(NO_DATA));
    assert.equal(chart.alt, 'Grants per day, 2025-03-01 to 2025-03-10: no data in this period.');
  });

  test('one day: one bar of its count', () => {
    const chart = grantsPerDayChart({ from: '2025-03-14', to: '2025-03-14', days: [{ day: '2025-03-14', grants: 7 }] });
    const bars = barSizes(chart.svg);
    assert.equal(bars.length, 1);
    assert.ok(bars[0]!.height > 200 && bars[0]!.width >= 20, 'a bar as tall as the plot and wide enough to see');
    assert.equal(chart.alt, 'Grants per day, 2025-03-14: 7 grants in 1 day.');
  });

  test(`a period longer than ${MAX_DAYS} days shows its last ${MAX_DAYS} and says so`, () => {
    const chart = grantsPerDayChart({
      from: '2020-01-01',
      to: '2025-12-31',
      days: [
        { day: '2020-06-01', grants: 50 },
        { day: '2025-12-31', grants: 2 },
      ],
    });
    assert.equal(barSizes(chart.svg).length, MAX_DAYS);
    assert.equal(
      chart.alt,
      `Grants per day, 2024-12-31 to 2025-12-31, earlier days not shown: 2 grants in ${MAX_DAYS} days; ` +
        `busiest day 2025-12-31 with 2; ${MAX_DAYS - 1} days without grants.`,
    );
  });

  test('an unreadable period draws the empty chart instead of failing', () => {
    for (const period of [
      { from: 'yesterday', to: '2025-03-10' },
      { from: '2025-03-10', to: '2025-03-01' },
      { from: '2025-02-30', to: '2025-03-01' },
    ]) {
      const chart = grantsPerDayChart({ ...period, days: [{ day: '2025-03-05', grants: 1 }] });
      assert.ok(svgTexts(chart.svg).includes(NO_DATA), JSON.stringify(period));
      assert.equal(chart.alt, 'Grants per day: no valid period.');
    }
  });
});
