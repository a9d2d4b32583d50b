import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcpCollector, type GcpCollector } from '../../../activities/inventory/gcp';
import { usageVerdict } from '../../../domain/inventory/coverage';
import type { AccessLevel } from '../../../domain/inventory/model';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { collectAll, collectContext } from '../../support/checks/collector-run';
import { FakeGcpInventory, GCP_FOLDER, GCP_PROJECT, gcpInventoryPolicy } from '../../support/fakes/fake-gcp-inventory';
import { FakeResourceManager } from '../../support/fakes/fake-resource-manager';

const NOW = new Date('2026-03-10T12:00:00Z');
const PROJECT = `projects/${GCP_PROJECT}`;
const ACTIVITY = `${PROJECT}/logs/cloudaudit.googleapis.com%2Factivity`;
const DATA_ACCESS = `${PROJECT}/logs/cloudaudit.googleapis.com%2Fdata_access`;
const ADA = 'ada@example.com';
const CI = `ci@${GCP_PROJECT}.iam.gserviceaccount.com`;

let resourceManager: FakeResourceManager;
let fake: FakeGcpInventory;
let policy: Policy;
let collector: GcpCollector;
let sink: RecordingSink;

/** An audit log entry as Logging returns it. */
function entry(
  id: string,
  logName: string,
  timestamp: string,
  principalEmail: string | undefined,
  checks: { permission: string; granted?: true }[],
  methodName = 'google.example.v1.Call',
): Record<string, unknown> {
  return {
    insertId: id,
    logName,
    timestamp,
    receiveTimestamp: timestamp,
    resource: { type: 'project', labels: { project_id: GCP_PROJECT } },
    severity: checks.some((check) => !check.granted) ? 'ERROR' : 'NOTICE',
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'example.googleapis.com',
      methodName,
      authenticationInfo: principalEmail ? { principalEmail } : {},
      authorizationInfo: checks.map((check) => ({ resource: PROJECT, ...check })),
      requestMetadata: { callerIp: '203.0.113.7' },
      ...(checks.some((check) => !check.granted) ? { status: { code: 7, message: 'PERMISSION_DENIED' } } : {}),
    },
  };
}

const ADMIN_ENTRIES = [
  entry('a1', ACTIVITY, '2026-03-07T10:00:00Z', ADA, [
    { permission: 'compute.instances.create', granted: true },
    { permission: 'iam.serviceAccounts.actAs', granted: true },
  ]),
  entry('a2', ACTIVITY, '2026-03-08T09:30:00.123456Z', CI, [{ permission: 'run.services.update', granted: true }]),
  entry('a3', ACTIVITY, '2026-03-08T11:00:00Z', ADA, [{ permission: 'resourcemanager.projects.setIamPolicy' }]),
  entry('a4', ACTIVITY, '2026-03-08T12:00:00Z', undefined, [{ permission: 'compute.disks.create', granted: true }]),
  // before the window: the filter leaves it out
  entry('old', ACTIVITY, '2025-08-01T00:00:00Z', ADA, [{ permission: 'compute.instances.delete', granted: true }]),
];
const DATA_ACCESS_ENTRIES = [
  entry('d1', DATA_ACCESS, '2026-03-09T08:00:00Z', ADA, [{ permission: 'storage.objects.get', granted: true }]),
  { insertId: 'broken', logName: DATA_ACCESS, timestamp: '2026-03-09T08:05:00Z', textPayload: 'not an audit log' },
];

function systemFor(
  inventory: Record<string, unknown>,
  target: { projectId: string } | { folderId: string } = { projectId: GCP_PROJECT },
): AuthorizationSystem {
  policy = gcpInventoryPolicy('gcp-logs', resourceManager.url, target, inventory);
  return policy.authorizationSystems[0]!;
}

before(async () => {
  resourceManager = await FakeResourceManager.start();
  fake = await FakeGcpInventory.start(resourceManager);
});

beforeEach(async () => {
  await collector?.close();
  await fake.stop();
  fake = await FakeGcpInventory.start(resourceManager);
  fake.logEntries.set(PROJECT, [...ADMIN_ENTRIES, ...DATA_ACCESS_ENTRIES]);
  collector = createGcpCollector({
    authClient: resourceManager.authClient(),
    endpoints: { iam: `${fake.url}/`, recommender: fake.url, logging: `${fake.url}/` },
    retry: { retryDelayMs: 5, maxRetryDelayMs: 50 },
    auditLogPageSize: 4,
  });
  sink = new RecordingSink();
});

after(async () => {
  await collector.close();
  await fake.stop();
  await resourceManager.stop();
});

const collect = async () =>
  collectAll(collector, systemFor({ auditLogs: true }), collectContext(sink, policy, NOW), ['usage:audit-log']);

const usageOf = (member: string, action: string, day: string) => {
  const row = sink.usageOf(member, action, day);
  return row ? [row.count, row.denied] : undefined;
};

