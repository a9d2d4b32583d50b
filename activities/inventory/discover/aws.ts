import http from 'node:http';
import https from 'node:https';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { type AwsBroker, clientConfig } from '../../cloud/aws/broker';
import { awsErrorCode, type AwsSystem, withAwsErrors } from '../../cloud/aws/errors';
import type { Discovery } from './entries';

/** The session purpose of discovery (session name `least-discover`). */
export const DISCOVER_PURPOSE = 'discover';

/**
 * The accounts of the AWS Organization the system's account belongs to, listed through its broker role
 * (which needs organizations:ListAccounts, so the management account or a delegated administrator).
 */
export async function discoverAwsAccounts(broker: AwsBroker, system: AwsSystem): Promise<Discovery> {
  const session = await broker.session(system, DISCOVER_PURPOSE);
  const agents = { httpAgent: new http.Agent(), httpsAgent: new https.Agent() };
  const organizations = new OrganizationsClient({ ...clientConfig(system, agents), credentials: session.credentials });
  try {
    return await withAwsErrors(system, 'list the organization', async () => {
      try {
        const organization = await organizations.send(new DescribeOrganizationCommand({}));
        const targets: Discovery['targets'] = [];
        let token: string | undefined;
        do {
          const page = await organizations.send(new ListAccountsCommand({ NextToken: token }));
          for (const account of page.Accounts ?? []) {
            if (!account.Id) continue;
            const parents = await organizations.send(new ListParentsCommand({ ChildId: account.Id }));
            const parent = parents.Parents?.[0]?.Id;
            targets.push({
              id: account.Id,
              name: account.Name ?? account.Id,
              ...((account.State ?? account.Status) ? { state: account.State ?? account.Status } : {}),
              ...(parent ? { parent } : {}),
            });
          }
          token = page.NextToken;
        } while (token);
        return {
          systemId: system.id,
          cloud: 'aws' as const,
          scope: organization.Organization?.Id ?? 'organization',
          targets,
        };
      } catch (error) {
        throw explained(system, error);
      }
    });
  } finally {
    organizations.destroy();
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
  }
}

/** The two refusals an operator meets first, in words that say what to do. */
function explained(system: AwsSystem, error: unknown): unknown {
  const code = awsErrorCode(error);
  if (code === 'AWSOrganizationsNotInUseException') {
    return new DomainError(
      ErrorCode.CloudTargetUnknown,
      `account ${system.accountId} (${system.id}) is not in an AWS Organization: there is nothing to discover`,
    );
  }
  if (code === 'AccessDeniedException' || code === 'AccessDenied') {
    return new DomainError(
      ErrorCode.CloudAccessDenied,
      `the broker role of ${system.id} may not list the organization's accounts: run discovery through a system ` +
        'in the management account or a delegated administrator, whose role has organizations:ListAccounts, ' +
        'organizations:ListParents and organizations:DescribeOrganization',
    );
  }
  return error;
}
