import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { CollectContext, InventoryCollector, PageResult } from '../../activities/inventory/collector';
import type { PgStore } from '../../activities/store/pg-store';
import { buildActivities } from '../../app/runtime';
import { collectScheduleId, ensureCollectSchedules } from '../../app/schedules';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Identity } from '../../domain/inventory/model';
import { policySchema, type AuthorizationSystem, type Policy } from '../../domain/policy/schema';
import { collect, collectProgressQuery, type CollectInput } from '../../workflows/collect';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { workflowBundle } from '../support/stacks/stack';

/**
 * The `collect` workflow on the dev server, with a scripted collector behind the collector port: pages of
 * identities and of usage, and a way to throttle, refuse or hang on a chosen page.
 */

const ACCOUNT = '111122223333';
const IDENTITY_PAGES = 3;
const PER_PAGE = 3;
const USAGE_PAGES = 2;
const USES_PER_PAGE = 3;

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let store: PgStore;
let policy: Policy;
let systemId: string;
let taskQueue: string;

function testPolicy(systems: { id: string; inventory?: Record<string, unknown> }[]): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: systems.map((system) => ({
      id: system.id,
      cloud: 'aws',
      accountId: ACCOUNT,
      brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker`,
      ...(system.inventory ? { inventory: system.inventory } : {}),
    })),
    entitlements: [
      {
        id: 'logs-read',
        title: 'Read logs',
        system: systems[0]!.id,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
}

type PageHook = (step: string, page: number) => Promise<void> | void;

/** Scripted pages: `identities` then `usage`; the cursor is the page number. */
class ScriptedCollector implements InventoryCollector {
  readonly served: string[] = [];

  constructor(private readonly hooks: { before?: PageHook; afterWrite?: PageHook } = {}) {}

  steps(): string[] {
    return ['identities', 'usage'];
  }

  async catalogueVersion(): Promise<string> {
    return 'scripted 1';
  }

  async collectPage(
    system: AuthorizationSystem,
    step: string,
    cursor: string | undefined,
    context: CollectContext,
  ): Promise<PageResult> {
    const page = Number(cursor ?? 0);
    this.served.push(`${step}:${page}`);
    await this.hooks.before?.(step, page);
    context.heartbeat();
    if (step === 'identities') {
      const batch = Array.from({ length: PER_PAGE }, (_, i) => role(system.id, page * PER_PAGE + i));
      await context.sink.identities(batch);
      await this.hooks.afterWrite?.(step, page);
      return { ...next(page, IDENTITY_PAGES), counts: { identities: batch.length } };
    }
    const day = `2026-01-0${page + 1}`;
    const usage = [
      { systemId: system.id, identityId: roleArn(page), action: 's3:GetObject', day, count: USES_PER_PAGE, denied: 1 },
    ];
    await context.sink.usage(usage, `usage:${page}`);
    await this.hooks.afterWrite?.(step, page);
    return { ...next(page, USAGE_PAGES), counts: { usageRows: usage.length, records: USES_PER_PAGE + 1 } };
  }
}

function next(page: number, pages: number): { next?: string } {
  return page + 1 < pages ? { next: String(page + 1) } : {};
}

function roleArn(n: number): string {
  return `arn:aws:iam::${ACCOUNT}:role/app-${n}`;
}

function role(system: string, n: number): Identity {
  return { systemId: system, id: roleArn(n), kind: 'aws-iam-role', name: `app-${n}`, nature: 'workload', tags: {} };
}

const EXPECTED_COUNTS = {
  identities: IDENTITY_PAGES * PER_PAGE,
  usageRows: USAGE_PAGES,
  records: USAGE_PAGES * (USES_PER_PAGE + 1),
};

/** A worker whose activities are wired as in production, with this collector for AWS. */
async function startWorker(collector: InventoryCollector): Promise<{ stop(): Promise<void> }> {
  const built = buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    { collectors: { aws: collector }, notifiers: [] },
  );
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: built.activities,
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await built.close();
    },
  };
}

async function withWorker<T>(collector: InventoryCollector, work: () => Promise<T>): Promise<T> {
  const worker = await startWorker(collector);
  try {
    return await work();
  } finally {
    await worker.stop();
  }
}

function startCollect(input: Partial<CollectInput> = {}) {
  return env.client.workflow.start(collect, {
    workflowId: `collect-test-${randomBytes(4).toString('hex')}`,
    taskQueue,
    args: [{ systemId, ...input }],
  });
}

/** What PostgreSQL holds under a run: identity rows and the uses summed. */
async function snapshot(runId: string): Promise<{ identities: number; distinctIdentities: number; uses: number }> {
  const { rows } = await db.pool.query<{ identities: number; distinct_identities: number; uses: number }>(
    `SELECT
       (SELECT count(*)::int FROM inventory_identities i WHERE i.run_key = r.run_key) AS identities,
       (SELECT count(DISTINCT identity_id)::int FROM inventory_identities i WHERE i.run_key = r.run_key) AS distinct_identities,
       (SELECT coalesce(sum(count), 0)::int FROM inventory_usage u WHERE u.run_key = r.run_key) AS uses
     FROM inventory_runs r WHERE r.run_id = $1`,
    [runId],
  );
  const row = rows[0];
  assert.ok(row, `run ${runId} is not in inventory_runs`);
  return { identities: row.identities, distinctIdentities: row.distinct_identities, uses: row.uses };
}

function assertWholeSnapshot(found: Awaited<ReturnType<typeof snapshot>>): void {
  assert.deepEqual(found, {
    identities: IDENTITY_PAGES * PER_PAGE,
    distinctIdentities: IDENTITY_PAGES * PER_PAGE,
    uses: USAGE_PAGES * USES_PER_PAGE,
  });
}

before(async () => {
  const services = testServices();
  await workflowBundle(); // installs the quiet runtime before any connection exists
  ({ db, store } = await freshStore());
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: services.temporalAddress });
  systemId = `inv-${randomBytes(3).toString('hex')}`;
  taskQueue = `least-collect-test-${randomBytes(4).toString('hex')}`;
  policy = testPolicy([{ id: systemId, inventory: { usageWindow: '30d', snapshotsKept: 10 } }]);
});

after(async () => {
  await env?.client.schedule
    .getHandle(collectScheduleId(systemId))
    .delete()
    .catch(() => undefined);
  await env?.teardown();
  await db?.drop();
});

describe('collect', () => {
  it('pages through every step into a run that becomes current with all its rows, a throttled page retried', async () => {
    let throttled = false;
    const collector = new ScriptedCollector({
      before: (step, page) => {
        if (step !== 'identities' || page !== 1 || throttled) return;
        throttled = true;
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    });
    const run = await withWorker(collector, async () => (await startCollect()).result());

    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.counts, EXPECTED_COUNTS);
    assert.deepEqual(run.catalogues, { aws: 'scripted 1' });
    const days = (Date.parse(run.windowTo) - Date.parse(run.windowFrom)) / 86_400_000;
    assert.equal(days, 30, 'the usage window is the system’s usageWindow');
    assert.equal((await store.inventory.currentRun(systemId))?.runId, run.runId);
    assertWholeSnapshot(await snapshot(run.runId));
    assert.deepEqual(
      collector.served.filter((page) => page === 'identities:1'),
      ['identities:1', 'identities:1'],
      'the throttled page was asked for again',
    );
  });

  it('continues as new after the page bound and still writes one run, answering the progress query', async () => {
    const collector = new ScriptedCollector();
    const handle = await startCollect({ pagesPerRun: 2 });
    const latest = env.client.workflow.getHandle(handle.workflowId);
    // A query needs a worker, even on a closed workflow.
    const { run, progress } = await withWorker(collector, async () => {
      const run = await handle.result();
      return { run, progress: await latest.query(collectProgressQuery) };
    });

    assert.notEqual((await latest.describe()).runId, handle.firstExecutionRunId, 'the workflow continued as new');
    const ofThisWorkflow = (await store.inventory.runs(systemId, 100)).filter((r) =>
      r.runId.startsWith(handle.workflowId),
    );
    assert.deepEqual(
      ofThisWorkflow.map((r) => r.runId),
      [run.runId],
    );
    assert.deepEqual(run.counts, EXPECTED_COUNTS);
    assertWholeSnapshot(await snapshot(run.runId));
    assert.equal(progress.runId, run.runId);
    assert.equal(progress.phase, 'done');
    assert.equal(progress.pages, IDENTITY_PAGES + USAGE_PAGES);
    assert.deepEqual(progress.counts, EXPECTED_COUNTS);
  });

  it('resumes on another worker when the first dies mid-page, leaving exactly one consistent snapshot', async () => {
    let reached!: () => void;
    const dying = new Promise<void>((resolve) => (reached = resolve));
    // The first worker writes page 1's identities, then never finishes the page.
    const first = await startWorker(
      new ScriptedCollector({
        afterWrite: (step, page) => {
          if (step !== 'identities' || page !== 1) return;
          reached();
          return new Promise<void>(() => undefined);
        },
      }),
    );
    const handle = await startCollect();
    await dying;
    await first.stop();

    const second = new ScriptedCollector();
    const run = await withWorker(second, () => handle.result());

    assert.equal(run.status, 'succeeded');
    assert.equal(second.served[0], 'identities:1', 'the second worker repeated the page the first never finished');
    assert.deepEqual(run.counts, EXPECTED_COUNTS, 'the repeated page is counted once');
    assertWholeSnapshot(await snapshot(run.runId));
    assert.equal((await store.inventory.currentRun(systemId))?.runId, run.runId);
  });

  it('marks the run failed when the collector is refused, and the previous snapshot stays current', async () => {
    const good = await withWorker(new ScriptedCollector(), async () => (await startCollect()).result());
    const refusing = new ScriptedCollector({
      before: (step, page) => {
        if (step === 'usage' && page === 1) {
          throw new DomainError(ErrorCode.CloudAccessDenied, 'AWS denied Least while trying to read the trail');
        }
      },
    });
    const handle = await startCollect();
    await withWorker(refusing, async () => {
      await assert.rejects(handle.result(), WorkflowFailedError);
    });

    assert.equal(refusing.served.filter((page) => page === 'usage:1').length, 1, 'a refusal is not retried');
    const failed = (await store.inventory.runs(systemId, 100)).find((r) => r.runId.startsWith(handle.workflowId));
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.error ?? '', /CLOUD\.ACCESS_DENIED: AWS denied Least/);
    assert.equal((await store.inventory.currentRun(systemId))?.runId, good.runId);
    assertWholeSnapshot(await snapshot(good.runId));
    assert.equal((await snapshot(failed!.runId)).identities, 0, 'nothing of the failed run is left to read');
  });
});

/** The scripted pages, except that the usage step never ends: its cursor comes back unchanged, goes round, or always grows. */
class EndlessCollector extends ScriptedCollector {
  constructor(private readonly endless: 'same-cursor' | 'cycling-cursor' | 'growing-cursor') {
    super();
  }

  override async collectPage(
    system: AuthorizationSystem,
    step: string,
    cursor: string | undefined,
    context: CollectContext,
  ): Promise<PageResult> {
    if (step !== 'usage') return super.collectPage(system, step, cursor, context);
    this.served.push(`usage:${cursor ?? 'start'}`);
    context.heartbeat();
    const cycle = ['token-a', 'token-b', 'token-c'];
    const next =
      this.endless === 'same-cursor'
        ? 'token-a'
        : this.endless === 'cycling-cursor'
          ? cycle[(cycle.indexOf(cursor ?? '') + 1) % cycle.length]!
          : `token-${this.served.length}`;
    return { next, counts: { records: 0 } };
  }
}

/** The scripted pages, but the usage page also writes an identity of another system, which the store refuses. */
class StrayCollector extends ScriptedCollector {
  override async collectPage(
    system: AuthorizationSystem,
    step: string,
    cursor: string | undefined,
    context: CollectContext,
  ): Promise<PageResult> {
    const result = await super.collectPage(system, step, cursor, context);
    if (step === 'usage') await context.sink.identities([role('another-system', 99)]);
    return result;
  }
}

/** Runs a collection that must fail; returns its stored run and the pages the collector served. */
async function failedCollection(collector: ScriptedCollector, input: Partial<CollectInput> = {}) {
  const handle = await startCollect(input);
  await withWorker(collector, async () => {
    await assert.rejects(handle.result(), WorkflowFailedError);
  });
  const failed = (await store.inventory.runs(systemId, 100)).find((r) => r.runId.startsWith(handle.workflowId));
  assert.equal(failed?.status, 'failed');
  return failed!;
}

describe('collect on bad input', () => {
  it('fails cleanly when a step hands back the cursor it was given, the previous snapshot current', async () => {
    const current = await withWorker(new ScriptedCollector(), async () => (await startCollect()).result());
    const collector = new EndlessCollector('same-cursor');
    const failed = await failedCollection(collector);

    assert.match(failed.error ?? '', /^INVENTORY\.PAGES_ENDLESS: step "usage" never ends: .*returned the cursor/);
    assert.deepEqual(
      collector.served.filter((page) => page.startsWith('usage')),
      ['usage:start', 'usage:token-a'],
      'the cursor handed back was asked for once, then the run stopped',
    );
    assert.equal((await store.inventory.currentRun(systemId))?.runId, current.runId);
    assert.equal((await snapshot(failed.runId)).identities, 0, 'nothing of the failed run is left to read');
  });

  it('fails cleanly when a step’s cursors go round (A → B → C → A), across continue-as-new, long before the bound', async () => {
    const current = await store.inventory.currentRun(systemId);
    const collector = new EndlessCollector('cycling-cursor');
    const failed = await failedCollection(collector, { pagesPerRun: 2 });

    assert.match(
      failed.error ?? '',
      /^INVENTORY\.PAGES_ENDLESS: step "usage" never ends: .*went back to an earlier cursor/,
    );
    assert.deepEqual(
      collector.served.filter((page) => page.startsWith('usage')),
      ['usage:start', 'usage:token-a', 'usage:token-b', 'usage:token-c'],
    );
    assert.equal((await store.inventory.currentRun(systemId))?.runId, current?.runId);
  });

  it('fails cleanly when a step runs past the bound of pages, across continue-as-new', async () => {
    const current = await store.inventory.currentRun(systemId);
    const collector = new EndlessCollector('growing-cursor');
    const failed = await failedCollection(collector, { maxPagesPerStep: 5, pagesPerRun: 3 });

    assert.match(failed.error ?? '', /^INVENTORY\.PAGES_ENDLESS: step "usage" never ends: no end after 5 pages/);
    assert.equal(collector.served.filter((page) => page.startsWith('usage')).length, 5);
    assert.equal(
      collector.served.filter((page) => page.startsWith('identities')).length,
      IDENTITY_PAGES,
      'a step that ends within the bound is not cut',
    );
    assert.equal((await store.inventory.currentRun(systemId))?.runId, current?.runId);
  });

  it('fails at once, without retrying, when the store refuses a page’s batch', async () => {
    const current = await store.inventory.currentRun(systemId);
    const collector = new StrayCollector();
    const failed = await failedCollection(collector);

    assert.match(failed.error ?? '', /^INVENTORY\.BATCH_REFUSED: .*another-system/);
    assert.deepEqual(
      collector.served.filter((page) => page.startsWith('usage')),
      ['usage:0'],
      'a refused batch is not retried',
    );
    assert.equal((await store.inventory.currentRun(systemId))?.runId, current?.runId);
  });
});

describe('collect schedules', () => {
  it('creates one Schedule per collected system, runs it when triggered, updates it and deletes it with the system', async () => {
    const uncollected = `plain-${randomBytes(3).toString('hex')}`;
    const both = testPolicy([
      { id: systemId, inventory: { schedule: { every: '1d', offset: '2h' } } },
      { id: uncollected },
    ]);
    assert.deepEqual(await ensureCollectSchedules(env.client, taskQueue, both), [collectScheduleId(systemId)]);
    // Twice is the same as once.
    assert.deepEqual(await ensureCollectSchedules(env.client, taskQueue, both), [collectScheduleId(systemId)]);
    const schedule = env.client.schedule.getHandle(collectScheduleId(systemId));
    const described = await schedule.describe();
    assert.deepEqual(described.spec.intervals, [{ every: 86_400_000, offset: 7_200_000 }]);
    assert.equal(described.policies.overlap, 'SKIP');
    assert.ok(described.policies.catchupWindow <= 3_600_000, 'a missed collection is not caught up days later');
    await assert.rejects(
      env.client.schedule.getHandle(collectScheduleId(uncollected)).describe(),
      ScheduleNotFoundError,
    );

    const before = await store.inventory.currentRun(systemId);
    const run = await withWorker(new ScriptedCollector(), async () => {
      await schedule.trigger();
      const workflowId = await firstActionWorkflowId(schedule);
      return env.client.workflow.getHandle(workflowId).result();
    });
    assert.equal(run.status, 'succeeded');
    assert.notEqual(run.runId, before?.runId);
    assert.equal((await store.inventory.currentRun(systemId))?.runId, run.runId);

    await ensureCollectSchedules(
      env.client,
      taskQueue,
      testPolicy([{ id: systemId, inventory: { schedule: { every: '12h' } } }]),
    );
    assert.deepEqual(
      (await schedule.describe()).spec.intervals?.map(({ every, offset }) => ({ every, offset: offset ?? 0 })),
      [{ every: 43_200_000, offset: 0 }],
    );

    // Listing schedules is eventually consistent on the server: ask until the deletion happened.
    const deadline = Date.now() + 10_000;
    for (;;) {
      assert.deepEqual(await ensureCollectSchedules(env.client, taskQueue, testPolicy([{ id: systemId }])), []);
      const gone = await schedule.describe().then(
        () => false,
        (error: unknown) => error instanceof ScheduleNotFoundError,
      );
      if (gone) break;
      assert.ok(Date.now() < deadline, 'the schedule of a system no longer collected was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});

async function firstActionWorkflowId(
  schedule: ReturnType<TestWorkflowEnvironment['client']['schedule']['getHandle']>,
): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { info } = await schedule.describe();
    const action = info.recentActions[0]?.action ?? info.runningActions[0];
    if (action) return action.workflow.workflowId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the triggered schedule started no workflow');
}
