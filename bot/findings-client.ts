import { AuditAction } from '../domain/audit';
import { SUPPRESS_DAYS, SUPPRESS_REASON_MAX, type IdentityAssessment } from '../domain/findings/model';
import type { IdentityView } from '../domain/inventory/view';
import type { ExternalGroups } from '../domain/policy/evaluate';
import type { AuthorizationSystem, Policy } from '../domain/policy/schema';
import {
  findingsAccess,
  maySeeIdentity,
  maySeeSystem,
  maySuppress,
  type FindingsAccess,
} from '../domain/findings/visibility';

/** A system's assessment as the store keeps it (activities/store/findings). */
export interface SystemFindings {
  systemId: string;
  runId: string;
  collectedAt: string;
  assessedAt: string;
  pci: number;
  band: 'low' | 'medium' | 'high';
  identities: number;
  scored: number;
  bands: Record<'low' | 'medium' | 'high', number>;
  counts: Record<string, number>;
  categories: Record<string, number>;
  severities: Record<string, number>;
  suppressed: number;
  weekAgo?: number;
  top: {
    identityId: string;
    identityName: string;
    pci: number;
    band: string;
    findings: number;
    topContributor?: string;
  }[];
  movers: { identityId: string; identityName: string; from: number; to: number }[];
}

/** What the findings front ends read and write, wired in app/ over PostgreSQL and the assessment. */
export interface FindingsReader {
  /** The current snapshot's assessment of a system, or undefined when it has none yet. */
  system(systemId: string, top: number): Promise<SystemFindings | undefined>;
  /** One identity of the current snapshot, by id or name, assessed now (suppressions as they are now). */
  identity(
    systemId: string,
    identity: string,
  ): Promise<{ view: IdentityView; assessment: IdentityAssessment } | undefined>;
  suppress(input: {
    systemId: string;
    identityId: string;
    findingId?: string;
    reason: string;
    by: string;
    until: string;
    source: 'chat' | 'cli';
  }): Promise<{ suppressionId: string }>;
}

export interface FindingsClientDeps {
  policy: () => Policy;
  reader: FindingsReader;
  audit: (entry: { actor: string; action: AuditAction; detail: Record<string, unknown> }) => Promise<void>;
  externalGroups?: () => Promise<ExternalGroups>;
  now?: () => Date;
}

export type Refusal = { ok: false; code: string; message: string };

export type OverviewOutcome = {
  ok: true;
  systems: { system: AuthorizationSystem; findings?: SystemFindings }[];
  /** Systems the person may not see whole (they still see their own identities there). */
  hidden: number;
  access: FindingsAccess;
};

export type IdentityOutcome =
  | { ok: true; system: AuthorizationSystem; view: IdentityView; assessment: IdentityAssessment; maySuppress: boolean }
  | Refusal;

export type SuppressOutcome = { ok: true; until: string; suppressionId: string } | Refusal;

export const FindingsCode = {
  SystemUnknown: 'FINDINGS.SYSTEM_UNKNOWN',
  IdentityUnknown: 'FINDINGS.IDENTITY_UNKNOWN',
  IdentityAmbiguous: 'FINDINGS.IDENTITY_AMBIGUOUS',
  ViewRefused: 'FINDINGS.VIEW_REFUSED',
  SuppressRefused: 'FINDINGS.SUPPRESS_REFUSED',
  SuppressInvalid: 'FINDINGS.SUPPRESS_INVALID',
} as const;

const TOP_IDENTITIES = 5;
const MAX_IDENTITY_TEXT = 2048;

/**
 * The one way front ends (Slack, Teams, CLI) read findings and suppress them: who may see what is decided
 * here from the policy (domain/findings/visibility.ts), and every refusal and suppression is audited.
 */
export class FindingsClient {
  constructor(private readonly deps: FindingsClientDeps) {}

  /** `undefined`: an operator at the CLI, who reads the database anyway and sees every system. */
  private async accessOf(person: string | undefined): Promise<FindingsAccess> {
    if (person === undefined) {
      const all = this.deps.policy().authorizationSystems.map((s) => s.id);
      return { person: 'operator', everySystem: true, systems: all, suppress: [] };
    }
    const external = this.deps.externalGroups ? await this.deps.externalGroups() : {};
    return findingsAccess(this.deps.policy(), person.toLowerCase(), external);
  }

  /** `/access findings`: every system the person may see whole, with its index, counts and top identities. */
  async overview(person: string | undefined, systemId?: string): Promise<OverviewOutcome | Refusal> {
    const access = await this.accessOf(person);
    const policy = this.deps.policy();
    if (systemId !== undefined && !policy.authorizationSystems.some((s) => s.id === systemId))
      return {
        ok: false,
        code: FindingsCode.SystemUnknown,
        message: `There is no authorization system "${clip(systemId)}".`,
      };
    const wanted = policy.authorizationSystems.filter((s) => systemId === undefined || s.id === systemId);
    const visible = wanted.filter((s) => maySeeSystem(access, s.id));
    if (systemId !== undefined && visible.length === 0) {
      await this.refusedLook(person, systemId, undefined);
      return {
        ok: false,
        code: FindingsCode.ViewRefused,
        message: `You may not see the findings of ${systemId}: only its owners, its approvers and security viewers may. You can look at your own identities with \`findings <identity>\`.`,
      };
    }
    const systems = await Promise.all(
      visible.map(async (system) => {
        const findings = await this.deps.reader.system(system.id, TOP_IDENTITIES);
        return findings ? { system, findings } : { system };
      }),
    );
    return { ok: true, systems, hidden: wanted.length - visible.length, access };
  }

