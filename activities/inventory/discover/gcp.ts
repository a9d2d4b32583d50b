import { FoldersClient, ProjectsClient } from '@google-cloud/resource-manager';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { type GcpSystem, googleFailure } from '../../cloud/gcp/errors';
import {
  DEFAULT_RETRY_TUNING,
  endpointOptions,
  type GcpAuthClient,
  type RetryTuning,
  withTransientRetry,
} from '../../cloud/gcp/resource-manager';
import type { Discovery } from './entries';

/** A hierarchy wider than this is listed in parts: run discovery from systems on its sub-folders. */
const MAX_FOLDERS = 1_000;
/** Pages of one list; Resource Manager would be sending the same page again. */
const MAX_PAGES = 1_000;

/**
 * The projects under the system's folder, or under its project's parent (a folder or the organization),
 * sub-folders included, through Resource Manager v3 over HTTP/JSON with the grant side's endpoint rules.
 */
export async function discoverGcpProjects(
  authClient: GcpAuthClient | undefined,
  system: GcpSystem,
  tuning: RetryTuning = DEFAULT_RETRY_TUNING,
): Promise<Discovery> {
  const options = { fallback: true as const, ...endpointOptions(system), ...(authClient ? { authClient } : {}) };
  const projects = new ProjectsClient(options);
  const folders = new FoldersClient(options);
  try {
    const scope = await scopeOf(system, projects, tuning);
    const targets: Discovery['targets'] = [];
    const queue = [scope];
    for (let visited = 0; queue.length > 0; visited++) {
      if (visited >= MAX_FOLDERS) {
        throw new Error(`${scope} holds more than ${MAX_FOLDERS} folders: discover from systems on its sub-folders`);
      }
      const parent = queue.shift()!;
      for (const project of await listed(system, parent, 'projects', tuning, (pageToken) =>
        projects.listProjects({ parent, pageToken }, { autoPaginate: false }),
      )) {
        if (!project.projectId) continue;
        targets.push({
          id: project.projectId,
          name: project.displayName || project.projectId,
          ...(project.state ? { state: String(project.state) } : {}),
          parent,
        });
      }
      for (const folder of await listed(system, parent, 'folders', tuning, (pageToken) =>
        folders.listFolders({ parent, pageToken }, { autoPaginate: false }),
      )) {
        if (folder.name) queue.push(folder.name);
      }
    }
    return { systemId: system.id, cloud: 'gcp', scope, targets };
  } finally {
    await Promise.all([projects.close(), folders.close()]);
  }
}

/** `folders/…` for a folder system; for a project system, the folder or organization it hangs from. */
async function scopeOf(system: GcpSystem, projects: ProjectsClient, tuning: RetryTuning): Promise<string> {
  if (system.folderId) return `folders/${system.folderId}`;
  const name = `projects/${system.projectId}`;
  const [project] = await explained(system, name, `read ${name}`, () =>
    withTransientRetry(tuning, () => projects.getProject({ name })),
  );
  if (!project.parent) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `project ${system.projectId} (${system.id}) is in no folder or organization: there is nothing to discover`,
    );
  }
  return project.parent;
}

type Page<T> = [T[], { pageToken?: string | null } | null, unknown];

/** Every item of one list under `parent`, page by page, each page retried while Google throttles. */
async function listed<T>(
  system: GcpSystem,
  parent: string,
  what: 'projects' | 'folders',
  tuning: RetryTuning,
  page: (pageToken: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`Resource Manager kept paging the ${what} under ${parent}`);
    const [found, next] = await explained(system, parent, `list the ${what} under ${parent}`, () =>
      withTransientRetry(tuning, () => page(token)),
    );
    items.push(...found);
    token = next?.pageToken || undefined;
    if (!token) return items;
  }
}

/** The answers a person must act on, in words that say what to do. */
async function explained<T>(system: GcpSystem, resource: string, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = googleFailure(error);
    if (failure?.httpStatus === 403 || failure?.status === 'PERMISSION_DENIED') {
      throw new DomainError(
        ErrorCode.CloudAccessDenied,
        `GCP denied Least the right to ${doing} (${system.id}): "${failure.message}". Grant the ` +
          `worker's service account roles/browser on ${resource} (resourcemanager.projects.get, ` +
          'resourcemanager.projects.list and resourcemanager.folders.list) to discover its projects.',
      );
    }
    if (failure?.httpStatus === 404 || failure?.status === 'NOT_FOUND') {
      throw new DomainError(
        ErrorCode.CloudTargetUnknown,
        `GCP has no ${resource} (${system.id}): "${failure.message}". Check the system's projectId or folderId.`,
      );
    }
    throw error;
  }
}
