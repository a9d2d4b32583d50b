import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode } from '../../domain/errors';
import type { Policy } from '../../domain/policy/schema';
import type { FindingsStore } from '../store/findings/store';
import type { InventoryStore } from '../store/inventory/store';
import { assessmentContext, assessPage, ASSESS_PAGE, findingsCatalogue } from './assess-run';

export interface FindingsActivityDeps {
  /** Absent on a worker without a database of findings (the demo): every snapshot is then not assessable. */
  inventory?: Pick<InventoryStore, 'viewStream' | 'runCatalogue'>;
  findings?: Pick<FindingsStore, 'begin' | 'write' | 'finish' | 'liveSuppressions'>;
  policy: () => Policy;
  now?: () => Date;
}

export interface AssessOutcome {
  runId: string;
  status: 'assessed' | 'already-assessed' | 'not-assessable';
  identities: number;
}

/** Where an assessment stands between pages: the last identity written. */
export interface AssessPosition {
  after?: string;
  identities: number;
}

/**
 * The findings of one snapshot: every identity streamed a page at a time through the pure assessment
 * (domain/findings), written once per page. `onPage` hears the position after each page; `resume` goes
 * on from one, so a retry continues from the last page written instead of starting over.
 */
export async function assessSnapshot(
  deps: FindingsActivityDeps,
  systemId: string,
  runId: string,
  progress: { resume?: AssessPosition; onPage?: (position: AssessPosition) => void } = {},
): Promise<AssessOutcome> {
  const policy = deps.policy();
  const system = policy.authorizationSystems.find((s) => s.id === systemId);
  if (!system)
    throw ApplicationFailure.create({
      type: ErrorCode.InventoryNotConfigured,
      message: `authorization system "${systemId}" is not in the policy file`,
      nonRetryable: true,
    });
  const { inventory, findings } = deps;
  if (!inventory || !findings) return { runId, status: 'not-assessable', identities: 0 };
  const begun = await findings.begin(runId);
  if (!begun) return { runId, status: 'not-assessable', identities: 0 };
  if (begun.status === 'succeeded') return { runId, status: 'already-assessed', identities: 0 };
  const stream = await inventory.viewStream(runId);
  if (!stream) return { runId, status: 'not-assessable', identities: 0 };
  const at = (deps.now ?? (() => new Date()))();
  const catalogue = await findingsCatalogue(system.cloud, () => inventory.runCatalogue(runId, system.cloud));
  const stored = await findings.liveSuppressions(at.toISOString(), systemId);
  const contextOf = assessmentContext(policy, system, catalogue, stored, at.toISOString());
  const position: AssessPosition = { ...progress.resume, identities: progress.resume?.identities ?? 0 };
  for (;;) {
    const views = await stream.page(position.after, ASSESS_PAGE);
    if (views.length === 0) break;
    await findings.write(begun.runKey, assessPage(views, contextOf));
    position.after = views[views.length - 1]!.identity.id;
    position.identities += views.length;
    progress.onPage?.({ ...position });
  }
  await findings.finish(begun.runKey, at.toISOString().slice(0, 10));
  return { runId, status: 'assessed', identities: position.identities };
}

export function createFindingsActivities(deps: FindingsActivityDeps) {
  return {
    /** Heartbeats its position, so a retry on another worker resumes from the last page written. */
    async assessFindings(systemId: string, runId: string): Promise<AssessOutcome> {
      const context = Context.current();
      const resume = context.info.heartbeatDetails as AssessPosition | undefined;
      return assessSnapshot(deps, systemId, runId, {
        ...(resume ? { resume } : {}),
        onPage: (position) => context.heartbeat(position),
      });
    },
  };
}
