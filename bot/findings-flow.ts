import { FINDING_KINDS, RISK_CATEGORIES, type PciBand } from '../domain/findings/model';
import { bandOf } from '../domain/findings/pci';
import type { Command } from './commands';
import { FindingsCode, type FindingsClient, type OverviewOutcome, type Refusal } from './findings-client';
import {
  identityCardView,
  type FindingsSummaryView,
  type FindingsTarget,
  type IdentityCardView,
  type PciMover,
  type SuppressDialogInput,
  type SuppressedView,
  type SystemFindingsView,
} from './render/findings';

/**
 * The one flow behind findings in chat: `findings …` typed in Slack or Teams, and the Show identity and
 * Suppress buttons. It asks the FindingsClient (which decides who may see what and audits) and
 * returns views; each front end only carries the answer and draws it.
 */

export type FindingsCommand = Extract<Command, { kind: 'findings' | 'findings-identity' }>;

/** What went wrong, for each front end to draw with its own words. */
export type FindingsRefusal = {
  kind: 'refused';
  code: string;
  message: string;
  /** Why, in the renderers' terms: another person's identity, one that is not there, or anything else. */
  reason: 'look-refused' | 'no-such-identity' | 'suppress-refused' | 'invalid' | 'other';
  /** The identity or system the person named, as they typed it. */
  subject: string;
};

export type FindingsResult =
  | { kind: 'summary'; view: FindingsSummaryView }
  | { kind: 'identity'; view: IdentityCardView; maySuppress: boolean }
  | FindingsRefusal;

/** What each platform draws a findings result with; `drawFindings` picks the one that fits. */
export interface FindingsRenderers<M> {
  summary(view: FindingsSummaryView): M;
  identity(view: IdentityCardView): M;
  lookRefused(subject: string): M;
  noSuchIdentity(subject: string): M;
  suppressRefused(subject: string): M;
  refused(message: string): M;
}

export function drawFindings<M>(result: FindingsResult, draw: FindingsRenderers<M>): M {
  if (result.kind === 'summary') return draw.summary(result.view);
  if (result.kind === 'identity') return draw.identity(result.view);
  switch (result.reason) {
    case 'look-refused':
      return draw.lookRefused(result.subject);
    case 'no-such-identity':
      return draw.noSuchIdentity(result.subject);
    case 'suppress-refused':
      return draw.suppressRefused(result.subject);
    default:
      return draw.refused(result.message);
  }
}

export function isFindingsCommand(command: Command): command is FindingsCommand {
  return command.kind === 'findings' || command.kind === 'findings-identity';
}

export async function runFindings(
  client: FindingsClient,
  command: FindingsCommand,
  person: string,
): Promise<FindingsResult> {
  if (command.kind === 'findings') {
    const outcome = await client.overview(person, command.systemId);
    return outcome.ok
      ? { kind: 'summary', view: summaryView(outcome) }
      : refusal(outcome, command.systemId ?? '', false);
  }
  return showIdentity(client, person, command.identity, command.systemId);
}

/** `findings <identity>` and the Show identity button. */
export async function showIdentity(
  client: FindingsClient,
  person: string,
  identity: string,
  systemId?: string,
): Promise<FindingsResult> {
  const outcome = await client.identity(person, identity, systemId);
  if (!outcome.ok) return refusal(outcome, identity, true);
  return {
    kind: 'identity',
    view: identityCardView(outcome.system, outcome.view, outcome.assessment),
    maySuppress: outcome.maySuppress,
  };
}

/**
 * What the Suppress button opens, once the person is known to be allowed: a person who may not
 * suppress is told before typing a reason (and the refusal is audited by the caller's `audit`).
 */
export async function suppressDialog(
  client: FindingsClient,
  person: string,
  target: FindingsTarget,
  audit: (detail: Record<string, unknown>) => Promise<void>,
): Promise<{ kind: 'dialog'; input: SuppressDialogInput } | FindingsRefusal> {
  const outcome = await client.identity(person, target.identityId, target.systemId);
  if (!outcome.ok) return refusal(outcome, target.identityId, true);
  if (!outcome.maySuppress) {
    await audit({ code: FindingsCode.SuppressRefused, system: target.systemId, identity: target.identityId });
    return {
      kind: 'refused',
      code: FindingsCode.SuppressRefused,
      message: `You may not suppress findings on ${target.systemId}.`,
      reason: 'suppress-refused',
      subject: target.systemId,
    };
  }
  const finding =
    target.findingId !== undefined
      ? outcome.assessment.findings.find((f) => f.id === target.findingId && !f.suppressed)
      : undefined;
  if (target.findingId !== undefined && !finding)
    return {
      kind: 'refused',
      code: FindingsCode.IdentityUnknown,
      message: `That finding is no longer open on ${outcome.view.identity.name}.`,
      reason: 'other',
      subject: target.identityId,
    };
  return {
    kind: 'dialog',
    input: {
      target,
      identityName: outcome.view.identity.name,
      ...(finding ? { findingTitle: finding.title } : {}),
    },
  };
}

