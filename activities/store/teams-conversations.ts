import type pg from 'pg';

/** A stored Teams conversation reference: enough for the SDK to continue the conversation later. */
export interface TeamsConversationRecord {
  kind: 'personal' | 'channel' | 'groupChat';
  /** The person's Entra object id (personal chats). */
  aadObjectId?: string;
  /** The person's e-mail, lower case (personal chats). */
  email?: string;
  conversationId: string;
  /** The Bot Framework ConversationReference, as the SDK produced it. */
  reference: Record<string, unknown>;
}

interface Row {
  kind: TeamsConversationRecord['kind'];
  aad_object_id: string | null;
  email: string | null;
  conversation_id: string;
  reference: Record<string, unknown>;
}

function keyOf(record: Pick<TeamsConversationRecord, 'kind' | 'aadObjectId' | 'conversationId'>): string {
  return record.kind === 'personal' && record.aadObjectId
    ? `user:${record.aadObjectId.toLowerCase()}`
    : `conversation:${record.conversationId}`;
}

function toRecord(row: Row): TeamsConversationRecord {
  return {
    kind: row.kind,
    ...(row.aad_object_id ? { aadObjectId: row.aad_object_id } : {}),
    ...(row.email ? { email: row.email } : {}),
    conversationId: row.conversation_id,
    reference: row.reference,
  };
}

/** Upserts by person (personal chat) or by conversation (channel, group chat): the newest reference wins. */
export async function saveTeamsConversation(pool: pg.Pool, record: TeamsConversationRecord): Promise<void> {
  await pool.query(
    `INSERT INTO teams_conversations (key, kind, aad_object_id, email, conversation_id, reference, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (key) DO UPDATE SET
       kind = EXCLUDED.kind,
       aad_object_id = EXCLUDED.aad_object_id,
       email = COALESCE(EXCLUDED.email, teams_conversations.email),
       conversation_id = EXCLUDED.conversation_id,
       reference = EXCLUDED.reference,
       updated_at = now()`,
    [
      keyOf(record),
      record.kind,
      record.aadObjectId?.toLowerCase() ?? null,
      record.email?.toLowerCase() ?? null,
      record.conversationId,
      JSON.stringify(record.reference),
    ],
  );
}

/** The newest personal chat with the person who has this e-mail. */
export async function teamsConversationOf(pool: pg.Pool, email: string): Promise<TeamsConversationRecord | undefined> {
  const result = await pool.query<Row>(
    `SELECT kind, aad_object_id, email, conversation_id, reference FROM teams_conversations
     WHERE kind = 'personal' AND email = $1 ORDER BY updated_at DESC LIMIT 1`,
    [email.toLowerCase()],
  );
  return result.rows[0] ? toRecord(result.rows[0]) : undefined;
}

/** A channel or group chat by its conversation id (policy notify targets name them). */
export async function teamsChannel(
  pool: pg.Pool,
  conversationId: string,
): Promise<TeamsConversationRecord | undefined> {
  const result = await pool.query<Row>(
    `SELECT kind, aad_object_id, email, conversation_id, reference FROM teams_conversations WHERE key = $1`,
    [`conversation:${conversationId}`],
  );
  return result.rows[0] ? toRecord(result.rows[0]) : undefined;
}

/** The app was removed from a chat or team: Least can no longer post there, so it stops trying. */
export async function forgetTeamsConversation(
  pool: pg.Pool,
  conversation: Pick<TeamsConversationRecord, 'kind' | 'aadObjectId' | 'conversationId'>,
): Promise<void> {
  await pool.query(`DELETE FROM teams_conversations WHERE key = $1`, [keyOf(conversation)]);
}
