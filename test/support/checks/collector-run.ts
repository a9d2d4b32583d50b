import type { CollectContext, InventoryCollector } from '../../../activities/inventory/collector';
import type { InventorySink } from '../../../domain/inventory/model';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';

/**
 * Drives a collector the way the collect workflow does, without Temporal: page after page of a step
 * until it ends, into whatever sink the test records with.
 */

/** Runs one step to its end, page by page, as the collect workflow does; returns the pages' counts. */
export async function runStep(
  collector: InventoryCollector,
  system: AuthorizationSystem,
  step: string,
  context: Omit<CollectContext, 'heartbeat' | 'now' | 'runId'> & { runId?: string },
): Promise<{ pages: number; counts: Record<string, number>; cursors: (string | undefined)[] }> {
  let cursor: string | undefined;
  let pages = 0;
  const counts: Record<string, number> = {};
  const cursors: (string | undefined)[] = [];
  do {
    cursors.push(cursor);
    const page = await collector.collectPage(system, step, cursor, {
      runId: 'run-1',
      now: () => new Date(),
      heartbeat: () => undefined,
      ...context,
    });
    for (const [name, value] of Object.entries(page.counts)) counts[name] = (counts[name] ?? 0) + value;
    cursor = page.next;
    pages++;
    if (pages > 1000) throw new Error(`step ${step} never ended`);
  } while (cursor);
  return { pages, counts, cursors };
}

/** Runs every page of every step, as the collect workflow would; returns the counts added up and the pages per step. */
export async function collectAll(
  collector: InventoryCollector,
  system: AuthorizationSystem,
  context: CollectContext,
  steps = collector.steps(system),
): Promise<{ counts: Record<string, number>; pages: Record<string, number> }> {
  const counts: Record<string, number> = {};
  const pages: Record<string, number> = {};
  for (const step of steps) {
    const run = await runStep(collector, system, step, context);
    pages[step] = run.pages;
    for (const [name, value] of Object.entries(run.counts)) counts[name] = (counts[name] ?? 0) + value;
  }
  return { counts, pages };
}

export function collectContext(sink: InventorySink, policy: Policy, now = new Date(), runId = 'run-1'): CollectContext {
  return {
    runId,
    window: { from: new Date(now.getTime() - 90 * 86_400_000).toISOString(), to: now.toISOString() },
    policy,
    sink,
    now: () => now,
    heartbeat: () => {},
  };
}
