import { GetUserIdCommand } from '@aws-sdk/client-identitystore';
import { DescribePermissionSetCommand, ListPermissionSetsCommand } from '@aws-sdk/client-sso-admin';
import type { ActionCatalogue, Identity, InventorySink } from '../../../domain/inventory/model';
import { indexCatalogue } from '../../../domain/inventory/catalogue-index';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { type AwsBroker, createAwsBroker } from '../../cloud/aws/broker';
import { asAwsSystem, type AwsSystem, isResourceNotFound, withAwsErrors } from '../../cloud/aws/errors';
import { loadAwsCatalogue } from '../catalogue/aws';
import type { CollectContext, InventoryCollector, PageResult } from '../collector';
import { accessAdvisorPage, type AdvisorPolling, DEFAULT_ADVISOR_POLLING } from './access-advisor';
import { authorizationPage, newRunMemory, type RunMemory } from './authorization';
import { cloudTrailPage } from './cloudtrail';
import type { AttributionContext, TrailRecord } from './cloudtrail-usage';
import { ssoSessionNames } from './cloudtrail-usage';
import { DEFAULT_REPORT_POLLING, type ReportPolling } from './credential-report';
import { credentialsPage } from './credentials';
import type { DocumentBatch } from './documents';
import { identityCenterPage, ssoUserId } from './identity-center';
import { leaseUsage } from './lease-usage';
import { CollectorSessions, partitionOf } from './sessions';

export { INVENTORY_PURPOSE } from './sessions';
export { canonicalJson, contentId } from '../documents';
export { leaseIdentityId } from './cloudtrail-usage';
export { ssoUserId, ssoGroupId } from './identity-center';
export { trailBase, deliveryTime, DATA_EVENT_ACTIONS } from './cloudtrail';
export { AwsSkipReason } from './skip-reasons';

/**
 * The AWS inventory collector: identities, grants and usage of one account, read through the broker
 * role (session `least-inventory`), one page per activity.
 */

export const AwsStep = {
  Authorization: 'authorization',
  IdentityCenter: 'identity-center',
  Credentials: 'credentials',
  CloudTrail: 'usage:cloudtrail',
  AccessAdvisor: 'usage:access-advisor',
} as const;

export interface AwsCollectorOptions {
  /** Shared with the AWS provider, or given a test clock; one is made when absent. */
  broker?: AwsBroker;
  catalogue?: () => Promise<ActionCatalogue>;
  pageSizes?: Partial<{ authorization: number; identityCenter: number; credentials: number; accessAdvisor: number }>;
  /** CloudTrail files read per page (one at a time). */
  trailFilesPerPage?: number;
  reportPolling?: Partial<ReportPolling>;
  advisorPolling?: Partial<AdvisorPolling>;
}

export interface AwsCollector extends InventoryCollector {
  /** Closes connections (the broker's only when this collector made it). */
  close(): void;
}

/** Name → ARN of permission sets, and directory user name → user id, for attributing Identity Center sessions. */
interface DirectoryMemory {
  permissionSets?: Promise<Map<string, string>>;
  users: Map<string, string>;
}

