import {
  KEEP_DAYS,
  type CleanupChangeKind,
  type CleanupMode,
  type CleanupObjectKind,
  type CleanupOutcome,
} from '../../domain/cleanup/model';
import type { NotifyTarget } from '../../domain/policy/schema';
import { clip } from './clip';
import { diffDocuments, type DiffLine } from './cleanup-diff';
import { formatCount, plural } from './findings';

/**
 * The unused-permission cleanup in chat (issue 13), in the same words on Slack, Teams and the log:
 * what the cleanup workflow tells owners and channels (announcement, reminder, report, restore), the
 * Show diff view, and the answers to a click. Like findings.ts, the sentences are bound to a
 * platform's dialect: every identity, policy, system and person name reached us from a cloud, a
 * policy file or a person, and goes through the dialect, which escapes and clips it for its platform.
 *
 * The views, the button ids and their values are declared here, not beside the notifier port
 * (activities/chat/cleanup-notifier.ts re-exports them): the bot's handlers read them too, and the
 * bot may import renderers but never activities.
 */

// ---- What the cleanup workflow hands the notifiers ----

export interface CleanupRunView {
  runId: string;
  systemId: string;
  /** The system's title, or its id. */
  systemTitle: string;
  mode: CleanupMode;
  windowDays: number;
  /** Nothing changes before this (ISO); absent in a report of a run with nothing to change. */
  noticeUntil?: string;
}

export interface CleanupItemView {
  itemId: string;
  change: CleanupChangeKind;
  /** Policy name, role name, key id, "roles/editor on my-project". */
  objectName: string;
  /** What the object is, where the words differ (an Azure custom role is narrowed by operations). */
  objectKind?: CleanupObjectKind;
  /** The identities whose access shrinks (names). */
  identities: string[];
  /**
   * Their ids, in the order of `identities`, for the report's per-identity Restore buttons; without
   * them the buttons carry the names, which the bot matches against the run's items.
   */
  identityIds?: string[];
  /** Actions a narrow-policy takes away. */
  actions: number;
  /** Plain words: "unused since 2026-08-02". */
  reason: string;
  /** Changed only on an explicit Remove (console passwords, own copies). */
  explicitOnly: boolean;
  outcome?: CleanupOutcome;
  outcomeDetail?: string;
  /** Who decided, for the report. */
  decidedBy?: string;
}

export interface CleanupAnnouncement {
  run: CleanupRunView;
  /** Each owner (e-mail) and the items they answer for. */
  owners: { owner: string; items: CleanupItemView[] }[];
  /** Where the summary goes, and every item whose owner could not be found or reached. */
  channel?: NotifyTarget;
  /** Items no owner answers for: shown in the channel with their buttons. */
  unowned: CleanupItemView[];
  /** The summary's counts: items, identities, actions, and holds by reason. */
  counts: Record<string, number>;
}

export interface CleanupReport {
  run: CleanupRunView;
  owners: { owner: string; items: CleanupItemView[] }[];
  channel?: NotifyTarget;
  unowned: CleanupItemView[];
  counts: Record<string, number>;
}

export interface CleanupRestoreNotice {
  run: CleanupRunView;
  by: string;
  items: CleanupItemView[];
  /** The owners of the restored items, told what came back. */
  owners: string[];
  channel?: NotifyTarget;
}

// ---- What the renderers take besides ----

/** The channel's summary: the counts, and the items nobody was told about, with their buttons. */
export interface CleanupSummaryView {
  run: CleanupRunView;
  counts: Record<string, number>;
  unowned: CleanupItemView[];
  /** Owners who could not be reached, and their items. */
  unreached: { owner: string; items: CleanupItemView[] }[];
  /** How many owners got a direct message. */
  reached: number;
  /** A reminder before the notice period ends, of what still has no answer. */
  reminder?: boolean;
}

