import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dayOf, daysInclusive, eachDay, labelledDay, shortDayOf } from '../../../../bot/render/charts/days';

/** Calendar days in UTC, and which of them an axis labels. */

describe('chart days', () => {
  test('a day is read from a date or a timestamp, and an impossible date is none', () => {
    assert.equal(dayOf('2025-03-05'), '2025-03-05');
    assert.equal(dayOf('2025-03-05T23:59:59Z'), '2025-03-05');
    assert.equal(dayOf('2025-03-05T01:00:00+05:00'), '2025-03-04', 'the UTC day');
    assert.equal(dayOf('2025-03-05T01:00:00'), undefined, 'no zone: the day would depend on the machine');
    assert.equal(dayOf('2025-02-30T10:00:00Z'), undefined);
    assert.equal(dayOf('2025-02-30'), undefined);
    assert.equal(dayOf('March 5'), undefined);
  });

  test('periods count both ends and cross month and leap-year ends', () => {
    assert.equal(daysInclusive('2024-02-28', '2024-03-01'), 3);
    assert.deepEqual(eachDay('2024-12-31', '2025-01-01'), ['2024-12-31', '2025-01-01']);
    assert.equal(shortDayOf('2025-12-01'), 'Dec 1');
  });

  test('axis labels: daily up to two weeks, weekly to two months, 1st and 15th to half a year, then monthly', () => {
    const labelled = (from: string, to: string) => {
      const days = eachDay(from, to);
      const keep = labelledDay(days.length);
      return days.filter((day, i) => keep(day, i)).map(shortDayOf);
    };
    assert.equal(labelled('2025-03-01', '2025-03-14').length, 14);
    assert.deepEqual(labelled('2025-03-01', '2025-04-15'), [
      'Mar 1',
      'Mar 8',
      'Mar 15',
      'Mar 22',
      'Mar 29',
      'Apr 5',
      'Apr 12',
    ]);
    assert.deepEqual(labelled('2025-01-10', '2025-03-31'), ['Jan 15', 'Feb 1', 'Feb 15', 'Mar 1', 'Mar 15']);
    assert.equal(labelled('2025-01-01', '2025-12-31').length, 12);
  });
});
