import type pg from 'pg';

export type CleanupMessagePlatform = 'slack' | 'teams' | 'log';

/** A chat message a cleanup run posted: to whom, why, and where to find it again. */
export interface CleanupMessageRecord {
  runId: string;
  platform: CleanupMessagePlatform;
  /** `user:<e-mail>` for an owner's direct message, `channel:<id>` for a channel. */
  recipient: string;
  /** `announce`, `summary`, `remind`, `report`, `restored:<key>`. */
  purpose: string;
  /** The conversation it went to (Slack channel id, Teams conversation id). */
  channel: string;
  /** Slack `ts`, Teams activity id. */
  messageId: string;
}

interface Row {
  run_id: string;
  platform: CleanupMessagePlatform;
  recipient: string;
  purpose: string;
  channel: string;
  message_id: string;
}

/**
 * What the cleanup notifiers posted (`cleanup_messages`, migration 009), so a retried activity finds
 * its message and skips it instead of posting again. The first record of a (run, platform,
 * recipient, purpose) stays: it names the message people already have.
 */
export class CleanupMessages {
  constructor(private readonly pool: pg.Pool) {}

  async save(record: CleanupMessageRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO cleanup_messages (run_id, platform, recipient, purpose, channel, message_id)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, platform, recipient, purpose) DO NOTHING`,
      [record.runId, record.platform, record.recipient, record.purpose, record.channel, record.messageId],
    );
  }

  async find(
    key: Pick<CleanupMessageRecord, 'runId' | 'platform' | 'recipient' | 'purpose'>,
  ): Promise<CleanupMessageRecord | undefined> {
    const result = await this.pool.query<Row>(
      `SELECT run_id, platform, recipient, purpose, channel, message_id FROM cleanup_messages
       WHERE run_id = $1 AND platform = $2 AND recipient = $3 AND purpose = $4`,
      [key.runId, key.platform, key.recipient, key.purpose],
    );
    return result.rows[0] && toRecord(result.rows[0]);
  }
}

function toRecord(row: Row): CleanupMessageRecord {
  return {
    runId: row.run_id,
    platform: row.platform,
    recipient: row.recipient,
    purpose: row.purpose,
    channel: row.channel,
    messageId: row.message_id,
  };
}