/** What Show diff shows: one item with its documents, as the store keeps it. */
export interface CleanupDiffView {
  runId: string;
  itemId: string;
  change: CleanupChangeKind;
  objectName: string;
  objectKind?: CleanupObjectKind;
  identities: string[];
  reason: string;
  explicitOnly: boolean;
  removeActions?: string[];
  keptForOthers?: string[];
  before?: unknown;
  /** `null`: the document goes (an inline policy with nothing left). */
  after?: unknown;
  outcome?: CleanupOutcome;
}

/** The Keep button's form; `problem` when the last submission was refused (Teams shows it on the card). */
export interface CleanupKeepFormInput {
  runId: string;
  itemId: string;
  change: CleanupChangeKind;
  objectName: string;
  objectKind?: CleanupObjectKind;
  problem?: string;
  /** Slack: where the form was opened, to answer there. */
  channelId?: string;
}

/** The answer to an accepted Keep, Remove now or Snooze. */
export interface CleanupDecidedView {
  kind: 'keep' | 'remove' | 'snooze';
  change: CleanupChangeKind;
  objectName: string;
  objectKind?: CleanupObjectKind;
  reason?: string;
  until?: string;
}

export type CleanupRestoreStatus = 'restored' | 'already' | 'conflict' | 'gone' | 'not-removed';

/** What a Restore click brought back, item by item. */
export interface CleanupRestoredView {
  runId: string;
  items: { itemId: string; objectName?: string; status: CleanupRestoreStatus; detail: string }[];
}

// ---- Ids declared once for the renderers and the handlers ----

/**
 * Slack action ids and view callback id, and Teams verbs: each button's value (Slack) or `data.value`
 * (Teams) is `cleanupButtonValue(runId, itemId)`.
 */
export const CleanupAction = {
  Keep: 'cleanup_keep',
  RemoveNow: 'cleanup_remove',
  Snooze7: 'cleanup_snooze_7',
  Snooze30: 'cleanup_snooze_30',
  ShowDiff: 'cleanup_diff',
  /** The item is an item id, `*` for the whole run, or `identity:<id or name>`. */
  Restore: 'cleanup_restore',
  /** Slack: the Keep modal's callback id. Teams: the Keep form's submit verb. */
  KeepForm: 'cleanup_keep_form',
} as const;
export type CleanupAction = (typeof CleanupAction)[keyof typeof CleanupAction];

/** The Keep reason input: Slack's block and action id, Teams' input id (per item: `<id>_<n>`). */
export const CleanupInput = {
  KeepReasonBlock: 'cleanup_keep_reason',
  KeepReason: 'cleanup_keep_reason',
} as const;

/** A Restore button's item for the whole run. */
export const RESTORE_WHOLE_RUN = '*';
const IDENTITY_PREFIX = 'identity:';

/** A button's value: which run and item (or `*` for a whole run's restore; `identity:<id>` for one identity's). */
export function cleanupButtonValue(runId: string, itemId: string): string {
  return JSON.stringify({ r: runId, i: itemId });
}

export function parseCleanupButtonValue(value: string): { runId: string; itemId: string } | undefined {
  try {
    const parsed = JSON.parse(value) as { r?: unknown; i?: unknown };
    if (typeof parsed.r !== 'string' || typeof parsed.i !== 'string') return undefined;
    if (!parsed.r || !parsed.i || parsed.r.length > 200 || parsed.i.length > 2000) return undefined;
    return { runId: parsed.r, itemId: parsed.i };
  } catch {
    return undefined;
  }
}

/** The Restore button's item for one identity. */
export function identityRestoreItem(identity: string): string {
  return `${IDENTITY_PREFIX}${identity}`;
}

/** What a Restore button asks for: the whole run, one identity's changes, or one item. */
export type RestoreSelection =
  { kind: 'run' } | { kind: 'identity'; identity: string } | { kind: 'item'; itemId: string };

