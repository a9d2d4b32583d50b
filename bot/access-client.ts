import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { AuditAction } from '../domain/audit';
import { DomainError, ErrorCode } from '../domain/errors';
import { parseDuration } from '../domain/duration';
import { evaluateRequest, type ExternalGroups } from '../domain/policy/evaluate';
import type { Policy } from '../domain/policy/schema';
import {
  awaitsDecisionFrom,
  initialState,
  type Origin,
  type RequestFilter,
  type RequestState,
} from '../domain/request';
import { accessRequest, REQUEST_TASK_TIMEOUT } from '../workflows/access-request';
import {
  decideUpdate,
  endUpdate,
  extendUpdate,
  reviewUpdate,
  statusQuery,
  type AccessRequestInput,
} from '../workflows/messages';
import { EntitlementAttribute, RequesterAttribute, StatusAttribute } from '../workflows/search-attributes';

/** What every front end (CLI, Slack, Teams) gets back: the request, or a refusal to show the person. */
export type Outcome = { ok: true; state: RequestState } | { ok: false; code: string; message: string };

export interface AccessClientDeps {
  temporal: Client;
  taskQueue: string;
  policy: () => Policy;
  /** The requester's pending or active entitlement ids (from the system of record). */
  heldEntitlements: (requester: string) => Promise<string[]>;
  /** Refusals are audited here; the workflow never sees a refused request. */
  audit: (entry: {
    actor: string;
    action: AuditAction;
    requestId?: string;
    detail: Record<string, unknown>;
  }) => Promise<void>;
  newRequestId: (seed?: string) => string;
  /** Requests from the system of record, newest first (what `list`, approvals and App Home show). */
  findRequests?: (filter: RequestFilter) => Promise<RequestState[]>;
  /** Members of groups kept outside the policy (Slack user groups), resolved by the front end. */
  externalGroups?: () => Promise<ExternalGroups>;
  now?: () => Date;
}

export interface SubmitInput {
  requester: string;
  entitlementId: string;
  /** `2h`, `PT30M`, or seconds. */
  duration: string | number;
  reason: string;
  ticket?: string;
  breakGlass?: boolean;
  origin: Origin;
  /** Same seed, same request id: a double submit finds the first request. */
  idempotencySeed?: string;
}

/**
 * The only way front ends act on requests: validate against the policy, then start, update or
 * query the request's workflow. Refusals come back as codes and sentences, and are audited.
 */
export class AccessClient {
  constructor(private readonly deps: AccessClientDeps) {}

