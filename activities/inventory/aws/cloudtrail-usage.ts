import type { Identity, SkippedItem, UsageDay, UsageDetail } from '../../../domain/inventory/model';
import { iamActionForEvent } from '../../../domain/inventory/cloudtrail-actions';
import { AwsSkipReason } from './skip-reasons';

/**
 * Turns CloudTrail records into usage: who (attribution), which IAM action, which day; an AccessDenied
 * is an attempt, counted apart. Aggregated per page so a page writes identity × action × day rows, not
 * records.
 */

/** The error codes of a refused call: the action was attempted, not used. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'Client.UnauthorizedOperation',
  'Unauthorized',
]);

/** Session purposes Least's broker uses for its own work (activities/cloud/aws/broker.ts and this collector). */
const LEAST_PURPOSES = new Set(['reconcile', 'resolve', 'inventory']);
const LEAST_SESSION_PREFIX = 'least-';
const SSO_ROLE_PREFIX = 'AWSReservedSSO_';

/** Addresses and new resources kept per identity and day on one page: enough for anomalies, bounded. */
export const MAX_ADDRESSES = 20;
export const MAX_NEW_RESOURCES = 20;

export interface TrailRecord {
  eventTime?: unknown;
  eventSource?: unknown;
  eventName?: unknown;
  awsRegion?: unknown;
  sourceIPAddress?: unknown;
  errorCode?: unknown;
  /** `Data` for data events (S3 objects, Lambda invokes), `Management` otherwise. */
  eventCategory?: unknown;
  userIdentity?: {
    type?: unknown;
    arn?: unknown;
    accountId?: unknown;
    sessionContext?: { sessionIssuer?: { type?: unknown; arn?: unknown; userName?: unknown } };
  };
  resources?: { ARN?: unknown }[];
}

/** What the attribution needs to know about the system. */
export interface AttributionContext {
  systemId: string;
  accountId: string;
  brokerRoleArn: string;
  /** Identity Center user id for a session name, when the directory knows it (resolved before the file). */
  ssoUser(sessionName: string): string;
  /** Permission set ARN by name, when Identity Center is configured. */
  permissionSet(name: string): string | undefined;
  /** IAM service prefixes the catalogue knows. */
  knownService(service: string): boolean;
}

/** A lease's sessions count as the lease's own identity (kind `least-lease`), beside the broker role. */
export function leaseIdentityId(leaseId: string): string {
  return `least-lease:${leaseId}`;
}

/** The names of Identity Center sessions in these records, to resolve before attributing them. */
export function ssoSessionNames(records: TrailRecord[]): Set<string> {
  const names = new Set<string>();
  for (const record of records) {
    const issuer = record.userIdentity?.sessionContext?.sessionIssuer;
    if (typeof issuer?.arn !== 'string' || !issuer.arn.includes(`/${SSO_ROLE_PREFIX}`)) continue;
    const arn = record.userIdentity?.arn;
    if (typeof arn === 'string') names.add(arn.slice(arn.lastIndexOf('/') + 1));
  }
  return names;
}

interface Detail {
  hours: number[];
  regions: Set<string>;
  addresses: Set<string>;
  resources: Set<string>;
}

/** One identity × action × day row while the page is read. */
interface UsageCell {
  identityId: string;
  action: string;
  day: string;
  count: number;
  denied: number;
}

/** One identity's day: its actions and its detail. */
interface DayTally {
  actions: Map<string, UsageCell>;
  detail: Detail;
}

/** An identity records count for, with its days: found once per caller ARN, so a record builds no keys. */
interface IdentityTally {
  id: string;
  days: Map<string, DayTally>;
}

/** What an event source and name come to, worked out once per pair. */
interface EventAction {
  action: string;
  service: string;
  known: boolean;
  /** This page has already noted the service's data events. */
  dataSeen: boolean;
}

/** A UTC day of the window, with the epoch milliseconds of its midnight; `undefined` when not a date. */
interface KnownDay {
  day: string;
  start: number;
}

export interface PageUsageCounts {
  records: number;
  used: number;
  denied: number;
  outsideWindow: number;
  unattributed: number;
  malformed: number;
  unknownService: number;
}

const HOUR_MS = 3_600_000;

/**
 * Reads a CloudTrail `eventTime` into `time` (epoch ms), `day` and `hour`, as `Date.parse` and
 * `toISOString` would. CloudTrail writes `YYYY-MM-DDTHH:MM:SSZ`: those are read from their digits, with
 * each day's midnight worked out once; any other shape goes through `Date`.
 */
class EventClock {
  time = Number.NaN;
  day = '';
  hour = 0;
  private readonly days = new Map<string, KnownDay | null>();

  read(eventTime: unknown): boolean {
    if (typeof eventTime !== 'string') return this.invalid();
    if (this.readCanonical(eventTime)) return true;
    const time = Date.parse(eventTime);
    if (Number.isNaN(time)) return this.invalid();
    const iso = new Date(time).toISOString();
    this.time = time;
    this.day = iso.slice(0, 10);
    this.hour = Number(iso.slice(11, 13));
    return true;
  }