export function restoreSelectionOf(itemId: string): RestoreSelection {
  if (itemId === RESTORE_WHOLE_RUN) return { kind: 'run' };
  if (itemId.startsWith(IDENTITY_PREFIX) && itemId.length > IDENTITY_PREFIX.length)
    return { kind: 'identity', identity: itemId.slice(IDENTITY_PREFIX.length) };
  return { kind: 'item', itemId };
}

/** The Slack Keep modal's private_metadata. */
export function encodeKeepMetadata(input: { runId: string; itemId: string; channelId?: string }): string {
  return JSON.stringify({ r: input.runId, i: input.itemId, ...(input.channelId ? { c: input.channelId } : {}) });
}

export function parseKeepMetadata(text: string): { runId: string; itemId: string; channelId?: string } | undefined {
  const target = parseCleanupButtonValue(text);
  if (!target) return undefined;
  const { c } = JSON.parse(text) as { c?: unknown };
  return typeof c === 'string' && c.length <= 40 ? { ...target, channelId: c } : target;
}

// ---- Bounds shared by every platform ----

export const CLEANUP_SHOWN = {
  /** Items with buttons in one message; the rest are counted and left to the CLI. */
  items: 20,
  identities: 5,
  /** Per-identity Restore buttons on a report. */
  restoreIdentities: 5,
  owners: 10,
  removeActions: 30,
} as const;

export const CLEANUP_CHARS = {
  name: 150,
  id: 200,
  reason: 400,
  detail: 400,
  person: 254,
  diffLine: 300,
} as const;

/** Said wherever a console password is proposed for removal. */
export const PASSWORD_NOTE =
  'Only removed if an owner presses Remove now — never on silence. Restoring it creates a new login profile whose password must be reset.';

/** Said wherever an own copy of a shared policy is offered. */
export const OWN_COPY_NOTE =
  'Only made if an owner presses Remove now — never on silence. The copy is attached before the shared policy is detached; Restore attaches the shared policy again and deletes the copy.';

/** Said wherever another change that waits for an explicit Remove is proposed. */
export const EXPLICIT_NOTE = 'Only changed if an owner presses Remove now — never on silence.';

/** The warning under a change that waits for an owner's explicit Remove; none for the others. */
export function explicitNote(item: { change: CleanupChangeKind; explicitOnly: boolean }): string | undefined {
  if (item.change === 'remove-password') return PASSWORD_NOTE;
  if (item.change === 'own-copy') return OWN_COPY_NOTE;
  return item.explicitOnly ? EXPLICIT_NOTE : undefined;
}

/** What Remove now's confirmation says (Slack asks before it sends the click). */
export function removeNowConfirmation(item: { change: CleanupChangeKind; explicitOnly: boolean }): string {
  if (item.change === 'remove-password') return `Least removes this console password now. ${PASSWORD_NOTE}`;
  if (item.change === 'own-copy') return `Least makes the copy now. ${OWN_COPY_NOTE}`;
  return 'Least removes it now, without waiting for the notice period. The report will have a Restore button.';
}

/** Said when a restore brought a console password back. */
export const RESTORED_PASSWORD_NOTE =
  'A restored console password is a new login profile: its user must reset the password.';

export const KEEP_NOTE = `Kept changes are not proposed again for ${KEEP_DAYS} days; the reason is remembered with them.`;

const CHANGE_VERB: Readonly<Record<CleanupChangeKind, (name: string, actions: string) => string>> = {
  'narrow-policy': (name, actions) => `Remove ${actions} from the policy ${name}`,
  'detach-policy': (name) => `Detach the managed policy ${name}`,
  'delete-assignment': (name) => `Delete the assignment ${name}`,
  'remove-member': (name) => `Remove the binding ${name}`,
  'deactivate-key': (name) => `Deactivate the access key ${name} (it is not deleted)`,
  'remove-password': (name) => `Remove the console password of ${name}`,
  'guard-principal': (name) => `Attach Least's deny-all guard to the inactive identity ${name}`,
  'remove-assignments': (name) => `Remove every role assignment of the inactive principal ${name}`,
  'disable-service-account': (name) => `Disable the inactive service account ${name}`,
  'own-copy': (name, actions) => `Replace ${name} with its own copy of the policy, without ${actions}`,
};

