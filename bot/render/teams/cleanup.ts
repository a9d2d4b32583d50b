import { MAX_KEEP_REASON } from '../../../domain/cleanup/run';
import {
  CLEANUP_CHARS,
  CLEANUP_SHOWN,
  CleanupAction,
  CleanupInput,
  cleanupButtonValue,
  cleanupWording,
  diffOf,
  identityRestoreItem,
  itemsInOrder,
  KEEP_NOTE,
  explicitNote,
  reportInOrder,
  RESTORE_WHOLE_RUN,
  restorableIdentities,
  RESTORED_PASSWORD_NOTE,
  unifiedLine,
  utcMinute,
  type CleanupDecidedView,
  type CleanupDiffView,
  type CleanupItemView,
  type CleanupKeepFormInput,
  type CleanupRestoredView,
  type CleanupRestoreNotice,
  type CleanupRunView,
  type CleanupSummaryView,
} from '../cleanup';
import type { DiffLine } from '../cleanup-diff';
import {
  actionSet,
  card,
  container,
  heading,
  jsonBytes,
  problemBlock,
  text,
  withCard,
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  type Color,
  type TeamsMessage,
} from './card';
import { clip, clipEscaped, escapeMarkdown, plainText, teamsDialect, unmarked, userLine } from './text';

/**
 * The unused-permission cleanup as Adaptive Cards: an owner's message and its reminder, the channel's
 * summary, the report with Restore buttons, the restore notice, Show diff and the Keep card. Words come
 * from bot/render/cleanup.ts in Teams' dialect. Keep opens an inline form (Action.ShowCard) so the card
 * with the other changes stays; every other button is an Action.Execute whose `data.value` is
 * `cleanupButtonValue(run, item)`. Lists are filled by bytes: ids can be long.
 */
const words = cleanupWording(teamsDialect);

/** For an invoke's message answer: Teams expands `{{DATE()}}` only in cards, so times are written out in UTC. */
const answerWords = cleanupWording({ ...teamsDialect, date: (iso) => utcMinute(iso) ?? userLine(iso, 40) });

/** Shares of the card (24 KB) the lists may take; buttons carry ids of up to 2,000 characters. */
const ITEMS_BYTES = 15 * 1024;
const DIFF_BYTES = 11 * 1024;
const ACTION_TITLE_CHARS = 40;
const NBSP = '\u00A0';
const MAX_ACTIONS = 5;

/** An owner's message: their changes, each with Keep / Remove now / Snooze / Show diff. */
export function cleanupOwnerMessage(
  run: CleanupRunView,
  items: readonly CleanupItemView[],
  options: { reminder?: boolean } = {},
): TeamsMessage {
  const intro = options.reminder ? words.reminderIntro(run, items.length) : words.ownerIntro(run, items.length);
  const body: CardElement[] = [
    heading(options.reminder ? 'Reminder: cleanup changes to answer' : 'Cleanup: changes to answer'),
    text(intro),
    text(words.when(run), { subtle: true, spacing: 'none' }),
  ];
  const hidden = fill(body, [{ items: itemsInOrder(items) }], (item, at) => itemContainer(run, item, at));
  return withCard(unmarked(intro), card(withTail(body, run, hidden)));
}

/** The channel's summary: counts, then the changes nobody was told about, with their buttons. */
export function cleanupSummaryMessage(view: CleanupSummaryView): TeamsMessage {
  const { run } = view;
  const body: CardElement[] = [
    heading(
      `${view.reminder ? 'Reminder: cleanup' : 'Cleanup planned'}: ${userLine(run.systemTitle, CLEANUP_CHARS.name)}`,
    ),
    text(words.summaryIntro(view)),
  ];
  const holds = words.holds(view.counts);
  if (holds) body.push(text(holds, { subtle: true, spacing: 'none' }));
  body.push(text(words.when(run), { subtle: true, spacing: 'none' }));
  for (const note of [words.reachedLine(view), words.unreachedLine(view.unreached.map((u) => u.owner))])
    if (note) body.push(text(note, { spacing: 'small' }));
  const groups: ItemGroup[] = [];
  const unowned = words.unownedLine(view.unowned.length);
  if (unowned) groups.push({ heading: unowned, items: itemsInOrder(view.unowned) });
  for (const { owner, items } of view.unreached)
    groups.push({ heading: `Changes for ${words.person(owner)}:`, items: itemsInOrder(items) });
  const hidden = fill(body, groups, (item, at) => itemContainer(run, item, at));
  return withCard(unmarked(words.summaryIntro(view)), card(withTail(body, run, hidden)));
}

