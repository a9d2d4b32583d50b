import os from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import { Worker } from '@temporalio/worker';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { parsePolicyText } from '../../activities/inventory/aws/documents';
import { contentId } from '../../activities/inventory/documents';
import { createAwsCollector } from '../../activities/inventory/aws';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { expandAwsPolicy } from '../../domain/inventory/aws-policy';
import { policySchema } from '../../domain/policy/schema';
import { buildActivities } from '../../app/runtime';
import { ACCOUNT_ID, awsSystemInput } from '../../test/support/fakes/aws-fixtures';
import { generateAwsInventory } from '../../test/support/generators/aws-inventory';
import { workflowBundle } from '../../test/support/stacks/stack';
import { collect, collectProgressQuery } from '../../workflows/collect';
import { now } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { cpuSnapshot, describeCpu } from '../lib/resources';

/**
 * `collect-aws`: BENCH_COLLECT_ROLES roles (default 1,000; users and groups beside them, a tenth and a
 * hundredth as many) generated in moto with realistic managed, inline and boundary policies, then the
 * real `collect` workflow for that system, on the Temporal dev server, with the worker's activities as
 * app/runtime.ts builds them, into the real InventoryStore. Run twice: the second run finds its
 * documents stored. Beside it the floor, in the same run: the bare GetAccountAuthorizationDetails
 * call(s) on moto, the bare expansion of the documents they hold, and a bare COPY of the rows the run
 * wrote into tables shaped like the store's.
 */
const SYSTEM_ID = 'aws-bench-collect';
const RUNS = 2;

export async function collectAwsScenario(
  ctx: BenchContext,
  pids: { temporal?: number; moto?: number },
): Promise<ScenarioReport> {
  const report = newReport('collect-aws');
  const startedAt = now();
  const roles = intFromEnv('BENCH_COLLECT_ROLES', 1_000);
  const users = Math.max(1, Math.round(roles / 10));
  const groups = Math.max(1, Math.round(roles / 100));
  const { stack } = ctx;
  const loadAvg = (): string =>
    os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  report.notes.push(`load average before: ${loadAvg()} (${os.cpus().length} cores, shared)`);

  let clock = now();
  const generated = await generateAwsInventory(stack.aws.iam, {
    accountId: ACCOUNT_ID,
    roles,
    users,
    groups,
    seed: 11,
  });
  value(
    report,
    `generate in moto: ${roles} roles, ${users} users (${generated.accessKeys} keys), ${groups} groups`,
    ((now() - clock) / 1000).toFixed(1),
    's',
  );

  const policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      { ...awsSystemInput(stack.account, stack.motoUrl, SYSTEM_ID), inventory: { accessAdvisor: false } },
    ],
    entitlements: [
      {
        id: 'bench-collect',
        title: 'Bench',
        system: SYSTEM_ID,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  clock = now();
  const catalogue = await loadAwsCatalogue(); // loaded once per worker process, before any clock
  value(report, `action catalogue load (${catalogue.version}, once per process)`, now() - clock, 'ms');

  // A worker of its own: the stack's activities read the stack's policy, which collects nothing. The
  // production collector, at the emulator's pace: moto builds the credential report at once, where AWS
  // takes seconds (the default first wait is 2 s).
  const collector = createAwsCollector({ reportPolling: { delayMs: 50 } });
  const built = buildActivities(
    { store: stack.store, policy, slack: undefined, teams: undefined },
    { aws: { polling: { firstDelayMs: 20, maxDelayMs: 200 } }, notifiers: [], collectors: { aws: collector } },
  );
  const taskQueue = `${stack.taskQueue}-collect`;
  const worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: built.activities,
  });
  const running = worker.run();
  const pool = stack.db.pool;
  let lastRunKey: string | undefined;
  try {
    for (let n = 1; n <= RUNS; n++) {
      const label = n === 1 ? 'first run' : 'second run (documents stored)';
      const cpuFrom = cpuSnapshot(pids);
      clock = now();
      const handle = await stack.env.client.workflow.start(collect, {
        workflowId: `bench-collect-${SYSTEM_ID}-${n}-${Date.now().toString(36)}`,
        taskQueue,
        args: [{ systemId: SYSTEM_ID }],
      });
      const run = await handle.result();
      const seconds = (now() - clock) / 1000;
      const cpu = describeCpu(cpuFrom, cpuSnapshot(pids), os.cpus().length);
      const progress = await handle.query(collectProgressQuery);
      if (run.status !== 'succeeded') throw new Error(`collection ${n} ended ${run.status}: ${JSON.stringify(run)}`);
      const rows = await writtenRows(pool, run.runId);
      lastRunKey = rows.runKey;
      value(report, `${label}: wall time`, seconds.toFixed(2), 's');
      value(report, `${label}: pages (steps)`, `${progress.pages} (${progress.steps.join(', ')})`);
      value(
        report,
        `${label}: identities / documents / grant paths / document actions in the snapshot`,
        `${rows.identities} / ${rows.documents} / ${rows.grantPaths} / ${rows.documentActions}`,
      );
      value(report, `${label}: run counts`, JSON.stringify(run.counts));
      value(report, `${label}: CPU`, cpu);
    }

    // The floor: what moto, the expansion and PostgreSQL cost with nothing of ours around them.
    clock = now();
    const details = [];
    let marker: string | undefined;
    do {
      const page = await stack.aws.iam.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'],
          Marker: marker,
        }),
      );
      details.push(page);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    const gaadSeconds = (now() - clock) / 1000;
    value(
      report,
      `floor: bare GetAccountAuthorizationDetails (${details.length} page(s))`,
      gaadSeconds.toFixed(2),
      's',
    );

    const texts = new Set<string>();
    for (const page of details) {
      for (const policyDetail of page.Policies ?? []) {
        const version = policyDetail.PolicyVersionList?.find((v) => v.IsDefaultVersion)?.Document;
        if (version && (policyDetail.AttachmentCount || policyDetail.PermissionsBoundaryUsageCount)) texts.add(version);
      }
      for (const role of page.RoleDetailList ?? [])
        for (const p of role.RolePolicyList ?? []) texts.add(p.PolicyDocument!);
      for (const user of page.UserDetailList ?? [])
        for (const p of user.UserPolicyList ?? []) texts.add(p.PolicyDocument!);
      for (const group of page.GroupDetailList ?? [])
        for (const p of group.GroupPolicyList ?? []) texts.add(p.PolicyDocument!);
    }
    const expandCpu = process.cpuUsage();
    clock = now();
    const expanded = new Set<string>();
    let actions = 0;
    for (const text of texts) {
      const parsed = parsePolicyText(text);
      if (!('body' in parsed)) continue;
      const id = contentId(parsed.body);
      if (expanded.has(id)) continue;
      expanded.add(id);
      actions += expandAwsPolicy(catalogue, id, parsed.body).actions.length;
    }
    const expandSeconds = (now() - clock) / 1000;
    const expandCpuUsed = process.cpuUsage(expandCpu);
    value(
      report,
      `floor: bare expansion of the ${expanded.size} distinct documents (${actions} actions)`,
      `${expandSeconds.toFixed(2)} s (${((expandCpuUsed.user + expandCpuUsed.system) / 1e6).toFixed(2)} CPU-s)`,
    );

    const copied = lastRunKey ? await bareCopy(stack.db.url, lastRunKey) : { rows: 0, seconds: 0 };
    value(
      report,
      `floor: bare COPY of the run's rows (${copied.rows} identities + grant paths + document actions)`,
      copied.seconds.toFixed(2),
      's',
    );
    value(report, 'floor: sum of the three', (gaadSeconds + expandSeconds + copied.seconds).toFixed(2), 's');
  } finally {
    worker.shutdown();
    await running;
    await built.close();
    collector.close();
  }
  report.notes.push(
    'Wall time is from starting the workflow to its result: every step and page (GAAD, Identity Center, credentials ' +
      'and the credential report), the expansion, the COPY into staging and the insert-once/upsert, and making the ' +
      'snapshot current. moto answers GetAccountAuthorizationDetails in one page whatever MaxItems says.',
    'The floor parts run one after another on the same data; their sum is what the collection cannot go under ' +
      'on this machine (Temporal adds its own round trips per activity on top).',
    `load average after: ${loadAvg()}; the machine is shared with other engineers' runs.`,
  );
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

