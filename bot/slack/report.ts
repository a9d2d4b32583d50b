import { REPORT_NOT_SET_UP, auditDelivered, auditUndelivered, prepareReport, type ReportCommand } from '../report-flow';
import { refusalReply } from '../render/slack';
import {
  REPORT_UPLOAD_REFUSALS,
  reportBuildingReply,
  reportComment,
  reportUndeliveredReply,
} from '../render/slack/report';
import type { SlackContext, SlackMessage } from './context';

/**
 * `/access report <identity> [days]`: the slash command is acknowledged first; the person is told the
 * report is on its way, then it is built and uploaded (files.uploadV2) into the conversation it was
 * asked in. Who may have which report is bot/report-flow.ts's call.
 */
export async function answerReport(
  ctx: SlackContext,
  command: ReportCommand,
  email: string,
  slack: { user_id: string; channel_id: string },
  reply: (message: SlackMessage) => Promise<unknown>,
): Promise<void> {
  const desk = ctx.reports;
  if (!desk) {
    await reply(refusalReply(REPORT_NOT_SET_UP));
    return;
  }
  const outcome = await prepareReport(desk, command, email, 'slack', () =>
    reply(reportBuildingReply(command.identity, command.days)),
  );
  if (!outcome.ok) {
    await reply(refusalReply(outcome.message));
    return;
  }
  const { file, bytes } = outcome;
  const delivery = { platform: 'slack', how: 'slack-upload', where: slack.channel_id } as const;
  try {
    await ctx.client.filesUploadV2({
      channel_id: slack.channel_id,
      file: bytes,
      filename: file.filename,
      title: file.title.slice(0, 250),
      initial_comment: reportComment(file.title, command.days, slack.user_id, email),
    });
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (!code || !REPORT_UPLOAD_REFUSALS.has(code)) throw error;
    await auditUndelivered(desk, email, file, delivery, code);
    await reply(reportUndeliveredReply(code));
    return;
  }
  await auditDelivered(desk, email, file, bytes.length, delivery);
}
