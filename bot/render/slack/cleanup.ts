import type { Button, KnownBlock, ModalView } from '@slack/types';
import { MAX_KEEP_REASON } from '../../../domain/cleanup/run';
import {
  CLEANUP_CHARS,
  CLEANUP_SHOWN,
  CleanupAction,
  CleanupInput,
  cleanupButtonValue,
  cleanupWording,
  diffOf,
  encodeKeepMetadata,
  explicitNote,
  identityRestoreItem,
  itemsInOrder,
  KEEP_NOTE,
  removeNowConfirmation,
  reportInOrder,
  RESTORE_WHOLE_RUN,
  restorableIdentities,
  RESTORED_PASSWORD_NOTE,
  unifiedLine,
  type CleanupDecidedView,
  type CleanupDiffView,
  type CleanupItemView,
  type CleanupKeepFormInput,
  type CleanupRestoredView,
  type CleanupRestoreNotice,
  type CleanupRunView,
  type CleanupSummaryView,
} from '../cleanup';
import { actions, context, header, message, section, type SlackMessage } from './blocks';
import { SLACK_LIMITS } from './limits';
import { clipEscaped, escapeMrkdwn, plainText, slackDialect, unmarked, userLine } from './text';

/**
 * The unused-permission cleanup in Block Kit: an owner's direct message and its reminder, the
 * channel's summary, the report with Restore buttons, the restore notice, Show diff, the Keep form,
 * and the answers to a click. Words come from bot/render/cleanup.ts in Slack's dialect; every list is
 * cut to what fits a message's 50 blocks, the rest left to `least cleanup show`.
 */
const words = cleanupWording(slackDialect);

/** Blocks kept free at a message's end: "and N more" and the run's footnote. */
const TAIL_BLOCKS = 2;
/** Code sections a diff may take; each holds up to a section's 3,000 characters. */
const DIFF_SECTIONS = 4;
const WORD_JOINER = '\u2060';

/** An owner's direct message: their changes, each with Keep / Remove now / Snooze / Show diff. */
export function cleanupOwnerMessage(
  run: CleanupRunView,
  items: readonly CleanupItemView[],
  options: { reminder?: boolean } = {},
): SlackMessage {
  const intro = options.reminder ? words.reminderIntro(run, items.length) : words.ownerIntro(run, items.length);
  const title = options.reminder ? 'Reminder: cleanup changes to answer' : `Cleanup: ${items.length} to answer`;
  const blocks: KnownBlock[] = [header(title), section(intro), context(words.when(run))];
  const hidden = fill(blocks, [{ items: itemsInOrder(items), blocks: (item) => itemBlocks(run, item) }]);
  return message(unmarked(intro), withTail(blocks, run, hidden));
}

/** The channel's summary: counts, then the changes nobody was told about, with their buttons. */
export function cleanupSummaryMessage(view: CleanupSummaryView): SlackMessage {
  const { run } = view;
  const intro = [words.summaryIntro(view), words.holds(view.counts)].filter(Boolean).join('\n');
  const notes = [words.reachedLine(view), words.unreachedLine(view.unreached.map((u) => u.owner))].filter(
    (line): line is string => line !== undefined,
  );
  const blocks: KnownBlock[] = [
    header(view.reminder ? 'Reminder: cleanup changes without an answer' : 'Cleanup planned'),
    section(intro),
    context(words.when(run)),
    ...(notes.length > 0 ? [context(...notes)] : []),
  ];
  const groups: ItemGroup[] = [];
  const unowned = words.unownedLine(view.unowned.length);
  if (unowned) groups.push({ heading: unowned, items: itemsInOrder(view.unowned), blocks: (i) => itemBlocks(run, i) });
  for (const { owner, items } of view.unreached)
    groups.push({
      heading: `Changes for ${words.person(owner)}:`,
      items: itemsInOrder(items),
      blocks: (i) => itemBlocks(run, i),
    });
  const hidden = fill(blocks, groups);
  return message(unmarked(words.summaryIntro(view)), withTail(blocks, run, hidden));
}

/**
 * The report after the run: what happened to each change, Restore on each removed one, per identity,
 * and (in the channel) for the whole run.
 */
export function cleanupReportMessage(
  run: CleanupRunView,
  items: readonly CleanupItemView[],
  options: { wholeRun?: boolean } = {},
): SlackMessage {
  const intro = words.reportIntro(run, items);
  const removed = items.some((i) => i.outcome === 'removed');
  const blocks: KnownBlock[] = [
    header('Cleanup report'),
    section(intro),
    ...(removed ? [context(words.restoreHint())] : []),
  ];
  const restore = removed ? restoreBlocks(run, items, options.wholeRun === true) : [];
  const hidden = fill(
    blocks,
    [{ items: reportInOrder(items), blocks: (item) => [reportBlock(run, item)] }],
    restore.length,
  );
  blocks.push(...restore);
  return message(unmarked(intro), withTail(blocks, run, hidden));
}

