import { DomainError, ErrorCode } from '../../../domain/errors';
import type { AuthorizationSystem } from '../../../domain/policy/schema';

export type AwsSystem = Extract<AuthorizationSystem, { cloud: 'aws' }>;

/** The AWS error code, whichever of the SDK's shapes it arrived in (modelled class name or raw `Code`). */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && codes.includes(code);
}

export function isNoSuchEntity(error: unknown): boolean {
  return isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException');
}

/** What `read` gives, or `missing` when IAM answers that the entity does not exist. */
export async function orMissing<T>(read: () => Promise<T>, missing: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isNoSuchEntity(error)) return missing;
    throw error;
  }
}

export function isResourceNotFound(error: unknown): boolean {
  return isAwsError(error, 'ResourceNotFoundException');
}

const ACCESS_DENIED = ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException'];

/**
 * Access denied will not fix itself on retry: someone has to change the broker role, so it becomes a
 * DomainError the activity layer marks non-retryable. Everything else keeps its AWS shape so the
 * activity retry policy (and the SDK's own retries before it) can deal with it.
 */
export async function withAwsErrors<T>(system: AwsSystem, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (isAwsError(error, ...ACCESS_DENIED)) {
      throw new DomainError(
        ErrorCode.CloudAccessDenied,
        `AWS denied Least while trying to ${action} in account ${system.accountId} ("${(error as Error).message}"). ` +
          `Check that ${system.brokerRoleArn} trusts Least${system.externalId ? ' with the configured externalId' : ''} and allows this action.`,
      );
    }
    throw error;
  }
}

export function asAwsSystem(system: AuthorizationSystem): AwsSystem {
  if (system.cloud !== 'aws') {
    throw new DomainError(ErrorCode.CloudTargetUnknown, `System "${system.id}" is a ${system.cloud} system, not AWS.`);
  }
  return system;
}
