import type { AuthorizationSystem, GrantSpec, Policy } from '../../domain/policy/schema';
import type { InventorySink } from '../../domain/inventory/model';
import type { CloudPrincipal } from '../../domain/lease';

/**
 * The port every cloud's inventory collector implements. A collection is a fixed list of steps
 * (identities and grants, usage sources, …); each step is paged by an opaque cursor, so the `collect`
 * workflow runs one page per activity, survives a worker being killed between pages, and never holds a
 * large account in one history or one process. Everything a page finds goes to the sink under the run.
 */
export interface InventoryCollector {
  /** The steps for this system, in order, e.g. `['authorization', 'identity-center', 'usage:cloudtrail']`. */
  steps(system: AuthorizationSystem): string[];
  /**
   * One page of one step. Repeating a page with the same cursor must write nothing twice (the sink
   * ignores what the run already holds). Returns the next cursor, or none when the step is done.
   */
  collectPage(
    system: AuthorizationSystem,
    step: string,
    cursor: string | undefined,
    context: CollectContext,
  ): Promise<PageResult>;
  /**
   * The action catalogue's version for this run, recorded when the run begins and again when it
   * finishes (a catalogue read during the run, such as GCP's roles, is only known at the end).
   */
  catalogueVersion(system: AuthorizationSystem, runId: string): Promise<string>;
  /**
   * What one lease's principal did in the lease's window, per IAM action (denied attempts left out), from
   * the cloud's own logs; absent where this cloud's logs cannot say (right-size at revoke says so).
   */
  leaseUsage?(system: AuthorizationSystem, lease: LeaseUsageQuery, heartbeat: () => void): Promise<LeaseUsage>;
}

export interface LeaseUsageQuery {
  leaseId: string;
  grant: GrantSpec;
  principal: CloudPrincipal;
  window: { from: string; to: string };
}

/** Uses per action, or why the logs cannot tell. */
export type LeaseUsage = { counts: Map<string, number> } | { unavailable: string };

export interface CollectContext {
  runId: string;
  /** The usage window of this run (ISO times). */
  window: { from: string; to: string };
  policy: Policy;
  sink: InventorySink;
  now: () => Date;
  /** Called while a long page works, so Temporal knows the activity is alive. */
  heartbeat: (detail?: unknown) => void;
}

export interface PageResult {
  next?: string;
  /** What the page found, by name (`identities`, `documents`, `records`, `files`, …), added up on the run. */
  counts: Record<string, number>;
}
