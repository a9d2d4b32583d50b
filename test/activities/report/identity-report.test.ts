import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { assessSnapshot } from '../../../activities/findings';
import { buildIdentityReport, reportIsAboutAsker, type ReportDeps } from '../../../activities/report/identity-report';
import type { PgStore } from '../../../activities/store/pg-store';
import { DomainError } from '../../../domain/errors';
import type { CleanupItem } from '../../../domain/cleanup/model';
import type { Identity } from '../../../domain/inventory/model';
import { policySchema, type Policy } from '../../../domain/policy/schema';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  usedOn,
  writeSnapshot,
} from '../../support/checks/findings-snapshot';
import { recordGrant } from '../../support/generators/report-records';
import { PROD_DB_READONLY } from '../store/fixtures';

/**
 * The forensic identity report over real PostgreSQL: rows written through the real stores (requests,
 * decisions and audit as the workflow writes them, the inventory through the sink, findings through the
 * assessment), the HTML parsed by a real HTML parser (parse5, the WHATWG algorithm browsers use), and
 * what a reader would see asserted section by section.
 */

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const SYSTEM = 'aws-prod';
const OTHER = 'aws-dev';
const ACCOUNT = '111122223333';
const AT = '2026-12-01T12:00:00.000Z';
const WINDOW = { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';
const APPROVER = PROD_DB_READONLY.approvers[0]!;
const HOSTILE = `</svg><script>alert(1)</script><img src=x onerror=alert(2)>"onload="alert(3)' <!channel>`;

let db: TestDatabase;
let store: PgStore;
let policy: Policy;
const audited: { actor: string; action: string; detail: Record<string, unknown> }[] = [];

const ada = awsIdentity(SYSTEM, ACCOUNT, 'ada', 'aws-iam-user', 'human');
const hostile = awsIdentity(SYSTEM, ACCOUNT, HOSTILE, 'aws-iam-role', 'workload');
const deployer = awsIdentity(SYSTEM, ACCOUNT, 'deployer', 'aws-iam-role', 'workload');
const devDeployer: Identity = awsIdentity(OTHER, '444455556666', 'deployer', 'aws-iam-role', 'workload');
const s3Read = awsDocument('S3Read', [{ action: 's3:GetObject' }, { action: 's3:ListBucket', accessLevels: ['List'] }]);
const iamWrite = awsDocument('IamWrite', [
  { action: 'iam:CreatePolicyVersion', accessLevels: ['Permissions management'] },
  { action: 'iam:PassRole', accessLevels: ['Write'] },
  { action: 'ec2:RunInstances', accessLevels: ['Write'] },
]);

function deps(): ReportDeps {
  return {
    store,
    policy: () => policy,
    audit: async (entry) => {
      audited.push(entry);
      await store.appendAudit(entry);
    },
  };
}

before(async () => {
  ({ db, store } = await freshStore());
  policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      { id: SYSTEM, cloud: 'aws', accountId: ACCOUNT, brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker` },
      { id: OTHER, cloud: 'aws', accountId: '444455556666', brokerRoleArn: 'arn:aws:iam::444455556666:role/b' },
    ],
    principals: { [ADA]: { [SYSTEM]: { awsIamUser: 'ada' } } },
    entitlements: [
      {
        id: 'prod-read',
        title: 'Read production',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: [APPROVER] },
      },
    ],
  });
  await writeSnapshot(store, {
    runId: 'report-prod-1',
    systemId: SYSTEM,
    window: WINDOW,
    identities: [ada, hostile, deployer],
    documents: [s3Read, iamWrite],
    paths: [
      grantPath(ada, s3Read.document.id),
      grantPath(ada, iamWrite.document.id),
      grantPath(hostile, s3Read.document.id),
      grantPath(deployer, s3Read.document.id),
    ],
    usage: [
      usedOn(ada, 's3:GetObject', '2026-11-02'),
      usedOn(ada, 's3:GetObject', '2026-11-20'),
      { ...usedOn(ada, 's3:ListBucket', '2026-11-20'), count: 5, denied: 1 },
    ],
    coverage: [cloudTrailCoverage(SYSTEM, '2026-09-01T00:00:00.000Z', WINDOW.to)],
  });
  await writeSnapshot(store, {
    runId: 'report-dev-1',
    systemId: OTHER,
    window: WINDOW,
    identities: [devDeployer],
    documents: [s3Read],
    paths: [grantPath(devDeployer, s3Read.document.id)],
  });
  const findingsDeps = {
    inventory: store.inventory,
    findings: store.findings,
    policy: () => policy,
    now: () => new Date(AT),
  };
  assert.equal((await assessSnapshot(findingsDeps, SYSTEM, 'report-prod-1')).status, 'assessed');

  await recordGrant(store, {
    requestId: 'r-ada0000001',
    requester: ADA,
    rules: PROD_DB_READONLY,
    principal: { kind: 'aws-iam-user', userName: 'ada' },
    submittedAt: '2026-11-20T09:00:00.000Z',
    grantedAt: '2026-11-20T09:05:00.000Z',
    endedAt: '2026-11-20T10:05:00.000Z',
    receipt: 'ListAttachedUserPolicies: least-r-ada0000001 gone',
  });
  await recordGrant(store, {
    requestId: 'r-bob0000001',
    requester: BOB,
    rules: PROD_DB_READONLY,
    reason: HOSTILE,
    principal: { kind: 'aws-iam-role', roleName: HOSTILE },
    submittedAt: '2026-11-25T09:00:00.000Z',
    grantedAt: '2026-11-25T09:02:00.000Z',
  });
  const item = (change: CleanupItem['change'], name: string): CleanupItem => ({
    itemId: `${change}:aws-policy-attachment:${ada.id}|${name}`,
    systemId: SYSTEM,
    change,
    object: { kind: 'aws-policy-attachment', key: `${ada.id}|${name}`, name },
    identities: [{ id: ada.id, name: 'ada', kind: 'aws-iam-user' }],
    removeActions: ['iam:CreatePolicyVersion', 'iam:PassRole'],
    reason: 'unused for 90 days',
    owners: [ADA],
  });
  const removed = item('detach-policy', 'IamWrite');
  const kept = item('narrow-policy', 'S3Read');
  await store.cleanup.saveRun(
    'cleanup-ada-1',
    {
      systemId: SYSTEM,
      cloud: 'aws',
      mode: 'enforce',
      collectionRunId: 'report-prod-1',
      window: WINDOW,
      plannedAt: '2026-11-22T00:00:00.000Z',
      items: [removed, kept],
      holds: [],
      counts: { identities: 1, items: 2, actions: 4, holds: 0 },
    },
    { trigger: 'schedule' },
  );
  await store.cleanup.decide({
    systemId: SYSTEM,
    runId: 'cleanup-ada-1',
    itemId: kept.itemId,
    kind: 'keep',
    by: ADA,
    at: '2026-11-23T00:00:00.000Z',
    reason: 'quarterly job',
    until: '2027-05-01T00:00:00.000Z',
  });
  await store.cleanup.setOutcome('cleanup-ada-1', kept.itemId, 'kept', 'kept by its owner');
  await store.cleanup.setOutcome('cleanup-ada-1', removed.itemId, 'removed', 'detached');
  await store.cleanup.restored('cleanup-ada-1', removed.itemId, 'ops@example.com', 'attached again');
  const anomaly = {
    systemId: SYSTEM,
    identityId: ada.id,
    identityName: 'ada',
    kind: 'volume' as const,
    subject: 's3:ListBucket',
    observed: 5,
    baseline: 0,
    severity: 'medium' as const,
  };
  await store.anomalies.write('report-prod-1', [
    { ...anomaly, day: '2026-11-20', explanation: `s3:ListBucket ×5 today; its median is 0 ${HOSTILE}` },
    {
      ...anomaly,
      day: '2026-11-02',
      kind: 'first-service',
      subject: 's3',
      explanation: 's3 used for the first time',
      suppression: { system: SYSTEM, identity: ada.id, reason: 'new job', by: ADA, until: '2027-01-01' },
    },
  ]);
  // long before the period: never in a 90-day report
  await recordGrant(store, {
    requestId: 'r-ada0000000',
    requester: ADA,
    rules: PROD_DB_READONLY,
    principal: { kind: 'aws-iam-user', userName: 'ada' },
    submittedAt: '2026-03-01T09:00:00.000Z',
    grantedAt: '2026-03-01T09:05:00.000Z',
    endedAt: '2026-03-01T10:05:00.000Z',
  });
});

after(async () => {
  await db?.drop();
});

function html(body: string): Element {
  const document = parse(body);
  const root = document.childNodes.find((n): n is Element => 'tagName' in n && n.tagName === 'html');
  assert.ok(root, 'an <html> element');
  return root;
}

function elements(node: Node): Element[] {
  const found: Element[] = [];
  const walk = (n: Node): void => {
    if ('tagName' in n) found.push(n);
    const children = 'childNodes' in n ? n.childNodes : [];
    for (const child of children) walk(child);
    if ('content' in n && n.content) walk(n.content as Node);
  };
  walk(node);
  return found;
}

function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

function attr(element: Element, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

function section(root: Element, id: string): Element {
  const found = elements(root).find((e) => attr(e, 'id') === id);
  assert.ok(found, `section #${id}`);
  return found;
}

function rows(table: Element): string[][] {
  return elements(table)
    .filter((e) => e.tagName === 'tr')
    .map((tr) => tr.childNodes.filter((c): c is Element => 'tagName' in c).map((c) => textOf(c).trim()));
}

describe('forensic identity report', () => {
  test("a person's report: header, granted vs used, the grant with its approver and the chain's own hashes", async () => {
    const file = await buildIdentityReport(deps(), {
      identity: 'Ada@Example.com',
      days: 90,
      at: AT,
      requestedBy: 'sec@example.com',
    });
    assert.equal(file.mimeType, 'text/html');
    assert.equal(file.person, ADA);
    assert.deepEqual(file.subjects, [{ systemId: SYSTEM, identityId: ada.id, name: 'ada' }]);
    assert.equal(file.filename, 'least-report-ada@example.com-2026-12-01.html');
    const root = html(file.body);

    const csp = elements(root).find((e) => e.tagName === 'meta' && attr(e, 'http-equiv') === 'Content-Security-Policy');
    assert.match(attr(csp!, 'content') ?? '', /default-src 'none'/);
    assert.equal(elements(root).filter((e) => e.tagName === 'script').length, 0);
    for (const e of elements(root))
      for (const a of e.attrs) assert.doesNotMatch(a.value, /https?:\/\/(?!www\.w3\.org\/)/, `${e.tagName} ${a.name}`);

    const header = textOf(section(root, 'header'));
    assert.match(header, /Period2026-09-03 to 2026-12-01 \(90 days, UTC\)/);
    assert.match(header, /Bysec@example\.com/);

    const permissions = rows(elements(section(root, 'permissions')).find((e) => e.tagName === 'table')!);
    assert.deepEqual(permissions[1]?.slice(0, 7), [SYSTEM, 'ada', '5', '2', '3', '0', '4']);
    assert.match(textOf(section(root, 'permissions')), /Unused high-risk actions of ada \(aws-prod\): 3/);
    assert.match(textOf(section(root, 'permissions')), /iam:CreatePolicyVersion/);

    const grants = section(root, 'grants');
    const articles = elements(grants).filter((e) => e.tagName === 'article');
    assert.equal(articles.length, 1, 'only the grant inside the period');
    const grant = textOf(articles[0]!);
    assert.match(grant, /r-ada0000001/);
    assert.match(grant, /ListAttachedUserPolicies: least-r-ada0000001 gone/);
    assert.match(grant, /1 h asked; held 1 h/);
    const approvals = rows(
      elements(articles[0]!).find((e) => e.tagName === 'table' && attr(e, 'class') === 'approvals')!,
    );
    assert.deepEqual(approvals[1]?.slice(0, 4), [APPROVER, 'approve', 'request', '2026-11-20 09:05:00Z']);

    // the hashes are the chain's own: what `least verify-audit` walks
    const chain = await store.auditFor('r-ada0000001');
    assert.equal((await store.verifyAudit()).ok, true);
    const audit = rows(
      elements(articles[0]!).find((e) => e.tagName === 'table' && attr(e, 'class') === 'audit')!,
    ).slice(1);
    assert.deepEqual(
      audit.map((r) => [Number(r[0]), r[3], r[4], r[5], r[6]]),
      chain.map((c) => [c.seq, c.action, c.hash, c.prevHash, 'verified']),
    );
    assert.deepEqual(
      chain.map((c) => c.action),
      ['request.submitted', 'approval.approved', 'request.approved', 'grant.applied', 'grant.revoked'],
    );

    const usage = section(root, 'usage');
    const svg = elements(usage).find((e) => e.tagName === 'svg');
    assert.ok(svg, 'the chart is inline SVG');
    const title = elements(svg).find((e) => e.tagName === 'title');
    assert.equal(
      textOf(title!),
      'Calls per day, 2026-09-03 to 2026-12-01: 9 calls on 2 of 90 days; busiest day 2026-11-20 with 7; 1 denied.',
    );
    const figure = elements(usage).find((e) => e.tagName === 'figure')!;
    assert.equal(attr(figure, 'aria-label'), textOf(title!));

    const findings = textOf(section(root, 'findings'));
    assert.match(findings, /PCI \d+ \((low|medium|high)\)/);
    assert.match(findings, /over-provisioned/);
    assert.match(textOf(section(root, 'pci-history')), /2026-12-01/);
    const anomalies = rows(elements(section(root, 'anomalies')).find((e) => e.tagName === 'table')!).slice(1);
    assert.deepEqual(
      anomalies.map((r) => [r[0], r[3], r[5], r[6]]),
      [
        ['2026-11-20', 'volume', `s3:ListBucket ×5 today; its median is 0 ${HOSTILE}`, '–'],
        ['2026-11-02', 'first-service', 's3 used for the first time', `until 2027-01-01 by ${ADA}: new job`],
      ],
    );
    const cleanup = rows(elements(section(root, 'cleanup')).find((e) => e.tagName === 'table')!).slice(1);
    assert.deepEqual(
      cleanup.map((r) => [r[1], r[3], r[4], r[5], r[6]?.split(' at ')[0], r[7], r[8]?.endsWith('by ops@example.com')]),
      [
        ['cleanup-ada-1', 'detach-policy', 'IamWrite', '2', 'restored', '–', true],
        ['cleanup-ada-1', 'narrow-policy', 'S3Read', '2', 'kept', ADA, false],
      ],
    );
    assert.match(textOf(section(root, 'decisions')), /No decisions on others’ requests in this period\./);

    const made = audited.find((a) => a.action === 'report.generated');
    assert.equal(made?.actor, 'sec@example.com');
    assert.deepEqual(made?.detail.subjects, [`${SYSTEM}:${ada.id}`]);
  });

  test('hostile names stay text: no injected element or attribute survives parsing', async () => {
    const file = await buildIdentityReport(deps(), { identity: HOSTILE, days: 30, at: AT, requestedBy: HOSTILE });
    assert.deepEqual(file.subjects, [{ systemId: SYSTEM, identityId: hostile.id, name: HOSTILE }]);
    const root = html(file.body);
    const all = elements(root);
    assert.equal(all.filter((e) => e.tagName === 'script' || e.tagName === 'img').length, 0);
    assert.equal(all.filter((e) => e.tagName === 'svg').length, 1, 'only the chart: </svg> closed nothing');
    for (const e of all) for (const a of e.attrs) assert.doesNotMatch(a.name, /^on/, `${e.tagName} has ${a.name}`);
    const grant = textOf(elements(section(root, 'grants')).find((e) => e.tagName === 'article')!);
    assert.ok(grant.includes(`Reason${HOSTILE} (INC-4821)`), 'the reason is shown as the text it is');
    assert.ok(textOf(section(root, 'header')).includes(`By${HOSTILE}`));
    assert.ok(!file.body.includes('<!channel>'));
  });

  test('a cloud identity by name: its grants are the leases made to it, whoever asked', async () => {
    const { inventory, findings, reports } = store;
    const withoutAnomalies = { ...deps(), store: { inventory, findings, reports } };
    const file = await buildIdentityReport(withoutAnomalies, {
      identity: 'ADA',
      systemId: SYSTEM,
      days: 90,
      at: AT,
      requestedBy: 'sec@example.com',
    });
    assert.equal(file.person, undefined);
    const root = html(file.body);
    const articles = elements(section(root, 'grants')).filter((e) => e.tagName === 'article');
    assert.deepEqual(
      articles.map((a) => /r-\w+/.exec(textOf(a))?.[0]),
      ['r-ada0000001'],
    );
    assert.equal(
      elements(root).some((e) => attr(e, 'id') === 'decisions'),
      false,
      'decisions are a person’s',
    );
    assert.equal(textOf(section(root, 'anomalies')).trim(), 'Anomalies\nAnomaly detection is not available here.');
  });

  test('unknown and ambiguous identities are refused with what was tried, and audited', async () => {
    await assert.rejects(
      buildIdentityReport(deps(), { identity: 'nobody-here', days: 90, at: AT, requestedBy: 'sec@example.com' }),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === 'REPORT.SUBJECT_UNKNOWN' &&
        error.message ===
          'No identity "nobody-here" in the current inventory of aws-prod, aws-dev: looked for an id (ARN, object id, member, key id) and a name, case aside. For a person, give their e-mail address.',
    );
    await assert.rejects(
      buildIdentityReport(deps(), { identity: 'carol@example.com', days: 90, at: AT, requestedBy: 'sec@example.com' }),
      /Least knows no person carol@example\.com: no request or decision of theirs, no principal mapping/,
    );
    await assert.rejects(
      buildIdentityReport(deps(), { identity: 'deployer', days: 90, at: AT, requestedBy: 'sec@example.com' }),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === 'REPORT.SUBJECT_AMBIGUOUS' &&
        /names 2 identities: deployer \(aws-iam-role\) in aws-dev: .*; deployer \(aws-iam-role\) in aws-prod/.test(
          error.message,
        ) &&
        /--system/.test(error.message),
    );
    const narrowed = await buildIdentityReport(deps(), {
      identity: 'deployer',
      systemId: OTHER,
      days: 90,
      at: AT,
      requestedBy: 'x',
    });
    assert.equal(narrowed.subjects[0]?.identityId, devDeployer.id);
    await assert.rejects(
      buildIdentityReport(deps(), { identity: ADA, days: 366, at: AT, requestedBy: 'x' }),
      /A report covers 1 to 365 days/,
    );
    const refusals = audited.filter((a) => a.action === 'report.refused');
    assert.deepEqual(
      refusals.map((r) => r.detail.code),
      ['REPORT.SUBJECT_UNKNOWN', 'REPORT.SUBJECT_UNKNOWN', 'REPORT.SUBJECT_AMBIGUOUS', 'REPORT.INVALID'],
    );
  });

  test('whether a report is about the asker: only their own e-mail, case aside', () => {
    assert.equal(reportIsAboutAsker({ identity: ' Ada@Example.com ' }, ADA), true);
    assert.equal(reportIsAboutAsker({ identity: BOB }, ADA), false);
    assert.equal(reportIsAboutAsker({ identity: 'ada' }, ADA), false, 'a cloud identity is never "their own" here');
  });
});
