/**
 * Every Slack action id, view callback id and input block id in one place: the renderers put them
 * on blocks, the Bolt handlers listen for them. Values are namespaced so they never clash with
 * another app's ids in the same payload.
 */
export const SlackAction = {
  Approve: 'least.approve',
  Deny: 'least.deny',
  /** Button value: `<request id> <duration>`, e.g. `r-abc123defg 1h`. */
  Extend: 'least.extend',
  EndNow: 'least.end',
  Review: 'least.review',
  OpenRequestForm: 'least.open-request',
  /** A link button (the AWS access portal); Slack still sends an action, which is acknowledged and ignored. */
  OpenAccess: 'least.open-access',
  SystemPicker: 'least.system',
  /** external_select: options come from the entitlement type-ahead handler. */
  EntitlementPicker: 'least.entitlement',
  DurationInput: 'least.duration',
  ReasonInput: 'least.reason',
  TicketInput: 'least.ticket',
  DenyReasonInput: 'least.deny-reason',
  /** Button value: JSON `{systemId, identityId}` (bot/render/findings.ts `encodeTarget`/`parseTarget`). */
  FindingsShowIdentity: 'least.findings-identity',
  /** Opens the suppress form. Value: JSON `{systemId, identityId, findingId?}`; without a finding, all of the identity's. */
  FindingsSuppress: 'least.findings-suppress',
  /** Starts a cleanup of the identity (its system's owners and admins only). Value: JSON `{systemId, identityId}`. */
  FindingsCleanUp: 'least.findings-cleanup',
  SuppressReasonInput: 'least.findings-suppress-reason',
  SuppressDaysInput: 'least.findings-suppress-days',
} as const;

export const SlackView = {
  RequestForm: 'least.request-form',
  DenyReason: 'least.deny-reason-form',
  /** The suppress form's submission; private_metadata: JSON `{systemId, identityId, findingId?, channelId?}`. */
  SuppressFindings: 'least.findings-suppress-form',
} as const;

/** Input block ids: `view.state.values[block][action]` and the keys of `response_action: 'errors'`. */
export const SlackBlock = {
  System: 'system',
  Entitlement: 'entitlement',
  Duration: 'duration',
  Reason: 'reason',
  Ticket: 'ticket',
  DenyReason: 'deny-reason',
  SuppressReason: 'suppress-reason',
  SuppressDays: 'suppress-days',
} as const;

export const SLACK_COMMAND = '/access';