  private readCanonical(text: string): boolean {
    const length = text.length;
    let millis = 0;
    if (length === 24) {
      if (text.charCodeAt(19) !== 46 /* . */) return false;
      const ms = digits(text, 20, 3);
      if (ms < 0) return false;
      millis = ms;
    } else if (length !== 20) {
      return false;
    }
    if (
      text.charCodeAt(length - 1) !== 90 /* Z */ ||
      text.charCodeAt(10) !== 84 /* T */ ||
      text.charCodeAt(13) !== 58 /* : */ ||
      text.charCodeAt(16) !== 58
    )
      return false;
    const hour = digits(text, 11, 2);
    const minute = digits(text, 14, 2);
    const second = digits(text, 17, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
    const known = this.dayOf(text.slice(0, 10));
    if (!known) return false;
    this.time = known.start + hour * HOUR_MS + minute * 60_000 + second * 1000 + millis;
    this.day = known.day;
    this.hour = hour;
    return true;
  }

  private dayOf(day: string): KnownDay | null {
    let known = this.days.get(day);
    if (known === undefined) {
      const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
      // a day Date would not read back as itself (2026-02-30) takes the slow path, as before
      known = !Number.isNaN(start) && new Date(start).toISOString().slice(0, 10) === day ? { day, start } : null;
      this.days.set(day, known);
    }
    return known;
  }

  private invalid(): false {
    this.time = Number.NaN;
    return false;
  }
}

/** The number in `count` decimal digits from `at`, or -1. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

export class UsageAggregator {
  /** Rows in the order first met, as the page writes them. */
  private readonly cells: UsageCell[] = [];
  private readonly details: { identityId: string; day: string; detail: Detail }[] = [];
  private readonly attributions = new Map<string, IdentityTally[]>();
  private readonly tallies = new Map<string, IdentityTally>();
  private readonly actions = new Map<string, Map<string, EventAction>>();
  private readonly clock = new EventClock();
  private readonly extraIdentities = new Map<string, Identity>();
  /** Services whose data events (S3 objects, Lambda invokes, …) this page saw: the trail records them. */
  readonly dataEventServices = new Set<string>();
  readonly counts: PageUsageCounts = {
    records: 0,
    used: 0,
    denied: 0,
    outsideWindow: 0,
    unattributed: 0,
    malformed: 0,
    unknownService: 0,
  };
  private readonly from: number;
  private readonly to: number;

  constructor(
    private readonly context: AttributionContext,
    window: { from: string; to: string },
  ) {
    this.from = Date.parse(window.from);
    this.to = Date.parse(window.to);
  }

  /** Adds one file's records; what cannot be read is summarised per file and reason, never per record. */
  addFile(key: string, records: TrailRecord[]): SkippedItem[] {
    let malformed = 0;
    let unknown: Map<string, number> | undefined;
    const { clock, counts } = this;
    for (let r = 0; r < records.length; r++) {
      const record = records[r]!;
      counts.records++;
      const { eventName, eventSource } = record;
      const timed = clock.read(record.eventTime);
      if (typeof eventName !== 'string' || typeof eventSource !== 'string' || !eventName || !timed) {
        malformed++;
        continue;
      }
      const time = clock.time;
      if (time < this.from || time > this.to) {
        counts.outsideWindow++;
        continue;
      }
      const identities = this.attribute(record);
      if (identities.length === 0) {
        counts.unattributed++;
        continue;
      }
      const event = this.actionOf(eventSource, eventName);
      if (!event.known) {
        unknown ??= new Map();
        unknown.set(event.service, (unknown.get(event.service) ?? 0) + 1);
        continue;
      }
      if (!event.dataSeen && record.eventCategory === 'Data') {
        event.dataSeen = true;
        this.dataEventServices.add(event.service);
      }
      const denied = typeof record.errorCode === 'string' && DENIED.has(record.errorCode);
      if (denied) counts.denied++;
      else counts.used++;
      for (let i = 0; i < identities.length; i++)
        this.count(identities[i]!, event.action, clock.day, clock.hour, denied, record);
    }
    counts.malformed += malformed;
    const skipped: SkippedItem[] = [];
    if (malformed) {
      skipped.push({
        reason: AwsSkipReason.CloudTrailRecordMalformed,
        item: key,
        detail: `${malformed} records without eventName, eventSource or a valid eventTime`,
      });
    }
    for (const [service, n] of unknown ?? []) {
      counts.unknownService += n;
      skipped.push({
        reason: AwsSkipReason.CloudTrailServiceUnknown,
        item: key,
        detail: `${n} records of "${service}"`,
      });
    }
    return skipped;
  }

