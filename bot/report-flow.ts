import { AuditAction } from '../domain/audit';
import { DomainError, ErrorCode } from '../domain/errors';
import type { ExternalGroups } from '../domain/policy/evaluate';
import type { Policy } from '../domain/policy/schema';
import { reportIsAboutAsker, type IdentityReportFile, type IdentityReportRequest } from '../domain/report/content';
import { mayReportOnOthers } from '../domain/report/who-may-ask';
import { expiryOf, type SharedFiles } from '../domain/shared-file';
import type { Command } from './commands';
import type { FileLinkSigner } from './file-links';

/**
 * The one flow behind `report …` typed in Slack or Teams: build the forensic identity report, decide
 * whether the asker may have it, and hand it to the front end to deliver (Slack upload, Teams file
 * consent or signed link). Every refusal and every delivery is audited here.
 */

export type ReportCommand = Extract<Command, { kind: 'report' }>;

export type { IdentityReportFile, IdentityReportRequest };

/** Everything reports in chat need, wired by app/ (builder, shared files, link signer, policy, audit). */
export interface ReportDesk {
  build(request: IdentityReportRequest): Promise<IdentityReportFile>;
  files: SharedFiles;
  /** Absent when LEAST_LINK_SECRET and BOT_PUBLIC_URL are not set: no links, and people are told why. */
  signer?: FileLinkSigner;
  /** How long a report's link (and its stored file) lives. */
  reportSeconds: number;
  policy: () => Policy;
  externalGroups?: () => Promise<ExternalGroups>;
  audit: (entry: { actor: string; action: AuditAction; detail: Record<string, unknown> }) => Promise<unknown>;
  now?: () => Date;
}

export type ReportOutcome =
  { ok: true; file: IdentityReportFile; bytes: Buffer } | { ok: false; code: string; message: string };

/** Where a report went, for the `report.delivered` entry. */
export interface ReportDelivery {
  platform: 'slack' | 'teams';
  /** `slack-upload`, `teams-file` (consent accepted), `teams-link` (channel or group chat). */
  how: 'slack-upload' | 'teams-file' | 'teams-link';
  /** The channel or conversation id. */
  where: string;
}

export const REPORT_NOT_SET_UP = 'Reports are not set up on this Least server.';

/** What the person is told when links are needed and not configured. */
export const REPORT_LINKS_UNSET =
  'Reports in a channel or group chat come as a link served by Least, and links are not set up on this server ' +
  '(an admin sets BOT_PUBLIC_URL and LEAST_LINK_SECRET). Ask me in a personal chat instead: you get the file there.';

/**
 * Decides, then builds: anyone gets their own report (they name their own e-mail), only security viewers
 * and admins another person's or a cloud identity's. A refusal says why and is audited.
 */
export async function prepareReport(
  desk: ReportDesk,
  command: ReportCommand,
  asker: string,
  platform: 'slack' | 'teams',
  /** Called once the asker may have the report, before it is built (to tell them it is on its way). */
  allowed: () => Promise<unknown> = () => Promise.resolve(),
): Promise<ReportOutcome> {
  const person = asker.toLowerCase();
  const now = desk.now?.() ?? new Date();
  const subject = { identity: clip(command.identity), ...(command.systemId ? { systemId: command.systemId } : {}) };
  const refuse = async (code: string, message: string, reason: string): Promise<ReportOutcome> => {
    await desk.audit({
      actor: person,
      action: AuditAction.ReportRefused,
      detail: { platform, ...subject, days: command.days, code, reason },
    });
    return { ok: false, code, message };
  };
  // Decided before anything is read: a report that may not be delivered is never built.
  const external = desk.externalGroups ? await desk.externalGroups() : {};
  if (!mayReportOnOthers(desk.policy(), person, external) && !reportIsAboutAsker(command, person))
    return refuse(
      ErrorCode.ReportNotAuthorized,
      'You may ask for a report on yourself only (`report <your e-mail>`); reports on other people and on cloud ' +
        'identities are for security viewers. A security viewer or a Least admin can ask for this one.',
      'another person',
    );
  await allowed();
  let file: IdentityReportFile;
  try {
    file = await desk.build({
      identity: command.identity,
      ...(command.systemId ? { systemId: command.systemId } : {}),
      days: command.days,
      at: now.toISOString(),
      requestedBy: person,
    });
  } catch (error) {
    if (error instanceof DomainError) return refuse(error.code, error.message, 'not built');
    throw error;
  }
  return { ok: true, file, bytes: Buffer.from(file.body, 'utf8') };
}

/** Stores the report where the bot serves it (for a Teams file consent or a link) for the report lifetime. */
export async function storeReport(desk: ReportDesk, file: IdentityReportFile, asker: string) {
  const now = desk.now?.() ?? new Date();
  return desk.files.put({
    contentType: file.mimeType,
    filename: file.filename,
    body: Buffer.from(file.body, 'utf8'),
    createdBy: asker.toLowerCase(),
    purpose: 'report',
    expiresAt: expiryOf(now, desk.reportSeconds),
  });
}

export async function auditDelivered(
  desk: ReportDesk,
  asker: string,
  file: Pick<IdentityReportFile, 'filename' | 'subjects' | 'person'>,
  bytes: number,
  delivery: ReportDelivery,
): Promise<void> {
  await desk.audit({
    actor: asker.toLowerCase(),
    action: AuditAction.ReportDelivered,
    detail: {
      ...delivery,
      filename: file.filename,
      subjects: file.subjects.map((s) => `${s.systemId}/${s.identityId}`),
      ...(file.person ? { person: file.person } : {}),
      bytes,
    },
  });
}

/** Audits a report that was allowed and built but could not be delivered. */
export async function auditUndelivered(
  desk: ReportDesk,
  asker: string,
  file: Pick<IdentityReportFile, 'filename' | 'subjects'>,
  delivery: ReportDelivery,
  reason: string,
): Promise<void> {
  await desk.audit({
    actor: asker.toLowerCase(),
    action: AuditAction.ReportRefused,
    detail: {
      ...delivery,
      code: ErrorCode.ReportUndelivered,
      filename: file.filename,
      subjects: file.subjects.map((s) => `${s.systemId}/${s.identityId}`),
      reason,
    },
  });
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