export function createAwsCollector(options: AwsCollectorOptions = {}): AwsCollector {
  const broker = options.broker ?? createAwsBroker();
  const sessions = new CollectorSessions(broker);
  const catalogue = options.catalogue ?? loadAwsCatalogue;
  const sizes = { authorization: 100, identityCenter: 20, credentials: 50, accessAdvisor: 20, ...options.pageSizes };
  const reportPolling = { ...DEFAULT_REPORT_POLLING, ...options.reportPolling };
  const advisorPolling = { ...DEFAULT_ADVISOR_POLLING, ...options.advisorPolling };
  const filesPerPage = options.trailFilesPerPage ?? 50;
  // what pages of one run share within this process; a process that starts mid-run asks AWS again
  let memoryKey = '';
  let memory: RunMemory = newRunMemory();
  let directory: DirectoryMemory = { users: new Map() };
  const runMemory = (system: AwsSystem, runId: string): { memory: RunMemory; directory: DirectoryMemory } => {
    const key = `${system.id}|${runId}`;
    if (key !== memoryKey) {
      memoryKey = key;
      memory = newRunMemory();
      directory = { users: new Map() };
    }
    return { memory, directory };
  };

  const collectPage = async (
    system: AwsSystem,
    step: string,
    cursor: string | undefined,
    context: CollectContext,
  ): Promise<PageResult> => {
    const { sink, heartbeat } = context;
    const { memory, directory } = runMemory(system, context.runId);
    // Identity Center through the broker (it may be a delegated administrator); IAM in the system's own account
    const session =
      step === AwsStep.IdentityCenter || step === AwsStep.CloudTrail
        ? await sessions.account(system)
        : await sessions.iamAccount(system);
    const beat = (): void => heartbeat({ step, cursor });

    if (step === AwsStep.Authorization || step === AwsStep.IdentityCenter) {
      const page =
        step === AwsStep.Authorization
          ? await authorizationPage(session.iam, system, await catalogue(), cursor, memory, {
              pageSize: sizes.authorization,
              reportPolling,
              heartbeat: beat,
            })
          : await identityCenterPage(session, system, await catalogue(), cursor, memory, {
              pageSize: sizes.identityCenter,
              heartbeat: beat,
            });
      await writeGrants(sink, page.identities, page.documents, page.grantPaths);
      return {
        next: page.next,
        counts: {
          identities: page.identities.length,
          documents: page.documents.documents().length,
          grantPaths: page.grantPaths.length,
          skipped: page.documents.skipped.length,
        },
      };
    }

    if (step === AwsStep.Credentials) {
      const page = await credentialsPage(session.iam, system, cursor, { pageSize: sizes.credentials, heartbeat: beat });
      await sink.identities(page.identities);
      await sink.skipped(page.skipped);
      return { next: page.next, counts: { identities: page.identities.length, skipped: page.skipped.length } };
    }

    if (step === AwsStep.CloudTrail) {
      const trail = system.inventory?.cloudTrail;
      if (!trail) return { counts: {} };
      const { s3, bucket } = await sessions.trail(system, trail);
      const known = indexCatalogue(await catalogue()).byService;
      const partition = partitionOf(system);
      const unresolved = new Map<string, Identity>();
      const attribution: AttributionContext = {
        systemId: system.id,
        accountId: system.accountId,
        brokerRoleArn: system.brokerRoleArn,
        knownService: (service) => known.has(service.toLowerCase()),
        ssoUser: (name) => {
          const userId = directory.users.get(name);
          if (userId) return ssoUserId(partition, userId);
          // a user no longer in the directory (or none configured): still one identity, by name
          const id = `arn:${partition}:identitystore:::user-name/${name}`;
          unresolved.set(id, { systemId: system.id, id, kind: 'aws-sso-user', name, nature: 'human', tags: {} });
          return id;
        },
        permissionSet: (name) => permissionSetsByName.get(name),
      };
      const permissionSetsByName = system.identityCenter
        ? await permissionSetNames(session, system, directory)
        : new Map<string, string>();
      const page = await cloudTrailPage(
        {
          s3,
          bucket,
          system,
          trail,
          window: context.window,
          attribution,
          prepare: (records) => resolveDirectoryUsers(session, system, directory, records),
          filesPerPage,
          heartbeat,
        },
        cursor,
      );
      // the chunk names the page by where it started: a retried page adds nothing twice
      const chunk = `cloudtrail:${cursor ?? 'start'}`;
      await sink.identities([...page.identities, ...unresolved.values()]);
      await sink.usage(page.usage, chunk);
      await sink.usageDetail(page.usageDetail, chunk);
      await sink.coverage(page.coverage);
      await sink.skipped(page.skipped);
      return { next: page.next, counts: { ...page.counts, skipped: page.skipped.length } };
    }

    if (step === AwsStep.AccessAdvisor) {
      const page = await accessAdvisorPage(session.iam, system, context.window, cursor, {
        pageSize: sizes.accessAdvisor,
        polling: advisorPolling,
        heartbeat: beat,
      });
      await sink.usage(page.usage, `access-advisor:${cursor ?? 'start'}`);
      await sink.coverage(page.coverage);
      await sink.skipped(page.skipped);
      return { next: page.next, counts: { ...page.counts, skipped: page.skipped.length } };
    }

    throw new Error(`the AWS collector has no step "${step}"`);
  };

  return {
    steps(anySystem: AuthorizationSystem): string[] {
      const system = asAwsSystem(anySystem);
      return [
        AwsStep.Authorization,
        ...(system.identityCenter ? [AwsStep.IdentityCenter] : []),
        AwsStep.Credentials,
        ...(system.inventory?.cloudTrail ? [AwsStep.CloudTrail] : []),
        ...(system.inventory?.accessAdvisor ? [AwsStep.AccessAdvisor] : []),
      ];
    },

    async collectPage(anySystem, step, cursor, context) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `collect ${step} inventory`, () => collectPage(system, step, cursor, context));
    },

    async catalogueVersion() {
      return (await catalogue()).version;
    },

    async leaseUsage(anySystem, lease, heartbeat) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `read the usage of lease ${lease.leaseId}`, () =>
        leaseUsage(sessions, system, lease, heartbeat),
      );
    },

    close() {
      sessions.close();
      if (!options.broker) broker.close();
    },
  };
}

