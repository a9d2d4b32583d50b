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

export interface PageUsageCounts {
  records: number;
  used: number;
  denied: number;
  outsideWindow: number;
  unattributed: number;
  malformed: number;
  unknownService: number;
}

export class UsageAggregator {
  private readonly days = new Map<string, { count: number; denied: number }>();
  private readonly details = new Map<string, Detail>();
  private readonly attributions = new Map<string, string[]>();
  private readonly actions = new Map<string, string>();
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
    const unknown = new Map<string, number>();
    for (const record of records) {
      this.counts.records++;
      const { eventName, eventSource, eventTime } = record;
      const time = typeof eventTime === 'string' ? Date.parse(eventTime) : NaN;
      if (typeof eventName !== 'string' || typeof eventSource !== 'string' || !eventName || Number.isNaN(time)) {
        malformed++;
        continue;
      }
      if (time < this.from || time > this.to) {
        this.counts.outsideWindow++;
        continue;
      }
      const identities = this.attribute(record);
      if (identities.length === 0) {
        this.counts.unattributed++;
        continue;
      }
      const action = this.actionOf(eventSource, eventName);
      const service = action.slice(0, action.indexOf(':'));
      if (!this.context.knownService(service)) {
        unknown.set(service, (unknown.get(service) ?? 0) + 1);
        continue;
      }
      if ((record as { eventCategory?: unknown }).eventCategory === 'Data') this.dataEventServices.add(service);
      const denied = typeof record.errorCode === 'string' && DENIED.has(record.errorCode);
      if (denied) this.counts.denied++;
      else this.counts.used++;
      const iso = new Date(time).toISOString();
      const day = iso.slice(0, 10);
      const hour = Number(iso.slice(11, 13));
      for (const identityId of identities) this.count(identityId, action, day, hour, denied, record);
    }
    this.counts.malformed += malformed;
    const skipped: SkippedItem[] = [];
    if (malformed) {
      skipped.push({
        reason: AwsSkipReason.CloudTrailRecordMalformed,
        item: key,
        detail: `${malformed} records without eventName, eventSource or a valid eventTime`,
      });
    }
    for (const [service, n] of unknown) {
      this.counts.unknownService += n;
      skipped.push({
        reason: AwsSkipReason.CloudTrailServiceUnknown,
        item: key,
        detail: `${n} records of "${service}"`,
      });
    }
    return skipped;
  }

  private actionOf(eventSource: string, eventName: string): string {
    const key = `${eventSource} ${eventName}`;
    let action = this.actions.get(key);
    if (action === undefined) {
      action = iamActionForEvent(eventSource, eventName);
      this.actions.set(key, action);
    }
    return action;
  }

  private count(
    identityId: string,
    action: string,
    day: string,
    hour: number,
    denied: boolean,
    record: TrailRecord,
  ): void {
    const dayKey = `${identityId}\u0000${action}\u0000${day}`;
    const row = this.days.get(dayKey);
    if (row) {
      if (denied) row.denied++;
      else row.count++;
    } else {
      this.days.set(dayKey, { count: denied ? 0 : 1, denied: denied ? 1 : 0 });
    }
    const detailKey = `${identityId}\u0000${day}`;
    let detail = this.details.get(detailKey);
    if (!detail) {
      detail = { hours: new Array<number>(24).fill(0), regions: new Set(), addresses: new Set(), resources: new Set() };
      this.details.set(detailKey, detail);
    }
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
  private attribute(record: TrailRecord): string[] {
    const who = record.userIdentity;
    const arn = who?.arn;
    if (typeof arn !== 'string') return [];
    const cached = this.attributions.get(arn);
    if (cached) return cached;
    const found = this.attributeUncached(who!, arn);
    this.attributions.set(arn, found);
    return found;
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
    const rows: UsageDay[] = [];
    for (const [key, { count, denied }] of this.days) {
      const [identityId, action, day] = key.split('\u0000') as [string, string, string];
      rows.push({ systemId: this.context.systemId, identityId, action, day, count, denied });
    }
    return rows;
  }

  usageDetail(): UsageDetail[] {
    const rows: UsageDetail[] = [];
    for (const [key, detail] of this.details) {
      const [identityId, day] = key.split('\u0000') as [string, string];
      rows.push({
        systemId: this.context.systemId,
        identityId,
        day,
        hours: detail.hours,
        regions: [...detail.regions].sort(),
        addresses: [...detail.addresses].sort(),
        newResources: [...detail.resources].sort(),
      });
    }
    return rows;
  }
}
