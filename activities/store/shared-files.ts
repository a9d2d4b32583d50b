import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  MAX_SHARED_FILE_BYTES,
  SHARED_FILE_ID,
  SHARED_FILE_PURPOSES,
  type SharedFile,
  type SharedFileInput,
  type SharedFiles,
} from '../../domain/shared-file';

interface Row {
  id: string;
  content_type: string;
  filename: string;
  body: Buffer;
  created_by: string;
  purpose: SharedFile['purpose'];
  expires_at: Date;
  created_at: Date;
}

/**
 * Shared files in PostgreSQL (`shared_files`, migration 015). Expiry is compared with the database's
 * clock, the one every bot and worker share; each write first deletes what has expired.
 */
export class SharedFileStore implements SharedFiles {
  constructor(private readonly pool: pg.Pool) {}

  async put(file: SharedFileInput): Promise<{ id: string; expiresAt: string }> {
    if (file.body.byteLength === 0) throw new Error('a shared file cannot be empty');
    if (file.body.byteLength > MAX_SHARED_FILE_BYTES)
      throw new Error(`a shared file is at most ${MAX_SHARED_FILE_BYTES} bytes (this one has ${file.body.byteLength})`);
    if (!SHARED_FILE_PURPOSES.includes(file.purpose)) throw new Error(`no such shared file purpose: ${file.purpose}`);
    const id = randomBytes(16).toString('base64url');
    await this.pool.query('DELETE FROM shared_files WHERE expires_at <= now()');
    const saved = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO shared_files (id, content_type, filename, body, created_by, purpose, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING expires_at`,
      [
        id,
        file.contentType,
        file.filename,
        Buffer.from(file.body),
        file.createdBy.toLowerCase(),
        file.purpose,
        file.expiresAt,
      ],
    );
    return { id, expiresAt: saved.rows[0]!.expires_at.toISOString() };
  }

  async get(id: string): Promise<SharedFile | undefined> {
    if (!SHARED_FILE_ID.test(id)) return undefined;
    const result = await this.pool.query<Row>(
      `SELECT id, content_type, filename, body, created_by, purpose, expires_at, created_at
       FROM shared_files WHERE id = $1 AND expires_at > now()`,
      [id],
    );
    const row = result.rows[0];
    return (
      row && {
        id: row.id,
        contentType: row.content_type,
        filename: row.filename,
        body: row.body,
        createdBy: row.created_by,
        purpose: row.purpose,
        expiresAt: row.expires_at.toISOString(),
        createdAt: row.created_at.toISOString(),
      }
    );
  }
}
