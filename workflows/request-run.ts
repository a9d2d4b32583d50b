import { condition, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { LeaseSpec } from '../domain/lease';
import type { Notice, NoticeKind } from '../domain/notice';
import type { StepNotice } from '../activities';
import {
  applyDecision,
  checkDecision,
  openStage,
  checkEnd,
  checkExtension,
  checkReview,
  initialState,
  isTerminal,
  transition,
  type DecisionInput,
  type EndInput,
  type ExtendInput,
  type RequestState,
  type RequestStatus,
} from '../domain/request';
import type { AuditAction } from '../domain/audit';
import { addSeconds, formatDuration } from '../domain/duration';
import { extendGrant, local, notify, recordDecision, recordState } from './activity-profiles';
import type { AccessRequestInput } from './messages';
import { StatusAttribute } from './search-attributes';
import { enforce } from './failures';

/**
 * One request's state and every change to it: the update handlers land here, and the workflow's
 * steps move it along. PostgreSQL gets a snapshot with every recorded change.
 */
export class RequestRun {
  state: RequestState;
  /** The first "end" asked for; later ones wait for the same outcome. */
  endRequest: EndInput | undefined;
  /** What PostgreSQL holds, so replies and the main flow never run ahead of it. */
  recordedStatus: RequestStatus | undefined;
  /** Bumped by handlers so waits in the main flow re-evaluate their deadlines. */
  wake = 0;
  lease: LeaseSpec | undefined;
  /** The approved / break-glass notice, sent once the grant is in place rather than before it. */
  decisionNotice: NoticeKind | undefined;
  readonly startedAt = Date.now();
  private decisionInFlight = false;
  /** Audit entries this run has made, in workflow order (the same on every replay). */
  private auditEntries = 0;
  /** The status the search attribute shows; lean runs write it only when it changes. */
  private shownStatus: RequestStatus | undefined;
  /** The worker's clock at the end of the last step, when that step ran nothing after it (paired runs). */
  stepClockMs: number | undefined;

  /**
   * @param recordsOnce false for runs started before the approve path was shortened: they replay
   *   the old sequence of commands (see APPROVE_PATH_PATCH).
   * @param lean true for runs started from LEAN_LIFECYCLE_PATCH: bookkeeping, notices and the cloud
   *   steps run as local activities, and the status attribute is written only when it changes.
   * @param paired true for runs started from PAIRED_STEPS_PATCH: a record and the notices that follow
   *   it are one local activity.
   */
  constructor(
    input: AccessRequestInput,
    readonly recordsOnce: boolean,
    readonly lean = false,
    readonly paired = false,
  ) {
    this.state = initialState(input.request, input.rules, input.outcome);
    // what the starter set (AccessClient sets "pending"), read from the start event: deterministic
    if (lean) this.shownStatus = workflowInfo().typedSearchAttributes.get(StatusAttribute) as RequestStatus;
  }

  get requestId(): string {
    return this.state.request.requestId;
  }

  nowIso(): string {
    return new Date(Date.now()).toISOString();
  }

  move(to: RequestStatus, patch: Partial<RequestState> = {}): void {
    this.state = { ...transition(this.state, to), ...patch };
  }

  async record(action: AuditAction, detail: Record<string, unknown> = {}, actor = 'workflow'): Promise<void> {
    this.showStatus();
    const status = this.state.status;
    this.stepClockMs = undefined;
    await (this.lean ? local.recordState : recordState)(this.state, this.auditEntry(action, detail, actor));
    this.recordedStatus = status;
  }

  /**
   * Record a step, then tell people of it. Paired runs do both in one local activity and retry alone
   * only a notice that failed there; earlier runs replay the record and each notice in turn.
   */
  async recordAndNotify(
    action: AuditAction,
    detail: Record<string, unknown>,
    notices: StepNotice[],
    actor = 'workflow',
  ): Promise<void> {
    let unsent = notices;
    if (this.paired) {
      this.showStatus();
      const status = this.state.status;
      const entry = this.auditEntry(action, detail, actor);
      const { undelivered, clockMs } = await local.recordAndNotify(this.state, entry, notices);
      this.recordedStatus = status;
      this.stepClockMs = clockMs; // a notice sent again below moves the clock on, and forgets this reading
      unsent = undelivered.map((index) => notices[index]!);
    } else {
      await this.record(action, detail, actor);
    }
    for (const notice of unsent) await this.notify(notice.kind, notice.detail, notice.state && { state: notice.state });
  }

  /** The status as a search attribute, for listing requests in Temporal's UI and CLI. */
  private showStatus(): void {
    if (this.lean && this.shownStatus === this.state.status) return;
    upsertSearchAttributes([{ key: StatusAttribute, value: this.state.status }]);
    this.shownStatus = this.state.status;
  }

  async notify(
    kind: NoticeKind,
    detail?: string,
    extra: Pick<Notice, 'rightSize'> & { state?: RequestState } = {},
  ): Promise<void> {
    this.stepClockMs = undefined;
    const { state = this.state, ...rest } = extra;
    try {
      await (this.lean ? local.notify : notify)({ kind, state, ...(detail ? { detail } : {}), ...rest });
    } catch (error) {
      log.warn('notice not delivered', { kind, requestId: this.requestId, error: String(error) });
    }
  }

  async sendDecisionNotice(): Promise<void> {
    const kind = this.takeDecisionNotice();
    if (kind) await this.notify(kind);
  }

  /** The decision notice still to send, now off the list: whoever takes it sends it. */
  takeDecisionNotice(): NoticeKind | undefined {
    const kind = this.decisionNotice;
    this.decisionNotice = undefined;
    return kind;
  }

  /** Waits `ms` or until a handler wakes the main flow; true when woken. */
  async nap(ms: number, alsoWhen: () => boolean = () => false): Promise<boolean> {
    const seen = this.wake;
    return condition(() => this.wake !== seen || alsoWhen(), ms);
  }

  // Update handlers and their validators.

  validateDecision(decision: DecisionInput): void {
    enforce(checkDecision(this.state, decision));
  }

  async decide(decision: DecisionInput): Promise<RequestState> {
    if (!this.recordsOnce) return this.decideAsBefore(decision);
    // One decision is recorded at a time, so the audit log has them in the order they were counted.
    if (this.decisionInFlight) await condition(() => !this.decisionInFlight);
    this.decisionInFlight = true;
    try {
      const stage = openStage(this.state);
      const result = applyDecision(this.state, decision, this.nowIso());
      if (result.state === this.state) return this.state; // repeated click: already counted
      this.state = result.state;
      const counted = this.state.decisions[this.state.decisions.length - 1]!;
      if (stage === 'request' && result.settled) {
        // The click that settles the request records the settlement with it; the main flow acts only
        // once both are in PostgreSQL, whatever timer fires meanwhile.
        this.move(result.settled);
        this.showStatus();
        const status = this.state.status;
        const settlement = this.auditEntry(`request.${result.settled}` as const, {
          decisions: this.state.decisions.length,
        });
        await (this.lean ? local.recordDecision : recordDecision)(this.state, counted, settlement);
        this.recordedStatus = status;
      } else {
        await (this.lean ? local.recordDecision : recordDecision)(this.state, counted);
      }
      this.wake++;
      if (stage === 'extension' && result.settled) await this.settleExtension(result.settled === 'approved');
      return this.state;
    } finally {
      this.decisionInFlight = false;
    }
  }

  validateExtension(extension: ExtendInput): void {
    enforce(checkExtension(this.state, extension));
  }

  async extend({ by, additionalSeconds }: ExtendInput): Promise<RequestState> {
    this.state = {
      ...this.state,
      pendingExtension: { requestedBy: by, additionalSeconds, requestedAt: this.nowIso() },
    };
    if (!this.state.rules.extension.requiresApproval) {
      await this.settleExtension(true);
      return this.state;
    }
    const detail = formatDuration(additionalSeconds);
    await this.recordAndNotify(
      'extension.requested',
      { additionalSeconds },
      [{ kind: 'extension-requested', detail }],
      by,
    );
    return this.state;
  }

  validateEnd(end: EndInput): void {
    enforce(checkEnd(this.state, end));
  }

  async end(end: EndInput): Promise<RequestState> {
    this.endRequest ??= end;
    this.wake++;
    await condition(() => this.recordedStatus !== undefined && isTerminal(this.recordedStatus));
    return this.state;
  }

  validateReview({ reviewer }: { reviewer: string }): void {
    enforce(checkReview(this.state, reviewer));
  }

  async review({ reviewer, note }: { reviewer: string; note?: string }): Promise<RequestState> {
    this.state = { ...this.state, reviewedBy: reviewer.toLowerCase() };
    await this.record('breakglass.reviewed', note ? { note } : {}, reviewer.toLowerCase());
    return this.state;
  }

  /** Runs started before APPROVE_PATH_PATCH: the main flow settles; this only counts and records. */
  private async decideAsBefore(decision: DecisionInput): Promise<RequestState> {
    const stage = openStage(this.state);
    const result = applyDecision(this.state, decision, this.nowIso());
    if (result.state === this.state) return this.state;
    this.state = result.state;
    await recordDecision(this.state, this.state.decisions[this.state.decisions.length - 1]!);
    this.wake++;
    if (stage === 'extension' && result.settled) await this.settleExtension(result.settled === 'approved');
    return this.state;
  }

  private async settleExtension(approved: boolean): Promise<void> {
    const pending = this.state.pendingExtension;
    if (!pending || !this.state.expiresAt) return;
    if (!approved) {
      this.state = { ...this.state, pendingExtension: undefined };
      await this.recordAndNotify('extension.denied', { additionalSeconds: pending.additionalSeconds }, [
        { kind: 'extension-denied', detail: formatDuration(pending.additionalSeconds) },
      ]);
      return;
    }
    const expiresAt = addSeconds(this.state.expiresAt, pending.additionalSeconds);
    this.state = {
      ...this.state,
      expiresAt,
      extendedSeconds: this.state.extendedSeconds + pending.additionalSeconds,
      pendingExtension: undefined,
    };
    this.wake++;
    if (this.lease) {
      this.lease = { ...this.lease, expiresAt };
      try {
        await extendGrant(this.lease);
      } catch (error) {
        // Our timer already moved; the cloud's own expiry stays earlier, which only errs on the safe side.
        log.warn('cloud-native expiry not extended', { error: String(error) });
      }
    }
    await this.recordAndNotify(
      'grant.extended',
      { additionalSeconds: pending.additionalSeconds, expiresAt },
      [{ kind: 'extended', detail: formatDuration(pending.additionalSeconds) }],
      pending.requestedBy,
    );
  }

  /**
   * An audit entry keyed so that writing it again adds nothing. Lean runs number their entries: a local
   * activity whose workflow task failed (a worker killed mid-step) runs again in a longer history, so the
   * history length, which older runs use, would give the same entry a second key.
   */
  private auditEntry(action: AuditAction, detail: Record<string, unknown>, actor = 'workflow') {
    return {
      actor,
      action,
      requestId: this.requestId,
      detail: { status: this.state.status, ...detail },
      key: this.lean
        ? `${action}:${this.requestId}:#${++this.auditEntries}`
        : `${action}:${this.requestId}:${workflowInfo().historyLength}`,
    };
  }
}
