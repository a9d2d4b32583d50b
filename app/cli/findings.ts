import type { IdentityAssessment } from '../../domain/findings/model';
import type { IdentityView } from '../../domain/inventory/view';
import type { Policy } from '../../domain/policy/schema';
import type { FindingsClient, OverviewOutcome } from '../../bot/findings-client';
import type { ScanOptions, ScanStream } from '../../activities/findings/scan';
import { loadPolicy, withPgStore } from './connect';
import { usage, type Invocation } from './usage';

/**
 * `least findings …`: what the inventory says about risk, for operators at a terminal and for scripts
 * (--json). The same client as chat decides who may see what when `--as` names a person.
 */
export async function runFindings(invocation: Invocation): Promise<number> {
  const [verb, ...rest] = invocation.rest;
  const next = { ...invocation, rest };
  switch (verb) {
    case undefined:
      return overview(next);
    case 'identity':
      return identity(next);
    case 'scan':
      return scan(next);
    case 'assess':
      return assess(next);
    case 'suppress':
      return suppress(next);
    default:
      return usage(`unknown findings verb "${verb.slice(0, 40)}": use identity, scan, assess or suppress`);
  }
}

async function overview({ values, json, print }: Invocation): Promise<number> {
  return withClient(async (client) => {
    const outcome = await client.overview(values.as, values.system);
    if (!outcome.ok) {
      print(json ? JSON.stringify(outcome) : `refused: ${outcome.message}`);
      return 1;
    }
    if (json)
      print(
        JSON.stringify({
          systems: outcome.systems.map(({ system, findings }) => ({
            systemId: system.id,
            cloud: system.cloud,
            findings,
          })),
          hidden: outcome.hidden,
        }),
      );
    else overviewLines(outcome).forEach((line) => print(line));
    return 0;
  });
}

