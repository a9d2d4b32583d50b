import { createHash } from 'node:crypto';
import type { iam_v1 } from '@googleapis/iam';
import { googleFailure } from '../../cloud/gcp/errors';
import { type RetryTuning, withTransientRetry } from '../../cloud/gcp/resource-manager';

/**
 * The GCP catalogue is the roles themselves: `roles.get` returns a role's `includedPermissions`, so a
 * role read once is its own expansion. Predefined roles (`roles/…`) come from `roles.get`, custom ones
 * from `projects.roles.get` or `organizations.roles.get`. One catalogue lives for one collection, so a
 * role bound in a hundred places is read once, and a role changed since the last run is read afresh.
 */

export type GcpRole = iam_v1.Schema$Role;

export class GcpRoleCatalogue {
  private readonly roles = new Map<string, Promise<GcpRole | undefined>>();

  constructor(
    private readonly client: iam_v1.Iam,
    private readonly tuning: RetryTuning,
  ) {}

  /** The role, or undefined when IAM has no such role (deleted, or a typo in a binding). */
  role(name: string): Promise<GcpRole | undefined> {
    let found = this.roles.get(name);
    if (!found) {
      found = this.read(name);
      // a failure other than "not found" is not remembered: the next page asks again
      void found.catch(() => this.roles.delete(name));
      this.roles.set(name, found);
    }
    return found;
  }

  get size(): number {
    return this.roles.size;
  }

  /**
   * The roles this collection read so far, as `iam roles.get v1: <n> roles, sha256:<16 hex>` over each
   * role's name and etag in name order (a role IAM did not have counts as `name@-`): IAM changes a role's
   * etag whenever its permissions change, so two runs that read the same roles say the same.
   */
  async version(): Promise<string> {
    const settled = await Promise.allSettled(
      [...this.roles.entries()].map(async ([name, role]) => `${name}@${(await role)?.etag ?? '-'}`),
    );
    const seen = settled.flatMap((entry) => (entry.status === 'fulfilled' ? [entry.value] : [])).sort();
    const hash = createHash('sha256').update(seen.join('\n')).digest('hex').slice(0, 16);
    return `iam roles.get v1: ${seen.length} roles, sha256:${hash}`;
  }

  private async read(name: string): Promise<GcpRole | undefined> {
    try {
      const response = await withTransientRetry(this.tuning, () => {
        if (name.startsWith('projects/')) return this.client.projects.roles.get({ name });
        if (name.startsWith('organizations/')) return this.client.organizations.roles.get({ name });
        return this.client.roles.get({ name });
      });
      return response.data;
    } catch (error) {
      const failure = googleFailure(error);
      if (failure?.httpStatus === 404 || failure?.status === 'NOT_FOUND') return undefined;
      throw error;
    }
  }
}
