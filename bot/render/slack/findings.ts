import type { Button, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import {
  encodeSuppressMetadata,
  encodeTarget,
  findingsInOrder,
  formatCount,
  findingsWording,
  fitsTarget,
  SHOWN,
  SUPPRESS_NOTE,
  type CleanupStartedView,
  type FindingsSummaryView,
  type FindingsTarget,
  type IdentityCardView,
  type RequesterFindingsView,
  type RightSizeView,
  type SuppressDialogInput,
  type SuppressedView,
  type SystemFindingsView,
} from '../findings';
import { SUPPRESS_DAYS, SUPPRESS_REASON_MAX } from '../../../domain/findings/model';
import { actions, context, fields, header, message, section, type SlackMessage } from './blocks';
import { SLACK_COMMAND, SlackAction, SlackBlock, SlackView } from './ids';
import { SLACK_LIMITS } from './limits';
import { plainText, slackDialect, userLine, userText } from './text';

/**
 * Findings and the Permission Creep Index in Block Kit: the `/access findings` summary, one
 * identity's card, the suppress form and its answers, the approver card's section on the requester,
 * and the right-size note after a revoke. Words come from bot/render/findings.ts in Slack's dialect.
 */
const words = findingsWording({ ...slackDialect, text: userText, command: `${SLACK_COMMAND} findings` });

/** Blocks kept free after the systems: the other systems' line and the hidden note. */
const SUMMARY_TAIL = 2;

/** `/access findings`: PCI, counts and top identities per system the person may see. */
export function findingsSummaryReply(view: FindingsSummaryView): SlackMessage {
  return message(words.summaryFallback(view), findingsSummaryBlocks(view));
}

/**
 * The summary's blocks within `maxBlocks` (a message's 50; App Home may give it a share of its 100).
 * Systems are shown whole while they fit; the rest are named on one line with their PCI.
 */
export function findingsSummaryBlocks(
  view: FindingsSummaryView,
  maxBlocks: number = SLACK_LIMITS.messageBlocks,
): KnownBlock[] {
  const hidden = words.hidden(view.hiddenSystems);
  if (view.systems.length === 0) {
    return [header('Findings'), section(words.empty()), ...(hidden ? [context(hidden)] : [])];
  }
  const blocks: KnownBlock[] = [header('Findings')];
  const intro = [words.overall(view), ...words.movers(view.movers)].filter((line) => line !== undefined);
  if (intro.length > 0) blocks.push(section(intro.join('\n')));
  const others: SystemFindingsView[] = [];
  for (const system of view.systems) {
    const own = systemBlocks(system);
    if (others.length === 0 && blocks.length + own.length + SUMMARY_TAIL <= maxBlocks) blocks.push(...own);
    else others.push(system);
  }
  const rest = words.otherSystems(others);
  if (rest) blocks.push(section(rest));
  if (hidden) blocks.push(context(hidden));
  return blocks;
}

function systemBlocks(system: SystemFindingsView): KnownBlock[] {
  const blocks: KnownBlock[] = [
    section(
      [words.systemHeadline(system), words.kindCounts(system.counts), words.categoryCounts(system.categories)].join(
        '\n',
      ),
    ),
    context(words.systemFootnote(system)),
  ];
  for (const top of system.top.slice(0, SHOWN.topIdentities)) {
    const target = { systemId: system.systemId, identityId: top.identityId };
    const buttons = [
      targetButton('Show identity', SlackAction.FindingsShowIdentity, target, 'primary'),
      targetButton('Suppress', SlackAction.FindingsSuppress, target),
    ].filter((button) => button !== undefined);
    blocks.push(section(words.topIdentity(top)));
    if (buttons.length > 0) blocks.push(actions(...buttons));
  }
  return blocks;
}

/** `/access findings <identity>`: the PCI and its arithmetic, findings, usage by service and coverage. */
export function identityCardReply(view: IdentityCardView): SlackMessage {
  const { assessment } = view;
  const pci = assessment.pci;
  const score = [words.identityHeadline(view), words.score(assessment)];
  if (pci) {
    score.push(words.equation(pci));
    const ceiling = words.ceiling(pci);
    const removed = words.ifTopRemoved(pci);
    if (ceiling) score.push(ceiling);
    if (removed) score.push(removed);
  }
  const blocks: KnownBlock[] = [
    header('Identity findings'),
    section(score.join('\n')),
    fields([
      ['Granted vs used', words.totals(assessment)],
      ['Last activity', words.lastActivity(view)],
      ['Usage window', words.window(view)],
      ['Identity id', `\`${userLine(assessment.identityId, 200)}\``],
    ]),
  ];
  const cleanUp = view.mayStartCleanup
    ? targetButton('Clean up', SlackAction.FindingsCleanUp, {
        systemId: view.systemId,
        identityId: assessment.identityId,
      })
    : undefined;
  if (cleanUp) blocks.push(section(words.cleanupOffer(), cleanUp));
  const services = words.services(view.grantedByService);
  if (services.length > 0) blocks.push(section(`*Granted vs used by service*\n${services.join('\n')}`));
  const coverage = words.coverage(pci?.coverage ?? assessment.findings[0]?.coverage);
  blocks.push(
    section(
      [
        '*Data coverage*',
        `Sources: ${coverage.sources.join('; ') || 'none'}`,
        `Blind spots: ${coverage.blindSpots.join('; ') || 'none known'}`,
      ].join('\n'),
    ),
  );
  blocks.push(...findingBlocks(view));
  return message(`Findings for ${userLine(assessment.identityName, 100)}: ${findingCount(view)}`, blocks);
}

function findingBlocks(view: IdentityCardView): KnownBlock[] {
  const { assessment } = view;
  const ordered = findingsInOrder(assessment.findings);
  if (ordered.length === 0) return [section('*Findings*: none.')];
  const blocks: KnownBlock[] = [section(`*Findings*: ${findingCount(view)}`)];
  for (const finding of ordered.slice(0, SHOWN.findings)) {
    const lines = [words.finding(finding), ...words.evidence(finding).map((line) => `• ${line}`)];
    if (finding.suppressed) lines.push(`🔕 ${words.suppressed(finding.suppressed)}`);
    const target = { systemId: finding.systemId, identityId: finding.identityId, findingId: finding.id };
    const suppress = finding.suppressed ? undefined : targetButton('Suppress', SlackAction.FindingsSuppress, target);
    blocks.push(section(lines.join('\n'), suppress));
  }
  const more = words.moreFindings(ordered, SHOWN.findings);
  if (more) blocks.push(context(more));
  return blocks;
}

function findingCount(view: IdentityCardView): string {
  const all = view.assessment.findings.length;
  const muted = view.assessment.findings.filter((f) => f.suppressed).length;
  return `${formatCount(all - muted)} open${muted > 0 ? `, ${formatCount(muted)} suppressed` : ''}`;
}

/** The Suppress button's form: a required reason and 30 or 90 days. */
export function suppressForm(input: SuppressDialogInput): ModalView {
  const options = SUPPRESS_DAYS.map((days): PlainTextOption => ({ text: plain(`${days} days`), value: String(days) }));
  return {
    type: 'modal',
    callback_id: SlackView.SuppressFindings,
    title: plain('Suppress findings'),
    submit: plain('Suppress'),
    close: plain('Cancel'),
    private_metadata: metadata(encodeSuppressMetadata(input)),
    blocks: [
      section(`Suppress ${words.suppressSubject(input)}?`),
      context(SUPPRESS_NOTE),
      {
        type: 'input',
        block_id: SlackBlock.SuppressReason,
        label: plain('Reason'),
        hint: plain('Security reads this: say why the finding is accepted.'),
        element: {
          type: 'plain_text_input',
          action_id: SlackAction.SuppressReasonInput,
          max_length: SUPPRESS_REASON_MAX,
          multiline: true,
        },
      },
      {
        type: 'input',
        block_id: SlackBlock.SuppressDays,
        label: plain('For'),
        element: {
          type: 'static_select',
          action_id: SlackAction.SuppressDaysInput,
          options,
          ...(options[0] ? { initial_option: options[0] } : {}),
        },
      },
    ],
  };
}

/** Once the suppression is stored. */
export function suppressedReply(view: SuppressedView): SlackMessage {
  const text = words.suppressedConfirmation(view);
  return message(text, [section(text), context(SUPPRESS_NOTE)]);
}

/** A Clean up click's answer: which run, and that nothing changes before the notice period ends. */
export function cleanupStartedReply(view: CleanupStartedView): SlackMessage {
  return simple(words.cleanupStarted(view));
}

/** The person may not suppress on this system. */
export function suppressRefusedReply(systemId: string): SlackMessage {
  return simple(words.suppressRefused(systemId));
}

/** The person asked for someone else's identity and may see only their own. */
export function lookRefusedReply(identity: string): SlackMessage {
  return simple(words.lookRefused(identity));
}

export function noSuchIdentityReply(query: string): SlackMessage {
  return simple(words.noSuchIdentity(query));
}

/** The approver card's section on the requester's PCI and open findings on the request's system. */
export function requesterFindingsBlocks(view: RequesterFindingsView): KnownBlock[] {
  return [section([words.requesterPci(view), ...words.requesterFindings(view).map((l) => `• ${l}`)].join('\n'))];
}

/**
 * An approver card (`approvalCard`) with the requester's findings above its buttons, or above its
 * footer once settled. The card is left as it was when the section would not fit.
 */
export function withRequesterFindings(card: SlackMessage, view: RequesterFindingsView): SlackMessage {
  const extra = requesterFindingsBlocks(view);
  if (card.blocks.length + extra.length > SLACK_LIMITS.messageBlocks) return card;
  const buttons = card.blocks.findIndex((block) => block.type === 'actions');
  const at = buttons >= 0 ? buttons : Math.max(0, card.blocks.length - 1);
  return { ...card, blocks: [...card.blocks.slice(0, at), ...extra, ...card.blocks.slice(at)] };
}

/** After a just-in-time grant ends: how much of it was used, and what would have been enough. */
export function rightSizeReply(view: RightSizeView): SlackMessage {
  const suggestion = words.rightSizeSuggestion(view);
  const text = suggestion ? `${words.rightSize(view)} — ${suggestion}` : words.rightSize(view);
  return message(text, [section(text), context(`Lease \`${userLine(view.leaseId, 100)}\``)]);
}

function simple(text: string): SlackMessage {
  return message(text, [section(text)]);
}

/** A button whose value names its target; none when the ids do not fit a value. */
function targetButton(
  text: string,
  actionId: string,
  target: FindingsTarget,
  style?: 'primary' | 'danger',
): Button | undefined {
  const value = encodeTarget(target);
  if (!fitsTarget(target) || value.length > SLACK_LIMITS.buttonValue) return undefined;
  return {
    type: 'button',
    text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

function plain(text: string): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: plainText(text, SLACK_LIMITS.inputLabel) };
}

/** The target came from a button whose value fits 2000; anything longer is a bug to hear about now. */
function metadata(text: string): string {
  if (text.length > SLACK_LIMITS.privateMetadata) {
    throw new RangeError(
      `private_metadata is ${text.length} characters; Slack keeps at most ${SLACK_LIMITS.privateMetadata}.`,
    );
  }
  return text;
}