  async submit(input: SubmitInput): Promise<Outcome> {
    const requester = input.requester.trim().toLowerCase();
    const refuse = async (code: string, message: string): Promise<Outcome> => {
      await this.audited(requester, AuditAction.RequestRefused, undefined, {
        code,
        entitlement: clip(input.entitlementId),
      });
      return { ok: false, code, message };
    };
    let durationSeconds: number;
    try {
      durationSeconds = typeof input.duration === 'number' ? input.duration : parseDuration(input.duration);
    } catch (error) {
      if (error instanceof DomainError) return refuse(error.code, error.message);
      throw error;
    }
    const draft = {
      requester,
      entitlementId: input.entitlementId.trim(),
      durationSeconds,
      reason: input.reason.trim(),
      ...(input.ticket?.trim() ? { ticket: input.ticket.trim() } : {}),
      ...(input.breakGlass ? { breakGlass: true } : {}),
    };
    if (input.idempotencySeed) {
      // A repeated submission (double click, retried webhook) answers with the request it already made.
      const existing = await this.status(this.deps.newRequestId(input.idempotencySeed));
      if (existing.ok) return existing;
    }
    const [held, external] = await Promise.all([
      this.deps.heldEntitlements(requester),
      this.deps.externalGroups?.() ?? {},
    ]);
    const evaluation = evaluateRequest(this.deps.policy(), draft, held, external);
    if (!evaluation.ok) return refuse(evaluation.code, evaluation.message);

    const requestId = this.deps.newRequestId(input.idempotencySeed);
    const workflowInput: AccessRequestInput = {
      request: {
        ...draft,
        requestId,
        submittedAt: (this.deps.now?.() ?? new Date()).toISOString(),
        origin: input.origin,
      },
      rules: evaluation.rules,
      outcome: evaluation.outcome,
    };
    try {
      await this.deps.temporal.workflow.start(accessRequest, {
        workflowId: requestId,
        taskQueue: this.deps.taskQueue,
        args: [workflowInput],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowTaskTimeout: REQUEST_TASK_TIMEOUT,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: RequesterAttribute, value: requester },
          { key: EntitlementAttribute, value: draft.entitlementId },
          { key: StatusAttribute, value: 'pending' },
        ]),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return this.status(requestId); // someone else's start: ask the run what it holds
    }
    // The run this call started holds exactly this until its first step: no query (and no wait for
    // its first workflow task) before the person hears their request id.
    return { ok: true, state: initialState(workflowInput.request, workflowInput.rules, workflowInput.outcome) };
  }

  async status(requestId: string): Promise<Outcome> {
    try {
      const state = await this.deps.temporal.workflow.getHandle(requestId).query(statusQuery);
      return { ok: true, state };
    } catch (error) {
      return this.refusal(error, requestId);
    }
  }

  /** Members of groups kept outside the policy (Slack user groups), the same for every front end. */
  async externalGroups(): Promise<ExternalGroups> {
    return (await this.deps.externalGroups?.()) ?? {};
  }

  /** The person's own live and pending requests. */
  async mine(person: string): Promise<RequestState[]> {
    return this.find({ requester: person.toLowerCase(), statuses: ['pending', 'approved', 'active'] });
  }

  /** Requests waiting for this person's decision: pending ones they have not decided, and extensions. */
  async awaitingDecision(person: string): Promise<RequestState[]> {
    const me = person.toLowerCase();
    const candidates = await this.find({ approver: me, statuses: ['pending', 'active'] });
    return candidates.filter((state) => awaitsDecisionFrom(state, me));
  }

  /** The requester's most recent requests, for approver cards' history. */
  async recent(requester: string, limit = 5): Promise<RequestState[]> {
    return this.find({
      requester: requester.toLowerCase(),
      statuses: ['pending', 'approved', 'active', 'revoked', 'denied', 'expired', 'cancelled', 'failed'],
      limit,
    });
  }

  private async find(filter: RequestFilter): Promise<RequestState[]> {
    if (!this.deps.findRequests) return [];
    return this.deps.findRequests(filter);
  }

  async decide(requestId: string, approver: string, verdict: 'approve' | 'deny', reason?: string): Promise<Outcome> {
    return this.update(requestId, approver, AuditAction.ApprovalRefused, (handle) =>
      handle.executeUpdate(decideUpdate, { args: [{ approver, verdict, ...(reason ? { reason } : {}) }] }),
    );
  }

  async extend(requestId: string, by: string, duration: string): Promise<Outcome> {
    let additionalSeconds: number;
    try {
      additionalSeconds = parseDuration(duration);
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
    return this.update(requestId, by, AuditAction.ExtensionRefused, (handle) =>
      handle.executeUpdate(extendUpdate, { args: [{ by, additionalSeconds }] }),
    );
  }

  async end(requestId: string, by: string, reason?: string): Promise<Outcome> {
    return this.update(requestId, by, AuditAction.EndRefused, (handle) =>
      handle.executeUpdate(endUpdate, { args: [{ by, ...(reason ? { reason } : {}) }] }),
    );
  }

  async review(requestId: string, reviewer: string, note?: string): Promise<Outcome> {
    return this.update(requestId, reviewer, AuditAction.ReviewRefused, (handle) =>
      handle.executeUpdate(reviewUpdate, { args: [{ reviewer, ...(note ? { note } : {}) }] }),
    );
  }

  private async update(
    requestId: string,
    actor: string,
    refusedAction: AuditAction,
    send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<RequestState>,
  ): Promise<Outcome> {
    try {
      const state = await send(this.deps.temporal.workflow.getHandle(requestId));
      return { ok: true, state };
    } catch (error) {
      let refusal = this.refusal(error, requestId);
      if (refusal.code === ErrorCode.RequestUnknown || refusal.code === ErrorCode.LeaseNotActive) {
        // A closed workflow refuses updates as "not found" on some servers; it still answers queries.
        const closed = await this.status(requestId);
        if (closed.ok)
          refusal = {
            ok: false,
            code: ErrorCode.LeaseNotActive,
            message: `Request ${requestId} is already ${closed.state.status}; nothing can change it now.`,
          };
      }
      if (!refusal.ok)
        await this.audited(actor.toLowerCase(), refusedAction, requestId, {
          code: refusal.code,
          message: refusal.message,
        });
      return refusal;
    }
  }

  private refusal(error: unknown, requestId: string): Outcome & { ok: false } {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      return { ok: false, code: error.cause.type ?? ErrorCode.InputMalformed, message: error.cause.message };
    }
    if (error instanceof WorkflowNotFoundError || isNotFound(error)) {
      return { ok: false, code: ErrorCode.RequestUnknown, message: `There is no request "${clip(requestId)}".` };
    }
    if (isCompleted(error)) {
      return { ok: false, code: ErrorCode.LeaseNotActive, message: `Request ${clip(requestId)} has already finished.` };
    }
    throw error;
  }

  /** Audits something a front end refused on its own (malformed command, unknown chat user, forged request). */
  async refused(
    actor: string,
    action: AuditAction,
    detail: Record<string, unknown>,
    requestId?: string,
  ): Promise<void> {
    await this.audited(actor.toLowerCase(), action, requestId, detail);
  }

  private async audited(
    actor: string,
    action: AuditAction,
    requestId: string | undefined,
    detail: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.deps.audit({ actor, action, ...(requestId ? { requestId } : {}), detail });
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'audit write failed', action, error: String(error) }));
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message) && /workflow/i.test(error.message);
}

function isCompleted(error: unknown): boolean {
  return error instanceof Error && /already completed|workflow execution already completed/i.test(error.message);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
