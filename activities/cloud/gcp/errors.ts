import { DomainError, ErrorCode } from '../../../domain/errors';
import type { AuthorizationSystem } from '../../../domain/policy/schema';

export type GcpSystem = Extract<AuthorizationSystem, { cloud: 'gcp' }>;

/** Whose IAM policy a system's bindings go into, in the three spellings Least needs. */
export interface GcpTarget {
  kind: 'project' | 'folder';
  id: string;
  /** `projects/<id>` or `folders/<id>`: the Resource Manager resource name. */
  resource: string;
  /** `project my-project` or `folder 1234`, for messages. */
  label: string;
  consoleUrl: string;
}

export function asGcpSystem(system: AuthorizationSystem): GcpSystem {
  if (system.cloud !== 'gcp') {
    throw new DomainError(ErrorCode.CloudTargetUnknown, `System "${system.id}" is a ${system.cloud} system, not GCP.`);
  }
  return system;
}

export function targetOf(system: GcpSystem): GcpTarget {
  if (system.projectId) {
    return {
      kind: 'project',
      id: system.projectId,
      resource: `projects/${system.projectId}`,
      label: `project ${system.projectId}`,
      consoleUrl: `https://console.cloud.google.com/iam-admin/iam?project=${encodeURIComponent(system.projectId)}`,
    };
  }
  if (system.folderId) {
    return {
      kind: 'folder',
      id: system.folderId,
      resource: `folders/${system.folderId}`,
      label: `folder ${system.folderId}`,
      consoleUrl: `https://console.cloud.google.com/iam-admin/iam?folder=${encodeURIComponent(system.folderId)}`,
    };
  }
  // the policy schema refuses this; a hand-built system object could still get here
  throw new DomainError(
    ErrorCode.CloudTargetUnknown,
    `GCP system "${system.id}" names neither a projectId nor a folderId.`,
  );
}

/** A failed Google call, whichever transport shape it arrived in. */
export interface GoogleFailure {
  httpStatus?: number;
  /** Google's canonical status, e.g. ABORTED, RESOURCE_EXHAUSTED. */
  status?: string;
  message: string;
  /** From a Retry-After header, when the server sent one. */
  retryAfterMs?: number;
}

// gRPC status numbers, for errors that come back as a GoogleError rather than an HTTP response
const GRPC_STATUS: Record<number, [string, number]> = {
  3: ['INVALID_ARGUMENT', 400],
  4: ['DEADLINE_EXCEEDED', 504],
  5: ['NOT_FOUND', 404],
  7: ['PERMISSION_DENIED', 403],
  8: ['RESOURCE_EXHAUSTED', 429],
  9: ['FAILED_PRECONDITION', 400],
  10: ['ABORTED', 409],
  13: ['INTERNAL', 500],
  14: ['UNAVAILABLE', 503],
  16: ['UNAUTHENTICATED', 401],
};

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** `{ error: { code, message, status } }`, Google's error body, from wherever the transport left it. */
function errorBody(error: {
  message?: unknown;
  response?: { data?: unknown };
}): { code?: number; message?: string; status?: string } | undefined {
  const candidates: unknown[] = [error.response?.data];
  if (typeof error.message === 'string' && error.message.trimStart().startsWith('{')) {
    try {
      candidates.push(JSON.parse(error.message));
    } catch {
      // not JSON after all: the message is used as it is
    }
  }
  for (const candidate of candidates) {
    const body = (candidate as { error?: unknown } | undefined)?.error;
    if (body && typeof body === 'object') return body as { code?: number; message?: string; status?: string };
  }
  return undefined;
}

export function googleFailure(error: unknown): GoogleFailure | undefined {
  if (typeof error !== 'object' || error === null || error instanceof DomainError) return undefined;
  const raw = error as {
    status?: unknown;
    code?: unknown;
    message?: unknown;
    response?: { status?: unknown; data?: unknown; headers?: unknown };
  };
  const body = errorBody(raw);
  const message = body?.message ?? (typeof raw.message === 'string' ? raw.message : String(error));
  const retryAfterMs = parseRetryAfter(headerOf(raw.response?.headers, 'retry-after'));
  // HTTP/JSON transport (gaxios): the response status is the HTTP status
  const httpStatus =
    typeof raw.response?.status === 'number'
      ? raw.response.status
      : typeof raw.status === 'number'
        ? raw.status
        : body?.code;
  if (typeof httpStatus === 'number' && httpStatus >= 400) {
    return { httpStatus, status: body?.status, message, retryAfterMs };
  }
  // a GoogleError carries the gRPC status number in `code`
  if (typeof raw.code === 'number' && GRPC_STATUS[raw.code]) {
    const [status, http] = GRPC_STATUS[raw.code]!;
    return { httpStatus: http, status, message, retryAfterMs };
  }
  if (typeof raw.code === 'string' && NETWORK_CODES.has(raw.code)) return { status: 'UNAVAILABLE', message };
  return undefined;
}

