import { indexCatalogue } from '../inventory/catalogue-index';
import type { ActionCatalogue, Cloud } from '../inventory/model';
import type { HeldAction } from './model';

/**
 * Super identity: holds every action on every resource, or a role that amounts to it. Judged from two
 * sides, because either may be all a collection has:
 * - by documents: AWS `AdministratorAccess`; Azure Owner, or Contributor together with User Access
 *   Administrator (or Role Based Access Control Administrator, which may also assign any role) over one
 *   subscription, at subscription scope or wider; GCP `roles/owner` or `roles/editor` on a project,
 *   folder or organization;
 * - by actions (AWS and Azure): every catalogue action held on all resources (`*:*`; Azure `*`, i.e.
 *   every control-plane operation). GCP has no whole catalogue to compare with (its catalogue is the
 *   roles read), so only the roles speak there.
 * Conditions do not lower it: a condition such as MFA or a source network limits how, not what.
 */

/** One grant path of the identity: the document it holds that way, and where. */
export interface SuperIdentityPath {
  /**
   * AWS: the policy ARN (`arn:aws:iam::aws:policy/AdministratorAccess`); Azure: the role definition's
   * name (`Owner`) or id (`…/roleDefinitions/8e3af657-…`); GCP: the role (`roles/owner`). Absent for
   * paths that carry no document (a group membership).
   */
  documentName?: string;
  /** Where it is held: an AWS account, an ARM scope (`/subscriptions/…`), a GCP resource (`projects/p`). */
  scope: string;
}

export interface SuperIdentityInput {
  cloud: Cloud;
  catalogue: ActionCatalogue;
  /**
   * The identity's effective actions (after denies and boundaries). For Azure, only those held at
   * subscription scope or wider: `*` granted on one resource group is not a super identity.
   */
  held: readonly HeldAction[];
  paths: readonly SuperIdentityPath[];
}

/** Why the identity is a super identity, or undefined when it is not. */
export function superIdentity(input: SuperIdentityInput): string | undefined {
  switch (input.cloud) {
    case 'aws':
      return awsAdministrator(input.paths) ?? everyAction(input, 'every action');
    case 'azure':
      return azureOwnerEquivalent(input.paths) ?? everyAction(input, 'every control-plane operation');
    case 'gcp':
      return gcpOwnerOrEditor(input.paths);
  }
}

/** The policy ARN, as stored documents name it with their version (`…/AdministratorAccess:v1`) or without. */
const AWS_ADMINISTRATOR = /^arn:aws(-[a-z-]+)?:iam::aws:policy\/AdministratorAccess(:v\d+)?$/;

function awsAdministrator(paths: readonly SuperIdentityPath[]): string | undefined {
  const found = paths.find((document) => AWS_ADMINISTRATOR.test(document.documentName ?? ''));
  return found && `holds AdministratorAccess (${found.documentName}) in ${found.scope}`;
}

