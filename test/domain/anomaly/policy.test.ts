import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { policySchema, type PolicyInput } from '../../../domain/policy/schema';
import { isLive, suppressionOf, suppressionProblem } from '../../../domain/anomaly/suppress';
import { ANOMALY_KINDS, type Anomaly } from '../../../domain/anomaly/model';

/** The policy's `anomalies:` block (defaults, readable refusals) and which suppression covers an anomaly. */

const EXAMPLE = parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'config', 'policy.example.yaml'), 'utf8'),
) as PolicyInput;

function issues(anomalies: unknown): string[] {
  const result = policySchema.safeParse({ ...EXAMPLE, anomalies });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('policy anomalies block', () => {
  test('no block, or an empty one, gives every default', () => {
    const { anomalies, ...rest } = EXAMPLE;
    assert.ok(anomalies, 'the example shows the block');
    const parsed = policySchema.parse(rest).anomalies;
    assert.deepEqual(parsed, policySchema.parse({ ...EXAMPLE, anomalies: {} }).anomalies);
    assert.equal(parsed.enabled, true);
    assert.equal(parsed.minHistoryDays, 14);
    assert.deepEqual(parsed.volume, { minCount: 50, madThreshold: 6, minDays: 5, madFloorRatio: 0.1 });
    assert.deepEqual(parsed.hours, { minHistoryDays: 30, minQuietHours: 4 });
    assert.equal(parsed.maxPerIdentity, 5);
    assert.equal(parsed.maxPerRun, 500);
  });

  test('a bad value names its key; a suppression of an unknown system or kind is refused', () => {
    assert.deepEqual(issues({ volume: { madThreshold: 0 } }), [
      'anomalies.volume.madThreshold: Too small: expected number to be >=1',
    ]);
    assert.match(issues({ kinds: ['sunspots'] })[0] ?? '', /^anomalies\.kinds\.0: Invalid option/);
    assert.match(issues({ colour: 'red' })[0] ?? '', /^anomalies: Unrecognized key: "colour"/);
    const suppression = { identity: 'x', reason: 'r', by: 'sec@example.com', until: '2027-01-01' };
    assert.deepEqual(issues({ suppressions: [{ ...suppression, system: 'aws-nowhere' }] }), [
      'anomalies.suppressions.0.system: no authorization system "aws-nowhere"',
    ]);
    assert.match(
      issues({ suppressions: [{ ...suppression, system: 'aws-prod', kind: 'everything' }] })[0] ?? '',
      /^anomalies\.suppressions\.0\.kind: Invalid option/,
    );
  });
});

describe('anomaly suppressions', () => {
  const found: Anomaly = {
    systemId: 'aws-prod',
    identityId: 'arn:aws:iam::123456789012:role/Nightly-Export',
    identityName: 'Nightly-Export',
    day: '2026-11-30',
    kind: 'unusual-hour',
    subject: '03:00',
    observed: 40,
    severity: 'medium',
    explanation: 'active at 03:00–04:00 UTC',
  };
  const base = { system: 'aws-prod', reason: 'by design', by: 'sec@example.com', until: '2026-12-10' };

  test('covers by id or name (case aside), kind and subject when given, until its day', () => {
    const at = '2026-12-01T00:00:00.000Z';
    assert.ok(suppressionOf(found, [{ ...base, identity: 'nightly-export' }], at));
    assert.ok(
      suppressionOf(found, [{ ...base, identity: found.identityId, kind: 'unusual-hour', subject: '03:00' }], at),
    );
    assert.equal(suppressionOf(found, [{ ...base, identity: 'nightly-export', kind: 'volume' }], at), undefined);
    assert.equal(suppressionOf(found, [{ ...base, identity: 'nightly-export', subject: '04:00' }], at), undefined);
    assert.equal(suppressionOf(found, [{ ...base, system: 'aws-dev', identity: 'nightly-export' }], at), undefined);
    assert.equal(
      suppressionOf(found, [{ ...base, identity: 'nightly-export' }], '2026-12-10T00:00:00.000Z'),
      undefined,
    );
    assert.equal(isLive(base, '2026-12-09T23:59:59.999Z'), true);
  });

  test('asked for: a reason, a real day after today and within a year, a known kind', () => {
    const ok = { reason: 'by design', until: '2026-12-10' };
    assert.equal(suppressionProblem(ok, '2026-12-01', ANOMALY_KINDS), undefined);
    assert.match(suppressionProblem({ ...ok, reason: '  ' }, '2026-12-01', ANOMALY_KINDS) ?? '', /reason/);
    assert.match(
      suppressionProblem({ ...ok, until: '2026-12-01' }, '2026-12-01', ANOMALY_KINDS) ?? '',
      /already be over/,
    );
    assert.match(suppressionProblem({ ...ok, until: '2026-13-01' }, '2026-12-01', ANOMALY_KINDS) ?? '', /not a date/);
    assert.match(suppressionProblem({ ...ok, until: '2028-01-01' }, '2026-12-01', ANOMALY_KINDS) ?? '', /at most 366/);
    assert.match(suppressionProblem({ ...ok, kind: 'x' }, '2026-12-01', ANOMALY_KINDS) ?? '', /not an anomaly kind/);
    const long = 'x'.repeat(2049);
    assert.match(suppressionProblem({ ...ok, identity: long }, '2026-12-01', ANOMALY_KINDS) ?? '', /identity/);
    assert.match(suppressionProblem({ ...ok, subject: long }, '2026-12-01', ANOMALY_KINDS) ?? '', /subject/);
  });
});