/** Documents before the paths that name them, identities before the paths that start at them. */
async function writeGrants(
  sink: InventorySink,
  identities: Identity[],
  documents: DocumentBatch,
  grantPaths: Parameters<InventorySink['grantPaths']>[0],
): Promise<void> {
  await sink.identities(identities);
  await sink.documents(documents.documents());
  await sink.grantPaths(grantPaths);
  await sink.skipped(documents.skipped);
}

type Session = Awaited<ReturnType<CollectorSessions['account']>>;

async function permissionSetNames(
  session: Session,
  system: AwsSystem,
  directory: DirectoryMemory,
): Promise<Map<string, string>> {
  directory.permissionSets ??= (async () => {
    const names = new Map<string, string>();
    const instanceArn = system.identityCenter!.instanceArn;
    let token: string | undefined;
    do {
      const listed = await session.ssoAdmin.send(
        new ListPermissionSetsCommand({ InstanceArn: instanceArn, NextToken: token }),
      );
      for (const arn of listed.PermissionSets ?? []) {
        const described = await session.ssoAdmin.send(
          new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }),
        );
        if (described.PermissionSet?.Name) names.set(described.PermissionSet.Name, arn);
      }
      token = listed.NextToken;
    } while (token);
    return names;
  })();
  directory.permissionSets.catch(() => (directory.permissionSets = undefined));
  return directory.permissionSets;
}

/** Identity Center sessions are named after the directory user: find each name's user id once per run. */
async function resolveDirectoryUsers(
  session: Session,
  system: AwsSystem,
  directory: DirectoryMemory,
  records: TrailRecord[],
): Promise<void> {
  if (!system.identityCenter) return;
  for (const name of ssoSessionNames(records)) {
    if (directory.users.has(name)) continue;
    try {
      const found = await session.identityStore.send(
        new GetUserIdCommand({
          IdentityStoreId: system.identityCenter.identityStoreId,
          AlternateIdentifier: { UniqueAttribute: { AttributePath: 'userName', AttributeValue: name } },
        }),
      );
      directory.users.set(name, found.UserId ?? '');
    } catch (error) {
      if (!isResourceNotFound(error)) throw error;
      directory.users.set(name, ''); // asked once: the name stays unresolved for the run
    }
  }
}
