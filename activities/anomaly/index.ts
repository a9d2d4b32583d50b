import { Context } from '@temporalio/activity';
import { compareAnomalies, detectAnomalies, type IdentityHistory } from '../../domain/anomaly/detect';
import type { Anomaly } from '../../domain/anomaly/model';
import { suppressionOf, type AnomalySuppression } from '../../domain/anomaly/suppress';
import type { Policy } from '../../domain/policy/schema';
import type { AnomalyStore, ScannedAnomaly, ScanStart } from '../store/anomaly/store';

/** Identities read and judged per page. */
export const SCAN_PAGE = 500;
/** New anomalies a scan hands back (for alerts), most severe first. */
export const NEW_ANOMALIES_RETURNED = 50;
const DAY_MS = 86_400_000;

export interface AnomalyActivityDeps {
  /** Absent on a worker without a database (the demo): no snapshot can be scanned. */
  store?: Pick<
    AnomalyStore,
    | 'beginScan'
    | 'histories'
    | 'write'
    | 'finishScan'
    | 'firstSeenIn'
    | 'countFirstSeen'
    | 'liveSuppressions'
    | 'forPeriod'
  >;
  policy: () => Policy;
  now?: () => Date;
}

export interface AnomalyScanOutcome {
  runId: string;
  status: 'scanned' | 'already-scanned' | 'not-scannable' | 'disabled';
  /** Identities whose history was read and judged. */
  judged: number;
  /** Anomalies found on the judged days, after the caps (suppressed ones included). */
  found: number;
  /** At most NEW_ANOMALIES_RETURNED: first seen by this scan and not suppressed, most severe first. */
  newAnomalies: Anomaly[];
  /** The days judged, inclusive (absent when none were). */
  days?: { from: string; to: string };
}

/**
 * The days a scan judges: the newest `judgeDays` days of the run's window, starting no earlier than the
 * last day the system's previous scan judged. That day is judged again because the previous collection
 * saw only part of it; what was found then is not stored or told twice (one row per anomaly).
 */
export function daysToJudge(
  start: Pick<ScanStart, 'windowFrom' | 'windowTo' | 'previousJudgedTo'>,
  judgeDays: number,
): string[] {
  // A window ending at midnight has seen nothing of its last day.
  const last = Date.parse(start.windowTo) - 1;
  const first = Math.max(
    last - (judgeDays - 1) * DAY_MS,
    Date.parse(start.windowFrom),
    start.previousJudgedTo !== undefined ? Date.parse(`${start.previousJudgedTo}T00:00:00.000Z`) : -Infinity,
  );
  const days: string[] = [];
  for (let at = Date.parse(new Date(first).toISOString().slice(0, 10)); at <= last; at += DAY_MS)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/**
 * Scans one collection run: every identity with usage, a page at a time, judged against its own history
 * in the run (domain/anomaly), capped per identity and per run, then stored once and the new ones
 * handed back. `onPage` hears how many identities have been read; a retry starts over and stores nothing twice.
 */
export async function scanRun(
  deps: AnomalyActivityDeps,
  systemId: string,
  runId: string,
  onPage: (identities: number) => void = () => undefined,
): Promise<AnomalyScanOutcome> {
  const policy = deps.policy().anomalies;
  const { store } = deps;
  if (!store) return { runId, status: 'not-scannable', judged: 0, found: 0, newAnomalies: [] };
  if (!policy.enabled) return { runId, status: 'disabled', judged: 0, found: 0, newAnomalies: [] };
  const start = await store.beginScan(runId);
  // a run of another system is not this scan's to judge (nor to mark as scanned)
  if (!start || start.systemId !== systemId)
    return { runId, status: 'not-scannable', judged: 0, found: 0, newAnomalies: [] };
  if (start.status === 'succeeded') {
    const newAnomalies = (await store.firstSeenIn(runId, NEW_ANOMALIES_RETURNED)).map(plain);
    return { runId, status: 'already-scanned', judged: 0, found: await store.countFirstSeen(runId), newAnomalies };
  }
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const suppressions: AnomalySuppression[] = [
    ...policy.suppressions,
    ...(await store.liveSuppressions(at, start.systemId)),
  ];
  const days = daysToJudge(start, policy.judgeDays);
  const kept = new MostSevere(policy.maxPerRun);
  let judged = 0;
  if (days.length > 0) {
    let next = settled(store.histories(start, undefined, SCAN_PAGE));
    for (;;) {
      const page: IdentityHistory[] = await next;
      if (page.length === 0) break;
      next = settled(
        page.length < SCAN_PAGE
          ? Promise.resolve([])
          : store.histories(start, page[page.length - 1]!.identityId, SCAN_PAGE),
      );
      for (const history of page) kept.add(detectAnomalies(history, days, policy));
      judged += page.length;
      onPage(judged);
    }
  }
  const found: ScannedAnomaly[] = kept.list().map((anomaly) => {
    const suppression = suppressionOf(anomaly, suppressions, at);
    return suppression ? { ...anomaly, suppression } : anomaly;
  });
  await store.write(runId, found);
  await store.finishScan(runId, {
    ...(days.length > 0 ? { judgedFrom: days[0]!, judgedTo: days[days.length - 1]! } : {}),
    identities: judged,
    found: found.length,
  });
  const newAnomalies = (await store.firstSeenIn(runId, NEW_ANOMALIES_RETURNED)).map(plain);
  return {
    runId,
    status: 'scanned',
    judged,
    found: found.length,
    newAnomalies,
    ...(days.length > 0 ? { days: { from: days[0]!, to: days[days.length - 1]! } } : {}),
  };
}

/** The `limit` most severe anomalies seen so far, in bounded memory however many identities are judged. */
class MostSevere {
  private held: Anomaly[] = [];

  constructor(private readonly limit: number) {}

  add(anomalies: readonly Anomaly[]): void {
    this.held.push(...anomalies);
    if (this.held.length > 2 * this.limit) this.held = this.held.sort(compareAnomalies).slice(0, this.limit);
  }

  list(): Anomaly[] {
    return this.held.sort(compareAnomalies).slice(0, this.limit);
  }
}

/** The anomaly alone, without what the store adds: small in the workflow's history. */
function plain(anomaly: Anomaly): Anomaly {
  const { systemId, identityId, identityName, day, kind, subject, observed, baseline, score, severity, explanation } =
    anomaly;
  return {
    systemId,
    identityId,
    identityName,
    day,
    kind,
    subject,
    observed,
    ...(baseline !== undefined ? { baseline } : {}),
    ...(score !== undefined ? { score } : {}),
    severity,
    explanation,
  };
}

/** The promise, with a handler attached at once: a failure waits for its await instead of going unhandled. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export function createAnomalyActivities(deps: AnomalyActivityDeps) {
  return {
    /** Heartbeats the identities read, so a stuck scan is noticed; a retry starts over and stores nothing twice. */
    async scanAnomalies(systemId: string, runId: string): Promise<AnomalyScanOutcome> {
      const context = Context.current();
      const outcome = await scanRun(deps, systemId, runId, (identities) => context.heartbeat({ systemId, identities }));
      return outcome;
    },
  };
}
