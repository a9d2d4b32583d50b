import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode } from '../../domain/errors';
import type { IdentityAssessment } from '../../domain/findings/model';
import type { Policy } from '../../domain/policy/schema';
import type { FindingsStore } from '../store/findings/store';
import type { InventoryStore } from '../store/inventory/store';
import { BulkAssessor } from '../../domain/findings/bulk';
import { assessmentContext, assessSharedPage, ASSESS_PAGE, findingsCatalogue } from './assess-run';

/** Identities assessed between two turns of the event loop. */
const ASSESS_SLICE = 100;

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
  const bulk = new BulkAssessor();
  // Three pages at most in hand: the next one read while this one is assessed, the last one being written.
  // Writes go one at a time in page order, and the position moves only once a page is written.
  let next = settled(stream.sharedPage(position.after, ASSESS_PAGE));
  let writing: Promise<void> | undefined;
  try {
    for (;;) {
      const views = await next;
      if (views.length === 0) break;
      const after = views[views.length - 1]!.identity.id;
      // a short page is the last one
      next = settled(views.length < ASSESS_PAGE ? Promise.resolve([]) : stream.sharedPage(after, ASSESS_PAGE));
      // in slices, letting I/O in between: the next page's queries and the last page's write go on
      const assessments: IdentityAssessment[] = [];
      for (let from = 0; from < views.length; from += ASSESS_SLICE) {
        if (from > 0) await new Promise((resolve) => setImmediate(resolve));
        assessments.push(...assessSharedPage(views.slice(from, from + ASSESS_SLICE), contextOf, bulk));
      }
      await writing;
      writing = settled(
        findings.write(begun.runKey, assessments).then(() => {
          position.after = after;
          position.identities += views.length;
          progress.onPage?.({ ...position });
        }),
      );
    }
  } catch (error) {
    // nothing left running behind a failure: the page being written finishes (or fails) first
    await writing?.catch(() => undefined);
    throw error;
  }
  await writing;
  await findings.finish(begun.runKey, at.toISOString().slice(0, 10));
  return { runId, status: 'assessed', identities: position.identities };
}

/** The promise, with a handler attached at once: a failure waits for its await instead of going unhandled. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
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
