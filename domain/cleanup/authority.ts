import { allow, ErrorCode, refuse, type Verdict } from '../errors';
import { expandPeople, isIncluded, type ExternalGroups } from '../policy/evaluate';
import type { Policy } from '../policy/schema';
import type { CleanupItem, CleanupOutcome } from './model';

/**
 * Who may act on a system's cleanup from outside its workflow: start one, see a change's diff, restore
 * what a run changed. (An owner's Keep / Remove now / Snooze is the workflow's validator's call:
 * `checkCleanupDecision` in run.ts.) Chat and the CLI ask these, so one rule answers everywhere.
 * People are e-mail addresses; groups kept outside the policy (Slack user groups) come in `external`.
 */

/** What a person is to one system's cleanup. */
export interface CleanupStanding {
  admin: boolean;
  securityViewer: boolean;
  systemOwner: boolean;
}

/** An item as a restore looks at it: who owns it, and what the run did to it. */
export type RestorableItem = Pick<CleanupItem, 'owners'> & { outcome?: CleanupOutcome };

/** Least's admin, a security viewer, one of the system's owners (`everyone` counts, as everywhere in the policy). */
export function cleanupStandingOf(
  policy: Policy,
  systemId: string,
  person: string,
  external: ExternalGroups = {},
): CleanupStanding {
  const who = normalized(person);
  const system = policy.authorizationSystems.find((s) => s.id === systemId);
  return {
    admin: isIncluded(policy, policy.admins, who, external),
    securityViewer: isIncluded(policy, policy.findings.securityViewers, who, external),
    systemOwner: system?.owners !== undefined && isIncluded(policy, system.owners, who, external),
  };
}

/**
 * Who may start a cleanup on demand: the system's owners and Least's admins, groups and Slack user
 * groups expanded. Named people only — `everyone` does not count: a run in enforce mode changes
 * the cloud when nobody answers, so starting one is not for anyone.
 */
export function mayStartCleanup(
  policy: Policy,
  systemId: string,
  person: string,
  external: ExternalGroups = {},
): boolean {
  const system = policy.authorizationSystems.find((s) => s.id === systemId);
  if (!system) return false;
  const who = normalized(person);
  return (
    (system.owners !== undefined && expandPeople(policy, system.owners, external).includes(who)) ||
    expandPeople(policy, policy.admins, external).includes(who)
  );
}

/** Show diff: the change's owners, the system's owners, security viewers and Least's admins. */
export function checkCleanupDiff(
  policy: Policy,
  systemId: string,
  person: string,
  item: Pick<CleanupItem, 'owners'>,
  external: ExternalGroups = {},
): Verdict {
  const standing = cleanupStandingOf(policy, systemId, person, external);
  if (standing.admin || standing.securityViewer || standing.systemOwner || ownsItem(item, person)) return allow;
  return refuse(
    ErrorCode.CleanupNotAuthorized,
    "Only this change's owners, the system's owners, security viewers and Least's admins may see its diff.",
  );
}

/**
 * Restore: Least's admins, the system's owners, or someone who owns every change restored. Only what
 * the run changed (removed, staged, or restored before) is restored, so ownership is over those; over every
 * selected item when the run changed none. `wholeRun`: the selection is the run, not items or an identity.
 * Named people only, as for starting a run: a restore gives rights back, so `everyone` among the
 * system's owners does not make everyone a restorer. Chat and the CLI both ask this.
 */
export function checkCleanupRestore(
  policy: Policy,
  systemId: string,
  person: string,
  selection: { items: readonly RestorableItem[]; wholeRun: boolean },
  external: ExternalGroups = {},
): Verdict {
  const { items, wholeRun } = selection;
  const touched = items.filter(
    (item) => item.outcome === 'removed' || item.outcome === 'staged' || item.outcome === 'restored',
  );
  if (
    mayStartCleanup(policy, systemId, person, external) ||
    (items.length > 0 && (touched.length > 0 ? touched : items).every((i) => ownsItem(i, person)))
  )
    return allow;
  return refuse(
    ErrorCode.CleanupNotAuthorized,
    wholeRun
      ? "Only the system's owners and Least's admins may restore a whole run (or someone who owns every change in it)."
      : "Only the owners of these changes, the system's owners and Least's admins may restore them.",
  );
}

function ownsItem(item: Pick<CleanupItem, 'owners'>, person: string): boolean {
  const who = normalized(person);
  return item.owners.some((owner) => owner.toLowerCase() === who);
}

function normalized(person: string): string {
  return person.trim().toLowerCase();
}
