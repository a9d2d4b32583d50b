import { DomainError, ErrorCode } from '../../../domain/errors';
import type { AuthorizationSystem } from '../../../domain/policy/schema';

export type AzureSystem = Extract<AuthorizationSystem, { cloud: 'azure' }>;

export function asAzureSystem(system: AuthorizationSystem): AzureSystem {
  if (system.cloud !== 'azure') {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `System "${system.id}" is a ${system.cloud} system, not Azure.`,
    );
  }
  return system;
}

/** The ARM error code (`error.code` of the body) the SDK put on its RestError. */
export function armErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function armStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isArmError(error: unknown, ...codes: string[]): boolean {
  const code = armErrorCode(error);
  return code !== undefined && codes.some((wanted) => wanted.toLowerCase() === code.toLowerCase());
}

export const isNotFound = (error: unknown): boolean => armStatus(error) === 404;

function method(error: unknown): string | undefined {
  const request = (error as { request?: { method?: unknown } } | null)?.request;
  return typeof request?.method === 'string' ? request.method : undefined;
}

const ACCESS_DENIED = ['AuthorizationFailed', 'LinkedAuthorizationFailed'];
const ROLE_UNKNOWN = ['RoleDefinitionDoesNotExist', 'InvalidRoleDefinitionId', 'RoleDefinitionNotFound'];
const PRINCIPAL_UNKNOWN = ['PrincipalNotFound', 'InvalidPrincipalId', 'UnmatchedPrincipalType'];
const TARGET_UNKNOWN = [
  'ResourceGroupNotFound',
  'InvalidScope',
  'SubscriptionNotFound',
  'ResourceNotFound',
  'MissingSubscription',
];

/**
 * What ARM refuses for good becomes a DomainError the activity layer marks non-retryable; throttling
 * and server errors have already been retried by the SDK's pipeline and are thrown as they are, so the
 * activity retry policy tries again later. `scope` names where Least was acting, for the message.
 */
export async function withAzureErrors<T>(
  system: AzureSystem,
  action: string,
  scope: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const said = `("${(error as Error).message}")`;
    const where = scope ? ` at ${scope}` : '';
    if (isArmError(error, ...ACCESS_DENIED) || armStatus(error) === 403) {
      throw new DomainError(
        ErrorCode.CloudAccessDenied,
        `Azure denied Least while trying to ${action}${where} in subscription ${system.subscriptionId} (${system.id}) ${said}. ` +
          `Give Least's identity the 'Role Based Access Control Administrator' (or 'User Access Administrator') role${scope ? ` at ${scope}` : ''}` +
          ' and, for PIM leases, permission to create role assignment schedule requests. See docs/azure-setup.md.',
      );
    }
    if (isArmError(error, ...ROLE_UNKNOWN)) {
      throw new DomainError(
        ErrorCode.CloudPermissionSetUnknown,
        `Azure has no such role definition in subscription ${system.subscriptionId} (${system.id}) ${said}. Fix roleDefinitionId in the policy file's entitlement.`,
      );
    }
    if (isArmError(error, ...PRINCIPAL_UNKNOWN)) {
      throw new DomainError(
        ErrorCode.CloudPrincipalUnknown,
        `Azure does not know the principal Least tried to ${action} for in tenant ${system.tenantId} ${said}. ` +
          `Ask an admin to check the person's azureObjectId under \`principals:\` in the policy file (it must be a user's object id).`,
      );
    }
    if (isArmError(error, ...TARGET_UNKNOWN) || (isNotFound(error) && method(error) === 'PUT')) {
      throw new DomainError(
        ErrorCode.CloudTargetUnknown,
        `The scope${where || ' '} does not exist in subscription ${system.subscriptionId} (${system.id}) ${said}. Fix the entitlement's scope in the policy file.`,
      );
    }
    throw error;
  }
}
