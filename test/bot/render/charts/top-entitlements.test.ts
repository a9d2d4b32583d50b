import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ENTITLEMENTS, NO_DATA, topEntitlementsChart } from '../../../../bot/render/charts';
import { assertInertSvg, barSizes, svgTexts } from '../../../support/checks/svg';
import { HOSTILE_NAMES, HUGE, SCRIPT } from './fixtures';

/** Top entitlements: horizontal bars, the most granted at the top, the rest counted. */

const PERIOD = { from: '2025-03-01', to: '2025-03-30' };
const TITLES = ['Top entitlements by grants'];

describe('top entitlements chart', () => {
  test('ranks by grants, then by name; an entitlement listed twice is added up', () => {
    const chart = topEntitlementsChart({
      ...PERIOD,
      entitlements: [
        { entitlement: 's3-admin', grants: 17 },
        { entitlement: 'prod-db-readonly', grants: 30 },
        { entitlement: 'billing-viewer', grants: 9 },
        { entitlement: 'prod-db-readonly', grants: 12 },
        { entitlement: 'audit-reader', grants: 9 },
        { entitlement: 'never-used', grants: 0 },
        { entitlement: 'broken', grants: Number.NaN },
      ],
    });
    assert.equal(
      chart.alt,
      'Top entitlements by grants, 2025-03-01 to 2025-03-30: prod-db-readonly 42, s3-admin 17, audit-reader 9, ' +
        'billing-viewer 9.',
    );
    const texts = svgTexts(chart.svg);
    assert.deepEqual(
      texts.filter((text) => /^[a-z0-9-]+$/.test(text) && !/^\d+$/.test(text)),
      ['prod-db-readonly', 's3-admin', 'audit-reader', 'billing-viewer'],
    );
    assert.deepEqual(
      texts.filter((text) => ['42', '17', '9'].includes(text)),
      ['42', '17', '9', '9'],
      'each bar is labelled with its count',
    );
    const lengths = barSizes(chart.svg).map((bar) => bar.width);
    assert.deepEqual(
      lengths.map((length) => Math.round((length / lengths[0]!) * 42)),
      [42, 17, 9, 9],
    );
    assert.ok(texts.includes('2025-03-01 to 2025-03-30') && texts.includes(TITLES[0]!));
  });

  test(`more than ${MAX_ENTITLEMENTS}: the top ones drawn, the rest counted in the subtitle and the alt`, () => {
    const entitlements = Array.from({ length: 14 }, (_, i) => ({
      entitlement: `e-${String(i).padStart(2, '0')}`,
      grants: 20 - i,
    }));
    const chart = topEntitlementsChart({ ...PERIOD, entitlements });
    assert.equal(barSizes(chart.svg).length, MAX_ENTITLEMENTS);
    assert.ok(svgTexts(chart.svg).includes('2025-03-01 to 2025-03-30 · +4 more entitlements (34 grants)'));
    assert.match(chart.alt, /: e-00 20, e-01 19, .*, e-09 11; \+4 more entitlements with 34 grants\.$/);
  });

  test('no grants: a line saying so', () => {
    const chart = topEntitlementsChart({ ...PERIOD, entitlements: [] });
    assert.deepEqual(svgTexts(chart.svg).sort(), [...TITLES, '2025-03-01 to 2025-03-30', NO_DATA].sort());
    assert.equal(chart.alt, 'Top entitlements by grants, 2025-03-01 to 2025-03-30: no data in this period.');
  });

  test('one entitlement: one bar', () => {
    const chart = topEntitlementsChart({ ...PERIOD, entitlements: [{ entitlement: 'prod-db-readonly', grants: 1 }] });
    assert.equal(barSizes(chart.svg).length, 1);
    assert.equal(chart.alt, 'Top entitlements by grants, 2025-03-01 to 2025-03-30: prod-db-readonly 1.');
  });

  test('hostile names stay text, and two names cut to the same prefix stay two bars', () => {
    const entitlements = [...HOSTILE_NAMES, `${HUGE}-other`].map((entitlement, i) => ({ entitlement, grants: 10 - i }));
    const chart = topEntitlementsChart({ ...PERIOD, entitlements });
    assertInertSvg(chart.svg);
    const names = svgTexts(chart.svg).filter(
      (text) => !/^\d+$/.test(text) && !text.startsWith('2025') && !TITLES.includes(text),
    );
    assert.equal(names.length, 6);
    assert.equal(names[0], SCRIPT, 'short enough to show whole, as text');
    assert.equal(names[2], 'evil gnp.exe');
    assert.equal(names[3], 'nul bell esc [31mline break');
    assert.match(names[4]!, /^z+…$/);
    assert.equal(names[5], `${names[4]} (2)`);
    assert.ok(chart.alt.includes(`${HUGE.slice(0, 59)}… 6, ${HUGE.slice(0, 59)}… 5`), 'the alt keeps both counts');
  });
});
