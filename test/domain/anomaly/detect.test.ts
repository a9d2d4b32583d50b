import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectAnomalies, serviceOf, type IdentityHistory } from '../../../domain/anomaly/detect';
import { median, medianAbsoluteDeviation } from '../../../domain/anomaly/statistics';
import { anomalyPolicySchema, DEFAULT_ANOMALY_POLICY } from '../../../domain/policy/anomalies';
import { daysEnding, ordinaryHistory } from '../../support/generators/usage-history';

/**
 * The detector on synthetic series: each planted kind is found and explains itself with its numbers;
 * ordinary weeks (weekday/weekend rhythm, noise) stay quiet; a short history is never judged; a flat
 * series does not turn every bump into an anomaly; caps and order hold.
 */

const JUDGED = '2026-11-30';
const HISTORY_END = '2026-11-29';

/** 60 ordinary days before the judged day, and the judged day itself as ordinary as the rest. */
function withOrdinaryDay(seed = 7): IdentityHistory & { usage: IdentityHistory['usage'][number][] } {
  const history = ordinaryHistory({ lastDay: JUDGED, days: 61, seed });
  return history;
}

/** The history with the judged day's rows replaced by `usage` (and its detail by `detail`, when given). */
function planted(
  usage: { action: string; count: number }[],
  detail?: Partial<IdentityHistory['detail'][number]>,
  days = 60,
): IdentityHistory {
  const base = ordinaryHistory({ lastDay: HISTORY_END, days, seed: 3 });
  const hours = new Array<number>(24).fill(0);
  hours[10] = 20;
  return {
    ...base,
    usage: [...base.usage, ...usage.map((u) => ({ ...u, day: JUDGED }))],
    detail: [
      ...base.detail,
      { day: JUDGED, hours, regions: ['us-east-1'], addresses: ['198.51.100.7'], newResources: [], ...detail },
    ],
  };
}

const ordinaryToday = [
  { action: 's3:GetObject', count: 36 },
  { action: 'dynamodb:Query', count: 1180 },
];