/** Told to the owners and the channel once a restore ran. */
export function cleanupRestoredMessage(notice: CleanupRestoreNotice): SlackMessage {
  const intro = words.restoredIntro(notice);
  const lines = notice.items.slice(0, CLEANUP_SHOWN.items).map(words.restoredItem);
  const more = notice.items.length - lines.length;
  const password = notice.items.some((i) => i.change === 'remove-password');
  const blocks: KnownBlock[] = [
    section(intro),
    ...(lines.length > 0 ? [section(lines.join('\n'))] : []),
    ...(more > 0 || password
      ? [
          context(
            ...[words.more(notice.run.runId, more), password ? RESTORED_PASSWORD_NOTE : ''].filter((t): t is string =>
              Boolean(t),
            ),
          ),
        ]
      : []),
  ];
  return message(unmarked(intro), blocks);
}

/** Show diff, answered privately: the documents' unified diff, or what the change does. */
export function cleanupDiffReply(view: CleanupDiffView): SlackMessage {
  const title = words.diffTitle(view);
  const lines = [title, words.identities(view.identities), `Why: ${userLine(view.reason, CLEANUP_CHARS.reason)}`];
  const blocks: KnownBlock[] = [
    section(lines.filter(Boolean).join('\n')),
    context(escapeMrkdwn(words.diffEffect(view))),
  ];
  const listed = [words.removedActions(view), words.keptForOthers(view)].filter((l): l is string => l !== undefined);
  if (listed.length > 0) blocks.push(section(listed.join('\n')));
  const diff = diffOf(view);
  if (diff) {
    const { sections, hidden } = codeSections(diff.lines.map(unifiedLine));
    blocks.push(...sections.map((text) => section(text)));
    const tail = words.diffTail(hidden + (diff.truncated ? 1 : 0), view.runId);
    if (tail) blocks.push(context(tail));
  }
  const note = explicitNote(view);
  if (note) blocks.push(context(`⚠️ ${escapeMrkdwn(note)}`));
  if (view.outcome === undefined) {
    const buttons = decisionButtons(view.runId, view);
    if (buttons.length > 0) blocks.push(actions(...buttons));
  }
  return message(`Diff: ${unmarked(title)}`, blocks);
}

/** The Keep button's form: a required reason, remembered with the Keep. */
export function cleanupKeepForm(input: CleanupKeepFormInput): ModalView {
  const metadata = encodeKeepMetadata(input);
  if (metadata.length > SLACK_LIMITS.privateMetadata)
    throw new RangeError(
      `private_metadata is ${metadata.length} characters; Slack keeps ${SLACK_LIMITS.privateMetadata}.`,
    );
  return {
    type: 'modal',
    callback_id: CleanupAction.KeepForm,
    title: plain('Keep a permission'),
    submit: plain('Keep'),
    close: plain('Cancel'),
    private_metadata: metadata,
    blocks: [
      section(words.keepQuestion(input)),
      context(escapeMrkdwn(KEEP_NOTE)),
      {
        type: 'input',
        block_id: CleanupInput.KeepReasonBlock,
        label: plain('Why keep it?'),
        hint: plain('The system owners and security read this.'),
        element: {
          type: 'plain_text_input',
          action_id: CleanupInput.KeepReason,
          max_length: MAX_KEEP_REASON,
          multiline: true,
        },
      },
    ],
  };
}

/** An accepted Keep, Remove now or Snooze. */
export function cleanupDecidedReply(view: CleanupDecidedView): SlackMessage {
  const text = words.decided(view);
  return message(text, [section(text)]);
}

/** What a Restore click brought back. */
export function cleanupRestoreResultReply(view: CleanupRestoredView): SlackMessage {
  const lines = words.restoredResult(view);
  const shown = lines.slice(0, CLEANUP_SHOWN.items);
  const more = words.more(view.runId, lines.length - shown.length);
  const text = shown.join('\n');
  return message(text, [section(text), ...(more ? [context(more)] : [])]);
}

/** Said while a restore runs; the result follows. */
export function cleanupRestoringReply(): SlackMessage {
  const text = '↩️ Restoring… Least checks each change against the cloud first; the result follows here.';
  return message(text, [section(text)]);
}

// ---- Blocks ----

interface ItemGroup {
  heading?: string;
  items: readonly CleanupItemView[];
  blocks: (item: CleanupItemView) => KnownBlock[];
}

/**
 * Appends each group's heading and items while they fit a message (keeping `reserved` blocks and the
 * tail free); returns how many items did not fit. A group's heading is only shown with an item under it.
 */
function fill(blocks: KnownBlock[], groups: readonly ItemGroup[], reserved = 0): number {
  const budget = SLACK_LIMITS.messageBlocks - TAIL_BLOCKS - reserved;
  let shown = 0;
  let hidden = 0;
  for (const group of groups) {
    let headed = group.heading === undefined;
    for (const item of group.items) {
      const own = group.blocks(item);
      const needed = own.length + (headed ? 0 : 1);
      if (shown >= CLEANUP_SHOWN.items || blocks.length + needed > budget) {
        hidden += 1;
        continue;
      }
      if (!headed) blocks.push(section(group.heading!));
      headed = true;
      blocks.push(...own);
      shown += 1;
    }
  }
  return hidden;
}