  private actionOf(eventSource: string, eventName: string): EventAction {
    let byName = this.actions.get(eventSource);
    if (!byName) {
      byName = new Map();
      this.actions.set(eventSource, byName);
    }
    let event = byName.get(eventName);
    if (!event) {
      const action = iamActionForEvent(eventSource, eventName);
      const service = action.slice(0, action.indexOf(':'));
      event = { action, service, known: this.context.knownService(service), dataSeen: false };
      byName.set(eventName, event);
    }
    return event;
  }

  private count(
    identity: IdentityTally,
    action: string,
    day: string,
    hour: number,
    denied: boolean,
    record: TrailRecord,
  ): void {
    let tally = identity.days.get(day);
    if (!tally) {
      const detail: Detail = {
        hours: new Array<number>(24).fill(0),
        regions: new Set(),
        addresses: new Set(),
        resources: new Set(),
      };
      tally = { actions: new Map(), detail };
      identity.days.set(day, tally);
      this.details.push({ identityId: identity.id, day, detail });
    }
    let cell = tally.actions.get(action);
    if (!cell) {
      cell = { identityId: identity.id, action, day, count: 0, denied: 0 };
      tally.actions.set(action, cell);
      this.cells.push(cell);
    }
    if (denied) cell.denied++;
    else cell.count++;
    const { detail } = tally;
    detail.hours[hour]!++;
    if (typeof record.awsRegion === 'string') detail.regions.add(record.awsRegion);
    if (typeof record.sourceIPAddress === 'string' && detail.addresses.size < MAX_ADDRESSES)
      detail.addresses.add(record.sourceIPAddress);
    if (!denied && Array.isArray(record.resources)) {
      for (const resource of record.resources) {
        if (detail.resources.size >= MAX_NEW_RESOURCES) break;
        if (typeof resource?.ARN === 'string') detail.resources.add(resource.ARN);
      }
    }
  }

  /** The identities a record counts for; cached by the caller's ARN, which names the session. */
  private attribute(record: TrailRecord): IdentityTally[] {
    const who = record.userIdentity;
    const arn = who?.arn;
    if (typeof arn !== 'string') return NOBODY;
    const cached = this.attributions.get(arn);
    if (cached) return cached;
    const found = this.attributeUncached(who!, arn).map((id) => this.tallyOf(id));
    this.attributions.set(arn, found);
    return found;
  }

  /** One tally per identity, however many ARNs (sessions) lead to it. */
  private tallyOf(id: string): IdentityTally {
    let tally = this.tallies.get(id);
    if (!tally) {
      tally = { id, days: new Map() };
      this.tallies.set(id, tally);
    }
    return tally;
  }

  private attributeUncached(who: NonNullable<TrailRecord['userIdentity']>, arn: string): string[] {
    const ours = (candidate: string): boolean => candidate.split(':')[4] === this.context.accountId;
    if (who.type === 'IAMUser') return ours(arn) ? [arn] : [];
    if (who.type !== 'AssumedRole') return [];
    const issuer = who.sessionContext?.sessionIssuer?.arn;
    if (typeof issuer !== 'string' || !ours(issuer)) return [];
    const session = arn.slice(arn.lastIndexOf('/') + 1);
    const roleName = issuer.slice(issuer.lastIndexOf('/') + 1);
    const identities = [issuer];
    if (roleName.startsWith(SSO_ROLE_PREFIX)) {
      // AWSReservedSSO_<permission set>_<hash>: the session is the directory user's name
      identities.push(this.context.ssoUser(session));
      const permissionSet = this.context.permissionSet(
        roleName.slice(SSO_ROLE_PREFIX.length, roleName.lastIndexOf('_')),
      );
      if (permissionSet) identities.push(permissionSet);
    } else if (issuer === this.context.brokerRoleArn && session.startsWith(LEAST_SESSION_PREFIX)) {
      const purpose = session.slice(LEAST_SESSION_PREFIX.length);
      if (!LEAST_PURPOSES.has(purpose)) {
        const id = leaseIdentityId(purpose);
        identities.push(id);
        this.extraIdentities.set(id, {
          systemId: this.context.systemId,
          id,
          kind: 'least-lease',
          name: purpose,
          nature: 'workload',
          tags: {},
          parentId: issuer,
        });
      }
    }
    return identities;
  }

  /** Identities only CloudTrail reveals (Least's leases); the other steps list the rest. */
  identities(): Identity[] {
    return [...this.extraIdentities.values()];
  }

  usage(): UsageDay[] {
    const { systemId } = this.context;
    return this.cells.map(({ identityId, action, day, count, denied }) => ({
      systemId,
      identityId,
      action,
      day,
      count,
      denied,
    }));
  }

  usageDetail(): UsageDetail[] {
    const { systemId } = this.context;
    return this.details.map(({ identityId, day, detail }) => ({
      systemId,
      identityId,
      day,
      hours: detail.hours,
      regions: [...detail.regions].sort(),
      addresses: [...detail.addresses].sort(),
      newResources: [...detail.resources].sort(),
    }));
  }
}

const NOBODY: IdentityTally[] = [];
