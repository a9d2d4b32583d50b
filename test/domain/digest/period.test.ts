import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, ErrorCode } from '../../../domain/errors';
import {
  digestPeriod,
  isTimeZone,
  localDayOf,
  periodKey,
  startOfLocalDay,
  trailingDays,
} from '../../../domain/digest/period';

/**
 * The period of a digest, by value. Expected instants are worked out from the zones' rules by hand:
 * Berlin is UTC+1 in winter and UTC+2 from the last Sunday of March (2026-03-29, 02:00) to the last
 * Sunday of October (2026-10-25, 03:00); New York is UTC-5, and UTC-4 from 2026-03-08 (02:00).
 */

const iso = (ms: number): string => new Date(ms).toISOString();

describe('digestPeriod, daily', () => {
  test('is yesterday from 00:00 to 24:00 on the zone’s clocks', () => {
    assert.deepEqual(digestPeriod('daily', 'Europe/Berlin', '2026-01-15T07:30:00Z'), {
      cadence: 'daily',
      timeZone: 'Europe/Berlin',
      at: '2026-01-15T07:30:00.000Z',
      from: '2026-01-13T23:00:00.000Z',
      to: '2026-01-14T23:00:00.000Z',
      firstDay: '2026-01-14',
      lastDay: '2026-01-14',
      hours: 24,
    });
  });

  test('the day clocks go forward lasts 23 hours', () => {
    // digest at 08:30 CEST on Monday 30 March: Sunday 29 March began at 00:00 CET and ended at 24:00 CEST
    const period = digestPeriod('daily', 'Europe/Berlin', '2026-03-30T06:30:00Z');
    assert.equal(period.firstDay, '2026-03-29');
    assert.equal(period.from, '2026-03-28T23:00:00.000Z');
    assert.equal(period.to, '2026-03-29T22:00:00.000Z');
    assert.equal(period.hours, 23);
  });

  test('the day clocks go back lasts 25 hours', () => {
    const period = digestPeriod('daily', 'Europe/Berlin', '2026-10-26T07:30:00Z');
    assert.equal(period.firstDay, '2026-10-25');
    assert.equal(period.from, '2026-10-24T22:00:00.000Z');
    assert.equal(period.to, '2026-10-25T23:00:00.000Z');
    assert.equal(period.hours, 25);
  });

  test('a zone with a half-hour offset and none of DST', () => {
    const period = digestPeriod('daily', 'Asia/Kolkata', '2026-01-10T03:00:00Z');
    assert.deepEqual(
      [period.from, period.to, period.firstDay, period.hours],
      ['2026-01-08T18:30:00.000Z', '2026-01-09T18:30:00.000Z', '2026-01-09', 24],
    );
  });

  test('the day is the zone’s, not UTC’s: at 23:30 UTC it is already tomorrow in Tokyo', () => {
    const period = digestPeriod('daily', 'Asia/Tokyo', '2026-02-01T23:30:00Z'); // 08:30 on 2 Feb in Tokyo
    assert.equal(period.firstDay, '2026-02-01');
    assert.equal(period.from, '2026-01-31T15:00:00.000Z');
  });

  test('a run late by hours still tells the day its schedule meant', () => {
    const onTime = digestPeriod('daily', 'Europe/Berlin', '2026-01-15T07:30:00Z');
    const late = digestPeriod('daily', 'Europe/Berlin', '2026-01-15T22:59:59Z');
    assert.deepEqual([late.from, late.to], [onTime.from, onTime.to]);
    assert.equal(periodKey('security', late), periodKey('security', onTime));
    assert.equal(periodKey('security', onTime), 'security:2026-01-14..2026-01-14');
  });
});

describe('digestPeriod, weekly', () => {
  test('is the seven calendar days before, 167 hours across the spring DST change', () => {
    // Monday 9 March 2026, 09:00 EDT: the week is Mon 2 – Sun 8 March, and clocks went forward on the 8th
    assert.deepEqual(digestPeriod('weekly', 'America/New_York', '2026-03-09T13:00:00Z'), {
      cadence: 'weekly',
      timeZone: 'America/New_York',
      at: '2026-03-09T13:00:00.000Z',
      from: '2026-03-02T05:00:00.000Z',
      to: '2026-03-09T04:00:00.000Z',
      firstDay: '2026-03-02',
      lastDay: '2026-03-08',
      hours: 167,
    });
  });

  test('is 168 hours in an ordinary week and 169 across the autumn change', () => {
    assert.equal(digestPeriod('weekly', 'Europe/Berlin', '2026-06-15T07:00:00Z').hours, 168);
    const autumn = digestPeriod('weekly', 'Europe/Berlin', '2026-10-26T08:00:00Z');
    assert.deepEqual([autumn.firstDay, autumn.lastDay, autumn.hours], ['2026-10-19', '2026-10-25', 169]);
  });
});

describe('days in a zone', () => {
  test('a day whose midnight the clocks skip starts at 01:00', () => {
    // Chile moves its clocks from 00:00 to 01:00 on Sunday 6 September 2026 (UTC-4 → UTC-3)
    assert.equal(iso(startOfLocalDay('2026-09-05', 'America/Santiago')), '2026-09-05T04:00:00.000Z');
    assert.equal(iso(startOfLocalDay('2026-09-06', 'America/Santiago')), '2026-09-06T04:00:00.000Z');
    assert.equal(localDayOf(Date.parse('2026-09-06T03:59:59Z'), 'America/Santiago'), '2026-09-05');
  });

  test('a chart window counts calendar days back from the period’s last day', () => {
    const period = digestPeriod('daily', 'Europe/Berlin', '2026-03-30T06:30:00Z');
    assert.deepEqual(trailingDays(period, 30), {
      firstDay: '2026-02-28',
      lastDay: '2026-03-29',
      from: '2026-02-27T23:00:00.000Z',
    });
  });
});

describe('time zones', () => {
  test('named IANA zones are accepted, written as the database writes them', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'US/Pacific'])
      assert.equal(isTimeZone(zone), true, zone);
  });

  test('offsets, unknown names and names in the wrong case are not time zones', () => {
    for (const zone of ['+01:00', 'GMT+1:00', 'Mars/Olympus', 'Europe/Berlinn', 'europe/berlin', '', 'Europe/../UTC'])
      assert.equal(isTimeZone(zone), false, zone);
  });

  test('a period in an unknown zone is refused with a code and what to write instead', () => {
    assert.throws(
      () => digestPeriod('daily', 'Mars/Olympus', '2026-01-15T07:30:00Z'),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === ErrorCode.DigestTimeZoneUnknown &&
        /"Mars\/Olympus" is not a time zone name.*Europe\/Berlin/.test(error.message),
    );
  });
});
