import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { ARM_ENDPOINT, type AzureConnections } from '../../cloud/azure/connections';
import type { AzureSystem } from '../../cloud/azure/errors';
import { isLoopback } from '../../cloud/loopback';
import type { Discovery } from './entries';

const SUBSCRIPTIONS_API = '2022-12-01';
/** A tenant with more pages than this is not listed: ARM would be sending the same page again. */
const MAX_PAGES = 1_000;

interface ArmSubscription {
  subscriptionId?: string;
  tenantId?: string;
  displayName?: string;
  state?: string;
}

/**
 * The subscriptions of the system's tenant that Least's identity can see (`GET /subscriptions`, paged by
 * `nextLink`), through the system's own ARM client: the same credential, retries and loopback rules as
 * a grant. Subscriptions of other tenants the identity reaches as a guest are left out.
 */
export async function discoverAzureSubscriptions(
  connections: AzureConnections,
  system: AzureSystem,
): Promise<Discovery> {
  const client = connections.arm(system);
  const base = (system.endpoint ?? ARM_ENDPOINT).replace(/\/+$/, '');
  const targets: Discovery['targets'] = [];
  const seen = new Set<string>();
  let link: string | undefined = `${base}/subscriptions?api-version=${SUBSCRIPTIONS_API}`;
  for (let pages = 0; link; pages++) {
    if (pages >= MAX_PAGES || seen.has(link)) {
      throw new Error(`ARM kept paging the subscriptions of tenant ${system.tenantId}: stopped after ${pages} pages`);
    }
    seen.add(link);
    if (new URL(link).origin !== new URL(base).origin) {
      // a token never follows a link to another host
      throw new Error(`ARM sent a nextLink to another host: ${new URL(link).host}`);
    }
    const response = await client.sendRequest(
      createPipelineRequest({ url: link, method: 'GET', allowInsecureConnection: isLoopback(link) }),
    );
    if (response.status !== 200) throw refusal(system, response.status, response.bodyAsText ?? '');
    const page = JSON.parse(response.bodyAsText ?? '{}') as { value?: ArmSubscription[]; nextLink?: string };
    for (const subscription of page.value ?? []) {
      if (!subscription.subscriptionId) continue;
      if (subscription.tenantId && subscription.tenantId.toLowerCase() !== system.tenantId.toLowerCase()) continue;
      targets.push({
        id: subscription.subscriptionId.toLowerCase(),
        name: subscription.displayName ?? subscription.subscriptionId,
        ...(subscription.state ? { state: subscription.state } : {}),
      });
    }
    link = page.nextLink || undefined;
  }
  return { systemId: system.id, cloud: 'azure', scope: system.tenantId, targets };
}

/** ARM's answer in words that say what to do; throttling and 5xx have already been retried by the pipeline. */
function refusal(system: AzureSystem, status: number, body: string): Error {
  const said = armMessage(body) ?? `HTTP ${status}`;
  if (status === 401 || status === 403) {
    return new DomainError(
      ErrorCode.CloudAccessDenied,
      `Azure denied Least listing the subscriptions of tenant ${system.tenantId} (${system.id}) ("${said}"). ` +
        "Give Least's identity Reader on the management group whose subscriptions you want to discover " +
        '(the tenant root group for all of them); see docs/azure-setup.md.',
    );
  }
  return new Error(`ARM answered ${status} listing the subscriptions of tenant ${system.tenantId}: ${said}`);
}

function armMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    return parsed.error?.message ?? parsed.error?.code;
  } catch {
    return body.slice(0, 200) || undefined;
  }
}
