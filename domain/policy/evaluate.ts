import { ErrorCode, type Verdict } from '../errors';
import { formatDuration } from '../duration';
import type { AccessRequest, ApprovalOutcome, EntitlementRules } from '../request';
import type { Entitlement, People, Policy } from './schema';

export const MAX_REASON_LENGTH = 1000;
export const MAX_TICKET_LENGTH = 100;

/**
 * Members of groups kept outside the policy file, by key (`slack:S0123ABCD`), as e-mail addresses.
 * Front ends resolve them before evaluating; a group nobody resolved has no members (fail closed).
 */
export type ExternalGroups = Readonly<Record<string, readonly string[]>>;

export const slackGroupKey = (groupId: string): string => `slack:${groupId}`;

/** Everyone a `people` block names, groups expanded, lower-cased and without repeats. */
export function expandPeople(policy: Policy, people: People, external: ExternalGroups = {}): string[] {
  const members = [
    ...people.users,
    ...people.groups.flatMap((group) => policy.groups[group] ?? []),
    ...(people.slackUserGroups ?? []).flatMap((group) => external[slackGroupKey(group)] ?? []),
  ];
  return [...new Set(members.map((member) => member.toLowerCase()))];
}

export function isIncluded(policy: Policy, people: People, person: string, external: ExternalGroups = {}): boolean {
  return people.everyone || expandPeople(policy, people, external).includes(person.toLowerCase());
}

/** Every Slack user group the policy mentions, so a front end can resolve them in one pass. */
export function slackGroupsIn(policy: Policy): string[] {
  const blocks: People[] = [policy.admins, policy.findings.securityViewers];
  if (policy.alerts.acknowledgers) blocks.push(policy.alerts.acknowledgers);
  for (const system of policy.authorizationSystems) if (system.owners) blocks.push(system.owners);
  for (const entitlement of policy.entitlements) {
    blocks.push(entitlement.requesters, entitlement.approvers);
    if (entitlement.autoApprove) blocks.push(entitlement.autoApprove.requesters);
    if (entitlement.breakGlass) blocks.push(entitlement.breakGlass.requesters);
  }
  return [...new Set(blocks.flatMap((people) => people.slackUserGroups ?? []))].sort();
}

export function findEntitlement(policy: Policy, entitlementId: string): Entitlement | undefined {
  return policy.entitlements.find((entitlement) => entitlement.id === entitlementId);
}

/** The rules a request carries for its whole life, defaults filled in. */
export function resolveRules(
  policy: Policy,
  entitlement: Entitlement,
  external: ExternalGroups = {},
): EntitlementRules {
  const system = policy.authorizationSystems.find((s) => s.id === entitlement.system);
  if (!system) throw new Error(`policy names unknown system ${entitlement.system}`); // schema rules this out
  const approval = { ...policy.defaults.approval, ...entitlement.approval };
  const limits = { ...policy.defaults.limits, ...entitlement.limits };
  const extension = { ...policy.defaults.extension, ...entitlement.extension };
  return {
    entitlementId: entitlement.id,
    title: entitlement.title,
    risk: entitlement.risk,
    systemId: system.id,
    cloud: system.cloud,
    grant: entitlement.grant,
    approvers: expandPeople(policy, entitlement.approvers, external),
    requiredApprovals: entitlement.approvers.required,
    admins: expandPeople(policy, policy.admins, external),
    pendingTimeoutSeconds: approval.pendingTimeout,
    reminderEverySeconds: approval.reminderEvery,
    maxDurationSeconds: limits.maxDuration,
    extension: {
      allowed: extension.allowed,
      maxTotalSeconds: Math.max(extension.maxTotal, limits.maxDuration),
      requiresApproval: extension.requiresApproval,
    },
    notify: [...policy.notify, ...entitlement.notify],
  };
}

export interface Evaluation {
  rules: EntitlementRules;
  outcome: ApprovalOutcome;
}

export type EvaluationResult = ({ ok: true } & Evaluation) | Extract<Verdict, { ok: false }>;

/**
 * Decides whether a request may start and how it will be approved. `heldEntitlements` are the
 * requester's pending or active requests, so one person holds one lease per entitlement.
 */
