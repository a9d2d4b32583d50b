import { textOnly, type TeamsMessage } from './card';
import { userLine } from './text';

/**
 * Reports asked for with `access report …` in Teams: a file consent card in a personal chat, the file
 * card once it is uploaded, or a signed link in a channel or group chat.
 */

export const FILE_CONSENT_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.consent';
export const FILE_INFO_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.info';

/** What the consent card carries back on accept or decline: the stored file, and who may accept it. */
export interface ReportConsentContext {
  fileId: string;
  requestedBy: string;
}

export function reportBuildingMessage(identity: string, days: number): TeamsMessage {
  return textOnly(`⏳ Building the report on **${userLine(identity, 120)}** for the last ${days} days.`);
}

/** The file consent card: Teams asks the person to allow the upload into their OneDrive. */
export function fileConsentActivity(file: {
  filename: string;
  title: string;
  bytes: number;
  context: ReportConsentContext;
}): Record<string, unknown> {
  return {
    type: 'message',
    text: `Your report is ready: ${userLine(file.title, 200)}. Allow the upload to receive the file.`,
    textFormat: 'markdown',
    attachments: [
      {
        contentType: FILE_CONSENT_CONTENT_TYPE,
        name: file.filename,
        content: {
          description: file.title.slice(0, 200),
          sizeInBytes: file.bytes,
          acceptContext: file.context,
          declineContext: file.context,
        },
      },
    ],
  };
}

/** The file card Teams shows for an uploaded file, from the consent's upload info. */
export function fileInfoActivity(upload: {
  contentUrl: string;
  name: string;
  uniqueId: string;
  fileType: string;
}): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: FILE_INFO_CONTENT_TYPE,
        contentUrl: upload.contentUrl,
        name: upload.name,
        content: { uniqueId: upload.uniqueId, fileType: upload.fileType },
      },
    ],
  };
}

/** A report in a channel or group chat: a signed link that expires. */
export function reportLinkMessage(title: string, url: string, expiresAt: string): TeamsMessage {
  return textOnly(
    `📄 [${userLine(title, 200)}](${url}) · the link works until ${utcMinute(expiresAt)}; ask me again for a new one.`,
  );
}

export function reportDeclinedMessage(): TeamsMessage {
  return textOnly('You declined the upload; the report was not saved to your OneDrive. Ask me again any time.');
}

export function reportGoneMessage(): TeamsMessage {
  return textOnly('⛔ That report is no longer kept, or it was made for someone else. Ask me for a new one.');
}

/** A plain message shows no `{{DATE()}}`: the instant in UTC, to the minute. */
function utcMinute(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 'it expires' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
