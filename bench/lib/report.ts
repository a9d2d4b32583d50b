import { distribution, type Distribution } from './stats';

/** One scenario's figures: latency distributions, single values, and what the reader must know to read them. */
export interface ScenarioReport {
  scenario: string;
  latencies: LatencyRow[];
  values: ValueRow[];
  notes: string[];
  /** Failed items (refusals, timeouts), grouped by message. */
  errors: string[];
  seconds: number;
}

export interface LatencyRow {
  metric: string;
  /** Items that should have produced a sample but failed. */
  failed: number;
  ms: Distribution | undefined;
}

export interface ValueRow {
  metric: string;
  value: number | string;
  unit: string;
}

export function newReport(scenario: string): ScenarioReport {
  return { scenario, latencies: [], values: [], notes: [], errors: [], seconds: 0 };
}

export function latency(report: ScenarioReport, metric: string, samples: number[], failed = 0): void {
  report.latencies.push({ metric, failed, ms: distribution(samples) });
}

export function value(report: ScenarioReport, metric: string, amount: number | string, unit = ''): void {
  report.values.push({ metric, value: amount, unit });
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** Plain text tables: latencies first (ms), then values; notes under each scenario. */
export function renderReports(reports: ScenarioReport[]): string {
  const lines: string[] = [];
  const latencyRows = reports.flatMap((r) => r.latencies.map((row) => ({ scenario: r.scenario, row })));
  if (latencyRows.length) {
    const metricWidth = Math.max(6, ...latencyRows.map(({ row }) => row.metric.length));
    const scenarioWidth = Math.max(8, ...latencyRows.map(({ scenario }) => scenario.length));
    const header = `${pad('scenario', scenarioWidth)}  ${pad('latency (ms)', metricWidth)}  ${['n', 'fail', 'p50', 'p95', 'p99', 'max', 'mean'].map((h) => pad(h, 7, true)).join(' ')}`;
    lines.push(header, '-'.repeat(header.length));
    for (const { scenario, row } of latencyRows) {
      const d = row.ms;
      lines.push(
        `${pad(scenario, scenarioWidth)}  ${pad(row.metric, metricWidth)}  ${[
          String(d?.n ?? 0),
          String(row.failed),
          fmt(d?.p50),
          fmt(d?.p95),
          fmt(d?.p99),
          fmt(d?.max),
          fmt(d?.mean),
        ]
          .map((c) => pad(c, 7, true))
          .join(' ')}`,
      );
    }
    lines.push('');
  }
  const valueRows = reports.flatMap((r) => r.values.map((row) => ({ scenario: r.scenario, row })));
  if (valueRows.length) {
    const metricWidth = Math.max(6, ...valueRows.map(({ row }) => row.metric.length));
    const scenarioWidth = Math.max(8, ...valueRows.map(({ scenario }) => scenario.length));
    const header = `${pad('scenario', scenarioWidth)}  ${pad('figure', metricWidth)}  value`;
    lines.push(header, '-'.repeat(header.length));
    for (const { scenario, row } of valueRows) {
      const shown =
        typeof row.value === 'number'
          ? Number.isInteger(row.value)
            ? String(row.value)
            : row.value.toFixed(2)
          : row.value;
      lines.push(
        `${pad(scenario, scenarioWidth)}  ${pad(row.metric, metricWidth)}  ${shown}${row.unit ? ` ${row.unit}` : ''}`,
      );
    }
    lines.push('');
  }
  for (const report of reports) {
    if (!report.notes.length && !report.errors.length) continue;
    lines.push(`${report.scenario} (${report.seconds.toFixed(1)} s):`);
    for (const note of report.notes) lines.push(`  - ${note}`);
    for (const error of report.errors) lines.push(`  ! ${error}`);
  }
  return lines.join('\n');
}
