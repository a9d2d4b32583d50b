import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanTrailRecords } from '../../../activities/inventory/aws/cloudtrail-records';
import { UsageAggregator, ssoSessionNames, type TrailRecord } from '../../../activities/inventory/aws/cloudtrail-usage';
import {
  assumedRoleActor,
  COMMON_CALLS,
  iamUserActor,
  identityCenterActor,
  seeded,
  trailRecord,
} from '../../support/generators/cloudtrail';

/**
 * The CloudTrail reader skips building what usage never reads; it must count a file exactly as
 * JSON.parse would, and never accept a file JSON.parse refuses. Checked here against JSON.parse on
 * generated files and on seeded random mutations of them (bytes replaced, inserted, cut), read in
 * windows from 7 bytes to 32 KiB.
 */

const A = '111122223333';
const actors = [
  iamUserActor(A, 'ci'),
  assumedRoleActor(A, 'app-1', 'i-1'),
  assumedRoleActor(A, 'least-broker', 'least-req-9'),
  identityCenterActor(A, 'ReadOnly', 'ada'),
  { type: 'AWSService' as const, accountId: A, invokedBy: 'ec2.amazonaws.com' },
];
const r = seeded(5);
const ctx = {
  systemId: 's',
  accountId: A,
  brokerRoleArn: `arn:aws:iam::${A}:role/least-broker`,
  ssoUser: (x: string) => `u/${x}`,
  permissionSet: (n: string) => (n === 'ReadOnly' ? 'ps' : undefined),
  knownService: (s: string) => s !== 'nosuch',
};
const window = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z' };
function outcome(records: TrailRecord[]) {
  const a = new UsageAggregator(ctx, window);
  const skipped = a.addFile('k', records);
  return {
    skipped,
    counts: a.counts,
    usage: a.usage(),
    detail: a.usageDetail(),
    ids: a.identities(),
    data: [...a.dataEventServices],
    sso: [...ssoSessionNames(records)],
  };
}
function file(n: number): string {
  const recs = [];
  for (let i = 0; i < n; i++) {
    const call = r.pick(COMMON_CALLS);
    const rec = trailRecord(
      {
        time: new Date(Date.parse('2026-03-02T00:00:00Z') + Math.floor(r.next() * 3e8)),
        actor: r.pick(actors),
        eventSource: call.eventSource,
        eventName: call.eventName,
        region: 'us-east-1',
        sourceIPAddress: `10.0.0.${i}`,
        errorCode: r.next() < 0.2 ? 'AccessDenied' : undefined,
        resources: call.resource ? [call.resource(A, i), call.resource(A, i + 1)] : undefined,
        category: call.category,
        requestParameters:
          r.next() < 0.5
            ? {
                bucketName: r.next() < 0.1 ? 'caf\u00e9' : 'x"y\\z\n',
                list: [1, -2.5e3, true, null, { a: [] }],
                'k\u0001': 0,
              }
            : undefined,
      },
      r.hex(64),
    ) as Record<string, unknown>;
    recs.push(rec);
  }
  return JSON.stringify({ Records: recs });
}
const specials = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  '0',
  '1',
  '-',
  '.',
  'e',
  't',
  'n',
  ' ',
  '\n',
  '\u0001',
  'é',
  'u',
  '"eventName"',
  '"Records"',
  'null',
  '[]',
  '{}',
  '"x"',
  '5',
  '"\\u0041"',
];
const tally = { same: 0, bailed: 0, bothBad: 0 };
function check(text: string) {
  let parsed: unknown;
  let threw = false;
  try {
    parsed = JSON.parse(text);
  } catch {
    threw = true;
  }
  let scanned: TrailRecord[] | undefined;
  try {
    const b = Buffer.from(text, 'utf8');
    scanned = scanTrailRecords(b, [7, 64, 400, 32768][Math.floor(r.next() * 4)]);
  } catch (e) {
    console.log('SCANNER THREW', e, JSON.stringify(text.slice(0, 300)));
    throw e;
  }
  if (threw) {
    assert.equal(scanned, undefined, 'scanner accepted invalid JSON: ' + JSON.stringify(text));
    tally.bothBad++;
    return;
  }
  const records = (parsed as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    assert.equal(scanned, undefined);
    tally.bailed++;
    return;
  }
  if (!scanned) {
    tally.bailed++;
    return;
  }
  assert.equal(scanned.length, records.length);
  let o1, o2, e1, e2;
  try {
    o1 = outcome(scanned);
  } catch (e) {
    e1 = String(e);
  }
  try {
    o2 = outcome(records as TrailRecord[]);
  } catch (e) {
    e2 = String(e);
  }
  assert.deepEqual(e1, e2);
  assert.deepEqual(o1, o2, JSON.stringify(text).slice(0, 500));
  tally.same++;
}
const hand = [
  '{"Records":[]}',
  '{}',
  '{"Records":null}',
  ' {"Records":[{}]} ',
  '{"Records":[{"eventName":"Get\\u004fbject","eventSource":"s3.amazonaws.com","eventTime":"2026-03-02T00:00:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci"}}]}',
  '{"Records":[{"eventName":5,"eventSource":"s3.amazonaws.com","eventTime":"2026-03-02T00:00:00Z"}]}',
  '{"Records":[{"event\\u004eame":"GetObject","eventSource":"s3.amazonaws.com","eventTime":"2026-03-02T00:00:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci"}}]}',
  '{"Records":[1]}',
  '{"Records":[{}],"Records":[]}',
  '{"x":1,"Records":[{"userIdentity":"s","resources":{"ARN":"a"}}]}',
  '{"Records":[{"eventName":"A","eventName":"ListBuckets","eventSource":"s3.amazonaws.com","eventTime":"2026-03-02T00:00:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci"},"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/a/b","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/a"},"sessionIssuer":7}},"resources":[null,5,{"ARN":1},{"ARN":"arn:x"},[],"s"]}]}',
  '{"Records":[]} x',
  '{"Records":[01]}',
  '{"Records":[{"a":-0.5e+10,"b":[[],[[{}]]],"c":"\\ud800"}]}',
  '\ufeff{"Records":[]}',
  '{"Records":[{"a":tru}]}',
];

test('reads hand-made edge cases as JSON.parse does', () => {
  for (const h of hand) check(h);
});

test('reads generated files, and 3,000 seeded mutations of them, as JSON.parse does', () => {
  for (let k = 0; k < 300; k++) check(file(1 + (k % 5)));
  const base = [file(3), file(2), file(1)];
  for (let k = 0; k < 3000; k++) {
    let t = base[k % 3]!;
    const ops = 1 + Math.floor(r.next() * 3);
    for (let o = 0; o < ops; o++) {
      const at = Math.floor(r.next() * t.length);
      const kind = r.next();
      if (kind < 0.4) t = t.slice(0, at) + r.pick(specials) + t.slice(at + 1);
      else if (kind < 0.7) t = t.slice(0, at) + r.pick(specials) + t.slice(at);
      else if (kind < 0.95) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r.next() * 3));
      else t = t.slice(0, at);
    }
    check(t);
  }
  assert.ok(tally.same > 300, `compared ${tally.same} files record by record`);
  assert.ok(tally.bothBad > 100, `saw ${tally.bothBad} files both refuse`);
});
