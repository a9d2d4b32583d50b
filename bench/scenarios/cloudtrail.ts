import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsCollector, type AwsCollector } from '../../activities/inventory/aws';
import type { InventorySink } from '../../domain/inventory/model';
import { policySchema } from '../../domain/policy/schema';
import {
  createAwsAccount,
  awsSystemInput,
  ACCOUNT_ID,
  APP_ROLE,
  CI_USER,
  REGION,
} from '../../test/support/fakes/aws-fixtures';
import {
  assumedRoleActor,
  generateTrail,
  iamUserActor,
  identityCenterActor,
} from '../../test/support/generators/cloudtrail';
import { now } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { mib } from '../lib/stats';

/**
 * The CloudTrail reader: N records (BENCH_CLOUDTRAIL_RECORDS, default 100,000) in files of
 * BENCH_CLOUDTRAIL_RECORDS_PER_FILE (default 1,000) written into moto S3 in the real layout, then read
 * by the collector's `usage:cloudtrail` step page by page into a sink that only counts. Beside it, the
 * floor: the same number of files' bodies gunzipped and JSON.parsed from memory, nothing else.
 */
export async function cloudtrailScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const report = newReport('cloudtrail');
  const startedAt = now();
  const records = intFromEnv('BENCH_CLOUDTRAIL_RECORDS', 100_000);
  const perFile = intFromEnv('BENCH_CLOUDTRAIL_RECORDS_PER_FILE', 1_000);
  const files = Math.max(1, Math.ceil(records / perFile));
  const motoUrl = process.env.LEAST_TEST_MOTO_URL!;
  const s3 = new S3Client({ endpoint: motoUrl, region: REGION, forcePathStyle: true });
  const bucket = 'bench-trail';
  const from = new Date('2026-03-01T00:00:00Z');
  const to = new Date('2026-03-31T00:00:00Z');

  const account = await createAwsAccount(motoUrl).catch(() => undefined);
  const actors = [
    iamUserActor(ACCOUNT_ID, CI_USER),
    ...Array.from({ length: 40 }, (_, i) => assumedRoleActor(ACCOUNT_ID, `app-${i}`, `i-${i}`)),
    assumedRoleActor(ACCOUNT_ID, APP_ROLE, 'worker'),
    identityCenterActor(ACCOUNT_ID, 'ReadOnly', 'ada.lovelace'),
  ];
  const generateClock = now();
  const trail = await generateTrail(
    s3,
    {
      bucket,
      accountId: ACCOUNT_ID,
      regions: ['us-east-1', 'eu-west-1'],
      from,
      to,
      files,
      recordsPerFile: perFile,
      actors,
      seed: 11,
    },
    (done) => {
      if (done % Math.max(1, Math.floor(files / 4)) === 0) ctx.log(`  cloudtrail: ${done}/${files} files written`);
    },
  );
  value(report, 'files / records written to moto S3', `${files} / ${trail.records} (${mib(trail.bytes)} MiB gzip)`);
  value(report, 'generate + upload', ((now() - generateClock) / 1000).toFixed(1), 's');

  const input = awsSystemInput(
    account ?? {
      instanceArn: 'arn:aws:sso:::instance/ssoins-0',
      identityStoreId: 'd-0',
      readOnlyPermissionSetArn: '',
      adminPermissionSetArn: '',
      ada: { email: '', userId: '' },
      grace: { email: '', userId: '' },
    },
    motoUrl,
  );
  const policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      { ...input, identityCenter: undefined, inventory: { accessAdvisor: false, cloudTrail: { bucket } } },
    ],
    entitlements: [
      {
        id: 'bench',
        title: 'Bench',
        system: input.id,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  const system = policy.authorizationSystems[0]!;
  const collector: AwsCollector = createAwsCollector({ trailFilesPerPage: 50 });
  let usageRows = 0;
  const sink: InventorySink = {
    identities: async () => undefined,
    documents: async () => undefined,
    grantPaths: async () => undefined,
    usage: async (batch) => void (usageRows += batch.length),
    usageDetail: async () => undefined,
    coverage: async () => undefined,
    skipped: async () => undefined,
  };
  await collector.catalogueVersion(system, 'bench'); // the catalogue loads once, before the clock starts

  let peakRss = process.memoryUsage().rss;
  const rssBefore = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  const threadsFrom = threadSeconds();
  const cpuFrom = process.cpuUsage();
  const readClock = now();
  let cursor: string | undefined;
  let pages = 0;
  let read = 0;
  const window = { from: from.toISOString(), to: to.toISOString() };
  do {
    const page = await collector.collectPage(system, 'usage:cloudtrail', cursor, {
      runId: 'bench',
      window,
      policy,
      sink,
      now: () => new Date(),
      heartbeat: () => undefined,
    });
    read += page.counts['cloudtrail.records'] ?? 0;
    cursor = page.next;
    pages++;
    if (ctx.signal.aborted) break;
  } while (cursor);
  const seconds = (now() - readClock) / 1000;
  const cpu = process.cpuUsage(cpuFrom);
  const threads = threadSeconds();
  clearInterval(sampler);
  collector.close();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  // the floor: the same bodies, from memory, gunzip + JSON.parse only
  const sample = trail.keys.slice(0, Math.min(trail.keys.length, 100));
  const bodies = await Promise.all(
    sample.map(async (key) =>
      Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
      ),
    ),
  );
  const floorThreadsFrom = threadSeconds();
  const floorCpu = process.cpuUsage();
  const floorClock = now();
  let floorRecords = 0;
  for (const body of bodies) {
    const parsed = JSON.parse(gunzipSync(body).toString('utf8')) as { Records: unknown[] };
    floorRecords += parsed.Records.length;
  }
  const floorSeconds = (now() - floorClock) / 1000;
  const floorCpuUsed = process.cpuUsage(floorCpu);
  const floorThreads = threadSeconds();
  const floorCpuSeconds = (floorCpuUsed.user + floorCpuUsed.system) / 1e6;

  value(report, 'records read (pages of 50 files)', `${read} in ${pages} pages, ${usageRows} usage rows written`);
  value(report, 'reader: wall time', seconds.toFixed(1), 's');
  value(report, 'reader: records/s (wall)', Math.round(read / seconds));
  value(report, 'reader: records/s per core (bench process CPU)', Math.round(read / cpuSeconds));
  value(
    report,
    'floor: gunzip + JSON.parse from memory, records/s per core',
    `${Math.round(floorRecords / floorCpuSeconds)} (${floorRecords} records, ${floorSeconds.toFixed(2)} s)`,
  );
  value(
    report,
    'reader: CPU-s by thread (main / libuv pool: inflate / V8 workers: GC marking, JIT)',
    byThread(threadsFrom, threads),
  );
  value(report, 'floor: CPU-s by thread (main / libuv / V8 workers)', byThread(floorThreadsFrom, floorThreads));
  value(report, 'RSS before reading / peak while reading', `${mib(rssBefore)} / ${mib(peakRss)} MiB`);
  report.notes.push(
    'The reader gets each file from moto S3 over loopback HTTP (moto, a Python process, serves it: its CPU is not in "per core"), ' +
      'inflates it on the libuv pool while the previous file is read field by field, attributed and aggregated (one file read ahead, ' +
      'so peak RSS should not grow with the number of files).',
    'Every inflated file is ~1 MB of Buffer memory outside the JS heap, which V8 counts: left to the GC it brings a major GC every few ' +
      'dozen files, whose concurrent marking (V8 worker threads) costs in proportion to the whole heap of this process. The reader ' +
      "detaches each file's memory once read (cloudtrail.ts, releaseBuffer); the floor does not, but as a 0.5 s burst on 100 files most " +
      'of its marking falls outside its window.',
    'Per-core = records / CPU seconds of the bench process while reading (user + system); the floor is measured in the same process on ' +
      `${sample.length} of the same files.`,
  );
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

function byThread(from: Map<string, number>, to: Map<string, number>): string {
  return ['main', 'libuv', 'v8'].map((group) => ((to.get(group) ?? 0) - (from.get(group) ?? 0)).toFixed(2)).join(' / ');
}

/** CPU seconds of this process's threads, grouped: the main thread, libuv's pool, V8's workers (Linux only). */
function threadSeconds(): Map<string, number> {
  const groups = new Map<string, number>();
  const ticks = 100; // USER_HZ on Linux
  let tasks: string[] = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return groups;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      const group =
        task === String(process.pid)
          ? 'main'
          : name.startsWith('libuv')
            ? 'libuv'
            : name.startsWith('V8')
              ? 'v8'
              : 'other';
      groups.set(group, (groups.get(group) ?? 0) + seconds);
    } catch {
      // the thread ended between listing and reading
    }
  }
  return groups;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer ≥ 1, not "${raw}"`);
  return value;
}