export function evaluateRequest(
  policy: Policy,
  request: Pick<AccessRequest, 'requester' | 'entitlementId' | 'durationSeconds' | 'reason' | 'ticket' | 'breakGlass'>,
  heldEntitlements: readonly string[] = [],
  external: ExternalGroups = {},
): EvaluationResult {
  const entitlement = findEntitlement(policy, request.entitlementId);
  if (!entitlement) {
    const known = policy.entitlements
      .map((e) => e.id)
      .slice(0, 10)
      .join(', ');
    return fail(
      ErrorCode.EntitlementUnknown,
      `There is no entitlement "${clip(request.entitlementId)}". Known: ${known}.`,
    );
  }
  const rules = resolveRules(policy, entitlement, external);
  const requester = request.requester.toLowerCase();
  if (!isIncluded(policy, entitlement.requesters, requester, external)) {
    return fail(
      ErrorCode.RequesterNotEligible,
      `You are not on the list of people who may request ${entitlement.title}.`,
    );
  }
  if (heldEntitlements.includes(entitlement.id)) {
    return fail(
      ErrorCode.GrantAlreadyActive,
      `You already have a pending or active request for ${entitlement.title}; extend it or end it first.`,
    );
  }
  const limits = { ...policy.defaults.limits, ...entitlement.limits };
  const reason = request.reason.trim();
  if (limits.requireReason && reason.length === 0) {
    return fail(ErrorCode.ReasonRequired, `${entitlement.title} needs a reason: say what you will do with it.`);
  }
  if (reason.length > MAX_REASON_LENGTH) {
    return fail(ErrorCode.ReasonTooLong, `Keep the reason under ${MAX_REASON_LENGTH} characters.`);
  }
  if (limits.ticketPattern) {
    const ticket = request.ticket?.trim() ?? '';
    if (!ticket)
      return fail(ErrorCode.TicketRequired, `${entitlement.title} needs a ticket (pattern ${limits.ticketPattern}).`);
    if (ticket.length > MAX_TICKET_LENGTH || !new RegExp(limits.ticketPattern).test(ticket)) {
      return fail(
        ErrorCode.TicketMalformed,
        `"${clip(ticket)}" does not look like a ticket (pattern ${limits.ticketPattern}).`,
      );
    }
  }
  if (request.breakGlass) {
    const breakGlass = entitlement.breakGlass;
    if (!breakGlass || !isIncluded(policy, breakGlass.requesters, requester, external)) {
      return fail(ErrorCode.BreakGlassNotAllowed, `Break-glass is not available to you for ${entitlement.title}.`);
    }
    if (request.durationSeconds > breakGlass.maxDuration) {
      return fail(
        ErrorCode.DurationTooLong,
        `Break-glass access lasts at most ${formatDuration(breakGlass.maxDuration)}.`,
      );
    }
    return { ok: true, rules, outcome: 'break-glass' };
  }
  if (request.durationSeconds > rules.maxDurationSeconds) {
    return fail(
      ErrorCode.DurationTooLong,
      `${entitlement.title} can be granted for at most ${formatDuration(rules.maxDurationSeconds)}; you asked for ${formatDuration(request.durationSeconds)}.`,
    );
  }
  if (request.durationSeconds < 60) {
    return fail(ErrorCode.DurationTooShort, 'Ask for at least one minute.');
  }
  const auto = entitlement.autoApprove;
  if (auto && isIncluded(policy, auto.requesters, requester, external) && request.durationSeconds <= auto.maxDuration) {
    return { ok: true, rules, outcome: 'auto-approved' };
  }
  const others = rules.approvers.filter((approver) => approver !== requester);
  if (others.length < rules.requiredApprovals) {
    return fail(
      ErrorCode.ApproverNotAuthorized,
      `${entitlement.title} needs ${rules.requiredApprovals} approver(s) other than you and the policy names ${others.length}. Ask your security team to add approvers.`,
    );
  }
  return { ok: true, rules, outcome: 'needs-approval' };
}

function fail(code: ErrorCode, message: string): Extract<Verdict, { ok: false }> {
  return { ok: false, code, message };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
