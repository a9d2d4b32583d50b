import type { AnomalyPolicy } from '../policy/anomalies';
import type { Anomaly, AnomalyKind, AnomalySeverity } from './model';
import { median, medianAbsoluteDeviation, robustScore } from './statistics';

/**
 * Anomaly detection per identity against its own history (issue 14, item 4). Pure: given one identity's
 * daily usage and detail and the days to judge, the anomalies of those days, most severe first. A day
 * is judged only against the days before it, and only once the identity has `minHistoryDays` days with
 * usage before it: a new identity's every action is not a first time.
 */

/** Uses of one action on one UTC day. */
export interface ActionCount {
  action: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  count: number;
}

/** When and from where an identity worked on one UTC day (inventory_usage_detail). */
export interface DayDetail {
  day: string;
  /** 24 counts, index = UTC hour. */
  hours: readonly number[];
  regions: readonly string[];
  addresses: readonly string[];
  newResources: readonly string[];
}

export interface IdentityHistory {
  systemId: string;
  identityId: string;
  identityName: string;
  usage: readonly ActionCount[];
  detail: readonly DayDetail[];
}

const SEVERITY_RANK: Record<AnomalySeverity, number> = { high: 3, medium: 2, low: 1 };
/** Characters of a subject quoted in an explanation. */
const SUBJECT_CHARS = 200;
/** Actions named in a first-use explanation. */
const ACTIONS_NAMED = 3;

/** Most severe first, then the highest score; ties broken by identity, day, kind and subject, so output is stable. */
export function compareAnomalies(a: Anomaly, b: Anomaly): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.score ?? 0) - (a.score ?? 0) ||
    text(a.identityId, b.identityId) ||
    text(a.day, b.day) ||
    text(a.kind, b.kind) ||
    text(a.subject, b.subject)
  );
}

/** The service an action belongs to: `s3` of `s3:GetObject`, `Microsoft.Compute` of an Azure operation, `storage` of `storage.objects.get`. */
export function serviceOf(action: string): string {
  const colon = action.indexOf(':');
  if (colon > 0) return action.slice(0, colon).toLowerCase();
  const slash = action.indexOf('/');
  if (slash > 0) return action.slice(0, slash);
  const dot = action.indexOf('.');
  return dot > 0 ? action.slice(0, dot) : action;
}

/** The anomalies of `days` (UTC `YYYY-MM-DD`), capped at the policy's `maxPerIdentity`, most severe first. */
export function detectAnomalies(history: IdentityHistory, days: readonly string[], policy: AnomalyPolicy): Anomaly[] {
  if (!policy.enabled) return [];
  const off = new Set<AnomalyKind>(policy.kinds);
  const facts = new HistoryFacts(history);
  const found: Anomaly[] = [];
  for (const day of [...new Set(days)].sort()) {
    const judge = new DayJudge(history, facts, day, policy);
    if (!judge.judgeable) continue;
    found.push(...judge.all().filter((a) => !off.has(a.kind)));
  }
  return found.sort(compareAnomalies).slice(0, policy.maxPerIdentity);
}

/** What the whole history says once, whatever number of days are judged. */
class HistoryFacts {
  /** Days with usage (a count above zero), ascending. */
  readonly usageDays: string[];
  /** Days with hourly activity in the detail, ascending. */
  readonly detailDays: string[];
  readonly byDay = new Map<string, ActionCount[]>();
  readonly byAction = new Map<string, ActionCount[]>();
  readonly detailByDay = new Map<string, DayDetail>();
  /** The first day each service was used. */
  readonly serviceFirstDay = new Map<string, string>();

  constructor(history: IdentityHistory) {
    for (const row of history.usage) {
      if (!(row.count > 0)) continue;
      push(this.byDay, row.day, row);
      push(this.byAction, row.action, row);
      const service = serviceOf(row.action);
      const first = this.serviceFirstDay.get(service);
      if (first === undefined || row.day < first) this.serviceFirstDay.set(service, row.day);
    }
    this.usageDays = [...this.byDay.keys()].sort();
    for (const detail of history.detail) if (sum(detail.hours) > 0) this.detailByDay.set(detail.day, detail);
    this.detailDays = [...this.detailByDay.keys()].sort();
  }