/** Built-in role definition ids are the same in every tenant. */
const AZURE_ROLES = {
  owner: ['owner', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'],
  contributor: ['contributor', 'b24988ac-6180-42a0-ab88-20f7382dd24c'],
  accessAdministrator: [
    'user access administrator',
    '18d7d88d-d35e-4fb5-a5c3-7773c6a72458',
    'role based access control administrator',
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  ],
} as const;

function azureRole(documentName: string | undefined): keyof typeof AZURE_ROLES | undefined {
  const name = (documentName ?? '').trim().toLowerCase();
  const last = name.slice(name.lastIndexOf('/') + 1);
  for (const [role, names] of Object.entries(AZURE_ROLES) as [keyof typeof AZURE_ROLES, readonly string[]][]) {
    if (names.includes(name) || names.includes(last)) return role;
  }
  return undefined;
}

/** `/`, a management group, or a subscription: scopes that reach at least one whole subscription. */
function subscriptionOrWider(scope: string): boolean {
  const parts = scopeParts(scope);
  if (parts.length === 0) return true;
  if (parts[0] === 'subscriptions') return parts.length === 2;
  return parts[0] === 'providers' && parts[1] === 'microsoft.management' && parts[2] === 'managementgroups';
}

function scopeParts(scope: string): string[] {
  return scope
    .toLowerCase()
    .split('/')
    .filter((part) => part !== '');
}

/**
 * One scope reaches the other (path prefix). A management group's subscriptions are not in the path,
 * so a management group and a subscription are only paired through the root scope `/`.
 */
function covers(outer: string, inner: string): boolean {
  const a = scopeParts(outer);
  const b = scopeParts(inner);
  return a.length <= b.length && a.every((part, at) => part === b[at]);
}

function azureOwnerEquivalent(paths: readonly SuperIdentityPath[]): string | undefined {
  const wide = paths.filter((document) => subscriptionOrWider(document.scope));
  const owner = wide.find((document) => azureRole(document.documentName) === 'owner');
  if (owner) return `holds Owner at ${owner.scope || '/'}`;
  for (const contributor of wide.filter((document) => azureRole(document.documentName) === 'contributor')) {
    const admin = wide.find(
      (document) =>
        azureRole(document.documentName) === 'accessAdministrator' &&
        (covers(document.scope, contributor.scope) || covers(contributor.scope, document.scope)),
    );
    if (admin) {
      const [narrower] = [contributor.scope, admin.scope].sort((a, b) => scopeParts(b).length - scopeParts(a).length);
      return `holds Contributor and ${admin.documentName} at ${narrower || '/'}`;
    }
  }
  return undefined;
}

const GCP_SUPER_ROLES = new Set(['roles/owner', 'roles/editor']);

function gcpOwnerOrEditor(paths: readonly SuperIdentityPath[]): string | undefined {
  const found = paths.find(
    (document) =>
      GCP_SUPER_ROLES.has((document.documentName ?? '').trim().toLowerCase()) &&
      /^(\*|projects\/[^/]+|folders\/[^/]+|organizations\/[^/]+)?$/.test(resourceOf(document.scope)),
  );
  return found && `holds ${(found.documentName ?? '').trim()} on ${found.scope}`;
}

/** `//cloudresourcemanager.googleapis.com/projects/p` and `projects/p` name the same resource. */
function resourceOf(scope: string): string {
  return scope.replace(/^\/\/[^/]+\//, '').trim();
}

/**
 * Per catalogue, its control-plane actions (Azure data actions are granted apart), each numbered: by the
 * catalogue's own spelling and by lower case, with a mark per action for holdsAll to count each once.
 */
interface ControlPlane {
  size: number;
  exact: ReadonlyMap<string, number>;
  lower: ReadonlyMap<string, number>;
  /** holdsAll's marks: the generation that last counted each action. */
  seen: Int32Array;
  generation: number;
}

const controlPlaneByCatalogue = new WeakMap<ActionCatalogue, ControlPlane>();

function controlPlane(catalogue: ActionCatalogue): ControlPlane {
  let found = controlPlaneByCatalogue.get(catalogue);
  if (!found) {
    const exact = new Map<string, number>();
    const lower = new Map<string, number>();
    for (const entry of indexCatalogue(catalogue).all) {
      if ((entry as { dataAction?: boolean }).dataAction === true) continue;
      const name = entry.action.toLowerCase();
      // two spellings of one action in a catalogue are one action
      let at = lower.get(name);
      if (at === undefined) lower.set(name, (at = lower.size));
      exact.set(entry.action, at);
    }
    found = { size: lower.size, exact, lower, seen: new Int32Array(lower.size), generation: 0 };
    controlPlaneByCatalogue.set(catalogue, found);
  }
  return found;
}

function everyAction(input: SuperIdentityInput, what: string): string | undefined {
  const wanted = controlPlane(input.catalogue);
  if (wanted.size === 0 || input.held.length < wanted.size) return undefined;
  return holdsAll(input.held, input.catalogue, wanted)
    ? `holds ${what} of the catalogue (${wanted.size}) on all resources`
    : undefined;
}

/** Identities holding the same documents share one held array: its answer is worked out once. */
const holdsAllOf = new WeakMap<readonly HeldAction[], WeakMap<ActionCatalogue, boolean>>();

function holdsAll(held: readonly HeldAction[], catalogue: ActionCatalogue, wanted: ControlPlane): boolean {
  let byCatalogue = holdsAllOf.get(held);
  const known = byCatalogue?.get(catalogue);
  if (known !== undefined) return known;
  // each control-plane action held on all resources counted once, however often and however spelled
  // (held actions carry the catalogue's spelling; only another one needs lower-casing)
  const generation = (wanted.generation = (wanted.generation % 0x7fffffff) + 1);
  if (generation === 1) wanted.seen.fill(0);
  let count = 0;
  for (const holding of held) {
    if (holding.resourceReach !== 'all') continue;
    const at = wanted.exact.get(holding.action) ?? wanted.lower.get(holding.action.toLowerCase());
    if (at === undefined || wanted.seen[at] === generation) continue;
    wanted.seen[at] = generation;
    count += 1;
  }
  const answer = count === wanted.size;
  if (!byCatalogue) holdsAllOf.set(held, (byCatalogue = new WeakMap()));
  byCatalogue.set(catalogue, answer);
  return answer;
}
