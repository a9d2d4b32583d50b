/**
 * Files the bot serves behind signed, expiring links (`GET /files/<id>?exp=…&sig=…`): forensic reports
 * asked for in a Teams channel or waiting for a file consent, and digest chart pictures too large for a
 * Teams message. The worker or the bot stores them in PostgreSQL; the bot serves them until they expire.
 */

export const SHARED_FILE_PURPOSES = ['report', 'chart'] as const;
export type SharedFilePurpose = (typeof SHARED_FILE_PURPOSES)[number];

/** How long a link lives unless configured otherwise: a report for a day, a digest's picture for a week. */
export const DEFAULT_LINK_SECONDS: Readonly<Record<SharedFilePurpose, number>> = {
  report: 24 * 3600,
  chart: 7 * 24 * 3600,
};

/** Larger files are refused on write: a report of one identity is far smaller, a chart PNG a few hundred KB. */
export const MAX_SHARED_FILE_BYTES = 20 * 1024 * 1024;

/** Ids are 128 random bits, base64url: a link names its file and nothing else can be guessed from it. */
export const SHARED_FILE_ID = /^[A-Za-z0-9_-]{22}$/;

export interface SharedFileInput {
  contentType: string;
  filename: string;
  body: Uint8Array;
  /** The person (e-mail) or process (`workflow`) that stored it. */
  createdBy: string;
  purpose: SharedFilePurpose;
  /** ISO instant after which the file is neither served nor kept. */
  expiresAt: string;
}

export interface SharedFile extends SharedFileInput {
  id: string;
  createdAt: string;
}

/** Where shared files live (activities/store/shared-files.ts over PostgreSQL). */
export interface SharedFiles {
  /** Stores a file (and drops every expired one); returns its id. */
  put(file: SharedFileInput): Promise<{ id: string; expiresAt: string }>;
  /** The file, unless it is unknown or expired. */
  get(id: string): Promise<SharedFile | undefined>;
}

/** The instant a file stored at `now` for `seconds` expires. */
export function expiryOf(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