/** The report after the run: each change's outcome, Restore per removed one, per identity and the whole run. */
export function cleanupReportMessage(
  run: CleanupRunView,
  items: readonly CleanupItemView[],
  options: { wholeRun?: boolean } = {},
): TeamsMessage {
  const intro = words.reportIntro(run, items);
  const removed = items.some((i) => i.outcome === 'removed');
  const body: CardElement[] = [
    heading(`Cleanup report: ${userLine(run.systemTitle, CLEANUP_CHARS.name)}`),
    text(intro),
  ];
  if (removed) body.push(text(words.restoreHint(), { subtle: true, spacing: 'none' }));
  const hidden = fill(body, [{ items: reportInOrder(items) }], (item) => reportContainer(run, item));
  if (removed) body.push(...restoreElements(run, items, options.wholeRun === true));
  return withCard(unmarked(intro), card(withTail(body, run, hidden)));
}

/** Told to the owners and the channel once a restore ran. */
export function cleanupRestoredMessage(notice: CleanupRestoreNotice): TeamsMessage {
  const intro = words.restoredIntro(notice);
  const lines = notice.items.slice(0, CLEANUP_SHOWN.items).map(words.restoredItem);
  const body: CardElement[] = [heading('Cleanup restored'), text(intro)];
  if (lines.length > 0) body.push(text(lines.join('\n\n'), { spacing: 'small' }));
  const more = words.more(notice.run.runId, notice.items.length - lines.length);
  if (more) body.push(text(more, { subtle: true }));
  if (notice.items.some((i) => i.change === 'remove-password'))
    body.push(text(RESTORED_PASSWORD_NOTE, { color: 'warning' }));
  return withCard(unmarked(intro), card(body));
}

/** Show diff, as the clicker's own card: the documents' unified diff, or what the change does, and the buttons. */
export function cleanupDiffCard(view: CleanupDiffView): AdaptiveCard {
  const body: CardElement[] = [
    heading('Show diff'),
    text(words.diffTitle(view)),
    ...[words.identities(view.identities), `Why: ${userLine(view.reason, CLEANUP_CHARS.reason)}`]
      .filter((line): line is string => line !== undefined)
      .map((line) => text(line, { subtle: true, spacing: 'none' })),
    text(escapeMarkdown(words.diffEffect(view)), { spacing: 'small' }),
  ];
  for (const line of [words.removedActions(view), words.keptForOthers(view)])
    if (line) body.push(text(line, { spacing: 'small' }));
  const diff = diffOf(view);
  if (diff) {
    const lines: CardElement[] = [];
    let bytes = 0;
    let shown = 0;
    for (const line of diff.lines) {
      const element = diffElement(line);
      bytes += jsonBytes(element);
      if (bytes > DIFF_BYTES) break;
      lines.push(element);
      shown += 1;
    }
    body.push(container(lines, { style: 'emphasis', separator: true }));
    const tail = words.diffTail(diff.lines.length - shown + (diff.truncated ? 1 : 0), view.runId);
    if (tail) body.push(text(tail, { subtle: true }));
  }
  const note = explicitNote(view);
  if (note) body.push(text(`⚠️ ${escapeMarkdown(note)}`, { color: 'warning' }));
  if (view.outcome === undefined) body.push(decisionActions(view.runId, view, 0));
  return card(body);
}