describe('GCP Cloud Audit Logs', () => {
  test('the step runs only when the system asks for audit logs', () => {
    assert.ok(!collector.steps(systemFor({})).includes('usage:audit-log'));
    assert.deepEqual(collector.steps(systemFor({ auditLogs: true })).slice(-2), [
      'usage:recommender',
      'usage:audit-log',
    ]);
  });

  test('uses and refusals per member, permission and day, over two pages, through a 503', async () => {
    fake.failNext('/v2/entries:list', 503);
    const { pages, counts } = await collect();
    assert.equal(pages['usage:audit-log'], 2);
    assert.equal(counts.auditLogEntries, 6, 'the entry before the window is filtered out');
    assert.deepEqual(usageOf(`user:${ADA}`, 'compute.instances.create', '2026-03-07'), [1, 0]);
    assert.deepEqual(usageOf(`user:${ADA}`, 'iam.serviceAccounts.actAs', '2026-03-07'), [1, 0]);
    assert.deepEqual(usageOf(`serviceAccount:${CI}`, 'run.services.update', '2026-03-08'), [1, 0]);
    assert.deepEqual(usageOf(`user:${ADA}`, 'resourcemanager.projects.setIamPolicy', '2026-03-08'), [0, 1]);
    assert.deepEqual(usageOf(`user:${ADA}`, 'storage.objects.get', '2026-03-09'), [1, 0]);
    assert.equal(sink.usageRows.length, 5);
    assert.equal(counts.auditLogEntriesUnattributed, 1, 'an entry without principalEmail is no one’s use');
    assert.deepEqual(
      sink.skippedRows.map((item) => [item.reason, item.item]),
      [['gcp.audit-log.invalid', 'broken']],
    );

    const requests = fake.entriesRequests;
    assert.equal(requests.length, 2);
    assert.deepEqual(requests[0]!.resourceNames, [PROJECT]);
    assert.match(String(requests[0]!.filter), /timestamp>="2025-12-10T12:00:00.000Z" AND timestamp<="2026-03-10T12/);
    assert.equal(requests[1]!.pageToken, '4');
    assert.ok(fake.callsTo('/v2/entries:list').some((call) => call.status === 503));
  });

  test('Data Access entries seen: all actions of that service from its first entry on, said to be inferred', async () => {
    await collect();
    const rows = sink.coverageRows;
    assert.equal(rows.length, 2);
    const writes = rows.find((row) => row.actions === 'writes')!;
    assert.deepEqual([writes.identityId, writes.source, writes.granularity], ['*', 'audit-log', 'action-day']);
    assert.deepEqual([writes.from, writes.to], ['2025-12-10T12:00:00.000Z', NOW.toISOString()]);
    const all = rows.find((row) => row.actions === 'all')!;
    assert.deepEqual([all.services, all.from, all.to], [['storage'], '2026-03-09T08:00:00.000Z', NOW.toISOString()]);
    assert.match(all.note ?? '', /inferred/);
  });

  test('no Data Access entries: writes only, and reads and data writes stay unknown', async () => {
    fake.logEntries.set(PROJECT, ADMIN_ENTRIES);
    const { pages } = await collect();
    assert.equal(pages['usage:audit-log'], 1);
    assert.deepEqual(
      sink.coverageRows.map((row) => [row.source, row.actions]),
      [['audit-log', 'writes']],
    );
    assert.match(sink.coverageRows[0]!.note ?? '', /Data Access logs are off by default/);

    const verdict = (action: string, accessLevels: AccessLevel[]) =>
      usageVerdict({
        action,
        accessLevels,
        coverage: sink.coverageRows,
        window: { from: sink.coverageRows[0]!.from, to: sink.coverageRows[0]!.to },
      });
    assert.equal(verdict('compute.instances.delete', ['Write']), 'unused', 'an admin write would have been logged');
    assert.equal(verdict('compute.instances.get', ['Read']), 'unknown');
    assert.equal(verdict('storage.objects.create', ['Write']), 'unknown', 'a data write is a Data Access entry');
  });

  test('a folder system reads the folder’s own audit logs and claims no coverage from them', async () => {
    const folder = `folders/${GCP_FOLDER}`;
    fake.logEntries.set(folder, [
      entry('f1', `${folder}/logs/cloudaudit.googleapis.com%2Factivity`, '2026-03-08T10:00:00Z', ADA, [
        { permission: 'resourcemanager.folders.setIamPolicy', granted: true },
      ]),
    ]);
    const system = systemFor({ auditLogs: true }, { folderId: GCP_FOLDER });
    await collectAll(collector, system, collectContext(sink, policy, NOW), ['usage:audit-log']);
    assert.deepEqual(usageOf(`user:${ADA}`, 'resourcemanager.folders.setIamPolicy', '2026-03-08'), [1, 0]);
    assert.deepEqual(fake.entriesRequests[0]!.resourceNames, [folder]);
    // the projects' own logs were not read: a folder-wide grant must stay unknown, never unused
    assert.deepEqual(sink.coverageRows, []);
    assert.deepEqual(
      sink.skippedItems.map((s) => `${s.reason} ${s.item}`),
      [`gcp.audit-log.folder-only ${folder}`],
    );
  });
});