export function overviewLines(outcome: OverviewOutcome): string[] {
  const lines: string[] = [];
  for (const { system, findings } of outcome.systems) {
    if (!findings) {
      lines.push(
        `${system.id} (${system.cloud}): not assessed yet — run \`least inventory collect --system ${system.id}\``,
      );
      continue;
    }
    const trend = findings.weekAgo === undefined ? '' : ` (${signed(findings.pci - findings.weekAgo)} in 7 days)`;
    lines.push(
      `${system.id} (${system.cloud}): PCI ${findings.pci} ${findings.band}${trend} — ${findings.scored} scored of ${findings.identities} identities; bands low ${findings.bands.low}, medium ${findings.bands.medium}, high ${findings.bands.high}`,
    );
    lines.push(`  collected ${findings.collectedAt}, assessed ${findings.assessedAt}`);
    const counts = Object.entries(findings.counts).sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push(
      `  findings: ${counts.length === 0 ? 'none' : counts.map(([k, n]) => `${k} ${n}`).join(', ')}${findings.suppressed ? `; ${findings.suppressed} suppressed` : ''}`,
    );
    const categories = Object.entries(findings.categories).sort(([a], [b]) => (a < b ? -1 : 1));
    if (categories.length > 0) lines.push(`  risk categories: ${categories.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const top of findings.top)
      lines.push(
        `  ${String(top.pci).padStart(3)} ${top.identityName} — ${top.findings} findings${top.topContributor ? `; ${top.topContributor}` : ''}`,
      );
    for (const mover of findings.movers) lines.push(`  moved: ${mover.identityName} ${mover.from} → ${mover.to}`);
  }
  if (outcome.hidden > 0) lines.push(`${outcome.hidden} more system(s) are not yours to see whole.`);
  return lines;
}

async function identity({ values, rest, json, print }: Invocation): Promise<number> {
  const [name] = rest;
  if (!name) usage('findings identity needs an identity: its name, ARN, object id or member');
  return withClient(async (client) => {
    const outcome = await client.identity(values.as, name, values.system);
    if (!outcome.ok) {
      print(json ? JSON.stringify(outcome) : `refused: ${outcome.message}`);
      return 1;
    }
    if (json)
      print(
        JSON.stringify({
          systemId: outcome.system.id,
          identity: outcome.view.identity,
          assessment: outcome.assessment,
        }),
      );
    else identityLines(outcome.view, outcome.assessment).forEach((line) => print(line));
    return 0;
  });
}

export function identityLines(view: Pick<IdentityView, 'identity' | 'run'>, assessment: IdentityAssessment): string[] {
  const { identity } = view;
  const lines = [`${identity.name} (${identity.kind}, ${identity.nature}) in ${identity.systemId}`, `  ${identity.id}`];
  lines.push(
    `Actions: ${assessment.granted} granted, ${assessment.used} used, ${assessment.unknown} unknown (no data)`,
  );
  const { pci } = assessment;
  if (!pci) lines.push('PCI: not scored (service-linked, a cloud service agent, a group or a credential)');
  else {
    lines.push(
      `PCI ${pci.score} (${pci.band})${pci.ceiling > pci.score ? `, up to ${pci.ceiling} if every unknown action were unused` : ''}`,
    );
    for (const c of pci.contributors)
      lines.push(`  ${String(c.points).padStart(3)}  ${c.label}: ${c.actions.join(', ')}`);
    if (pci.contributors.length > 0) lines.push(`  Without the top contributors: ${pci.ifTopRemoved}`);
    if (pci.lastUsed) lines.push(`  Last used: ${pci.lastUsed}`);
  }
  lines.push(assessment.findings.length === 0 ? 'Findings: none' : 'Findings:');
  for (const f of assessment.findings) {
    const suppressed = f.suppressed
      ? ` [suppressed until ${f.suppressed.until.slice(0, 10)} by ${f.suppressed.by}: ${f.suppressed.reason}]`
      : '';
    lines.push(`  ${f.severity.toUpperCase()} ${f.kind}: ${f.title}${suppressed}`);
    for (const line of f.evidence.slice(0, 4)) lines.push(`      ${line}`);
    lines.push(`      id: ${f.id}`);
  }
  const coverage = assessment.pci?.coverage ?? assessment.findings[0]?.coverage;
  if (coverage) {
    lines.push(`Data: ${coverage.sources.length === 0 ? 'no usage source' : coverage.sources.join('; ')}`);
    for (const blind of coverage.blindSpots) lines.push(`  blind spot: ${blind}`);
  }
  return lines;
}

/** `scan FILE [--compare] [--catalogue CATALOGUE.json]`: an offline file, no service, no database. */
async function scan({ values, rest, json, print }: Invocation): Promise<number> {
  const [file] = rest;
  if (!file) usage('findings scan needs a file written by `aws iam get-account-authorization-details`');
  if (values.catalogue === '') usage('--catalogue needs a file: a JSON AWS action catalogue');
  const { readFile } = await import('node:fs/promises');
  const { scanAuthorizationDetails, streamAuthorizationDetails } = await import('../../activities/findings/scan');
  const { OfflineImportError } = await import('../../activities/inventory/aws/offline');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    print(`error: cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }
  const options: ScanOptions = { compare: values.compare ?? false, at: new Date().toISOString() };
  if (values.catalogue !== undefined) {
    const { CatalogueFileError, readAwsCatalogueFile } = await import('../../activities/inventory/catalogue/aws-file');
    try {
      options.catalogue = await readAwsCatalogueFile(values.catalogue);
    } catch (error) {
      if (!(error instanceof CatalogueFileError)) throw error;
      print(`error: ${error.message}`);
      return 1;
    }
  }
  let report;
  try {
    if (json) {
      // written out as it is assessed: a large account's report is never held whole
      printPieces(scanPieces(await streamAuthorizationDetails(text, options)), print);
      return 0;
    }
    report = await scanAuthorizationDetails(text, options);
  } catch (error) {
    if (!(error instanceof OfflineImportError)) throw error;
    print(`error: ${file} cannot be scanned: ${error.message}`);
    return 1;
  }
  print(
    `Account ${report.accountId}: ${report.counts.identities} identities, ${report.counts.policies} policies (${report.mode} semantics)`,
  );
  if (options.catalogue)
    print(`Catalogue: ${options.catalogue.version}, ${options.catalogue.actions.length} actions (${values.catalogue})`);
  const kinds = Object.entries(report.counts.findings).sort(([a], [b]) => (a < b ? -1 : 1));
  print(`Findings: ${kinds.length === 0 ? 'none' : kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const a of report.identities.filter((i) => i.findings.length > 0)) {
    print(`  ${a.identityName}: ${a.findings.map((f) => `${f.severity} ${f.kind}`).join(', ')}`);
  }
  if (report.skipped.length > 0)
    print(
      `Skipped ${report.skipped.length} item(s): ${report.skipped
        .slice(0, 5)
        .map((s) => `${s.reason} ${s.item}`)
        .join('; ')}`,
    );
  print('Offline there is no usage: every action is unknown, so each PCI is only a ceiling (see --json).');
  return 0;
}

/**
 * Up to this many characters a report is printed as one line, exactly `JSON.stringify`'s text. A larger
 * one (an account of tens of thousands of principals) would pass the longest string the runtime can
 * hold, so it is printed in parts of about this size, each ending between two entries of a list: the
 * line breaks between parts are whitespace JSON allows, and the text still parses to the same report.
 */
const JSON_PART_CHARS = 128 * 2 ** 20;

export function printJson(value: unknown, print: (line: string) => void, partChars = JSON_PART_CHARS): void {
  printPieces(jsonPieces(value, 2), print, partChars);
}

/** `JSON.stringify` of the scan report, in pieces, assessing each identity only as its turn comes. */
function* scanPieces(scan: ScanStream): Generator<string> {
  yield `{"mode":${JSON.stringify(scan.mode)},"accountId":${JSON.stringify(scan.accountId)},"policies":`;
  yield* jsonPieces(scan.policies, 1);
  yield ',"identities":[';
  let first = true;
  for (const identity of scan.identities) {
    if (!first) yield ',';
    first = false;
    yield JSON.stringify(identity);
  }
  yield `]`;
  yield `,"counts":${JSON.stringify(scan.counts())}`;
  yield `,"skipped":${JSON.stringify(scan.skipped)}}`;
}

function printPieces(pieces: Iterable<string>, print: (line: string) => void, partChars = JSON_PART_CHARS): void {
  let part = '';
  for (const piece of pieces) {
    if (part.length > 0 && part.length + piece.length > partChars && piece.startsWith(',')) {
      print(part);
      part = '';
    }
    part += piece;
  }
  print(part);
}

/**
 * `JSON.stringify(value)` in pieces whose concatenation is that text: plain objects and lists are opened
 * `depth` levels down (so every entry of a report's lists is one piece, the comma before it leading),
 * anything else is stringified whole.
 */
function* jsonPieces(value: unknown, depth: number): Generator<string> {
  if (!opened(value, depth)) {
    // JSON.stringify writes null for what has no JSON text (undefined, a function) in a list
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let k = 0; k < value.length; k++) {
      if (k > 0) yield ',';
      yield* jsonPieces(value[k], depth - 1);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    // …and leaves out a property that has none
    const text = opened(item, depth - 1) ? undefined : JSON.stringify(item);
    if (text === undefined && !opened(item, depth - 1)) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (text === undefined) yield* jsonPieces(item, depth - 1);
    else yield text;
  }
  yield '}';
}

/** A list or plain object (no toJSON) still to be opened at this depth. */
function opened(value: unknown, depth: number): boolean {
  return (
    depth > 0 &&
    typeof value === 'object' &&
    value !== null &&
    (Array.isArray(value) ||
      (Object.getPrototypeOf(value) === Object.prototype &&
        typeof (value as { toJSON?: unknown }).toJSON !== 'function'))
  );
}

/** `assess [--system S]`: the current snapshot of each system assessed now, in this process. */
async function assess({ values, json, print }: Invocation): Promise<number> {
  return withStore(async (store, policy) => {
    const { assessSnapshot } = await import('../../activities/findings');
    const systems = policy.authorizationSystems.filter((s) => values.system === undefined || s.id === values.system);
    if (systems.length === 0) throw new Error(`no authorization system "${values.system}" in the policy file`);
    const outcomes = [];
    for (const system of systems) {
      const run = await store.inventory.currentRun(system.id);
      if (!run) {
        outcomes.push({ systemId: system.id, status: 'no-snapshot' as const });
        if (!json) print(`${system.id}: no snapshot yet — run \`least inventory collect --system ${system.id}\``);
        continue;
      }
      const outcome = await assessSnapshot(
        { inventory: store.inventory, findings: store.findings, policy: () => policy },
        system.id,
        run.runId,
      );
      outcomes.push({ systemId: system.id, ...outcome });
      if (!json)
        print(
          `${system.id}: ${outcome.status} run ${run.runId}${outcome.status === 'assessed' ? ` (${outcome.identities} identities)` : ''}`,
        );
    }
    if (json) print(JSON.stringify(outcomes));
    return 0;
  });
}