/** The Keep card (from a Keep verb, or again with `problem` when the reason was refused). */
export function cleanupKeepCard(input: CleanupKeepFormInput): AdaptiveCard {
  const value = cleanupButtonValue(input.runId, input.itemId);
  return card([
    heading('Keep a permission'),
    ...problemBlock(input.problem),
    text(words.keepQuestion(input)),
    text(escapeMarkdown(KEEP_NOTE), { subtle: true, spacing: 'none' }),
    keepReasonInput(CleanupInput.KeepReason),
    actionSet([execute('Keep', CleanupAction.KeepForm, { value, reasonInput: CleanupInput.KeepReason }, 'positive')]),
  ]);
}

/** An accepted Keep, Remove now or Snooze, for an invoke's message answer (escaped markdown). */
export function cleanupDecidedText(view: CleanupDecidedView): string {
  return clipEscaped(answerWords.decided(view), 1000);
}

/** What a Restore click brought back, for an invoke's message answer. */
export function cleanupRestoreResultText(view: CleanupRestoredView): string {
  return clipEscaped(answerWords.restoredResult(view).join('\n\n'), 1000);
}

// ---- Elements ----

interface ItemGroup {
  heading?: string;
  items: readonly CleanupItemView[];
}

/** Appends each group's heading and items while they fit the byte share; returns how many did not. */
function fill(
  body: CardElement[],
  groups: readonly ItemGroup[],
  element: (item: CleanupItemView, at: number) => CardElement,
): number {
  let bytes = 0;
  let shown = 0;
  let hidden = 0;
  for (const group of groups) {
    let headed = group.heading === undefined;
    for (const item of group.items) {
      const own = element(item, shown);
      const heading = headed ? undefined : text(group.heading!, { weight: 'bolder', separator: true });
      const size = jsonBytes(own) + (heading ? jsonBytes(heading) : 0);
      if (shown >= CLEANUP_SHOWN.items || bytes + size > ITEMS_BYTES) {
        hidden += 1;
        continue;
      }
      if (heading) body.push(heading);
      headed = true;
      body.push(own);
      bytes += size;
      shown += 1;
    }
  }
  return hidden;
}

function withTail(body: CardElement[], run: CleanupRunView, hidden: number): CardElement[] {
  const more = words.more(run.runId, hidden);
  return [
    ...body,
    ...(more ? [text(more, { subtle: true, separator: true })] : []),
    text(words.runFootnote(run), { subtle: true, size: 'small', ...(more ? { spacing: 'none' as const } : {}) }),
  ];
}

function itemContainer(run: CleanupRunView, item: CleanupItemView, at: number): CardElement {
  const details = words.itemDetails(item);
  return container(
    [
      text(words.change(item)),
      ...(details.length > 0 ? [text(details.join('\n\n'), { subtle: true, spacing: 'none' })] : []),
      decisionActions(run.runId, item, at),
    ],
    { separator: true },
  );
}

/** Keep… (an inline reason form) / Remove now / Snooze 7d / Snooze 30d / Show diff. */
function decisionActions(
  runId: string,
  item: Pick<CleanupItemView, 'itemId' | 'objectName' | 'change'>,
  at: number,
): CardElement {
  const value = cleanupButtonValue(runId, item.itemId);
  // Input ids are unique within a card; the submit says which one holds its reason.
  const reasonInput = `${CleanupInput.KeepReason}_${at}`;
  return actionSet([
    {
      type: 'Action.ShowCard',
      title: 'Keep…',
      card: {
        type: 'AdaptiveCard',
        body: [text(escapeMarkdown(KEEP_NOTE), { subtle: true }), keepReasonInput(reasonInput)],
        actions: [execute('Keep', CleanupAction.KeepForm, { value, reasonInput }, 'positive')],
      },
    },
    execute('Remove now', CleanupAction.RemoveNow, { value }, 'destructive'),
    execute('Snooze 7d', CleanupAction.Snooze7, { value }),
    execute('Snooze 30d', CleanupAction.Snooze30, { value }),
    execute('Show diff', CleanupAction.ShowDiff, { value }),
  ]);
}

