import { randomUUID } from 'node:crypto';
import type { AccessLevel, Coverage } from '../../domain/inventory/model';
import type { GrantedAction, IdentityView } from '../../domain/inventory/view';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import type { DiscoveryCredentials } from '../../activities/inventory/discover';
import type { CollectProgress } from '../../workflows/collect';
import { loadPolicy, withCore, withPgStore } from './connect';
import { usage, type Invocation } from './usage';

/**
 * `least inventory collect | show | import`: collections through Temporal, reading and importing through
 * PostgreSQL alone. Each verb loads what it needs when it runs.
 */
export async function runInventory(invocation: Invocation): Promise<number> {
  const [verb, ...rest] = invocation.rest;
  const next = { ...invocation, rest };
  switch (verb) {
    case 'collect':
      return collectNow(next);
    case 'show':
      return show(next);
    case 'import':
      return importFile(next);
    case 'discover':
      return discover(next);
    default:
      return usage(
        verb === undefined ? 'inventory needs a verb: collect, show, import or discover' : `unknown verb "${verb}"`,
      );
  }
}

/** How often a running collection is asked where it stands. */
const PROGRESS_EVERY_MS = 1000;

/** `collect [--system S]`: one collection per system now, outside its Schedule, with progress as it goes. */
async function collectNow({ values, json, print }: Invocation): Promise<number> {
  const { collect, collectProgressQuery } = await import('../../workflows/collect');
  return withCore(async (core, config) => {
    const systems = collectedSystems(core.policy, values.system);
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const outcomes = await Promise.all(
      systems.map(async (system) => {
        const workflowId = `collect-${system.id}-${stamp}`;
        await core.temporal.workflow.start(collect, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [{ systemId: system.id }],
        });
        if (!json) print(`${system.id}: collecting as workflow ${workflowId}`);
        // By workflow id alone, so queries and the result follow the collection across continue-as-new.
        const handle = core.temporal.workflow.getHandle<typeof collect>(workflowId);
        const result = handle.result().then(
          (run) => ({ systemId: system.id, workflowId, ok: true as const, run }),
          (error: Error) => ({ systemId: system.id, workflowId, ok: false as const, error: causeOf(error) }),
        );
        let shown = '';
        for (;;) {
          const done = await Promise.race([result, delay(PROGRESS_EVERY_MS)]);
          if (done) return done;
          const progress = await handle.query(collectProgressQuery).catch(() => undefined);
          const line = progress && progressLine(progress);
          if (!json && line && line !== shown) print(line);
          shown = line || shown;
        }
      }),
    );
    if (json) print(JSON.stringify(outcomes));
    else {
      for (const outcome of outcomes) {
        if (outcome.ok)
          print(`${outcome.systemId}: done, run ${outcome.run.runId} is current — ${counted(outcome.run.counts)}`);
        else print(`${outcome.systemId}: failed (${outcome.error}); the previous snapshot stays current`);
      }
    }
    return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
  });
}

/** `show <identity> --system S`: granted vs used in the current snapshot, with what the coverage allows. */
async function show({ values, rest, json, print }: Invocation): Promise<number> {
  const [identity] = rest;
  if (!identity) usage('inventory show needs an identity: its name, ARN or id');
  if (!values.system) usage('inventory show needs --system');
  const view = await withInventoryStore((store) => store.identityView(values.system!, identity));
  if (!view) {
    print(`error: no identity "${identity}" in the current snapshot of ${values.system}`);
    return 1;
  }
  if (json) print(JSON.stringify(view));
  else identityViewLines(view).forEach((line) => print(line));
  return 0;
}