  /** `/access findings <identity>`: one identity's card, when the person may see it. */
  async identity(person: string | undefined, identity: string, systemId?: string): Promise<IdentityOutcome> {
    const text = identity.trim();
    if (text.length === 0 || text.length > MAX_IDENTITY_TEXT)
      return {
        ok: false,
        code: FindingsCode.IdentityUnknown,
        message: 'Name an identity: its name, ARN, object id or member.',
      };
    const policy = this.deps.policy();
    const systems = policy.authorizationSystems.filter((s) => systemId === undefined || s.id === systemId);
    if (systemId !== undefined && systems.length === 0)
      return {
        ok: false,
        code: FindingsCode.SystemUnknown,
        message: `There is no authorization system "${clip(systemId)}".`,
      };
    const found = (
      await Promise.all(
        systems.map(async (system) => {
          const hit = await this.deps.reader.identity(system.id, text);
          return hit ? [{ system, ...hit }] : [];
        }),
      )
    ).flat();
    const access = await this.accessOf(person);
    if (found.length === 0) {
      // Whether an identity exists is itself for those who may see its system.
      if (!systems.some((s) => maySeeSystem(access, s.id))) return this.refusedIdentity(person, systems[0]?.id, text);
      return {
        ok: false,
        code: FindingsCode.IdentityUnknown,
        message: `No identity "${clip(text)}" in the current inventory${systemId ? ` of ${systemId}` : ''}.`,
      };
    }
    const allowed = found.filter((f) => maySeeIdentity(policy, access, f.system.id, f.view.identity));
    if (allowed.length === 0) return this.refusedIdentity(person, found[0]!.system.id, text);
    if (allowed.length > 1)
      return {
        ok: false,
        code: FindingsCode.IdentityAmbiguous,
        message: `"${clip(text)}" is in ${allowed.map((f) => f.system.id).join(', ')}: name the system too.`,
      };
    const hit = allowed[0]!;
    return { ok: true, ...hit, maySuppress: maySuppress(access, hit.system.id) };
  }

  /** Suppress a finding (or every finding of an identity) for 30 or 90 days, when the person may. */
  async suppress(
    person: string,
    input: {
      systemId: string;
      identity: string;
      findingId?: string;
      reason: string;
      days: number;
      source: 'chat' | 'cli';
    },
  ): Promise<SuppressOutcome> {
    const actor = person.toLowerCase();
    const refuse = async (code: string, message: string): Promise<Refusal> => {
      await this.deps.audit({
        actor,
        action: AuditAction.FindingsSuppressRefused,
        detail: {
          code,
          system: clip(input.systemId),
          identity: clip(input.identity),
          finding: input.findingId && clip(input.findingId),
        },
      });
      return { ok: false, code, message };
    };
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > SUPPRESS_REASON_MAX)
      return refuse(FindingsCode.SuppressInvalid, `Give a reason of 1 to ${SUPPRESS_REASON_MAX} characters.`);
    if (!(SUPPRESS_DAYS as readonly number[]).includes(input.days))
      return refuse(FindingsCode.SuppressInvalid, `A suppression lasts ${SUPPRESS_DAYS.join(' or ')} days.`);
    const policy = this.deps.policy();
    if (!policy.authorizationSystems.some((s) => s.id === input.systemId))
      return refuse(FindingsCode.SystemUnknown, `There is no authorization system "${clip(input.systemId)}".`);
    const access = await this.accessOf(actor);
    if (!maySuppress(access, input.systemId))
      return refuse(
        FindingsCode.SuppressRefused,
        `You may not suppress findings on ${input.systemId}: only its owners and security viewers may.`,
      );
    const hit = await this.deps.reader.identity(input.systemId, input.identity);
    if (!hit)
      return refuse(FindingsCode.IdentityUnknown, `No identity "${clip(input.identity)}" in ${input.systemId}.`);
    if (input.findingId !== undefined && !hit.assessment.findings.some((f) => f.id === input.findingId))
      return refuse(FindingsCode.IdentityUnknown, `That finding is no longer open on ${hit.view.identity.name}.`);
    const until = new Date((this.deps.now?.() ?? new Date()).getTime() + input.days * 86_400_000).toISOString();
    const stored = await this.deps.reader.suppress({
      systemId: input.systemId,
      identityId: hit.view.identity.id,
      ...(input.findingId !== undefined ? { findingId: input.findingId } : {}),
      reason,
      by: actor,
      until,
      source: input.source,
    });
    await this.deps.audit({
      actor,
      action: AuditAction.FindingsSuppressed,
      detail: {
        system: input.systemId,
        identity: hit.view.identity.id,
        ...(input.findingId !== undefined ? { finding: input.findingId } : {}),
        reason,
        until,
        suppressionId: stored.suppressionId,
      },
    });
    return { ok: true, until, suppressionId: stored.suppressionId };
  }

  private async refusedIdentity(
    person: string | undefined,
    systemId: string | undefined,
    identity: string,
  ): Promise<Refusal> {
    await this.refusedLook(person, systemId ?? '*', identity);
    return {
      ok: false,
      code: FindingsCode.ViewRefused,
      message: `You may see findings for your own identities only; "${clip(identity)}" is not one of yours.`,
    };
  }

  private async refusedLook(person: string | undefined, systemId: string, identity: string | undefined): Promise<void> {
    await this.deps.audit({
      actor: person?.toLowerCase() ?? 'operator',
      action: AuditAction.FindingsViewRefused,
      detail: { system: clip(systemId), ...(identity !== undefined ? { identity: clip(identity) } : {}) },
    });
  }
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
