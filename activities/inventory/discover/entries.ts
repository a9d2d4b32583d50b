import type { AuthorizationSystem, PolicyInput } from '../../../domain/policy/schema';

/**
 * What discovery found under an organization, management group or folder, and the `authorizationSystems`
 * entry an operator would paste for each target not yet in the policy. Pure: no I/O.
 */

export type SystemEntry = PolicyInput['authorizationSystems'][number];

/** An AWS account, an Azure subscription or a GCP project. */
export interface DiscoveredTarget {
  /** Account id, subscription id or project id. */
  id: string;
  name: string;
  /** As the cloud says: ACTIVE, SUSPENDED, Enabled, DELETE_REQUESTED… */
  state?: string;
  /** Where it hangs: an OU, a management group, a folder, as the cloud names it. */
  parent?: string;
}

export interface Discovery {
  /** The system whose credentials listed the targets. */
  systemId: string;
  cloud: AuthorizationSystem['cloud'];
  /** What was listed: an organization id, a management group, a folder or organization. */
  scope: string;
  targets: DiscoveredTarget[];
}

export interface DiscoveredEntry {
  target: DiscoveredTarget;
  /** The system that already names this target, if one does. */
  inPolicy?: string;
  /** A ready-to-paste entry for a target not in the policy. */
  entry?: SystemEntry;
}

const MAX_ID = 63;

/** A policy id from a cloud's display name: lowercase, dashes, prefixed by the cloud, unique in `taken`. */
export function suggestedId(cloud: string, name: string, fallback: string, taken: Set<string>): string {
  const slug = `${cloud}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_ID - 5)
    .replace(/-+$/, '');
  const base = slug === cloud ? `${cloud}-${fallback}`.slice(0, MAX_ID - 5) : slug;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

function targetOf(system: AuthorizationSystem): string | undefined {
  switch (system.cloud) {
    case 'aws':
      return system.accountId;
    case 'azure':
      return system.subscriptionId.toLowerCase();
    case 'gcp':
      return system.projectId;
  }
}

/** Each target beside the system already naming it, or a new entry modelled on the system that listed it. */
export function discoveredEntries(
  discovery: Discovery,
  systems: AuthorizationSystem[],
  taken: Set<string> = new Set(systems.map((system) => system.id)),
): DiscoveredEntry[] {
  const via = systems.find((system) => system.id === discovery.systemId);
  if (!via) throw new Error(`no authorization system "${discovery.systemId}"`);
  return discovery.targets.map((target) => {
    const known = systems.find(
      (system) => system.cloud === discovery.cloud && targetOf(system) === target.id.toLowerCase(),
    );
    if (known) return { target, inPolicy: known.id };
    const id = suggestedId(discovery.cloud, target.name, target.id, taken);
    return { target, entry: entryFor(via, id, target) };
  });
}

function entryFor(via: AuthorizationSystem, id: string, target: DiscoveredTarget): SystemEntry {
  switch (via.cloud) {
    case 'aws':
      return {
        id,
        cloud: 'aws',
        title: `${target.name} (${target.id})`,
        accountId: target.id,
        region: via.region,
        // the broker role deployed to every account under the same path and name (a StackSet does this)
        brokerRoleArn: via.brokerRoleArn.replace(/:\d{12}:role\//, `:${target.id}:role/`),
      };
    case 'azure':
      return { id, cloud: 'azure', title: target.name, tenantId: via.tenantId, subscriptionId: target.id };
    case 'gcp':
      return { id, cloud: 'gcp', title: target.name, projectId: target.id };
  }
}