/** What a change without a document does, for Show diff. */
const CHANGE_EFFECT: Readonly<Record<CleanupChangeKind, string>> = {
  'narrow-policy': 'The policy gets a new document without the unused actions; Restore puts the old one back.',
  'detach-policy': 'The managed policy is detached from this identity; the policy itself is not changed.',
  'delete-assignment': 'The assignment is deleted; Restore creates it again with the same role and scope.',
  'remove-member': 'The member is taken out of the binding (conditions kept as they are); Restore adds it back.',
  'deactivate-key': 'The key is set Inactive, not deleted; Restore sets it Active again.',
  'remove-password': 'The login profile is deleted; Restore creates a new one, and its user must reset the password.',
  'guard-principal':
    "Least's deny-all guard policy is attached: every call the identity makes is denied until the guard is removed.",
  'remove-assignments': 'Every role assignment of the principal is deleted; Restore creates them again.',
  'disable-service-account': 'The service account is disabled, not deleted; Restore enables it again.',
  'own-copy':
    'A customer-managed copy of the shared policy with only what this identity used is made and attached to it, then the shared policy is detached from it; the shared policy and its other holders are not changed. Restore attaches the shared policy again and deletes the copy.',
};

const OUTCOME: Readonly<Record<CleanupOutcome | 'pending', { emoji: string; word: string }>> = {
  removed: { emoji: '🗑️', word: 'Removed' },
  staged: { emoji: '🚧', word: 'Denied for now (staged); removed when the staging period ends' },
  kept: { emoji: '✋', word: 'Kept' },
  snoozed: { emoji: '💤', word: 'Snoozed' },
  reported: { emoji: '📋', word: 'Reported, not changed' },
  skipped: { emoji: '⏭️', word: 'Skipped' },
  replanned: { emoji: '🔁', word: 'Changed since the plan; planned again next run' },
  failed: { emoji: '⚠️', word: 'Failed' },
  restored: { emoji: '↩️', word: 'Restored' },
  pending: { emoji: '⏳', word: 'Not decided' },
};
const OUTCOME_ORDER: readonly (CleanupOutcome | 'pending')[] = [
  'removed',
  'staged',
  'restored',
  'kept',
  'snoozed',
  'reported',
  'skipped',
  'replanned',
  'failed',
  'pending',
];

const RESTORE_STATUS: Readonly<Record<CleanupRestoreStatus, string>> = {
  restored: '↩️ Restored',
  already: '✔️ Already as before',
  conflict: '⛔ Not restored: changed since',
  gone: '❔ Gone from the cloud',
  'not-removed': '– Not removed by this run',
};

/** Counts in the summary the sentence names; the rest are why things were left alone. */
const COUNT_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  items: ['change', 'changes'],
  identities: ['identity', 'identities'],
  actions: ['action', 'actions'],
};
const HOLD_WORDS: Readonly<Record<string, string>> = {
  'not-enough-data': 'not enough usage data',
  'identity-too-new': 'identity younger than the window',
  'grace-period': 'granted recently',
  excluded: 'excluded by the policy',
  kept: 'kept by an owner',
  snoozed: 'snoozed',
  'change-not-allowed': 'change not allowed by the policy',
  'cannot-narrow': 'cannot be narrowed safely',
  'managed-by-cloud': 'managed by the cloud',
};

// ---- The sentences, in one platform's dialect ----