/** Another writer changed the policy between our read and our write: read again and re-apply. */
export function isConflict(failure: GoogleFailure | undefined): boolean {
  if (!failure) return false;
  if (failure.httpStatus === 409 || failure.httpStatus === 412 || failure.status === 'ABORTED') return true;
  return failure.status === 'FAILED_PRECONDITION' && /etag/i.test(failure.message);
}

const TRANSIENT_HTTP = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_STATUS = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL']);

/** Throttling and outages: worth retrying in a moment, and then again later through Temporal. */
export function isTransient(failure: GoogleFailure | undefined): boolean {
  if (!failure) return false;
  return (
    (failure.httpStatus !== undefined && TRANSIENT_HTTP.has(failure.httpStatus)) ||
    (failure.status !== undefined && TRANSIENT_STATUS.has(failure.status))
  );
}

/** What a failed call was about, so the message can name the role or the member Google refused. */
export interface GcpAction {
  /** e.g. `grant lease req-1`. */
  what: string;
  role?: string;
  member?: string;
}

function accessDenied(target: GcpTarget, action: GcpAction, failure: GoogleFailure): DomainError {
  const admin =
    target.kind === 'project' ? 'roles/resourcemanager.projectIamAdmin' : 'roles/resourcemanager.folderIamAdmin';
  const permissions =
    target.kind === 'project'
      ? 'resourcemanager.projects.getIamPolicy and resourcemanager.projects.setIamPolicy'
      : 'resourcemanager.folders.getIamPolicy and resourcemanager.folders.setIamPolicy';
  return new DomainError(
    ErrorCode.CloudAccessDenied,
    `GCP denied Least while trying to ${action.what}${action.role ? ` (${action.role})` : ''} on ${target.label} ("${failure.message}"). ` +
      `Grant the worker's service account ${admin} on ${target.label}, or a custom role with ${permissions}. ` +
      `GCP gives the same answer when the ${target.kind} does not exist, so check the ${target.kind === 'project' ? 'projectId' : 'folderId'} too.`,
  );
}

/** A 400 names what it refused; the role and member of the lease tell which one it was. */
function invalidArgument(target: GcpTarget, action: GcpAction, failure: GoogleFailure): DomainError | undefined {
  const text = failure.message;
  const aboutMember = action.member !== undefined && text.includes(action.member.replace(/^[a-zA-Z]+:/, ''));
  // "Role roles/x is not supported…", "Role (roles/x) does not exist…": Google names the role it refused
  const aboutRole = (action.role !== undefined && text.includes(action.role)) || /\broles\/[\w.]+/.test(text);
  if (aboutMember || (!aboutRole && /does not exist|principal|member/i.test(text))) {
    return new DomainError(
      ErrorCode.CloudPrincipalUnknown,
      `GCP refused the member ${action.member ?? ''} on ${target.label}: "${text}". ` +
        'Ask an admin to fix the gcpMember mapping under `principals:` in the policy file.',
    );
  }
  if (aboutRole) {
    return new DomainError(
      ErrorCode.CloudPermissionSetUnknown,
      `GCP refused the role ${action.role ?? ''} on ${target.label}: "${text}". ` +
        "Check the entitlement's grant.role: it must exist and be grantable on this resource with an IAM condition (basic roles such as roles/owner are not).",
    );
  }
  return undefined;
}

/**
 * Turns the answers a retry cannot change into DomainErrors (the activity layer makes them final);
 * throttling, outages and conflicts that outlasted our own retries keep their Google shape so Temporal
 * retries them.
 */
export async function withGcpErrors<T>(
  system: GcpSystem,
  action: GcpAction,
  work: (target: GcpTarget) => Promise<T>,
): Promise<T> {
  const target = targetOf(system);
  try {
    return await work(target);
  } catch (error) {
    const failure = googleFailure(error);
    if (!failure) throw error;
    if (failure.httpStatus === 403 || failure.status === 'PERMISSION_DENIED')
      throw accessDenied(target, action, failure);
    if (failure.httpStatus === 404 || failure.status === 'NOT_FOUND') {
      throw new DomainError(
        ErrorCode.CloudTargetUnknown,
        `GCP has no ${target.label} (system "${system.id}"): "${failure.message}". Check the ${target.kind === 'project' ? 'projectId' : 'folderId'} in the policy file.`,
      );
    }
    if (failure.httpStatus === 400 || failure.status === 'INVALID_ARGUMENT') {
      const refused = invalidArgument(target, action, failure);
      if (refused) throw refused;
    }
    throw error;
  }
}
