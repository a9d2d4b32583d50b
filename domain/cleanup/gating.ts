import { isScored } from '../findings/assess';
import { isMembership, type GrantPath, type Identity } from '../inventory/model';
import type { IdentityView } from '../inventory/view';
import { wildcardMatch } from '../inventory/wildcard';
import type { CleanupHoldReason, CleanupRules } from './model';
import { day, lastSegment } from './words';

const DAY_MS = 86_400_000;

/**
 * What keeps the cleanup planner's hands off before any verdict is weighed (plan.ts lists the decisions):
 * an identity excluded by the policy or younger than the window, and an object's paths under an excluded
 * prefix or granted within the grace period.
 */

export interface Gate {
  reason: CleanupHoldReason;
  detail: string;
}

/** Why one object's paths plan nothing. */
export interface PathGate extends Gate {
  reason: 'grace-period' | 'excluded';
}

export class Gates {
  private readonly rules: CleanupRules;
  /** The window's start and the grace period's, parsed. */
  private readonly from: number;
  private readonly graceFrom: number;

  constructor(
    rules: CleanupRules,
    private readonly window: { from: string; to: string },
    at: string,
    private readonly grantedAt: ((identityId: string, path: GrantPath) => string | undefined) | undefined,
  ) {
    this.rules = rules;
    this.from = Date.parse(window.from);
    this.graceFrom = Date.parse(at) - rules.graceDays * DAY_MS;
  }

  /** Why nothing of this identity is planned: excluded, or younger than the window. */
  identity(view: IdentityView): Gate | undefined {
    return this.exclusion(view.identity) ?? this.tooNew(view);
  }

  /** Why an access key or console password is not planned: excluded, or not known older than the window. */
  credential(identity: Identity): Gate | undefined {
    const whole = this.exclusion(identity);
    if (whole) return whole;
    if (identity.createdAt !== undefined && Date.parse(identity.createdAt) < this.from) return undefined;
    const detail =
      identity.createdAt === undefined
        ? 'its creation time is unknown'
        : `created ${day(identity.createdAt)}, after the window opened on ${day(this.window.from)}`;
    return { reason: 'identity-too-new', detail };
  }

  /** Why the paths `paths` of the view (those of one object) plan nothing: an excluded scope, or granted within the grace period. */
  paths(view: IdentityView, paths: readonly number[]): PathGate | undefined {
    const prefixes = this.rules.exclude.paths;
    for (const k of paths) {
      const p = view.paths[k]!;
      const places = [p.scope, ...(p.kind === 'inherited' && p.via ? [p.via] : [])];
      if (p.kind === 'managed-policy' && p.via) places.push(iamPathOf(p.via));
      const prefix = prefixes.find((x) => places.some((place) => startsWithText(place, x)));
      if (prefix !== undefined) return { reason: 'excluded', detail: `under the excluded path ${prefix}` };
    }
    let latest: string | undefined;
    let unknown = false;
    for (const k of paths) {
      const since = this.grantedSince(view, k, 0);
      if (since === undefined) unknown = true;
      else if (latest === undefined || since > latest) latest = since;
    }
    const graceDays = this.rules.graceDays;
    if (latest !== undefined && Date.parse(latest) > this.graceFrom)
      return { reason: 'grace-period', detail: `granted ${day(latest)}, within the ${graceDays}-day grace period` };
    if (unknown && !this.olderThan(view, this.graceFrom))
      return {
        reason: 'grace-period',
        detail: `when it was granted is unknown, and the identity is not known to be older than the ${graceDays}-day grace period`,
      };
    return undefined;
  }

  /** When a path was first seen, the membership bringing it included; undefined when any of it is unknown. */
  private grantedSince(view: IdentityView, k: number, depth: number): string | undefined {
    const p = view.paths[k]!;
    const since = this.grantedAt?.(p.identityId, p);
    if (since === undefined || p.inheritedFrom === undefined) return since;
    if (depth > 8) return undefined;
    const through = view.paths.findIndex((q) => isMembership(q.kind) && q.via === p.inheritedFrom && q !== p);
    if (through < 0) return since;
    const joined = this.grantedSince(view, through, depth + 1);
    return joined === undefined ? undefined : joined > since ? joined : since;
  }

  /** When the identity is known to have existed by: its creation, or the first sighting of one of its own paths. */
  private existedBy(view: IdentityView): string | undefined {
    if (view.identity.createdAt !== undefined) return view.identity.createdAt;
    let first: string | undefined;
    for (const p of view.paths) {
      if (p.inheritedFrom !== undefined) continue;
      const since = this.grantedAt?.(p.identityId, p);
      if (since !== undefined && (first === undefined || since < first)) first = since;
    }
    return first;
  }

  private olderThan(view: IdentityView, time: number): boolean {
    const existed = this.existedBy(view);
    return existed !== undefined && Date.parse(existed) < time;
  }

  private tooNew(view: IdentityView): Gate | undefined {
    if (this.olderThan(view, this.from)) return undefined;
    const opened = day(this.window.from);
    const { createdAt } = view.identity;
    const existed = this.existedBy(view);
    const detail =
      createdAt !== undefined
        ? `created ${day(createdAt)}, after the window opened on ${opened}`
        : existed !== undefined
          ? `creation time unknown; first seen ${day(existed)}, after the window opened on ${opened}`
          : 'its creation time is unknown, so it may be younger than the window';
    return { reason: 'identity-too-new', detail };
  }

  private exclusion(identity: Identity): Gate | undefined {
    const rule = this.rules.exclude;
    const parentName = identity.parentId !== undefined ? lastSegment(identity.parentId) : undefined;
    const names = [identity.id, identity.name, ...(identity.parentId ? [identity.parentId, parentName!] : [])];
    const named = (patterns: readonly string[]): string | undefined =>
      patterns.find((pattern) => names.some((name) => wildcardMatch(pattern, name)));
    const breakGlass = named(rule.breakGlass);
    if (breakGlass !== undefined) return excluded(`break-glass identity (${breakGlass})`);
    const listed = named(rule.identities);
    if (listed !== undefined) return excluded(`excluded identity (${listed})`);
    for (const [key, value] of Object.entries(rule.tags)) {
      const tag = Object.keys(identity.tags).find((k) => k.toLowerCase() === key.toLowerCase());
      if (tag !== undefined && wildcardMatch(value, identity.tags[tag]!))
        return excluded(`tag ${tag}=${identity.tags[tag]!}`);
    }
    const path = identity.path;
    const prefix = path !== undefined ? rule.paths.find((x) => startsWithText(path, x)) : undefined;
    if (prefix !== undefined) return excluded(`under the excluded path ${prefix}`);
    if (rule.serviceLinked && (identity.kind === 'aws-iam-role' || identity.kind === 'gcp-service-account')) {
      if (!isScored(identity))
        return excluded(identity.kind === 'aws-iam-role' ? 'service-linked role' : 'Google-managed service agent');
    }
    return undefined;
  }
}

function excluded(detail: string): Gate {
  return { reason: 'excluded', detail };
}

function startsWithText(text: string, prefix: string): boolean {
  return text.toLowerCase().startsWith(prefix.toLowerCase());
}

/** `arn:aws:iam::1:policy/team/x` → `/team/`. */
function iamPathOf(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1) || '/';
}