/** How one platform writes what the sentences quote and stress (the same shape as findings' dialect). */
export interface CleanupDialect {
  /** User text on one line, escaped and clipped to `max`. */
  line: (text: string, max: number) => string;
  /** A time each reader sees in their own time zone. */
  date: (iso: string) => string;
  /** Stress on markup that is already escaped. */
  bold: (markup: string) => string;
  /** A name or command as typed, on markup that is already escaped. */
  code: (markup: string) => string;
  /** Escapes our own text that holds syntax characters (a command). */
  escape: (text: string) => string;
}

export function cleanupWording(d: CleanupDialect) {
  const name = (text: string): string => d.bold(d.line(text, CLEANUP_CHARS.name));
  const showCommand = (runId: string): string => d.code(`${d.escape('least cleanup show ')}${d.line(runId, 80)}`);
  const action = (text: string): string => d.code(d.line(text, 120));

  /** The first `max` of a list, each drawn, then "and N more". */
  function listed(list: readonly string[], max: number, draw: (text: string) => string): string {
    const more = list.length - Math.min(list.length, max);
    return `${list.slice(0, max).map(draw).join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`;
  }

  function system(run: CleanupRunView): string {
    const id = d.code(d.line(run.systemId, CLEANUP_CHARS.id));
    return run.systemTitle && run.systemTitle !== run.systemId ? `${name(run.systemTitle)} (${id})` : id;
  }

  function change(
    item: Pick<CleanupItemView, 'change' | 'objectName' | 'actions' | 'objectKind'> & {
      identities?: readonly string[];
    },
  ): string {
    if (item.change === 'narrow-policy' && item.objectKind === 'azure-role-definition') {
      const operations = item.actions > 0 ? plural(item.actions, 'unused operation') : 'the unused operations';
      const holders = item.identities?.length ?? 0;
      const shared = holders > 1 ? ` (shared by ${formatCount(holders)})` : '';
      return `Remove ${operations} from custom role ${name(item.objectName)}${shared}`;
    }
    const actions = item.actions > 0 ? plural(item.actions, 'unused action') : 'the unused actions';
    if (item.change === 'narrow-policy' && item.objectKind === 'aws-permission-set-policy') {
      // named "permission set X" by the planner; its holders are every user of every assignment of it
      const holders = item.identities?.length ?? 0;
      return `Remove ${actions} from ${name(item.objectName)}${holders > 1 ? ` (shared by ${formatCount(holders)})` : ''}`;
    }
    return CHANGE_VERB[item.change](name(item.objectName), actions);
  }

  function identities(list: readonly string[]): string | undefined {
    if (list.length === 0) return undefined;
    return `Affects ${listed(list, CLEANUP_SHOWN.identities, (i) => d.line(i, CLEANUP_CHARS.name))}`;
  }

  function reason(item: Pick<CleanupItemView, 'reason'>): string {
    return `Why: ${d.line(item.reason, CLEANUP_CHARS.reason)}`;
  }

  /** The lines under an item's change: who it affects, why, and the password's warning. */
  function itemDetails(item: CleanupItemView): string[] {
    return [
      identities(item.identities),
      reason(item),
      explicitNote(item) !== undefined ? `⚠️ ${explicitNote(item)}` : undefined,
    ].filter((line): line is string => line !== undefined);
  }

  function when(run: CleanupRunView): string {
    const after = run.noticeUntil ? d.date(run.noticeUntil) : 'the notice period';
    return run.mode === 'enforce'
      ? `Enforce mode: what nobody keeps or snoozes is changed after ${after}; Remove now changes it at once.`
      : `Report mode: only what an owner removes (Remove now) is changed; the rest is reported after ${after}.`;
  }

  function ownerIntro(run: CleanupRunView, count: number): string {
    return `Least found permissions unused for ${plural(run.windowDays, 'day')} on ${system(run)}. You answer for ${plural(count, 'change')}: keep, remove or snooze each one.`;
  }

  function reminderIntro(run: CleanupRunView, count: number): string {
    return `Reminder: ${plural(count, 'change')} on ${system(run)} still ${count === 1 ? 'waits' : 'wait'} for your answer.`;
  }

  function more(runId: string, hidden: number): string | undefined {
    return hidden > 0 ? `and ${formatCount(hidden)} more — see ${showCommand(runId)}` : undefined;
  }

  function runFootnote(run: CleanupRunView): string {
    return `Run ${d.code(d.line(run.runId, 80))} · ${KEEP_NOTE}`;
  }

  function counts(values: Record<string, number>): string {
    const main = Object.entries(COUNT_WORDS)
      .filter(([key]) => Number.isFinite(values[key]))
      .map(([key, [one, many]]) => plural(values[key]!, one, many));
    return main.length > 0 ? main.join(' · ') : 'Nothing counted';
  }

  /** Why the rest was left alone: holds by reason when counted, else their total; other counts are not holds. */
  function holds(values: Record<string, number>): string | undefined {
    const parts = Object.entries(HOLD_WORDS)
      .filter(([key]) => Number.isFinite(values[key]) && values[key]! > 0)
      .map(([key, words]) => `${words} ${formatCount(values[key]!)}`);
    if (parts.length > 0) return `Left alone: ${parts.join(' · ')}`;
    const total = values.holds;
    return total !== undefined && Number.isFinite(total) && total > 0
      ? `Left alone: ${formatCount(total)} (too little usage data, excluded, recently granted, kept or snoozed)`
      : undefined;
  }

  function person(email: string): string {
    return d.line(email, CLEANUP_CHARS.person);
  }

  function summaryIntro(view: CleanupSummaryView): string {
    if (view.reminder) {
      const waiting = view.unowned.length + view.unreached.reduce((sum, u) => sum + u.items.length, 0);
      return `Reminder: ${plural(waiting, 'change')} on ${system(view.run)} still ${waiting === 1 ? 'has' : 'have'} no answer.`;
    }
    return `Cleanup planned on ${system(view.run)}: ${counts(view.counts)}.`;
  }

  function reachedLine(view: CleanupSummaryView): string | undefined {
    return view.reached > 0 ? `${plural(view.reached, 'owner')} got their changes by direct message.` : undefined;
  }

  function unreachedLine(owners: readonly string[]): string | undefined {
    if (owners.length === 0) return undefined;
    return `Least could not reach ${listed(owners, CLEANUP_SHOWN.owners, person)} in chat: their changes are below. Their owners or the system's owners may answer here.`;
  }

  function unownedLine(count: number): string | undefined {
    return count > 0
      ? `${plural(count, 'change')} ${count === 1 ? 'has' : 'have'} no owner Least could find: the system's owners may answer here.`
      : undefined;
  }

  function outcomeOf(item: CleanupItemView): string {
    const o = OUTCOME[item.outcome ?? 'pending'];
    return `${o.emoji} ${o.word}`;
  }

  function reportItem(item: CleanupItemView): string[] {
    const detail = [
      item.outcomeDetail ? d.line(item.outcomeDetail, CLEANUP_CHARS.detail) : undefined,
      item.decidedBy ? `decided by ${person(item.decidedBy)}` : undefined,
    ].filter((part): part is string => part !== undefined);
    return [
      `${outcomeOf(item)} · ${change(item)}`,
      identities(item.identities),
      detail.length > 0 ? detail.join(' · ') : undefined,
    ].filter((line): line is string => line !== undefined);
  }

  function outcomeCounts(items: readonly CleanupItemView[]): string {
    const tally = new Map<CleanupOutcome | 'pending', number>();
    for (const item of items) tally.set(item.outcome ?? 'pending', (tally.get(item.outcome ?? 'pending') ?? 0) + 1);
    const parts = OUTCOME_ORDER.filter((o) => (tally.get(o) ?? 0) > 0).map(
      (o) => `${formatCount(tally.get(o)!)} ${OUTCOME[o].word.toLowerCase()}`,
    );
    return parts.length > 0 ? parts.join(' · ') : 'Nothing to report';
  }

  function reportIntro(run: CleanupRunView, items: readonly CleanupItemView[]): string {
    return `Cleanup of ${system(run)} finished: ${outcomeCounts(items)}.`;
  }

  function restoreHint(): string {
    return 'Restore puts back exactly what Least changed, verified from the cloud; a later change by someone else is never overwritten.';
  }

  function restoredIntro(notice: CleanupRestoreNotice): string {
    return `${person(notice.by)} restored ${plural(notice.items.length, 'change')} on ${system(notice.run)}.`;
  }

  function restoredItem(item: CleanupItemView): string {
    const detail = item.outcomeDetail ? ` — ${d.line(item.outcomeDetail, CLEANUP_CHARS.detail)}` : '';
    return `↩️ ${change(item)}${detail}`;
  }

  function restoredResult(view: CleanupRestoredView): string[] {
    if (view.items.length === 0) return ['Nothing in that selection was removed by this run.'];
    return view.items.map((item) => {
      const what = item.objectName ? name(item.objectName) : d.code(d.line(item.itemId, CLEANUP_CHARS.id));
      const detail = item.detail ? `: ${d.line(item.detail, CLEANUP_CHARS.detail)}` : '';
      return `${RESTORE_STATUS[item.status]} · ${what}${detail}`;
    });
  }

  function decided(view: CleanupDecidedView): string {
    const what = change({ ...view, actions: 0 });
    const until = view.until ? ` until ${d.date(view.until)}` : '';
    switch (view.kind) {
      case 'keep':
        return `✋ Kept${until}: ${what}. Reason: ${d.line(view.reason ?? '', CLEANUP_CHARS.reason)}`;
      case 'snooze':
        return `💤 Snoozed${until}: ${what}. It is not changed before then.`;
      case 'remove':
        return `🗑️ Removing it now: ${what}. The run's report will have a Restore button for it.`;
    }
  }

  function keepQuestion(input: Pick<CleanupKeepFormInput, 'change' | 'objectName' | 'objectKind'>): string {
    return `Keep it? ${change({ ...input, actions: 0 })}`;
  }

  function diffTitle(view: CleanupDiffView): string {
    return change({ ...view, actions: view.removeActions?.length ?? 0 });
  }

  function diffEffect(view: CleanupDiffView): string {
    if (view.change === 'narrow-policy' && view.objectKind === 'aws-permission-set-policy')
      return view.after === null
        ? "Nothing is left of the permission set's inline policy: it is deleted (its other policies stay) and the set provisioned again to every account it is in. Restore puts it back and provisions it again."
        : "The permission set's inline policy is put again without the unused actions, and the set provisioned again to every account it is in. Restore puts the old one back and provisions it again.";
    if (view.change === 'narrow-policy' && view.after === null)
      return 'None of its statements is left: the inline policy is deleted. Restore puts it back as it was.';
    if (view.change === 'narrow-policy' && view.objectKind === 'azure-role-definition')
      return 'The custom role is saved without the unused entries of its actions; its other permissions, name and assignable scopes stay as they are. Restore puts its old permissions back.';
    return CHANGE_EFFECT[view.change];
  }

  function removedActions(view: CleanupDiffView): string | undefined {
    const list = view.removeActions ?? [];
    if (list.length === 0) return undefined;
    return `Removed: ${listed(list, CLEANUP_SHOWN.removeActions, action)}`;
  }

  function keptForOthers(view: CleanupDiffView): string | undefined {
    const list = view.keptForOthers ?? [];
    if (list.length === 0) return undefined;
    return `Kept because another holder used them (or their use is unknown): ${listed(list, CLEANUP_SHOWN.removeActions, action)}`;
  }

  function diffTail(hidden: number, runId: string): string | undefined {
    return hidden > 0 ? `${plural(hidden, 'more line')} of the diff — see ${showCommand(runId)}` : undefined;
  }

  return {
    name,
    system,
    action,
    change,
    identities,
    itemDetails,
    when,
    ownerIntro,
    reminderIntro,
    more,
    runFootnote,
    counts,
    holds,
    person,
    summaryIntro,
    reachedLine,
    unreachedLine,
    unownedLine,
    reportItem,
    reportIntro,
    restoreHint,
    restoredIntro,
    restoredItem,
    restoredResult,
    decided,
    keepQuestion,
    diffTitle,
    diffEffect,
    removedActions,
    keptForOthers,
    diffTail,
  };
}

