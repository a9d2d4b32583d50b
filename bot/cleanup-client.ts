import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { AuditAction } from '../domain/audit';
import { isCompleted, isMissing } from './workflow-errors';
import { checkCleanupDiff, checkCleanupRestore, mayStartCleanup } from '../domain/cleanup/authority';
import type { CleanupItem, CleanupOutcome } from '../domain/cleanup/model';
import {
  checkCleanupDecision,
  type CleanupDecisionInput,
  type CleanupItemBrief,
  type CleanupRunState,
} from '../domain/cleanup/run';
import { ErrorCode } from '../domain/errors';
import type { ExternalGroups } from '../domain/policy/evaluate';
import type { Policy } from '../domain/policy/schema';
import {
  cleanupDecideUpdate,
  cleanupStatusQuery,
  cleanupWorkflowId,
  type CleanupInput,
  type CleanupRestoreInput,
  type CleanupRestoreResult,
} from '../workflows/cleanup-messages';
import { restoreSelectionOf } from './render/cleanup';

/** A run as the store keeps it (activities/store/cleanup `CleanupStore.run`): what the client reads of it. */
export interface CleanupRunRecordView {
  runId: string;
  systemId: string;
  /** Set on a run started for one identity. */
  identityId?: string;
  status: 'planned' | 'announced' | 'applying' | 'finished' | 'failed';
}

/** One item of a run as the store keeps it (`StoredCleanupItem`), documents included. */
export type CleanupItemRecord = CleanupItem & { runId: string; outcome?: CleanupOutcome; outcomeDetail?: string };

/** What the client reads from PostgreSQL; `CleanupStore` (activities/store/cleanup/store.ts) is the implementation. */
export interface CleanupReader {
  run(runId: string): Promise<CleanupRunRecordView | undefined>;
  /** The latest runs of a system, newest first. */
  runs(options: { systemId?: string; limit?: number }): Promise<CleanupRunRecordView[]>;
  items(runId: string, options?: { identityId?: string; itemIds?: readonly string[] }): Promise<CleanupItemRecord[]>;
}

