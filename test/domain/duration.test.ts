import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ABSOLUTE_MAX_SECONDS, addSeconds, formatDuration, parseDuration } from '../../domain/duration';
import { DomainError, ErrorCode } from '../../domain/errors';

function assertCode(fn: () => unknown, code: ErrorCode): DomainError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DomainError, `expected a DomainError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

describe('parseDuration', () => {
  const accepted: [string, number][] = [
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
    ['1h30m', 5400],
    ['90s', 90],
    ['PT2H', 7200],
    ['P1DT4H', 100800],
    ['P2D', 172800],
    ['PT45M', 2700],
    ['PT1H30M15S', 5415],
    ['pt2h', 7200],
    ['2H', 7200],
    ['45 min', 2700],
    ['3 hrs', 10800],
    ['2days', 172800],
    ['1d 4h', 100800],
    ['1m30s', 90],
    ['  2h  ', 7200],
    ['90d', ABSOLUTE_MAX_SECONDS],
    ['2160h', ABSOLUTE_MAX_SECONDS],
  ];
  for (const [text, seconds] of accepted) {
    test(`accepts ${JSON.stringify(text)} as ${seconds}s`, () => {
      assert.equal(parseDuration(text), seconds);
    });
  }

  const malformed = [
    '',
    '   ',
    '2x',
    '-1h',
    '1.5h',
    'P',
    'PT',
    'P1DT',
    'h',
    '0h',
    '0s',
    'PT0S',
    '2h-',
    'two hours',
    '1h 2x',
    '２h', // full-width digit
    '١h', // Arabic-Indic digit
    '2\u200bh', // zero-width space
    '9'.repeat(10_000) + 'h',
    'x'.repeat(10_000),
  ];
  for (const text of malformed) {
    test(`refuses ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…(${text.length} chars)` : text)} as DURATION.MALFORMED`, () => {
      const error = assertCode(() => parseDuration(text), ErrorCode.DurationMalformed);
      assert.match(error.message, /30m, 2h, 1d/, 'the message shows forms that work');
      assert.ok(error.message.length < 200, 'a long input is not echoed in full');
    });
  }

  test('over 90 days is DURATION.TOO_LONG, naming the limit', () => {
    for (const text of ['91d', '2161h', 'P91D', 'PT2161H', '129601m', '89d24h1s']) {
      const error = assertCode(() => parseDuration(text), ErrorCode.DurationTooLong);
      assert.match(error.message, /90 day/);
    }
  });
});

describe('formatDuration', () => {
  test('writes the shortest exact form', () => {
    assert.equal(formatDuration(5400), '1h30m');
    assert.equal(formatDuration(86400), '1d');
    assert.equal(formatDuration(90), '1m30s');
    assert.equal(formatDuration(100800), '1d4h');
    assert.equal(formatDuration(0), '0s');
  });

  test('round-trips through parseDuration', () => {
    for (const seconds of [1, 59, 60, 61, 3599, 3600, 5400, 86399, 86400, 90061, 7 * 86400 + 1, ABSOLUTE_MAX_SECONDS]) {
      assert.equal(parseDuration(formatDuration(seconds)), seconds, `${seconds} → ${formatDuration(seconds)}`);
    }
  });
});

describe('addSeconds', () => {
  test('adds to an ISO time and answers in ISO', () => {
    assert.equal(addSeconds('2024-03-01T10:00:00.000Z', 5400), '2024-03-01T11:30:00.000Z');
    assert.equal(addSeconds('2024-02-28T23:00:00Z', 7200), '2024-02-29T01:00:00.000Z');
  });
});