export type CleanupWording = ReturnType<typeof cleanupWording>;

/** A time as `2026-12-01 10:00 UTC`, for text no client localises; undefined when `iso` is not a time. */
export function utcMinute(iso: string): string | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// Controls, bidi overrides and zero-width characters have no place in a line a person reads.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Plain text (the log front end, and CLI lines): one visible line per name, UTC times, no markup. */
export const plainCleanupDialect: CleanupDialect = {
  line: (text, max) => clip(text.replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim(), max),
  date: (iso) => utcMinute(iso) ?? clip(iso, 40),
  bold: (markup) => markup,
  code: (markup) => markup,
  escape: (text) => text,
};

/** The sentences as plain text. */
export const plainCleanupWording: CleanupWording = cleanupWording(plainCleanupDialect);

// ---- Shared shaping, pure ----

/** Items in the order a person reads them: the ones that need an explicit answer first, then by name. */
export function itemsInOrder(items: readonly CleanupItemView[]): CleanupItemView[] {
  return [...items].sort(
    (a, b) => Number(b.explicitOnly) - Number(a.explicitOnly) || (a.objectName < b.objectName ? -1 : 1),
  );
}

/** A report's items: removed first, then failed, then the rest, each by name. */
export function reportInOrder(items: readonly CleanupItemView[]): CleanupItemView[] {
  const rank = (item: CleanupItemView): number => (item.outcome === 'removed' ? 0 : item.outcome === 'failed' ? 1 : 2);
  return [...items].sort((a, b) => rank(a) - rank(b) || (a.objectName < b.objectName ? -1 : 1));
}

