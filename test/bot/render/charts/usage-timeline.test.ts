import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_DATA, usageTimelineChart } from '../../../../bot/render/charts';
import { assertInertSvg, barSizes, svgTexts } from '../../../support/checks/svg';

/** A report's usage timeline: calls per day with denied attempts stacked on them, every day drawn. */

describe('usage timeline chart', () => {
  test('adds up each day, leaves out what is outside the period or not a count, and says the gist', () => {
    const chart = usageTimelineChart({
      from: '2025-03-01',
      to: '2025-03-07',
      days: [
        { day: '2025-03-02', calls: 40, denied: 0 },
        { day: '2025-03-02', calls: 2, denied: 1 },
        { day: '2025-03-05', calls: 1200, denied: 3 },
        { day: '2025-02-28', calls: 99, denied: 9 },
        { day: '2025-03-06', calls: Number.NaN, denied: -1 },
        { day: 'not a day', calls: 1, denied: 1 },
      ],
    });
    assert.equal(
      chart.alt,
      'Calls per day, 2025-03-01 to 2025-03-07: 1,242 calls on 2 of 7 days; busiest day 2025-03-05 with 1,200; 4 denied.',
    );
    // a bar (maybe empty) per day, then the legend's swatch
    const heights = barSizes(chart.svg, 0)
      .slice(0, 7)
      .map((bar) => bar.height);
    const tallest = Math.max(...heights);
    assert.deepEqual(
      heights.map((h) => Math.round((h / tallest) * 1200)),
      [0, 42, 0, 0, 1200, 0, 0],
    );
    const texts = svgTexts(chart.svg);
    assert.ok(texts.includes('Calls per day') && texts.includes('2025-03-01 to 2025-03-07'));
    assert.ok(texts.includes('Calls') && texts.includes('Denied'), 'the legend names both');
    assertInertSvg(chart.svg);
  });

  test('no calls: the plain line, in the picture and the alt', () => {
    const chart = usageTimelineChart({ from: '2025-03-01', to: '2025-03-07', days: [] });
    assert.ok(svgTexts(chart.svg).includes(NO_DATA));
    assert.equal(chart.alt, 'Calls per day, 2025-03-01 to 2025-03-07: no data in this period.');
    assertInertSvg(chart.svg);
  });

  test('one point still draws, and a broken period says so instead of failing', () => {
    const one = usageTimelineChart({
      from: '2025-03-14',
      to: '2025-03-14',
      days: [{ day: '2025-03-14', calls: 1, denied: 0 }],
    });
    assert.equal(one.alt, 'Calls per day, 2025-03-14: 1 call on 1 of 1 day; busiest day 2025-03-14 with 1.');
    assertInertSvg(one.svg);
    const broken = usageTimelineChart({ from: '2025-03-14', to: '2025-03-01', days: [] });
    assert.equal(broken.alt, 'Calls per day: no valid period.');
    assertInertSvg(broken.svg);
  });
});