  /** How many of `list`'s days fall before `day` (the list is ascending). */
  before(list: readonly string[], day: string): number {
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (list[middle]! < day) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** One day judged against the days before it. */
class DayJudge {
  private readonly priorUsageDays: number;
  private readonly priorDetail: DayDetail[];

  constructor(
    private readonly history: IdentityHistory,
    private readonly facts: HistoryFacts,
    private readonly day: string,
    private readonly policy: AnomalyPolicy,
  ) {
    this.priorUsageDays = facts.before(facts.usageDays, day);
    this.priorDetail = facts.detailDays
      .slice(0, facts.before(facts.detailDays, day))
      .map((d) => facts.detailByDay.get(d)!);
  }

  get judgeable(): boolean {
    return this.priorUsageDays >= this.policy.minHistoryDays;
  }

  all(): Anomaly[] {
    const detailKnown = this.priorDetail.length >= this.policy.minHistoryDays;
    return [
      ...this.firstServices(),
      ...this.volumes(),
      ...(this.priorDetail.length >= this.policy.hours.minHistoryDays ? this.unusualHours() : []),
      ...(detailKnown ? this.newPlaces() : []),
    ];
  }

  private anomaly(
    kind: AnomalyKind,
    subject: string,
    fields: Omit<Anomaly, 'systemId' | 'identityId' | 'identityName' | 'day' | 'kind' | 'subject'>,
  ): Anomaly {
    const { systemId, identityId, identityName } = this.history;
    return { systemId, identityId, identityName, day: this.day, kind, subject, ...fields };
  }

  /** Services whose first use is this day. */
  private firstServices(): Anomaly[] {
    const today = this.facts.byDay.get(this.day) ?? [];
    const services = new Map<string, ActionCount[]>();
    for (const row of today) {
      const service = serviceOf(row.action);
      if (this.facts.serviceFirstDay.get(service) === this.day) push(services, service, row);
    }
    return [...services].map(([service, rows]) => {
      const observed = rows.reduce((total, row) => total + row.count, 0);
      const named = [...rows].sort((a, b) => b.count - a.count || text(a.action, b.action));
      const shown = named.slice(0, ACTIONS_NAMED).map((r) => `${actionName(r.action, service)} ×${count(r.count)}`);
      const more = named.length > ACTIONS_NAMED ? `, +${named.length - ACTIONS_NAMED} more` : '';
      return this.anomaly('first-service', service, {
        observed,
        score: observed,
        severity: 'medium',
        explanation: `first use of ${clip(service)} (${shown.join(', ')}${more}) on ${this.day}`,
      });
    });
  }

  /** Actions used far more than on their usual day of use. */
  private volumes(): Anomaly[] {
    const { minCount, minDays, madThreshold, madFloorRatio } = this.policy.volume;
    const found: Anomaly[] = [];
    for (const row of this.facts.byDay.get(this.day) ?? []) {
      if (row.count < minCount) continue;
      const prior = (this.facts.byAction.get(row.action) ?? []).filter((r) => r.day < this.day).map((r) => r.count);
      if (prior.length < minDays) continue;
      const centre = median(prior);
      const mad = medianAbsoluteDeviation(prior, centre);
      const score = robustScore(row.count, centre, mad, madFloorRatio);
      if (score < madThreshold) continue;
      found.push(
        this.anomaly('volume', row.action, {
          observed: row.count,
          baseline: centre,
          score: Math.round(score * 10) / 10,
          severity: score >= 3 * madThreshold ? 'high' : 'medium',
          explanation: `${clip(row.action)} ×${count(row.count)} on ${this.day}; its median is ${count(centre)} (MAD ${count(mad)}) over ${prior.length} days of use`,
        }),
      );
    }
    return found;
  }

  /** Stretches of hours this day that no day before it ever worked. */
  private unusualHours(): Anomaly[] {
    const today = this.facts.detailByDay.get(this.day);
    if (!today) return [];
    const worked = new Array<boolean>(24).fill(false);
    for (const detail of this.priorDetail) detail.hours.forEach((n, hour) => (worked[hour] ||= n > 0));
    if (worked.every(Boolean)) return [];
    const found: Anomaly[] = [];
    for (let hour = 0; hour < 24; hour++) {
      if (!((today.hours[hour] ?? 0) > 0) || worked[hour]) continue;
      let end = hour;
      let calls = 0;
      while (end < 24 && (today.hours[end] ?? 0) > 0 && !worked[end]) calls += today.hours[end++] ?? 0;
      const quiet = quietStretch(worked, hour);
      if (quiet.length >= this.policy.hours.minQuietHours)
        found.push(
          this.anomaly('unusual-hour', clock(hour), {
            observed: calls,
            baseline: 0,
            score: calls,
            severity: calls <= 2 ? 'low' : 'medium',
            explanation: `active at ${clock(hour)}–${clock(end)} UTC on ${this.day} (${count(calls)} calls); in ${this.priorDetail.length} days it never worked ${clock(quiet.from)}–${clock((quiet.from + quiet.length) % 24)}`,
          }),
        );
      hour = end;
    }
    return found;
  }

  /** Regions, addresses and resources this day that no day before it saw. */
  private newPlaces(): Anomaly[] {
    const today = this.facts.detailByDay.get(this.day);
    if (!today) return [];
    const seen = { regions: new Set<string>(), addresses: new Set<string>(), newResources: new Set<string>() };
    for (const detail of this.priorDetail) {
      for (const r of detail.regions) seen.regions.add(r);
      for (const a of detail.addresses) seen.addresses.add(a);
      for (const r of detail.newResources) seen.newResources.add(r);
    }
    const fresh = (list: readonly string[], known: Set<string>) =>
      [...new Set(list)].filter((x) => x && !known.has(x)).sort();
    const known = (set: Set<string>) => [...set].sort().slice(0, 3).map(clip).join(', ') + (set.size > 3 ? ', …' : '');
    return [
      ...fresh(today.regions, seen.regions).map((region) =>
        this.anomaly('new-region', region, {
          observed: 1,
          severity: 'medium',
          explanation: `new source region ${clip(region)} on ${this.day}; before: ${known(seen.regions) || 'none'}`,
        }),
      ),
      ...fresh(today.addresses, seen.addresses).map((address) =>
        this.anomaly('new-address', address, {
          observed: 1,
          severity: 'low',
          explanation: `new source address ${clip(address)} on ${this.day}`,
        }),
      ),
      ...fresh(today.newResources, seen.newResources).map((resource) =>
        this.anomaly('first-resource', resource, {
          observed: 1,
          severity: 'low',
          explanation: `first use of resource ${clip(resource)} on ${this.day}`,
        }),
      ),
    ];
  }
}

/** The never-worked hours around `hour`, going round midnight: where the stretch starts and how long it is. */
function quietStretch(worked: readonly boolean[], hour: number): { from: number; length: number } {
  let from = hour;
  let length = 1;
  while (length < 24 && !worked[(from + 23) % 24]) {
    from = (from + 23) % 24;
    length++;
  }
  while (length < 24 && !worked[(from + length) % 24]) length++;
  return { from, length };
}

function actionName(action: string, service: string): string {
  const colon = action.indexOf(':');
  return clip(colon > 0 && action.slice(0, colon).toLowerCase() === service ? action.slice(colon + 1) : action);
}

function clock(hour: number): string {
  return `${String(hour % 24 === 0 && hour > 0 ? 24 : hour).padStart(2, '0')}:00`;
}

/** `4,120`; a fractional median keeps one decimal. No locale: the same words on every machine. */
export function count(n: number): string {
  const rounded = Math.round(n * 10) / 10;
  const [whole, fraction] = String(Math.abs(rounded)).split('.');
  const grouped = (whole ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${rounded < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

function clip(value: string): string {
  return value.length > SUBJECT_CHARS ? `${value.slice(0, SUBJECT_CHARS - 1)}…` : value;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, n) => total + (n > 0 ? n : 0), 0);
}

function text(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