interface WrittenRows {
  runKey: string;
  identities: number;
  documents: number;
  grantPaths: number;
  documentActions: number;
}

async function writtenRows(pool: pg.Pool, runId: string): Promise<WrittenRows> {
  const result = await pool.query<{
    run_key: string;
    identities: string;
    documents: string;
    grant_paths: string;
    document_actions: string;
  }>(
    `SELECT r.run_key,
            (SELECT count(*) FROM inventory_identities i WHERE i.run_key = r.run_key) AS identities,
            (SELECT count(*) FROM inventory_run_documents d WHERE d.run_key = r.run_key) AS documents,
            (SELECT count(*) FROM inventory_grant_paths g WHERE g.run_key = r.run_key) AS grant_paths,
            (SELECT count(*) FROM inventory_run_documents d JOIN inventory_document_actions a USING (document_id)
              WHERE d.run_key = r.run_key) AS document_actions
       FROM inventory_runs r WHERE r.run_id = $1`,
    [runId],
  );
  const row = result.rows[0];
  if (!row) throw new Error(`run ${runId} is not in inventory_runs`);
  return {
    runKey: row.run_key,
    identities: Number(row.identities),
    documents: Number(row.documents),
    grantPaths: Number(row.grant_paths),
    documentActions: Number(row.document_actions),
  };
}

/** What the run wrote, read out as COPY text (unmeasured), then COPYed into empty look-alike tables (measured). */
async function bareCopy(url: string, runKey: string): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sources: Record<string, string> = {
      inventory_identities: `SELECT * FROM inventory_identities WHERE run_key = ${Number(runKey)}`,
      inventory_grant_paths: `SELECT * FROM inventory_grant_paths WHERE run_key = ${Number(runKey)}`,
      inventory_document_actions: `SELECT a.* FROM inventory_document_actions a JOIN inventory_run_documents d
        USING (document_id) WHERE d.run_key = ${Number(runKey)}`,
    };
    const texts: Record<string, Buffer> = {};
    let rows = 0;
    for (const [table, query] of Object.entries(sources)) {
      const chunks: Buffer[] = [];
      await pipeline(
        client.query(copyTo(`COPY (${query}) TO STDOUT`)),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      texts[table] = Buffer.concat(chunks);
      rows += texts[table].toString('utf8').split('\n').length - 1;
      await client.query(
        `CREATE TEMP TABLE floor_${table} (LIKE ${table} INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS)`,
      );
    }
    const started = now();
    await client.query('BEGIN');
    for (const [table, text] of Object.entries(texts))
      await pipeline(Readable.from([text]), client.query(copyFrom(`COPY floor_${table} FROM STDIN`)));
    await client.query('COMMIT');
    const seconds = (now() - started) / 1000;
    return { rows, seconds };
  } finally {
    await client.end();
  }
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer ≥ 1, not "${raw}"`);
  return value;
}
