import type { Identity } from '../inventory/model';
import { expandPeople, slackGroupKey } from '../policy/evaluate';
import { systemCleanupSchema, type AuthorizationSystem, type NotifyTarget, type Policy } from '../policy/schema';
import type { CleanupRules } from './model';
import { wildcardMatch } from '../inventory/wildcard';

/**
 * A system's cleanup settings from the policy file, as the planner and the workflow read them. A system
 * without a `cleanup` block can still be planned on demand (`least cleanup plan`): with the defaults, in
 * report mode, so nothing changes that nobody asked for.
 */

const DAY = 86_400;

export function cleanupRulesOf(system: AuthorizationSystem): CleanupRules {
  // without a block, the block's own defaults (report mode): they are written once, in the schema
  const c = system.cleanup ?? systemCleanupSchema.parse({});
  return {
    systemId: system.id,
    cloud: system.cloud,
    mode: c.mode,
    windowDays: c.window / DAY,
    noticeDays: c.notice / DAY,
    graceDays: c.grace / DAY,
    ...(c.staging ? { stagingDays: c.staging / DAY } : {}),
    changes: c.changes,
    exclude: {
      identities: c.exclude.identities,
      tags: c.exclude.tags,
      paths: c.exclude.paths,
      serviceLinked: c.exclude.serviceLinked,
      breakGlass: c.exclude.breakGlass,
      ...(c.exclude.sidPrefix ? { sidPrefix: c.exclude.sidPrefix } : {}),
    },
    ...(system.cloud === 'azure' ? { scope: `/subscriptions/${system.subscriptionId}` } : {}),
  };
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * Who answers for an identity, in order: the owner tag the policy names, the policy's mapping (by id or
 * name), the owner the collector found, then the system's owners. E-mail addresses only, lower-cased;
 * empty when nobody is known (the announcement then goes to the channel).
 */
export function ownersResolver(policy: Policy, system: AuthorizationSystem): (identity: Identity) => string[] {
  const settings = system.cleanup?.owners;
  const systemOwners = system.owners ? expandPeople(policy, system.owners) : [];
  const mapping = Object.entries(settings?.mapping ?? {});
  return (identity) => {
    const found: string[] = [];
    const add = (value: string | undefined): void => {
      const email = value?.trim().toLowerCase();
      if (email && EMAIL.test(email) && !found.includes(email)) found.push(email);
    };
    if (settings?.tag) {
      const tag = Object.entries(identity.tags).find(([key]) => key.toLowerCase() === settings.tag!.toLowerCase());
      add(tag?.[1]);
    }
    for (const [pattern, owner] of mapping)
      if (wildcardMatch(pattern, identity.id) || wildcardMatch(pattern, identity.name)) add(owner);
    add(identity.owner);
    if (found.length === 0) systemOwners.forEach(add);
    return found;
  };
}

/** Who may answer for any item of a system's run: its owners and Least's admins (policy groups expanded). */
export function cleanupDeciders(policy: Policy, system: AuthorizationSystem): string[] {
  const people = [
    ...(system.owners ? expandPeople(policy, system.owners) : []),
    ...expandPeople(policy, policy.admins),
  ];
  return [...new Set(people)].sort();
}

/**
 * The Slack user groups among them, by key (`slack:S0123ABCD`). A scheduled worker has no verified
 * clicker to resolve them for, so their members are resolved by the bot at each click instead.
 */
export function cleanupDeciderGroups(policy: Policy, system: AuthorizationSystem): string[] {
  const groups = [...(system.owners?.slackUserGroups ?? []), ...policy.admins.slackUserGroups];
  return [...new Set(groups.map(slackGroupKey))].sort();
}

/** Where a system's cleanup summary goes: its fallback channel, else the policy's first notify target. */
export function cleanupChannel(policy: Policy, system: AuthorizationSystem): NotifyTarget | undefined {
  return system.cleanup?.owners.channel ?? policy.notify[0];
}