/** Every item of a report once: an item with two owners is under both. */
export function reportItems(report: Pick<CleanupReport, 'owners' | 'unowned'>): CleanupItemView[] {
  const seen = new Map<string, CleanupItemView>();
  for (const item of [...report.unowned, ...report.owners.flatMap((o) => o.items)])
    if (!seen.has(item.itemId)) seen.set(item.itemId, item);
  return [...seen.values()];
}

/** The identities of removed items, once each, for the report's per-identity Restore buttons. */
export function restorableIdentities(items: readonly CleanupItemView[]): { label: string; target: string }[] {
  const seen = new Map<string, string>();
  for (const item of items.filter((i) => i.outcome === 'removed')) {
    item.identities.forEach((label, at) => {
      const target = item.identityIds?.[at] ?? label;
      if (!seen.has(target)) seen.set(target, label);
    });
  }
  return [...seen].map(([target, label]) => ({ label, target }));
}

/** The diff lines of a document change, or none for a change without documents. */
export function diffOf(view: CleanupDiffView): { lines: DiffLine[]; truncated: boolean } | undefined {
  if ((view.change !== 'narrow-policy' && view.change !== 'own-copy') || view.before === undefined) return undefined;
  const diff = diffDocuments(view.before, view.after === undefined ? null : view.after);
  return { lines: diff.lines, truncated: diff.truncated };
}

/** A diff line as the unified format writes it. */
export function unifiedLine(line: DiffLine): string {
  switch (line.kind) {
    case 'removed':
      return `- ${line.text}`;
    case 'added':
      return `+ ${line.text}`;
    case 'same':
      return `  ${line.text}`;
    case 'gap':
      return `@@ ${line.text} unchanged line${line.text === '1' ? '' : 's'} @@`;
  }
}
