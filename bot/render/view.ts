import { isIncluded, type ExternalGroups } from '../../domain/policy/evaluate';
import type { Policy } from '../../domain/policy/schema';
import type { RequestState } from '../../domain/request';

/**
 * What a chat renderer needs beyond the request itself. Front ends and notifiers fill it from the
 * policy and the system of record; renderers (Slack and Teams) turn it into blocks or cards.
 */
export interface RequestView {
  state: RequestState;
  /** The authorization system's title (e.g. `AWS production (123456789012)`), or its id. */
  systemTitle: string;
  /** The requester's id on the platform being rendered (Slack `U…`), for a mention. */
  requesterUserId?: string;
  /** The requester's most recent earlier requests, newest first (approver cards show them). */
  recent?: RequestState[];
}

/** One entitlement a person may ask for, as the request form and type-ahead offer it. */
export interface EntitlementChoice {
  id: string;
  title: string;
  description?: string;
  systemId: string;
  systemTitle: string;
  risk: 'low' | 'medium' | 'high';
  maxDurationSeconds: number;
  defaultDurationSeconds: number;
  ticketRequired: boolean;
}

/** The view of a request for one platform: the system's title from the policy, the requester's chat id. */
export function requestView(
  state: RequestState,
  policy: Policy,
  extras: { requesterUserId?: string; recent?: RequestState[] } = {},
): RequestView {
  const system = policy.authorizationSystems.find((s) => s.id === state.rules.systemId);
  return { state, systemTitle: system?.title ?? state.rules.systemId, ...extras };
}

/** Entitlements this person may ask for, as the request form offers them. */
export function entitlementChoices(policy: Policy, person: string, external: ExternalGroups = {}): EntitlementChoice[] {
  const systems = new Map(policy.authorizationSystems.map((system) => [system.id, system.title ?? system.id]));
  return policy.entitlements
    .filter((entitlement) => isIncluded(policy, entitlement.requesters, person, external))
    .map((entitlement) => {
      const limits = { ...policy.defaults.limits, ...entitlement.limits };
      return {
        id: entitlement.id,
        title: entitlement.title,
        ...(entitlement.description ? { description: entitlement.description } : {}),
        systemId: entitlement.system,
        systemTitle: systems.get(entitlement.system) ?? entitlement.system,
        risk: entitlement.risk,
        maxDurationSeconds: limits.maxDuration,
        defaultDurationSeconds: Math.min(limits.defaultDuration, limits.maxDuration),
        ticketRequired: Boolean(limits.ticketPattern),
      };
    });
}