/** The suppress form submitted: stored and audited by the client when the person may. */
export async function suppress(
  client: FindingsClient,
  person: string,
  target: FindingsTarget,
  input: { reason: string; days: number },
): Promise<{ kind: 'suppressed'; view: SuppressedView } | FindingsRefusal> {
  // The names for the confirmation; a person who may suppress here may see the identity.
  const before = await client.identity(person, target.identityId, target.systemId);
  const outcome = await client.suppress(person, {
    systemId: target.systemId,
    identity: target.identityId,
    ...(target.findingId !== undefined ? { findingId: target.findingId } : {}),
    reason: input.reason,
    days: input.days,
    source: 'chat',
  });
  if (!outcome.ok) return refusal(outcome, target.systemId, false);
  const finding = before.ok ? before.assessment.findings.find((f) => f.id === target.findingId) : undefined;
  return {
    kind: 'suppressed',
    view: {
      target,
      identityName: before.ok ? before.view.identity.name : target.identityId,
      ...(finding ? { findingTitle: finding.title } : {}),
      reason: input.reason.trim(),
      by: person.toLowerCase(),
      until: outcome.until,
    },
  };
}

/** The overview as the renderers take it: systems without collected data are left out. */
export function summaryView(outcome: OverviewOutcome): FindingsSummaryView {
  const systems: SystemFindingsView[] = outcome.systems.flatMap(({ system, findings }) =>
    findings
      ? [
          {
            systemId: system.id,
            cloud: system.cloud,
            pci: { score: findings.pci, band: findings.band },
            trend: findings.weekAgo === undefined ? undefined : { delta7d: findings.pci - findings.weekAgo },
            identities: findings.scored,
            counts: pick(findings.counts, FINDING_KINDS),
            categories: pick(findings.categories, RISK_CATEGORIES),
            suppressed: findings.suppressed,
            collectedAt: findings.collectedAt,
            top: findings.top.map((t) => ({
              identityId: t.identityId,
              identityName: t.identityName,
              pci: t.pci,
              band: asBand(t.band, t.pci),
              findings: t.findings,
            })),
          },
        ]
      : [],
  );
  const movers: PciMover[] = outcome.systems
    .flatMap(({ system, findings }) =>
      (findings?.movers ?? []).map((m) => ({
        identityName: m.identityName,
        systemId: system.id,
        from: m.from,
        to: m.to,
      })),
    )
    .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from));
  return {
    systems,
    overall: overall(outcome),
    ...(movers.length > 0 ? { movers } : {}),
    ...(outcome.hidden > 0 ? { hiddenSystems: outcome.hidden } : {}),
  };
}

/** Across two or more systems: their indexes weighted by the identities each scored. */
function overall(outcome: OverviewOutcome): FindingsSummaryView['overall'] {
  const assessed = outcome.systems.flatMap(({ findings }) => (findings ? [findings] : []));
  const weight = assessed.reduce((sum, f) => sum + f.scored, 0);
  if (assessed.length < 2 || weight === 0) return undefined;
  const score = Math.round(assessed.reduce((sum, f) => sum + f.pci * f.scored, 0) / weight);
  return { score, band: bandOf(score) };
}

function pick<K extends string>(counts: Record<string, number>, keys: readonly K[]): Partial<Record<K, number>> {
  return Object.fromEntries(keys.filter((k) => (counts[k] ?? 0) > 0).map((k) => [k, counts[k]!])) as Partial<
    Record<K, number>
  >;
}

function asBand(band: string, score: number): PciBand {
  return band === 'low' || band === 'medium' || band === 'high' ? band : bandOf(score);
}

/** `aboutIdentity`: the person named an identity, so a refused look or a miss is about that name. */
function refusal(outcome: Refusal, subject: string, aboutIdentity: boolean): FindingsRefusal {
  const reason: FindingsRefusal['reason'] =
    aboutIdentity && outcome.code === FindingsCode.ViewRefused
      ? 'look-refused'
      : aboutIdentity && outcome.code === FindingsCode.IdentityUnknown && subject.trim() !== ''
        ? 'no-such-identity'
        : outcome.code === FindingsCode.SuppressRefused
          ? 'suppress-refused'
          : outcome.code === FindingsCode.SuppressInvalid
            ? 'invalid'
            : 'other';
  return { kind: 'refused', code: outcome.code, message: outcome.message, reason, subject };
}