async function suppress({ values, rest, json, print }: Invocation): Promise<number> {
  const [name] = rest;
  if (!name) usage('findings suppress needs an identity');
  if (!values.system) usage('findings suppress needs --system');
  if (!values.as) usage('findings suppress needs --as EMAIL: who answers for it');
  if (!values.reason) usage('findings suppress needs --reason');
  const days = values.days === undefined ? 30 : Number(values.days);
  return withClient(async (client) => {
    const outcome = await client.suppress(values.as!, {
      systemId: values.system!,
      identity: name,
      ...(values.finding ? { findingId: values.finding } : {}),
      reason: values.reason!,
      days,
      source: 'cli',
    });
    if (json) print(JSON.stringify(outcome));
    else print(outcome.ok ? `suppressed until ${outcome.until}` : `refused: ${outcome.message}`);
    return outcome.ok ? 0 : 1;
  });
}

async function withStore<T>(
  use: (store: import('../../activities/store/pg-store').PgStore, policy: Policy) => Promise<T>,
): Promise<T> {
  const policy = await loadPolicy();
  return withPgStore((store) => use(store, policy));
}

async function withClient<T>(use: (client: FindingsClient) => Promise<T>): Promise<T> {
  const { findingsClient } = await import('../findings');
  return withStore((store, policy) => use(findingsClient({ store, policy: () => policy })));
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