function withTail(blocks: KnownBlock[], run: CleanupRunView, hidden: number): KnownBlock[] {
  const more = words.more(run.runId, hidden);
  return [...blocks, ...(more ? [context(more)] : []), context(words.runFootnote(run))];
}

function itemBlocks(run: CleanupRunView, item: CleanupItemView): KnownBlock[] {
  const text = [words.change(item), ...words.itemDetails(item)].join('\n');
  const buttons = decisionButtons(run.runId, item);
  if (buttons.length === 0) return [section(`${text}\n_No buttons: its id is too long for Slack._`)];
  return [section(text), actions(...buttons)];
}

/** Keep / Remove now / Snooze 7d / Snooze 30d / Show diff; none when the ids do not fit a value. */
function decisionButtons(runId: string, item: Pick<CleanupItemView, 'itemId' | 'explicitOnly' | 'change'>): Button[] {
  const value = cleanupButtonValue(runId, item.itemId);
  if (value.length > SLACK_LIMITS.buttonValue) return [];
  // No names in a confirm: it is plain text, but a cloud's name has no business in a dialog either.
  const remove = removeNowConfirmation(item);
  return [
    button('Keep…', CleanupAction.Keep, value, 'primary'),
    button('Remove now', CleanupAction.RemoveNow, value, 'danger', {
      title: 'Remove it?',
      text: remove,
      confirm: 'Remove',
    }),
    button('Snooze 7d', CleanupAction.Snooze7, value),
    button('Snooze 30d', CleanupAction.Snooze30, value),
    button('Show diff', CleanupAction.ShowDiff, value),
  ];
}

function reportBlock(run: CleanupRunView, item: CleanupItemView): KnownBlock {
  const text = words.reportItem(item).join('\n');
  return section(text, item.outcome === 'removed' ? restoreButton(run.runId, item.itemId) : undefined);
}

/** Restore on one removed item (the report's, the denied-call watch's); none when the ids do not fit a value. */
export function restoreButton(runId: string, itemId: string): Button | undefined {
  const value = cleanupButtonValue(runId, itemId);
  return value.length <= SLACK_LIMITS.buttonValue ? button('Restore', CleanupAction.Restore, value) : undefined;
}

/**
 * Restore per identity (a few), and the whole run in the channel: a section each, the button beside
 * it (one actions block may not hold the same action id twice).
 */
function restoreBlocks(run: CleanupRunView, items: readonly CleanupItemView[], wholeRun: boolean): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (const { label, target } of restorableIdentities(items).slice(0, CLEANUP_SHOWN.restoreIdentities)) {
    const value = cleanupButtonValue(run.runId, identityRestoreItem(target));
    if (value.length > SLACK_LIMITS.buttonValue) continue;
    blocks.push(
      section(
        `Everything this run removed from *${userLine(label, CLEANUP_CHARS.name)}*`,
        button('Restore all', CleanupAction.Restore, value),
      ),
    );
  }
  if (wholeRun)
    blocks.push(
      section(
        'Everything this run removed',
        button('Restore the run', CleanupAction.Restore, cleanupButtonValue(run.runId, RESTORE_WHOLE_RUN), 'danger', {
          title: 'Restore the whole run?',
          text: 'Least puts back everything this run removed, item by item, unless someone changed it since.',
          confirm: 'Restore',
        }),
      ),
    );
  return blocks;
}

function button(
  text: string,
  actionId: string,
  value: string,
  style?: 'primary' | 'danger',
  confirm?: { title: string; text: string; confirm: string },
): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: plain(confirm.title, SLACK_LIMITS.confirmTitle),
            // plain_text: an object name from a cloud must not become a link or a mention here.
            text: plain(confirm.text, SLACK_LIMITS.confirmText),
            confirm: plain(confirm.confirm, SLACK_LIMITS.confirmButton),
            deny: plain('Cancel', SLACK_LIMITS.confirmButton),
            ...(style === 'danger' ? { style: 'danger' as const } : {}),
          },
        }
      : {}),
  };
}

/**
 * A diff in code blocks of at most a section each, line by line. Each line is escaped (`& < >` and
 * broadcasts) and a backtick is followed by a word joiner, so a document cannot close the code block.
 */
function codeSections(lines: readonly string[]): { sections: string[]; hidden: number } {
  const fence = '```';
  const budget = SLACK_LIMITS.sectionText - 2 * fence.length - 2;
  const sections: string[] = [];
  let current: string[] = [];
  let size = 0;
  let at = 0;
  for (; at < lines.length; at += 1) {
    const line = clipEscaped(escapeMrkdwn(lines[at]!).replace(/`/g, `\`${WORD_JOINER}`), CLEANUP_CHARS.diffLine);
    if (size + line.length + 1 > budget) {
      sections.push(current.join('\n'));
      if (sections.length >= DIFF_SECTIONS) break;
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length + 1;
  }
  if (at >= lines.length && current.length > 0) sections.push(current.join('\n'));
  return { sections: sections.map((body) => `${fence}\n${body}\n${fence}`), hidden: lines.length - at };
}

function plain(text: string, max: number = SLACK_LIMITS.inputLabel): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: plainText(text, max) };
}
