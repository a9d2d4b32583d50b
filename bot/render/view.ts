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

/**
 * Where a view's extras come from, the one port behind every chat view: the bot's handlers read them
 * through the access client and their platform's directory, the notifiers from the system of record.
 */
export interface ViewSources {
  policy: () => Policy;
  /** The person's requests, newest first, at most `limit`. */
  requestsOf: (requester: string, limit: number) => Promise<RequestState[]>;
  /** The person's user id on the platform, by e-mail, where the platform can look people up. */
  userIdOf?: (email: string) => Promise<string | undefined>;
}

/** Builds a request's view for one platform; approver cards ask for the requester's history too. */
export type ViewBuilder = (state: RequestState, options?: { withHistory?: boolean }) => Promise<RequestView>;

/** How many earlier requests an approver card shows. */
const HISTORY = 5;

/**
 * The one way a request becomes a view: the system's title from the policy; the requester's chat id
 * from where they asked or, failing that, the platform's directory; and their recent other requests.
 */
export function viewBuilder(platform: 'slack' | 'teams', sources: ViewSources): ViewBuilder {
  return async (state, options = {}) => {
    const { origin, requester, requestId } = state.request;
    const requesterUserId =
      origin.platform === platform && origin.userId ? origin.userId : await sources.userIdOf?.(requester);
    const recent = options.withHistory
      ? (await sources.requestsOf(requester, HISTORY + 1))
          .filter((other) => other.request.requestId !== requestId)
          .slice(0, HISTORY)
      : undefined;
    const system = sources.policy().authorizationSystems.find((s) => s.id === state.rules.systemId);
    return {
      state,
      systemTitle: system?.title ?? state.rules.systemId,
      ...(requesterUserId ? { requesterUserId } : {}),
      ...(recent ? { recent } : {}),
    };
  };
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
