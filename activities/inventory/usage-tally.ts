import type { InventorySink, UsageDay, UsageDetail } from '../../domain/inventory/model';

/**
 * One page's uses, added up per identity × action × day (uses and denied attempts apart) and per
 * identity × day for the detail anomaly detection reads later (hour of day, source addresses). The
 * Azure Activity Log and GCP audit log steps count through it; CloudTrail has its own, faster one.
 */
export class UsageTally {
  private readonly days = new Map<string, UsageDay>();
  private readonly details = new Map<string, UsageDetail>();

  constructor(private readonly systemId: string) {}

  /** One call of `action` by `identityId` at `at`: a use when `granted`, else an attempt. */
  add(identityId: string, action: string, at: Date, granted: boolean): void {
    const day = at.toISOString().slice(0, 10);
    const key = `${identityId}|${action.toLowerCase()}|${day}`;
    const row = this.days.get(key) ?? { systemId: this.systemId, identityId, action, day, count: 0, denied: 0 };
    if (granted) row.count += 1;
    else row.denied += 1;
    this.days.set(key, row);
  }

  /** When and from where the identity was active that day (once per event, however many actions it checked). */
  seen(identityId: string, at: Date, address: string | undefined): void {
    const day = at.toISOString().slice(0, 10);
    const key = `${identityId}|${day}`;
    const detail = this.details.get(key) ?? {
      systemId: this.systemId,
      identityId,
      day,
      hours: Array.from({ length: 24 }, () => 0),
      regions: [],
      addresses: [],
      newResources: [],
    };
    detail.hours[at.getUTCHours()]! += 1;
    if (address && !detail.addresses.includes(address)) detail.addresses.push(address);
    this.details.set(key, detail);
  }

  get rows(): number {
    return this.days.size;
  }

  /** Writes the page's rows under its chunk, so a repeated page adds nothing. */
  async writeTo(sink: InventorySink, chunk: string): Promise<void> {
    if (this.days.size > 0) await sink.usage([...this.days.values()], chunk);
    if (this.details.size > 0) await sink.usageDetail([...this.details.values()], chunk);
  }
}
