import {
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  type IAMClient,
  ListRolesCommand,
  ListUsersCommand,
  type ServiceLastAccessed,
} from '@aws-sdk/client-iam';
import type { Coverage, SkippedItem, UsageDay } from '../../../domain/inventory/model';
import type { AwsSystem } from '../../cloud/aws/errors';
import { isNoSuchEntity } from '../../cloud/aws/errors';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `usage:access-advisor` step: IAM's own record of when each role and user last used each service
 * (and, for the actions it tracks, each action), over its 400-day tracking period. One ListRoles or
 * ListUsers page per activity; a report job per identity, polled until it completes.
 *
 * What it writes, conservatively:
 * - a tracked action last used inside the window → one UsageDay on that day, count 1 ("used, last
 *   on this day"; Access Advisor gives no counts);
 * - coverage at `service` granularity for the services the identity was granted but did not use in the
 *   window: those are known unused. Services it used vouch for nothing (the use may have been any
 *   action), and no `action` coverage is claimed, because each service tracks only some of its actions.
 */

const TRACKING_PERIOD_MS = 400 * 86_400_000;
type Kind = 'roles' | 'users';

export interface AdvisorPolling {
  delayMs: number;
  /** Give up on a job after this many polls (the page is retried later). */
  attempts: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_ADVISOR_POLLING: AdvisorPolling = {
  delayMs: 1_000,
  attempts: 120,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface AccessAdvisorPage {
  usage: UsageDay[];
  coverage: Coverage[];
  skipped: SkippedItem[];
  counts: Record<string, number>;
  next?: string;
}

export async function accessAdvisorPage(
  iam: IAMClient,
  system: AwsSystem,
  window: { from: string; to: string },
  cursor: string | undefined,
  options: { pageSize: number; polling: AdvisorPolling; heartbeat: () => void },
): Promise<AccessAdvisorPage> {
  const at = cursor?.indexOf(':') ?? -1;
  const kind: Kind = cursor ? ((at < 0 ? cursor : cursor.slice(0, at)) as Kind) : 'roles';
  const marker = cursor && at >= 0 ? cursor.slice(at + 1) : undefined;
  const listed =
    kind === 'roles'
      ? await iam.send(new ListRolesCommand({ Marker: marker, MaxItems: options.pageSize }))
      : await iam.send(new ListUsersCommand({ Marker: marker, MaxItems: options.pageSize }));
  const arns = ('Roles' in listed ? listed.Roles : listed.Users)?.flatMap((entity) => entity.Arn ?? []) ?? [];

  const page: AccessAdvisorPage = { usage: [], coverage: [], skipped: [], counts: { 'accessAdvisor.identities': 0 } };
  // jobs run on AWS's side: start them all, then wait for them together
  const jobs = await Promise.all(arns.map((arn) => startJob(iam, arn, page.skipped)));
  await Promise.all(
    jobs.map(async (job) => {
      if (!job) return;
      const report = await awaitJob(iam, job.jobId, options.polling, options.heartbeat);
      if ('failed' in report) {
        page.skipped.push({ reason: AwsSkipReason.AccessAdvisorFailed, item: job.arn, detail: report.failed });
        return;
      }
      page.counts['accessAdvisor.identities']!++;
      reportUsage(system, job.arn, window, report, page);
    }),
  );

  const more = listed.IsTruncated ? listed.Marker : undefined;
  page.next = more ? `${kind}:${more}` : kind === 'roles' ? 'users' : undefined;
  return page;
}

async function startJob(
  iam: IAMClient,
  arn: string,
  skipped: SkippedItem[],
): Promise<{ arn: string; jobId: string } | undefined> {
  try {
    const started = await iam.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'ACTION_LEVEL' }),
    );
    return started.JobId ? { arn, jobId: started.JobId } : undefined;
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    skipped.push({ reason: AwsSkipReason.EntityGone, item: arn, detail: 'deleted before Access Advisor was asked' });
    return undefined;
  }
}

interface JobReport {
  services: ServiceLastAccessed[];
  createdAt: Date;
  completedAt: Date;
}

/** Polls while IN_PROGRESS, then reads every page of the COMPLETED report. */
async function awaitJob(
  iam: IAMClient,
  jobId: string,
  polling: AdvisorPolling,
  heartbeat: () => void,
): Promise<JobReport | { failed: string }> {
  let answer: GetServiceLastAccessedDetailsCommandOutput | undefined;
  for (let attempt = 0; attempt < polling.attempts; attempt++) {
    answer = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId }));
    if (answer.JobStatus !== 'IN_PROGRESS') break;
    heartbeat();
    await polling.sleep(polling.delayMs);
  }
  if (!answer || answer.JobStatus === 'IN_PROGRESS')
    throw new Error(`Access Advisor job ${jobId} is still in progress`);
  if (answer.JobStatus === 'FAILED') return { failed: answer.Error?.Message ?? 'job failed' };
  const services = [...(answer.ServicesLastAccessed ?? [])];
  let marker = answer.IsTruncated ? answer.Marker : undefined;
  while (marker) {
    const more = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId, Marker: marker }));
    services.push(...(more.ServicesLastAccessed ?? []));
    marker = more.IsTruncated ? more.Marker : undefined;
  }
  return {
    services,
    createdAt: answer.JobCreationDate ?? new Date(),
    completedAt: answer.JobCompletionDate ?? answer.JobCreationDate ?? new Date(),
  };
}

function reportUsage(
  system: AwsSystem,
  identityId: string,
  window: { from: string; to: string },
  report: JobReport,
  page: AccessAdvisorPage,
): void {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const inWindow = (date: Date | undefined): boolean =>
    date !== undefined && date.getTime() >= from && date.getTime() <= to;
  const unusedServices: string[] = [];
  for (const service of report.services) {
    if (!service.ServiceNamespace) continue;
    if (
      !inWindow(service.LastAuthenticated) &&
      !(service.LastAuthenticated && service.LastAuthenticated.getTime() > to)
    )
      unusedServices.push(service.ServiceNamespace);
    for (const action of service.TrackedActionsLastAccessed ?? []) {
      if (!action.ActionName || !inWindow(action.LastAccessedTime)) continue;
      page.usage.push({
        systemId: system.id,
        identityId,
        action: `${service.ServiceNamespace}:${action.ActionName}`,
        day: action.LastAccessedTime!.toISOString().slice(0, 10),
        count: 1,
        denied: 0,
      });
    }
  }
  if (unusedServices.length === 0) return;
  const trackedFrom = Math.max(from, report.createdAt.getTime() - TRACKING_PERIOD_MS);
  page.coverage.push({
    systemId: system.id,
    identityId,
    source: 'access-advisor',
    granularity: 'service',
    from: new Date(trackedFrom).toISOString(),
    to: new Date(Math.min(to, report.completedAt.getTime())).toISOString(),
    actions: 'all',
    services: unusedServices.sort(),
    note: 'services granted and not used in the window, by IAM Access Advisor',
  });
}
