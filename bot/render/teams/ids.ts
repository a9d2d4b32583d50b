/**
 * Teams Universal Action verbs and card input ids: the one place cards and handlers agree on them.
 * Every Action.Execute carries `data.requestId` (except the request form's submit).
 */
export const TeamsVerb = {
  /** The request form's submit; inputs are `TeamsInput.*`. */
  SubmitRequest: 'least.request.submit',
  /** Opens the request form card in place of a message card (e.g. from help or an empty list). */
  OpenRequestForm: 'least.request.form',
  Approve: 'least.approve',
  /**
   * Deny carries the comment input `TeamsInput.Comment`. The card labels it required but cannot enforce
   * it (an input's `isRequired` would hold Approve back too), so the bot checks it.
   */
  Deny: 'least.deny',
  /** `data.duration` says by how much (`30m`, `1h`). */
  Extend: 'least.extend',
  EndNow: 'least.end',
  Review: 'least.review',
  /** Automatic refresh: approvers listed in `refresh.userIds` get their own card with buttons. */
  Refresh: 'least.refresh',
  /** `data`: `{systemId, identityId}` (bot/render/findings.ts `parseTarget`). */
  FindingsShowIdentity: 'least.findings.identity',
  /** Shows the suppress card; `data`: `{systemId, identityId, findingId?}`, no finding meaning all of the identity's. */
  FindingsSuppress: 'least.findings.suppress',
  /** The suppress card's submit: `data` as above, inputs `TeamsInput.SuppressReason` and `TeamsInput.SuppressDays`. */
  FindingsSuppressSubmit: 'least.findings.suppress.submit',
  /** Starts a cleanup of the identity (its system's owners and admins only); `data`: `{systemId, identityId}`. */
  FindingsCleanUp: 'least.findings.cleanup',
} as const;
export type TeamsVerb = (typeof TeamsVerb)[keyof typeof TeamsVerb];

export const TeamsInput = {
  Entitlement: 'entitlement',
  Duration: 'duration',
  Reason: 'reason',
  Ticket: 'ticket',
  Comment: 'comment',
  SuppressReason: 'suppressReason',
  /** `30` or `90` (bot/render/findings.ts `parseSuppressDays`). */
  SuppressDays: 'suppressDays',
} as const;

/** What a card's Action.Execute sends back in `value.action.data`, besides the inputs. */
export interface TeamsActionData {
  requestId?: string;
  duration?: string;
}

/** The card schema version Teams renders everywhere it supports Universal Actions. */
export const ADAPTIVE_CARD_VERSION = '1.5';

/** Teams refuses a message over about 28 KB; cards stay well under it. */
export const TEAMS_CARD_MAX_BYTES = 24 * 1024;

/** Teams calls refresh only for these users, and for at most 60 of them. */
export const REFRESH_USER_IDS_MAX = 60;