/** `import <file> --system S`: an offline `aws iam get-account-authorization-details` file as a new snapshot. */
async function importFile({ values, rest, json, print }: Invocation): Promise<number> {
  const [file] = rest;
  if (!file) usage('inventory import needs a file written by `aws iam get-account-authorization-details`');
  if (!values.system) usage('inventory import needs --system');
  const { readFile } = await import('node:fs/promises');
  const { importAuthorizationDetails, OfflineImportError } = await import('../../activities/inventory/aws/offline');
  const { loadAwsCatalogue } = await import('../../activities/inventory/catalogue/aws');
  const policy = await loadPolicy();
  const system = policySystem(policy, values.system);
  if (system.cloud !== 'aws') {
    print(`error: ${system.id} is an ${system.cloud} system; only an AWS system takes an authorization details file`);
    return 1;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    print(`error: cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }
  const catalogue = await loadAwsCatalogue();
  let imported;
  try {
    imported = await importAuthorizationDetails(text, { systemId: system.id, accountId: system.accountId }, catalogue);
  } catch (error) {
    if (!(error instanceof OfflineImportError)) throw error;
    print(`error: ${file} cannot be imported: ${error.message}; nothing was written`);
    return 1;
  }
  const run = await withInventoryStore(async (store) => {
    const at = new Date();
    const runId = `import-${system.id}-${at.toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
    // no usage comes from a file: an empty window, and no coverage, so nothing can read as unused
    await store.beginRun({
      runId,
      systemId: system.id,
      windowFrom: at.toISOString(),
      windowTo: at.toISOString(),
      catalogues: { aws: catalogue.version },
    });
    try {
      const sink = store.sink(runId);
      const documents = imported.documents.documents();
      for (let i = 0; i < imported.identities.length; i += IMPORT_BATCH)
        await sink.identities(imported.identities.slice(i, i + IMPORT_BATCH));
      for (let i = 0; i < documents.length; i += IMPORT_BATCH)
        await sink.documents(documents.slice(i, i + IMPORT_BATCH));
      for (let i = 0; i < imported.grantPaths.length; i += IMPORT_BATCH)
        await sink.grantPaths(imported.grantPaths.slice(i, i + IMPORT_BATCH));
      await sink.skipped(imported.skipped);
      await store.addCounts(runId, {
        identities: imported.identities.length,
        documents: documents.length,
        grantPaths: imported.grantPaths.length,
      });
      return await store.finishRun(runId, { snapshotsKept: system.inventory?.snapshotsKept });
    } catch (error) {
      await store.failRun(runId, `import of ${file} failed: ${(error as Error).message}`);
      throw error;
    }
  });
  // The findings of the new snapshot, as a collection's last step makes them.
  const { assessSnapshot } = await import('../../activities/findings');
  const assessed = await withPgStore((store) =>
    assessSnapshot(
      { inventory: store.inventory, findings: store.findings, policy: () => policy },
      system.id,
      run.runId,
    ),
  );
  if (json) {
    print(JSON.stringify({ run, coverage: [], usage: 'none: every granted action is unknown', findings: assessed }));
    return 0;
  }
  print(`${system.id}: imported ${file} as run ${run.runId}, now the current snapshot — ${counted(run.counts)}`);
  if (run.skipped.length > 0) {
    print(
      `Skipped ${run.counts.skippedItems ?? run.skipped.length} items${run.skipped.length < (run.counts.skippedItems ?? 0) ? ` (first ${run.skipped.length})` : ''}:`,
    );
    for (const item of run.skipped) print(`  ${item.reason}  ${item.item}${item.detail ? ` — ${item.detail}` : ''}`);
  }
  print('No usage comes from a file: coverage is none, so every granted action shows as unknown (never unused).');
  print(`See one identity: least inventory show <name or ARN> --system ${system.id}`);
  print(`Findings of ${assessed.identities} identities: least findings --system ${system.id}`);
  return 0;
}

/** Rows per write when a file is imported: each is one transaction, small enough for any file. */
const IMPORT_BATCH = 2000;

function policySystem(policy: Policy, id: string): AuthorizationSystem {
  const system = policy.authorizationSystems.find((s) => s.id === id);
  if (!system) throw new Error(`no authorization system "${id}" in the policy file`);
  return system;
}

/**
 * `discover [--system S]`: the accounts, subscriptions and projects under each system's organization,
 * tenant or folder, as `authorizationSystems` entries ready to paste; those already in the policy are
 * marked, not repeated. Azure and GCP credentials are found as the worker finds them unless given.
 */
export async function discover(
  { values, json, print }: Invocation,
  credentials: DiscoveryCredentials = {},
): Promise<number> {
  const { discoverTargets } = await import('../../activities/inventory/discover');
  const { discoveredEntries } = await import('../../activities/inventory/discover/entries');
  const YAML = (await import('yaml')).default;
  const policy = await loadPolicy();
  const systems = values.system ? [policySystem(policy, values.system)] : policy.authorizationSystems;
  const taken = new Set(policy.authorizationSystems.map((system) => system.id));
  const found = await discoverTargets(systems, credentials);
  const results = found.map((outcome) =>
    'error' in outcome
      ? outcome
      : { ...outcome, entries: discoveredEntries(outcome, policy.authorizationSystems, taken) },
  );
  if (json) {
    print(JSON.stringify(results));
    return results.every((result) => !('error' in result)) ? 0 : 1;
  }
  const known = new Set<string>();
  for (const result of results) {
    if ('error' in result) {
      print(`# ${result.systemId}: discovery failed — ${result.error}`);
      continue;
    }
    // two systems of one organization list the same targets: each is shown once
    const fresh = result.entries.filter((entry) => !known.has(`${result.cloud}:${entry.target.id}`));
    fresh.forEach((entry) => known.add(`${result.cloud}:${entry.target.id}`));
    print(`# ${result.systemId}: ${SCOPE_WORDS[result.cloud]} ${result.scope} — ${result.targets.length} found`);
    for (const entry of fresh) {
      const about = [entry.target.state, entry.target.parent && `under ${entry.target.parent}`].filter(Boolean);
      const note = about.length ? ` (${about.join(', ')})` : '';
      if (entry.inPolicy) {
        print(`#   ${entry.target.id} ${entry.target.name}${note}: already in the policy as ${entry.inPolicy}`);
        continue;
      }
      print(`  # ${entry.target.name}${note}`);
      for (const line of YAML.stringify([entry.entry]).trimEnd().split('\n')) print(`  ${line}`);
    }
  }
  return results.every((result) => !('error' in result)) ? 0 : 1;
}

const SCOPE_WORDS = { aws: 'AWS Organization', azure: 'tenant', gcp: 'under' } as const;

function collectedSystems(policy: Policy, only: string | undefined): AuthorizationSystem[] {
  const collected = policy.authorizationSystems.filter((system) => system.inventory);
  if (only === undefined) {
    if (collected.length === 0) throw new Error('no authorization system in the policy file has inventory settings');
    return collected;
  }
  const system = policySystem(policy, only);
  if (!system.inventory) throw new Error(`authorization system "${only}" has no inventory settings in the policy file`);
  return [system];
}

function progressLine(progress: CollectProgress): string {
  const where =
    progress.phase === 'collecting' && progress.step
      ? `step ${progress.stepIndex + 1}/${progress.steps.length} ${progress.step}`
      : progress.phase;
  return `${progress.systemId}: ${where}, ${progress.pages} pages — ${counted(progress.counts)}`;
}

function counted(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([name, value]) => `${value} ${name}`).join(', ') : 'nothing yet';
}