function keepReasonInput(id: string): CardElement {
  return {
    type: 'Input.Text',
    id,
    label: 'Why keep it?',
    placeholder: 'The system owners and security read this.',
    maxLength: MAX_KEEP_REASON,
    isMultiline: true,
    isRequired: true,
    errorMessage: 'Say why it should be kept.',
  };
}

function reportContainer(run: CleanupRunView, item: CleanupItemView): CardElement {
  const [first, ...rest] = words.reportItem(item);
  const tone: Color | undefined =
    item.outcome === 'removed' ? 'accent' : item.outcome === 'failed' ? 'attention' : undefined;
  return container(
    [
      text(first ?? '', tone ? { color: tone } : {}),
      ...(rest.length > 0 ? [text(rest.join('\n\n'), { subtle: true, spacing: 'none' })] : []),
      ...(item.outcome === 'removed' ? [actionSet([restoreAction(run.runId, item.itemId)])] : []),
    ],
    { separator: true },
  );
}

function restoreElements(run: CleanupRunView, items: readonly CleanupItemView[], wholeRun: boolean): CardElement[] {
  const restores = restorableIdentities(items)
    .slice(0, CLEANUP_SHOWN.restoreIdentities)
    .map(({ label, target }) =>
      execute(`Restore all of ${label}`, CleanupAction.Restore, {
        value: cleanupButtonValue(run.runId, identityRestoreItem(target)),
      }),
    );
  if (wholeRun)
    restores.push(
      execute(
        'Restore the whole run',
        CleanupAction.Restore,
        { value: cleanupButtonValue(run.runId, RESTORE_WHOLE_RUN) },
        'destructive',
      ),
    );
  if (restores.length === 0) return [];
  // Teams shows at most five actions in a set.
  const sets: CardElement[] = [];
  for (let at = 0; at < restores.length; at += MAX_ACTIONS) sets.push(actionSet(restores.slice(at, at + MAX_ACTIONS)));
  return [text('**Restore**', { separator: true }), ...sets];
}

/**
 * One diff line as Teams shows it: monospace, coloured by kind. The JSON's indentation is kept as
 * no-break spaces (markdown would drop it), and what markdown would read at a line's start is escaped.
 */
function diffElement(line: DiffLine): CardElement {
  // Markdown folds spaces: the marker's and the JSON's indentation become no-break spaces.
  const marker = line.kind === 'removed' ? '-' : line.kind === 'added' ? '+' : NBSP;
  const indented = line.text.replace(/^ +/, (spaces) => NBSP.repeat(spaces.length));
  const raw = clip(line.kind === 'gap' ? unifiedLine(line) : `${marker}${NBSP}${indented}`, CLEANUP_CHARS.diffLine);
  const escaped = escapeMarkdown(raw).replace(/^(\u00A0*)([#>+\-=]|\d+[.)])/, '$1\\$2');
  const color: Color | undefined = line.kind === 'removed' ? 'attention' : line.kind === 'added' ? 'good' : undefined;
  // Built here, not with text(): it trims, and a no-break space is the indentation.
  return {
    type: 'TextBlock',
    text: escaped.trim() ? escaped : '–',
    wrap: true,
    spacing: 'none',
    fontType: 'Monospace',
    ...(color ? { color } : {}),
    ...(line.kind === 'gap' ? { isSubtle: true } : {}),
  };
}

/** Restore on one removed item (the report's, the denied-call watch's). */
export function restoreAction(runId: string, itemId: string): CardAction {
  return execute('Restore', CleanupAction.Restore, { value: cleanupButtonValue(runId, itemId) });
}

type ExecuteData = { value: string; reasonInput?: string };

/** Like card.ts `execute`, but for a cleanup verb, whose `data.value` (up to 2,000 characters) is not cut. */
function execute(
  title: string,
  verb: CleanupAction,
  data: ExecuteData,
  style?: 'positive' | 'destructive',
): CardAction {
  return {
    type: 'Action.Execute',
    title: plainText(title, ACTION_TITLE_CHARS),
    verb,
    data,
    ...(style ? { style } : {}),
  };
}
