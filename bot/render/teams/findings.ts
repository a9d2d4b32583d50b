import {
  BAND_TONE,
  encodeTarget,
  findingsInOrder,
  formatCount,
  findingsWording,
  fitsTarget,
  SEVERITY_TONE,
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
import {
  actionSet,
  card,
  container,
  facts,
  heading,
  jsonBytes,
  problemBlock,
  text,
  textOnly,
  withCard,
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  type TeamsMessage,
} from './card';
import { TeamsInput, TeamsVerb } from './ids';
import { plainText, teamsDialect, userLine, userText } from './text';

/**
 * Findings and the Permission Creep Index as Adaptive Cards: the `findings` summary, one identity's
 * card, the suppress card and its answers, the approver card's section on the requester, and the
 * right-size note after a revoke. Words come from bot/render/findings.ts in Teams' dialect.
 */
const words = findingsWording({ ...teamsDialect, text: userText, command: 'findings' });

/**
 * Shares of the card (24 KB) the lists may take; the rest is the text around them. Buttons carry
 * ids of up to 1024 characters, so lists are filled by bytes, not by count alone.
 */
const SYSTEMS_BYTES = 16 * 1024;
const FINDINGS_BYTES = 12 * 1024;
const ACTION_TITLE_CHARS = 40;

/** `findings`: PCI, counts and top identities per system the person may see. */
export function findingsSummaryMessage(view: FindingsSummaryView): TeamsMessage {
  return withCard(words.summaryFallback(view), findingsSummaryCard(view));
}

export function findingsSummaryCard(view: FindingsSummaryView): AdaptiveCard {
  const hidden = words.hidden(view.hiddenSystems);
  const note = hidden ? [text(hidden, { subtle: true, separator: true })] : [];
  if (view.systems.length === 0) return card([heading('Findings'), text(words.empty()), ...note]);
  const body: CardElement[] = [heading('Findings')];
  const overall = words.overall(view);
  if (overall)
    body.push(text(overall, { weight: 'bolder', ...(view.overall ? { color: BAND_TONE[view.overall.band] } : {}) }));
  const movers = words.movers(view.movers);
  if (movers.length > 0) body.push(text(movers.join('\n\n'), { spacing: 'small' }));
  const others: SystemFindingsView[] = [];
  let bytes = 0;
  for (const system of view.systems) {
    const own = systemContainer(system);
    bytes += jsonBytes(own);
    if (others.length === 0 && bytes <= SYSTEMS_BYTES) body.push(own);
    else others.push(system);
  }
  const rest = words.otherSystems(others);
  if (rest) body.push(text(rest, { separator: true }));
  return card([...body, ...note]);
}

function systemContainer(system: SystemFindingsView): CardElement {
  const items: CardElement[] = [
    text(words.systemHeadline(system), { weight: 'bolder', color: BAND_TONE[system.pci.band] }),
    text(words.kindCounts(system.counts), { spacing: 'none' }),
    text(words.categoryCounts(system.categories), { spacing: 'none' }),
    text(words.systemFootnote(system), { subtle: true, size: 'small', spacing: 'none' }),
  ];
  for (const top of system.top.slice(0, SHOWN.topIdentities)) {
    const target = { systemId: system.systemId, identityId: top.identityId };
    const buttons = [
      targetAction('Show identity', TeamsVerb.FindingsShowIdentity, target, 'positive'),
      targetAction('Suppress', TeamsVerb.FindingsSuppress, target),
    ].filter((action) => action !== undefined);
    items.push(text(words.topIdentity(top), { spacing: 'small' }));
    if (buttons.length > 0) items.push(actionSet(buttons));
  }
  return container(items, { separator: true });
}

/** `findings <identity>`: the PCI and its arithmetic, findings, usage by service and coverage. */
export function identityCardMessage(view: IdentityCardView): TeamsMessage {
  return withCard(`Findings for one identity: ${findingCount(view)}`, identityCard(view));
}

export function identityCard(view: IdentityCardView): AdaptiveCard {
  const { assessment } = view;
  const pci = assessment.pci;
  const body: CardElement[] = [
    heading('Identity findings'),
    text(words.identityHeadline(view)),
    text(words.score(assessment), {
      weight: 'bolder',
      ...(pci ? { color: BAND_TONE[pci.band] } : {}),
    }),
  ];
  if (pci) {
    body.push(text(words.equation(pci), { spacing: 'none' }));
    const ceiling = words.ceiling(pci);
    const removed = words.ifTopRemoved(pci);
    if (ceiling) body.push(text(ceiling, { subtle: true, spacing: 'none' }));
    if (removed) body.push(text(removed, { subtle: true, spacing: 'none' }));
  }
  body.push(
    facts([
      ['Granted vs used', words.totals(assessment)],
      ['Last activity', words.lastActivity(view)],
      ['Usage window', words.window(view)],
      ['Identity id', userLine(assessment.identityId, 200)],
    ]),
  );
  const cleanUp = view.mayStartCleanup
    ? targetAction('Clean up', TeamsVerb.FindingsCleanUp, {
        systemId: view.systemId,
        identityId: assessment.identityId,
      })
    : undefined;
  if (cleanUp) body.push(text(words.cleanupOffer(), { subtle: true }), actionSet([cleanUp]));
  const services = words.services(view.grantedByService);
  if (services.length > 0) {
    body.push(
      text('**Granted vs used by service**', { separator: true }),
      text(services.join('\n\n'), { spacing: 'none' }),
    );
  }
  const coverage = words.coverage(pci?.coverage ?? assessment.findings[0]?.coverage);
  body.push(
    text('**Data coverage**', { separator: true }),
    facts([
      ['Sources', coverage.sources.join('; ') || 'none'],
      ['Blind spots', coverage.blindSpots.join('; ') || 'none known'],
    ]),
    ...findingElements(view),
  );
  return card(body);
}

function findingElements(view: IdentityCardView): CardElement[] {
  const ordered = findingsInOrder(view.assessment.findings);
  if (ordered.length === 0) return [text('**Findings**: none.', { separator: true })];
  const elements: CardElement[] = [text(`**Findings**: ${findingCount(view)}`, { separator: true })];
  let bytes = 0;
  let shown = 0;
  for (const finding of ordered.slice(0, SHOWN.findings)) {
    const items: CardElement[] = [
      text(words.finding(finding), { color: finding.suppressed ? 'default' : SEVERITY_TONE[finding.severity] }),
      ...words.evidence(finding).map((line) => text(line, { subtle: true, spacing: 'none' })),
    ];
    if (finding.suppressed) items.push(text(`🔕 ${words.suppressed(finding.suppressed)}`, { spacing: 'none' }));
    else {
      const target = { systemId: finding.systemId, identityId: finding.identityId, findingId: finding.id };
      const suppress = targetAction('Suppress', TeamsVerb.FindingsSuppress, target);
      if (suppress) items.push(actionSet([suppress]));
    }
    const element = container(items, { separator: true });
    bytes += jsonBytes(element);
    if (bytes > FINDINGS_BYTES) break;
    elements.push(element);
    shown += 1;
  }
  const more = words.moreFindings(ordered, shown);
  if (more) elements.push(text(more, { subtle: true }));
  return elements;
}

function findingCount(view: IdentityCardView): string {
  const all = view.assessment.findings.length;
  const muted = view.assessment.findings.filter((f) => f.suppressed).length;
  return `${formatCount(all - muted)} open${muted > 0 ? `, ${formatCount(muted)} suppressed` : ''}`;
}

/** The Suppress button's card: a required reason and 30 or 90 days; `problem` when the last try was refused. */
export function suppressCard(input: SuppressDialogInput): AdaptiveCard {
  const submit = targetAction('Suppress', TeamsVerb.FindingsSuppressSubmit, input.target, 'positive');
  return card(
    [
      heading('Suppress findings'),
      ...problemBlock(input.problem),
      text(`Suppress ${words.suppressSubject(input)}?`),
      text(SUPPRESS_NOTE, { subtle: true, spacing: 'none' }),
      {
        type: 'Input.Text',
        id: TeamsInput.SuppressReason,
        label: 'Reason',
        placeholder: 'Security reads this: say why the finding is accepted.',
        maxLength: SUPPRESS_REASON_MAX,
        isMultiline: true,
        isRequired: true,
        errorMessage: 'Say why; security reads this.',
      },
      {
        type: 'Input.ChoiceSet',
        id: TeamsInput.SuppressDays,
        label: 'For',
        isRequired: true,
        errorMessage: 'Choose how long.',
        choices: SUPPRESS_DAYS.map((days) => ({ title: `${days} days`, value: String(days) })),
        value: String(SUPPRESS_DAYS[0]),
      },
    ],
    submit ? { actions: [submit] } : {},
  );
}

/** Once the suppression is stored; the card can replace the suppress card. */
export function suppressedMessage(view: SuppressedView): TeamsMessage {
  return withCard(
    'Findings suppressed',
    card([text(words.suppressedConfirmation(view)), text(SUPPRESS_NOTE, { subtle: true, spacing: 'none' })]),
  );
}

/** A Clean up click's answer, as a message: the identity card it was clicked on stays. */
export function cleanupStartedMessage(view: CleanupStartedView): TeamsMessage {
  return textOnly(words.cleanupStarted(view));
}

/** The person may not suppress on this system. */
export function suppressRefusedMessage(systemId: string): TeamsMessage {
  return notice('You may not suppress findings on this system', words.suppressRefused(systemId));
}

/** The person asked for someone else's identity and may see only their own. */
export function lookRefusedMessage(identity: string): TeamsMessage {
  return notice('You may see findings for your own identities only', words.lookRefused(identity));
}

export function noSuchIdentityMessage(query: string): TeamsMessage {
  return notice('No such identity', words.noSuchIdentity(query));
}

/** The approver card's section on the requester's PCI and open findings on the request's system. */
export function requesterFindingsElements(view: RequesterFindingsView): CardElement[] {
  const tone = view.pci && !view.unavailable ? { color: BAND_TONE[view.pci.band] } : {};
  return [
    container(
      [
        text(words.requesterPci(view), tone),
        ...words.requesterFindings(view).map((line) => text(line, { spacing: 'none', subtle: true })),
      ],
      { separator: true },
    ),
  ];
}

/**
 * An approver card (`approvalCard` / `approverCard`) with the requester's findings above its comment
 * box, or above its footer; refitted to Teams' size limit. The card passed in is not changed.
 */
export function withRequesterFindings(value: AdaptiveCard, view: RequesterFindingsView): AdaptiveCard {
  const copy = JSON.parse(JSON.stringify(value)) as AdaptiveCard;
  const body = copy.body as CardElement[];
  const input = body.findIndex((element) => element.type === 'Input.Text');
  const at = input >= 0 ? input : Math.max(0, body.length - 1);
  const refresh = copy.refresh;
  const requestId = refresh?.action.data?.requestId;
  return card([...body.slice(0, at), ...requesterFindingsElements(view), ...body.slice(at)], {
    ...(copy.actions ? { actions: copy.actions as CardAction[] } : {}),
    ...(refresh && typeof requestId === 'string' ? { refresh: { requestId, userIds: refresh.userIds ?? [] } } : {}),
  });
}

/** After a just-in-time grant ends: how much of it was used, and what would have been enough. */
export function rightSizeMessage(view: RightSizeView): TeamsMessage {
  const suggestion = words.rightSizeSuggestion(view);
  return withCard(
    'How much of the grant was used',
    card([
      heading('How much of the grant was used'),
      text(words.rightSize(view)),
      ...(suggestion ? [text(suggestion, { color: 'good', weight: 'bolder' })] : []),
      text(`Lease ${userLine(view.leaseId, 100)}`, { subtle: true, size: 'small' }),
    ]),
  );
}

function notice(summary: string, markdown: string): TeamsMessage {
  return withCard(summary, card([text(markdown)]));
}

/** A Universal Action whose `data` names its target; none when the ids do not fit. */
function targetAction(
  title: string,
  verb: TeamsVerb,
  target: FindingsTarget,
  style?: 'positive' | 'destructive',
): CardAction | undefined {
  if (!fitsTarget(target)) return undefined;
  return {
    type: 'Action.Execute',
    title: plainText(title, ACTION_TITLE_CHARS),
    verb,
    data: JSON.parse(encodeTarget(target)) as Record<string, string>,
    ...(style ? { style } : {}),
  };
}