export interface CleanupClientDeps {
  temporal: Client;
  /** Where the `cleanupRestore` workflow runs (the worker's task queue). */
  taskQueue: string;
  store: CleanupReader;
  policy: () => Policy;
  /** Refusals are audited here, as the findings client does it. */
  audit: (entry: { actor: string; action: AuditAction; detail: Record<string, unknown> }) => Promise<void>;
  /**
   * Members of groups kept outside the policy (Slack user groups), for who owns or administers a system;
   * read again at each decision click, so someone taken out of a group stops counting within its cache time.
   */
  externalGroups?: () => Promise<ExternalGroups>;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

export type CleanupRefusal = { ok: false; code: string; message: string };

export type DecideOutcome = { ok: true; item: CleanupItemBrief } | CleanupRefusal;
export type CheckOutcome = { ok: true; state: CleanupRunState; item: CleanupItemBrief } | CleanupRefusal;
export type DiffOutcome = { ok: true; item: CleanupItemRecord } | CleanupRefusal;
export type RestoreOutcome = { ok: true; result: CleanupRestoreResult; items: CleanupItemRecord[] } | CleanupRefusal;
/** `joined`: the identity's cleanup was already running (a double click, or an earlier start), and that run is the answer. */
export type StartOutcome = { ok: true; runId: string; joined: boolean } | CleanupRefusal;

/** A Clean up click on a finding card: one identity of one system. */
export interface CleanupStartRequest {
  systemId: string;
  identityId: string;
}

/**
 * An owner's click as a front end sends it: the run, and the answer the workflow's validator checks. The
 * clicker's groups are the client's to find, from the verified e-mail: a front end's claim is not taken.
 */
export type CleanupDecideRequest = Omit<CleanupDecisionInput, 'groups'> & { runId: string };

/**
 * The run's decider groups a clicker is in, as found at the click. `unchecked`: groups that might have
 * made them a decider could not be read (Slack failed, or this server has no Slack), so they did not count.
 */
interface ClickerGroups {
  groups: string[];
  unchecked?: 'unreadable' | 'no-directory';
}

const NO_GROUPS: ClickerGroups = { groups: [] };

/** What a Restore click asks for: an item id, `*` (the whole run) or `identity:<id or name>`, as on the buttons. */
export interface CleanupRestoreRequest {
  runId: string;
  item: string;
  reason?: string;
}

/** The `cleanupRestore` workflow's type name; the bot starts it by name (it never loads workflow code). */
export const CLEANUP_RESTORE_WORKFLOW = 'cleanupRestore';
/** The `cleanup` workflow's type name, started by name like the restore. */
export const CLEANUP_WORKFLOW = 'cleanup';

/** Runs of a system looked at for one already cleaning up the same identity. */
const RECENT_RUNS = 50;

/**
 * The workflow (and run) id of a cleanup started from chat for one identity: the system, the minute
 * and a digest of the identity's id (ids run to 1024 characters; a run id must fit a button), so the
 * same click twice in a minute, or two owners at once, land on one run.
 */
export function chatCleanupRunId(systemId: string, identityId: string, at: Date): string {
  const minute = at.toISOString().slice(0, 16).replace(':', '-');
  const identity = createHash('sha256').update(identityId).digest('hex').slice(0, 12);
  return `cleanup-${systemId}-${minute}-${identity}`;
}

/**
 * The workflow id of a restore: one per run and selection, so the same click twice (or two people at
 * once) joins the restore already running instead of starting a second one.
 */
export function cleanupRestoreWorkflowId(
  runId: string,
  selection: { itemIds?: readonly string[]; identityId?: string },
): string {
  const key = JSON.stringify({
    i: selection.itemIds ? [...selection.itemIds].sort() : null,
    p: selection.identityId ?? null,
  });
  return `cleanup-restore-${runId}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * The one way chat front ends act on a cleanup run: an owner's Keep / Remove now / Snooze goes to the
 * run's workflow, whose update validator has the last word on authority; Show diff, Restore and Clean
 * up are checked against the run's items and the policy by domain/cleanup/authority.ts, the rule the CLI
 * uses too. Every refusal is audited and comes back as a code and a sentence to show the person.
 */
export class CleanupClient {
  constructor(private readonly deps: CleanupClientDeps) {}

  /** Keep / Remove now / Snooze on one item: the workflow's validator decides, the answer is the item as recorded. */
  async decide(request: CleanupDecideRequest): Promise<DecideOutcome> {
    // groups are only ever what this client found: a request claiming some has them dropped
    const { runId, groups: _claimed, ...asked } = request as CleanupDecideRequest & { groups?: unknown };
    const decider = asked.decider.trim().toLowerCase();
    const clicked: CleanupDecisionInput = { ...asked, decider };
    const found = await this.clickerGroups(runId, clicked);
    const input: CleanupDecisionInput = { ...clicked, ...(found.groups.length > 0 ? { groups: found.groups } : {}) };
    try {
      const item = await this.handle(runId).executeUpdate(cleanupDecideUpdate, { args: [input] });
      return { ok: true, item };
    } catch (error) {
      const refusal = explained(await this.workflowRefusal(error, runId, input), found);
      await this.audited(decider, AuditAction.CleanupDecisionRefused, {
        run: clip(runId),
        item: clip(input.itemId),
        kind: input.kind,
        code: refusal.code,
        message: refusal.message,
        ...(found.unchecked ? { groupsUnchecked: found.unchecked } : {}),
      });
      return refusal;
    }
  }

  /**
   * Whether `decider` may give this answer now, asked of the running workflow without changing it:
   * Keep is checked before its form opens, so a person who may not decide does not type a reason first.
   */
  async check(request: CleanupDecideRequest): Promise<CheckOutcome> {
    const { runId, groups: _claimed, ...input } = request as CleanupDecideRequest & { groups?: unknown };
    const decider = input.decider.trim().toLowerCase();
    let found = NO_GROUPS;
    const refuse = async (refusal: CleanupRefusal): Promise<CleanupRefusal> => {
      await this.audited(decider, AuditAction.CleanupDecisionRefused, {
        run: clip(runId),
        item: clip(input.itemId),
        kind: input.kind,
        code: refusal.code,
        message: refusal.message,
        ...(found.unchecked ? { groupsUnchecked: found.unchecked } : {}),
      });
      return refusal;
    };
    let state: CleanupRunState;
    try {
      state = await this.handle(runId).query(cleanupStatusQuery);
    } catch (error) {
      if (!isMissing(error)) throw error;
      return refuse(unknownRun(runId));
    }
    // The reason is asked for next; the check is of everything else.
    const asked: CleanupDecisionInput = {
      ...input,
      decider,
      ...(input.kind === 'keep' ? { reason: input.reason?.trim() || 'to be given' } : {}),
    };
    found = await this.groupsIn(state, asked);
    const verdict = checkCleanupDecision(state, { ...asked, groups: found.groups });
    if (!verdict.ok) return refuse(explained({ ok: false, code: verdict.code, message: verdict.message }, found));
    return { ok: true, state, item: state.items.find((i) => i.itemId === input.itemId)! };
  }

  /** Show diff: the item's documents, for its owners, the system's owners, security viewers and admins. */
  async diff(runId: string, itemId: string, person: string): Promise<DiffOutcome> {
    const actor = person.trim().toLowerCase();
    const refuse = async (code: string, message: string): Promise<CleanupRefusal> => {
      await this.audited(actor, AuditAction.CleanupViewRefused, { run: clip(runId), item: clip(itemId), code });
      return { ok: false, code, message };
    };
    const run = await this.deps.store.run(runId);
    const [item] = run ? await this.deps.store.items(runId, { itemIds: [itemId] }) : [];
    if (!run || !item) return refuse(ErrorCode.CleanupUnknown, 'That change is not part of a cleanup run Least knows.');
    const verdict = checkCleanupDiff(this.deps.policy(), run.systemId, actor, item, await this.externalGroups());
    if (!verdict.ok) return refuse(verdict.code, verdict.message);
    return { ok: true, item };
  }

  /**
   * Restore from a report's button: authority first (the items' owners, the system's owners, admins), then
   * the `cleanupRestore` workflow, waited for; its result says what came back, item by item.
   */
  async restore(request: CleanupRestoreRequest, person: string): Promise<RestoreOutcome> {
    const actor = person.trim().toLowerCase();
    const { runId } = request;
    const refuse = async (code: string, message: string): Promise<CleanupRefusal> => {
      await this.audited(actor, AuditAction.CleanupRestoreRefused, {
        run: clip(runId),
        item: clip(request.item),
        code,
      });
      return { ok: false, code, message };
    };
    const run = await this.deps.store.run(runId);
    if (!run) return refuse(ErrorCode.CleanupUnknown, 'That cleanup run is not one Least knows.');
    const selected = await this.selection(runId, request.item);
    if (!selected.ok) return refuse(selected.code, selected.message);
    const { input, items } = selected;
    const verdict = checkCleanupRestore(
      this.deps.policy(),
      run.systemId,
      actor,
      { items, wholeRun: !(input.itemIds || input.identityId) },
      await this.externalGroups(),
    );
    if (!verdict.ok) return refuse(verdict.code, verdict.message);
    const restoreInput: CleanupRestoreInput = {
      runId,
      ...input,
      by: actor,
      ...(request.reason?.trim() ? { reason: request.reason.trim() } : {}),
    };
    try {
      const result = await this.deps.temporal.workflow.execute<
        (input: CleanupRestoreInput) => Promise<CleanupRestoreResult>
      >(CLEANUP_RESTORE_WORKFLOW, {
        workflowId: cleanupRestoreWorkflowId(runId, input),
        taskQueue: this.deps.taskQueue,
        args: [restoreInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return { ok: true, result, items };
    } catch (error) {
      if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure)
        return refuse(error.cause.type ?? ErrorCode.CleanupRestoreConflict, error.cause.message);
      throw error;
    }
  }

  /** Whether `person` may start a cleanup on this system: the identity card shows Clean up only to them. */
  async mayStart(person: string, systemId: string): Promise<boolean> {
    return mayStartCleanup(this.deps.policy(), systemId, person, await this.externalGroups());
  }

  /**
   * Clean up from a finding card: authority checked again (the card's button proves nothing), then the
   * `cleanup` workflow for that one identity, with the CLI's input. A run already cleaning up the
   * identity is joined rather than doubled; the workflow announces before it changes anything.
   */
  async start(request: CleanupStartRequest, person: string, at: Date = new Date()): Promise<StartOutcome> {
    const actor = person.trim().toLowerCase();
    const { systemId, identityId } = request;
    const detail = { system: clip(systemId), identity: clip(identityId) };
    const refuse = async (code: string, message: string): Promise<CleanupRefusal> => {
      await this.audited(actor, AuditAction.CleanupStartRefused, { ...detail, code });
      return { ok: false, code, message };
    };
    const policy = this.deps.policy();
    if (!policy.authorizationSystems.some((s) => s.id === systemId))
      return refuse(ErrorCode.CleanupUnknown, `There is no authorization system "${clip(systemId)}" in the policy.`);
    if (!identityId.trim()) return refuse(ErrorCode.CleanupUnknown, 'That button does not name an identity.');
    if (!(await this.mayStart(actor, systemId)))
      return refuse(
        ErrorCode.CleanupNotAuthorized,
        `Only the owners of ${clip(systemId)} and Least's admins may start a cleanup there.`,
      );
    const running = await this.runningFor(systemId, identityId, at);
    if (running) {
      await this.audited(actor, AuditAction.CleanupStarted, { ...detail, run: running, joined: true });
      return { ok: true, runId: running, joined: true };
    }
    const runId = chatCleanupRunId(systemId, identityId, at);
    const input: CleanupInput = { systemId, trigger: 'manual', requestedBy: actor, identityId };
    let joined = false;
    try {
      await this.deps.temporal.workflow.start<(input: CleanupInput) => Promise<unknown>>(CLEANUP_WORKFLOW, {
        workflowId: cleanupWorkflowId(runId),
        taskQueue: this.deps.taskQueue,
        args: [input],
        // A second click on the same id — running or just finished — is the same run, told as joined.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      joined = true;
    }
    await this.audited(actor, AuditAction.CleanupStarted, { ...detail, run: runId, joined });
    return { ok: true, runId, joined };
  }

  /**
   * A run of this system for this identity that Temporal says is running: one its record says is open,
   * or one started from chat in the minute before `at` (a double click across a minute's edge; not yet
   * planned, so not yet recorded).
   */
  private async runningFor(systemId: string, identityId: string, at: Date): Promise<string | undefined> {
    const runs = await this.deps.store.runs({ systemId, limit: RECENT_RUNS });
    const candidates = [
      chatCleanupRunId(systemId, identityId, new Date(at.getTime() - 60_000)),
      ...runs
        .filter((r) => r.identityId === identityId && r.status !== 'finished' && r.status !== 'failed')
        .map((r) => r.runId),
    ];
    for (const runId of new Set(candidates)) {
      try {
        const described = await this.handle(runId).describe();
        if (described.status.name === 'RUNNING') return runId;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return undefined;
  }

  /** The restore workflow's input for a button's item, and the run's items it covers. */
  private async selection(
    runId: string,
    item: string,
  ): Promise<
    | { ok: true; input: Pick<CleanupRestoreInput, 'itemIds' | 'identityId'>; items: CleanupItemRecord[] }
    | CleanupRefusal
  > {
    const selection = restoreSelectionOf(item);
    const nothing: CleanupRefusal = {
      ok: false,
      code: ErrorCode.CleanupUnknown,
      message: 'Nothing in this cleanup run matches that Restore button.',
    };
    if (selection.kind === 'item') {
      const items = await this.deps.store.items(runId, { itemIds: [selection.itemId] });
      return items.length > 0 ? { ok: true, input: { itemIds: [selection.itemId] }, items } : nothing;
    }
    const all = await this.deps.store.items(runId);
    if (selection.kind === 'run') return all.length > 0 ? { ok: true, input: {}, items: all } : nothing;
    // A button carries the identity's id, or its name when the report had no ids: an id wins, a name must be unique.
    const byId = all.filter((i) => i.identities.some((who) => who.id === selection.identity));
    const ids = new Set(
      all.flatMap((i) => i.identities.filter((who) => who.name === selection.identity).map((who) => who.id)),
    );
    const identityId = byId.length > 0 ? selection.identity : ids.size === 1 ? [...ids][0]! : undefined;
    if (identityId === undefined && ids.size > 1)
      return {
        ok: false,
        code: ErrorCode.CleanupUnknown,
        message: `More than one identity in this run is called "${clip(selection.identity)}": restore its changes one by one.`,
      };
    if (identityId === undefined) return nothing;
    const items = all.filter((i) => i.identities.some((who) => who.id === identityId));
    return { ok: true, input: { identityId }, items };
  }

  private async externalGroups(): Promise<ExternalGroups> {
    return this.deps.externalGroups ? await this.deps.externalGroups() : {};
  }

  /** The clicker's decider groups in the run as it stands (none when the run is gone: the update then says so). */
  private async clickerGroups(runId: string, input: CleanupDecisionInput): Promise<ClickerGroups> {
    let state: CleanupRunState;
    try {
      state = await this.handle(runId).query(cleanupStatusQuery);
    } catch (error) {
      if (isMissing(error)) return NO_GROUPS;
      throw error;
    }
    return this.groupsIn(state, input);
  }

  /**
   * Which of the run's decider groups the clicker is in, read now from Slack (through the directory's
   * short cache), and only when nothing else would let them decide: an owner's click costs no lookup.
   * A group that cannot be read counts for nobody (fail closed), and the refusal says so.
   */
  private async groupsIn(state: CleanupRunState, input: CleanupDecisionInput): Promise<ClickerGroups> {
    const wanted = state.deciderGroups ?? [];
    const verdict = checkCleanupDecision(state, input);
    if (wanted.length === 0 || verdict.ok || verdict.code !== ErrorCode.CleanupNotAuthorized) return NO_GROUPS;
    if (!this.deps.externalGroups) return { groups: [], unchecked: 'no-directory' };
    let members: ExternalGroups;
    try {
      members = await this.deps.externalGroups();
    } catch (error) {
      (this.deps.log ?? ((m, e) => console.warn(JSON.stringify({ level: 'warn', msg: m, ...e }))))(
        'cleanup decider groups unreadable',
        { run: clip(state.runId), groups: wanted, error: String(error) },
      );
      return { groups: [], unchecked: 'unreadable' };
    }
    return { groups: wanted.filter((group) => members[group]?.includes(input.decider) === true) };
  }

  private handle(runId: string) {
    return this.deps.temporal.workflow.getHandle(cleanupWorkflowId(runId));
  }

  /**
   * Why the workflow did not take an answer: its validator's code and sentence, or — when the run is
   * gone or finished — what its last state says (a finished run still answers queries).
   */
  private async workflowRefusal(error: unknown, runId: string, input: CleanupDecisionInput): Promise<CleanupRefusal> {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { ok: false, code: error.cause.type ?? ErrorCode.InputMalformed, message: error.cause.message };
    if (!isMissing(error) && !isCompleted(error)) throw error;
    try {
      const state = await this.handle(runId).query(cleanupStatusQuery);
      const verdict = checkCleanupDecision(state, input);
      if (!verdict.ok) return { ok: false, code: verdict.code, message: verdict.message };
      return { ok: false, code: ErrorCode.CleanupClosed, message: 'This cleanup run is not taking answers now.' };
    } catch (queryError) {
      if (!isMissing(queryError)) throw queryError;
      return unknownRun(runId);
    }
  }

  private async audited(actor: string, action: AuditAction, detail: Record<string, unknown>): Promise<void> {
    try {
      await this.deps.audit({ actor, action, detail });
    } catch (error) {
      (this.deps.log ?? ((m, e) => console.error(JSON.stringify({ level: 'error', msg: m, ...e }))))(
        'audit write failed',
        { action, error: String(error) },
      );
    }
  }
}

/** A refusal that may be owed to groups nobody could read says so: the person may be in one. */
function explained(refusal: CleanupRefusal, found: ClickerGroups): CleanupRefusal {
  if (refusal.code !== ErrorCode.CleanupNotAuthorized || !found.unchecked) return refusal;
  const note =
    found.unchecked === 'unreadable'
      ? ' Least could not read the Slack user groups that may also decide here, so membership in them did not count; try again in a few minutes.'
      : ' This Least server cannot read Slack user groups, so membership in those that may also decide here did not count.';
  return { ...refusal, message: refusal.message + note };
}

function unknownRun(runId: string): CleanupRefusal {
  return {
    ok: false,
    code: ErrorCode.CleanupUnknown,
    message: `There is no cleanup run "${clip(runId)}" taking answers: it may have been replaced by a newer run.`,
  };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
