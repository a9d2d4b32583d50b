import type { TurnContext } from '@microsoft/agents-hosting';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import {
  REPORT_LINKS_UNSET,
  REPORT_NOT_SET_UP,
  auditDelivered,
  auditUndelivered,
  prepareReport,
  storeReport,
  type ReportCommand,
} from '../report-flow';
import { errorMessage, noIdentityMessage, refusalMessage } from '../render/teams';
import {
  fileConsentActivity,
  fileInfoActivity,
  reportBuildingMessage,
  reportDeclinedMessage,
  reportGoneMessage,
  reportLinkMessage,
  type ReportConsentContext,
} from '../render/teams/report';
import { errorReference, send, senderEmail, type TeamsContext } from './context';

/** The invoke Teams sends when the person accepts or declines a file consent card. */
export const FILE_CONSENT_INVOKE = 'fileConsent/invoke';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `access report <identity> [days]` in Teams. In a personal chat the report comes as a file: a file
 * consent card, and once the person accepts, the bytes go to the upload URL Teams gives and a file card
 * follows. In a channel or group chat, where a file cannot be offered to one person, it is a signed,
 * expiring link served by the bot. Who may have which report is bot/report-flow.ts's call.
 */
export async function answerReport(ctx: TeamsContext, context: TurnContext, command: ReportCommand): Promise<void> {
  try {
    const identity = await senderEmail(ctx, context);
    if (!identity.ok) {
      await send(context, noIdentityMessage(identity.reason));
      return;
    }
    const email = identity.email;
    const desk = ctx.reports;
    if (!desk) {
      await send(context, refusalMessage(REPORT_NOT_SET_UP));
      return;
    }
    const conversationId = context.activity.conversation?.id ?? '';
    const personal = context.activity.conversation?.conversationType === 'personal';
    const delivery = {
      platform: 'teams',
      how: personal ? 'teams-file' : 'teams-link',
      where: conversationId,
    } as const;
    if (!personal && !desk.signer) {
      await desk.audit({
        actor: email,
        action: AuditAction.ReportRefused,
        detail: {
          ...delivery,
          identity: command.identity.slice(0, 120),
          code: ErrorCode.ReportUndelivered,
          reason: 'links not configured',
        },
      });
      await send(context, refusalMessage(REPORT_LINKS_UNSET));
      return;
    }
    const outcome = await prepareReport(desk, command, email, 'teams', () =>
      send(context, reportBuildingMessage(command.identity, command.days)),
    );
    if (!outcome.ok) {
      await send(context, refusalMessage(outcome.message));
      return;
    }
    const { file, bytes } = outcome;
    const stored = await storeReport(desk, file, email);
    if (personal) {
      const consent: ReportConsentContext = { fileId: stored.id, requestedBy: email };
      await context.sendActivity(
        fileConsentActivity({
          filename: file.filename,
          title: file.title,
          bytes: bytes.length,
          context: consent,
        }) as never,
      );
      return;
    }
    await send(
      context,
      reportLinkMessage(file.title, desk.signer!.link(stored.id, stored.expiresAt), stored.expiresAt),
    );
    await auditDelivered(desk, email, file, bytes.length, delivery);
  } catch (error) {
    const reference = errorReference();
    ctx.log('error', 'teams report failed', { reference, error: String(error) });
    await send(context, errorMessage(reference));
  }
}

interface ConsentValue {
  action?: unknown;
  context?: { fileId?: unknown; requestedBy?: unknown };
  uploadInfo?: { uploadUrl?: unknown; contentUrl?: unknown; name?: unknown; uniqueId?: unknown; fileType?: unknown };
}

/**
 * The person answered the file consent card. Accept: the stored report (only the asker's own) is
 * PUT to the upload URL Teams gave, and a file card is sent. Decline: they are told nothing was saved.
 */
export async function onFileConsent(ctx: TeamsContext, context: TurnContext): Promise<void> {
  const desk = ctx.reports;
  const value = (context.activity.value ?? {}) as ConsentValue;
  try {
    if (!desk) {
      await send(context, refusalMessage(REPORT_NOT_SET_UP));
      return;
    }
    const identity = await ctx.directory.emailOf(context);
    if (!identity.ok) {
      await send(context, noIdentityMessage(identity.reason));
      return;
    }
    const email = identity.email;
    const fileId = typeof value.context?.fileId === 'string' ? value.context.fileId : '';
    const file = fileId ? await desk.files.get(fileId) : undefined;
    if (!file || file.purpose !== 'report' || file.createdBy !== email) {
      await desk.audit({
        actor: email,
        action: AuditAction.ReportRefused,
        detail: {
          platform: 'teams',
          code: ErrorCode.ReportNotAuthorized,
          reason: file ? 'someone else’s report' : 'no such report',
          fileId: fileId.slice(0, 40),
        },
      });
      await send(context, reportGoneMessage());
      return;
    }
    if (value.action !== 'accept') {
      await removeConsentCard(ctx, context);
      await send(context, reportDeclinedMessage());
      return;
    }
    const delivery = { platform: 'teams', how: 'teams-file', where: context.activity.conversation?.id ?? '' } as const;
    const upload = uploadInfoOf(value.uploadInfo);
    if (!upload) {
      await auditUndelivered(desk, email, { filename: file.filename, subjects: [] }, delivery, 'no usable upload URL');
      await send(context, refusalMessage('Teams gave no usable place to upload the report; ask me again.'));
      return;
    }
    const body = Buffer.from(file.body);
    const response = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: {
        'content-type': file.contentType,
        'content-range': `bytes 0-${body.length - 1}/${body.length}`,
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
      await auditUndelivered(
        desk,
        email,
        { filename: file.filename, subjects: [] },
        delivery,
        `upload HTTP ${response.status}`,
      );
      await send(
        context,
        refusalMessage(`The upload to your OneDrive failed (HTTP ${response.status}); ask me again.`),
      );
      return;
    }
    await removeConsentCard(ctx, context);
    await context.sendActivity(fileInfoActivity(upload) as never);
    await auditDelivered(desk, email, { filename: file.filename, subjects: [] }, body.length, delivery);
  } catch (error) {
    const reference = errorReference();
    ctx.log('error', 'teams report upload failed', { reference, error: String(error) });
    await send(context, errorMessage(reference));
  }
}

/** The answered consent card goes, so it cannot be accepted twice; if Teams refuses, it merely stays. */
async function removeConsentCard(ctx: TeamsContext, context: TurnContext): Promise<void> {
  const cardId = context.activity.replyToId;
  if (!cardId) return;
  await context.deleteActivity(cardId).catch((error: unknown) => {
    ctx.log('warn', 'file consent card not removed', { error: String(error) });
  });
}

/** Upload info Teams sends: an https URL (plain http only on this machine, for local development). */
function uploadInfoOf(
  info: ConsentValue['uploadInfo'],
): { uploadUrl: string; contentUrl: string; name: string; uniqueId: string; fileType: string } | undefined {
  const field = (value: unknown): string | undefined =>
    typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
  const [uploadUrl, contentUrl, name, uniqueId, fileType] = [
    field(info?.uploadUrl),
    field(info?.contentUrl),
    field(info?.name),
    field(info?.uniqueId),
    field(info?.fileType),
  ];
  if (!uploadUrl || !contentUrl || !name || !uniqueId || !fileType) return undefined;
  let url: URL;
  try {
    url = new URL(uploadUrl);
  } catch {
    return undefined;
  }
  const safe = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  return safe ? { uploadUrl, contentUrl, name, uniqueId, fileType } : undefined;
}