describe('anomaly detector', () => {
  test('a volume far above its own median is found and says so with its numbers', () => {
    const found = detectAnomalies(planted([{ action: 's3:GetObject', count: 4120 }]), [JUDGED], DEFAULT_ANOMALY_POLICY);
    assert.equal(found.length, 1);
    const [volume] = found;
    assert.equal(volume?.kind, 'volume');
    assert.equal(volume?.subject, 's3:GetObject');
    assert.equal(volume?.severity, 'high');
    assert.match(
      volume?.explanation ?? '',
      /^s3:GetObject ×4,120 on 2026-11-30; its median is 3\d(\.5)? \(MAD \d+(\.5)?\) over 60 days of use$/,
    );
    assert.ok((volume?.baseline ?? 0) > 25 && (volume?.baseline ?? 0) < 40);
    assert.ok((volume?.score ?? 0) > 18);
  });

  test('the first use of a service is found, naming what was called', () => {
    const found = detectAnomalies(
      planted([
        ...ordinaryToday,
        { action: 'ec2:RunInstances', count: 3 },
        { action: 'ec2:DescribeInstances', count: 10 },
      ]),
      [JUDGED],
      DEFAULT_ANOMALY_POLICY,
    );
    assert.deepEqual(
      found.map((a) => [a.kind, a.subject, a.explanation]),
      [['first-service', 'ec2', 'first use of ec2 (DescribeInstances ×10, RunInstances ×3) on 2026-11-30']],
    );
  });

  test('work at an hour never worked is found, with the quiet stretch around it', () => {
    const hours = new Array<number>(24).fill(0);
    hours[3] = 5;
    hours[10] = 30;
    const found = detectAnomalies(planted(ordinaryToday, { hours }), [JUDGED], DEFAULT_ANOMALY_POLICY);
    assert.deepEqual(
      found.map((a) => [a.kind, a.subject, a.explanation]),
      [
        [
          'unusual-hour',
          '03:00',
          'active at 03:00–04:00 UTC on 2026-11-30 (5 calls); in 60 days it never worked 18:00–08:00',
        ],
      ],
    );
  });

  test('a new source region, address and resource are each found', () => {
    const found = detectAnomalies(
      planted(ordinaryToday, {
        regions: ['us-east-1', 'ap-east-1'],
        addresses: ['198.51.100.7', '203.0.113.66'],
        newResources: ['arn:aws:s3:::payroll-exports'],
      }),
      [JUDGED],
      DEFAULT_ANOMALY_POLICY,
    );
    assert.deepEqual(
      found.map((a) => [a.kind, a.subject, a.explanation]),
      [
        ['new-region', 'ap-east-1', 'new source region ap-east-1 on 2026-11-30; before: eu-west-1, us-east-1'],
        [
          'first-resource',
          'arn:aws:s3:::payroll-exports',
          'first use of resource arn:aws:s3:::payroll-exports on 2026-11-30',
        ],
        ['new-address', '203.0.113.66', 'new source address 203.0.113.66 on 2026-11-30'],
      ],
    );
  });

  test('ordinary weeks are quiet: the weekday/weekend rhythm and its noise are not anomalies', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const history = withOrdinaryDay(seed);
      const lastTwoWeeks = daysEnding(JUDGED, 14);
      assert.deepEqual(detectAnomalies(history, lastTwoWeeks, DEFAULT_ANOMALY_POLICY), [], `seed ${seed}`);
    }
  });

  test('a history shorter than minHistoryDays is never judged, however wild the day', () => {
    const short = planted(
      [
        { action: 's3:GetObject', count: 90_000 },
        { action: 'iam:CreateUser', count: 4 },
      ],
      { regions: ['ap-east-1'] },
      13,
    );
    assert.deepEqual(detectAnomalies(short, [JUDGED], DEFAULT_ANOMALY_POLICY), []);
    // one more day of history and it is judged
    const enough = planted([{ action: 's3:GetObject', count: 90_000 }], {}, 14);
    assert.equal(detectAnomalies(enough, [JUDGED], DEFAULT_ANOMALY_POLICY).length > 0, true);
  });

  test('a day is judged against the days before it only, not against itself or later days', () => {
    const history = planted([{ action: 's3:GetObject', count: 4120 }]);
    // judged as of the day before, nothing is unusual (the wild day is after it)
    assert.deepEqual(detectAnomalies(history, [HISTORY_END], DEFAULT_ANOMALY_POLICY), []);
  });

  test('a flat series (MAD = 0) tolerates a small bump and still catches a jump', () => {
    const flat = (today: number): IdentityHistory => ({
      systemId: 'aws-prod',
      identityId: 'role/batch',
      identityName: 'batch',
      usage: [
        ...daysEnding(HISTORY_END, 30).map((day) => ({ action: 'sqs:SendMessage', day, count: 100 })),
        { action: 'sqs:SendMessage', day: JUDGED, count: today },
      ],
      detail: [],
    });
    assert.equal(medianAbsoluteDeviation(new Array(30).fill(100)), 0);
    assert.deepEqual(detectAnomalies(flat(101), [JUDGED], DEFAULT_ANOMALY_POLICY), []);
    assert.deepEqual(detectAnomalies(flat(150), [JUDGED], DEFAULT_ANOMALY_POLICY), []);
    const jump = detectAnomalies(flat(250), [JUDGED], DEFAULT_ANOMALY_POLICY);
    assert.equal(jump.length, 1);
    assert.match(jump[0]!.explanation, /^sqs:SendMessage ×250 on 2026-11-30; its median is 100 \(MAD 0\)/);
  });

  test('thresholds come from the policy', () => {
    const history = planted([{ action: 's3:GetObject', count: 120 }]);
    assert.equal(detectAnomalies(history, [JUDGED], DEFAULT_ANOMALY_POLICY).length, 1);
    const strict = anomalyPolicySchema.parse({ volume: { madThreshold: 40 } });
    assert.deepEqual(detectAnomalies(history, [JUDGED], strict), []);
    const highFloor = anomalyPolicySchema.parse({ volume: { minCount: 500 } });
    assert.deepEqual(detectAnomalies(history, [JUDGED], highFloor), []);
  });

  test('kinds switched off in the policy are not reported; disabled reports nothing', () => {
    const history = planted([{ action: 'ec2:RunInstances', count: 3 }], { regions: ['ap-east-1'] });
    const kinds = (policy = DEFAULT_ANOMALY_POLICY) => detectAnomalies(history, [JUDGED], policy).map((a) => a.kind);
    assert.deepEqual(kinds(), ['first-service', 'new-region']);
    assert.deepEqual(kinds(anomalyPolicySchema.parse({ kinds: ['new-region'] })), ['first-service']);
    assert.deepEqual(kinds(anomalyPolicySchema.parse({ enabled: false })), []);
  });

  test('a noisy identity is capped at maxPerIdentity, most severe first, then by score', () => {
    const regions = Array.from({ length: 20 }, (_, i) => `xx-new-${String(i).padStart(2, '0')}`);
    const history = planted(
      [
        { action: 's3:GetObject', count: 400 },
        { action: 'dynamodb:Query', count: 90_000 },
        { action: 'lambda:InvokeFunction', count: 2 },
      ],
      { regions },
    );
    const found = detectAnomalies(history, [JUDGED], DEFAULT_ANOMALY_POLICY);
    assert.equal(found.length, DEFAULT_ANOMALY_POLICY.maxPerIdentity);
    assert.deepEqual(
      found.map((a) => [a.severity, a.kind, a.subject]),
      [
        ['high', 'volume', 'dynamodb:Query'],
        ['high', 'volume', 's3:GetObject'],
        ['medium', 'first-service', 'lambda'],
        ['medium', 'new-region', 'xx-new-00'],
        ['medium', 'new-region', 'xx-new-01'],
      ],
    );
    const wider = anomalyPolicySchema.parse({ maxPerIdentity: 50 });
    assert.equal(detectAnomalies(history, [JUDGED], wider).length, 23);
  });

  test('the order does not depend on the order of the rows', () => {
    const history = planted(
      [
        { action: 's3:GetObject', count: 4120 },
        { action: 'ec2:RunInstances', count: 3 },
      ],
      {
        regions: ['ap-east-1', 'sa-east-1'],
      },
    );
    const reversed = { ...history, usage: [...history.usage].reverse(), detail: [...history.detail].reverse() };
    assert.deepEqual(
      detectAnomalies(reversed, [JUDGED], DEFAULT_ANOMALY_POLICY),
      detectAnomalies(history, [JUDGED], DEFAULT_ANOMALY_POLICY),
    );
  });

  test('services are told apart per cloud', () => {
    assert.equal(serviceOf('s3:GetObject'), 's3');
    assert.equal(serviceOf('Microsoft.Compute/virtualMachines/write'), 'Microsoft.Compute');
    assert.equal(serviceOf('storage.objects.get'), 'storage');
    assert.equal(median([1, 3, 2, 4]), 2.5);
  });
});