/** The failure's own words, not the wrapper's "Workflow execution failed". */
function causeOf(error: Error): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

async function withInventoryStore<T>(
  use: (store: import('../../activities/store/pg-store').PgStore['inventory']) => Promise<T>,
): Promise<T> {
  return withPgStore((store) => use(store.inventory));
}

/** Most sensitive first: an action with several levels is listed under the first of its levels here. */
const LEVEL_ORDER: AccessLevel[] = ['Permissions management', 'Write', 'Tagging', 'Read', 'List'];

/** `least inventory show` as text: window and coverage on top, then granted actions by access level. */
export function identityViewLines(view: IdentityView): string[] {
  const { identity, run } = view;
  const lines = [
    `${identity.name} (${identity.kind}, ${identity.nature}) in ${identity.systemId}`,
    `  ${identity.id}`,
    `Snapshot: run ${run.runId}${run.finishedAt ? `, collected ${run.finishedAt}` : ''}`,
    `Usage window: ${run.windowFrom} → ${run.windowTo} (${days(run.windowFrom, run.windowTo)} days)`,
  ];
  if (view.coverage.length === 0) {
    lines.push('Coverage: none — no source saw this identity’s use, so every action is unknown (never unused)');
  } else {
    lines.push('Coverage (outside it nothing is known; unknown is never unused):');
    for (const entry of view.coverage) lines.push(`  ${coverageLine(entry)}`);
  }
  const verdicts = { used: 0, unused: 0, unknown: 0 };
  for (const action of view.granted) verdicts[action.verdict ?? 'unknown']++;
  lines.push(
    `Granted: ${view.granted.length} actions — ${verdicts.used} used, ${verdicts.unused} unused, ${verdicts.unknown} unknown`,
  );
  const width = Math.min(60, Math.max(10, ...view.granted.map((action) => action.action.length)));
  for (const level of [...LEVEL_ORDER, undefined]) {
    const held = view.granted.filter((action) => firstLevel(action) === level);
    if (held.length === 0) continue;
    lines.push('', `${level ?? 'No access level known'} (${held.length})`);
    for (const action of held) lines.push(`  ${action.action.padEnd(width)}  ${actionLine(action)}`);
  }
  const granted = new Set(view.granted.map((action) => action.action));
  const ungranted = view.usage.filter((use) => !granted.has(use.action));
  if (ungranted.length > 0) {
    lines.push('', 'Used or attempted without a grant in this snapshot');
    for (const use of ungranted) lines.push(`  ${use.action.padEnd(width)}  ${use.count} uses, ${use.denied} denied`);
  }
  if (view.paths.length > 0) {
    lines.push('', 'Held through');
    for (const path of view.paths) {
      const through = path.documentName ?? path.via ?? path.documentId ?? '';
      const from = path.inheritedFrom ? ` (as a member of ${path.inheritedFrom})` : '';
      lines.push(`  ${path.kind} ${through}${path.conditional ? ' [conditional]' : ''}${from}`);
    }
  }
  return lines;
}

