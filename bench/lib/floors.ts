import { DeleteRolePolicyCommand, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { Worker } from '@temporalio/worker';
import pg from 'pg';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import { floorProbe, probeUpdate, stopSignal, type FloorActivities } from '../probes/floor-workflow';
import { now } from './clock';
import type { BenchContext } from './context';
import { describeErrors, runPool } from './pool';

/**
 * The floor under approve → grant, measured in the same run and at the same concurrency: what Temporal,
 * moto and PostgreSQL cost on their own, so the product's figure reads as "floor + what we add".
 */
export interface Floors {
  /** An Update whose handler runs one no-op activity, on a workflow of its own per request in flight. */
  updateMs: number[];
  /** One PutRolePolicy then one ListRolePolicies on moto, base credentials, no broker session. */
  motoMs: number[];
  /** One INSERT of a small JSON row, through a pool of 5 like the stack's store. */
  insertMs: number[];
  errors: string[];
}

const POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bench-floor/*' }],
});

export async function measureFloors(ctx: BenchContext, samples: number, concurrency: number): Promise<Floors> {
  const floors: Floors = { updateMs: [], motoMs: [], insertMs: [], errors: [] };
  await probeUpdates(ctx, samples, concurrency, floors);
  await probeMoto(ctx, samples, concurrency, floors);
  await probeInserts(ctx, samples, concurrency, floors);
  return floors;
}

async function probeUpdates(ctx: BenchContext, samples: number, concurrency: number, floors: Floors): Promise<void> {
  const { stack } = ctx;
  const taskQueue = `${stack.taskQueue}-floor`;
  const activities: FloorActivities = { doNothing: async () => undefined };
  const worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../probes/floor-workflow'),
    activities,
  });
  const running = worker.run();
  try {
    const lanes = Math.max(1, Math.min(concurrency, samples));
    const handles = await Promise.all(
      Array.from({ length: lanes }, (_, i) =>
        stack.env.client.workflow.start(floorProbe, { workflowId: `${taskQueue}-${concurrency}-${i}`, taskQueue }),
      ),
    );
    // one unmeasured round per workflow: the first task of a run pays for its creation
    await Promise.all(handles.map((handle) => handle.executeUpdate(probeUpdate, { args: [-1] })));
    const outcome = await runPool(samples, concurrency, ctx.signal, async (i) => {
      const started = now();
      await handles[i % lanes]!.executeUpdate(probeUpdate, { args: [i] });
      floors.updateMs.push(now() - started);
    });
    floors.errors.push(...describeErrors(outcome.errors).map((e) => `floor update: ${e}`));
    await Promise.all(handles.map((handle) => handle.signal(stopSignal)));
    await Promise.all(handles.map((handle) => handle.result()));
  } finally {
    worker.shutdown();
    await running;
  }
}

async function probeMoto(ctx: BenchContext, samples: number, concurrency: number, floors: Floors): Promise<void> {
  const { iam } = ctx.stack.aws;
  const names: string[] = [];
  const outcome = await runPool(samples, concurrency, ctx.signal, async (i) => {
    const name = `bench-floor-${concurrency}-${i}`;
    const started = now();
    await iam.send(new PutRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: name, PolicyDocument: POLICY_DOCUMENT }));
    names.push(name);
    await iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
    floors.motoMs.push(now() - started);
  });
  floors.errors.push(...describeErrors(outcome.errors).map((e) => `floor moto: ${e}`));
  // the product's leases share this role: leave its list as short as it was
  await runPool(names.length, concurrency, ctx.signal, (i) =>
    iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: names[i]! })),
  );
}

async function probeInserts(ctx: BenchContext, samples: number, concurrency: number, floors: Floors): Promise<void> {
  const pool = new pg.Pool({ connectionString: ctx.stack.db.url, max: 5 });
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body jsonb NOT NULL)');
    await pool.query('SELECT 1'); // connect before the clock runs
    const outcome = await runPool(samples, concurrency, ctx.signal, async (i) => {
      const started = now();
      await pool.query('INSERT INTO bench_floor (body) VALUES ($1)', [{ sample: i, concurrency }]);
      floors.insertMs.push(now() - started);
    });
    floors.errors.push(...describeErrors(outcome.errors).map((e) => `floor insert: ${e}`));
    await pool.query('DROP TABLE bench_floor');
  } finally {
    await pool.end();
  }
}

/**
 * The activities a request's workflow ran from the accepted Approve Update up to and including the one
 * that applied the grant, read from its history: what the approver waits for, by name. Local activities
 * (runs from LEAN_LIFECYCLE_PATCH) are named from their markers and shown as `local:<name>`.
 */
export async function activitiesFromApproveToGrant(ctx: BenchContext, requestId: string): Promise<string[]> {
  const history = await ctx.stack.env.client.workflow.getHandle(requestId).fetchHistory();
  const names: string[] = [];
  let approved = false;
  for (const event of history.events ?? []) {
    if (event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'decide')
      approved = true;
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    const local = localActivityName(event);
    const name = scheduled ?? local;
    if (!approved || !name) continue;
    names.push(local ? `local:${local}` : name);
    if (GRANT_ACTIVITIES.has(name)) return names;
  }
  throw new Error(`request ${requestId}: no grant activity after the Approve update in its history`);
}

/** The activity type a local activity's marker records (the SDK's marker data is JSON), if this is one. */
export function localActivityName(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; activityType?: string };
  return parsed.activity_type ?? parsed.activityType;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

type HistoryEvent = NonNullable<
  Awaited<
    ReturnType<ReturnType<BenchContext['stack']['env']['client']['workflow']['getHandle']>['fetchHistory']>
  >['events']
>[number];

/** Activity names that apply a grant, old and new (histories from before the combined activity say applyGrant). */
const GRANT_ACTIVITIES = new Set(['applyGrant', 'grantLease']);