function firstLevel(action: GrantedAction): AccessLevel | undefined {
  return LEVEL_ORDER.find((level) => action.accessLevels.includes(level));
}

function actionLine(action: GrantedAction): string {
  const parts: string[] = [action.verdict ?? 'unknown'];
  if (action.usage) {
    parts.push(`${action.usage.count} uses${action.usage.lastUsed ? `, last ${action.usage.lastUsed}` : ''}`);
    if (action.usage.denied) parts.push(`${action.usage.denied} denied`);
  }
  if (action.resourceReach === 'all') parts.push('all resources');
  if (action.conditional) parts.push('conditional');
  if (action.partiallyDenied) parts.push('partly denied');
  return parts.join(' · ');
}

const GRANULARITY: Record<Coverage['granularity'], string> = {
  'action-day': 'per action and day',
  action: 'per action',
  service: 'per service',
  'window-total': 'a total over the window',
  'last-activity': 'last activity only',
};

function coverageLine(entry: Coverage): string {
  const whose = entry.identityId === '*' ? 'whole system' : 'this identity';
  const which = entry.actions === 'writes' ? 'writes only' : 'all actions';
  const note = entry.note ? ` — ${entry.note}` : '';
  return `${entry.source}: ${entry.from} → ${entry.to}, ${GRANULARITY[entry.granularity]}, ${which} (${whose})${note}`;
}

function days(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}
