import type pg from 'pg';

/** Records that a lease is about to make a cloud object; repeating a claim changes nothing. */
export async function claim(pool: pg.Pool, cloudKey: string, leaseId: string): Promise<void> {
  await pool.query(
    `INSERT INTO cloud_claims (cloud_key, lease_id) VALUES ($1, $2) ON CONFLICT (cloud_key, lease_id) DO NOTHING`,
    [cloudKey, leaseId],
  );
}

/** Whether this lease holds the object: it claimed it and has not removed it since. */
export async function claimed(pool: pg.Pool, cloudKey: string, leaseId: string): Promise<boolean> {
  const result = await pool.query(
    `SELECT 1 FROM cloud_claims WHERE cloud_key = $1 AND lease_id = $2 AND released_at IS NULL`,
    [cloudKey, leaseId],
  );
  return (result.rowCount ?? 0) > 0;
}

/** The lease that holds the object, if Least made it and has not removed it. */
export async function holder(pool: pg.Pool, cloudKey: string): Promise<string | undefined> {
  const result = await pool.query<{ lease_id: string }>(
    `SELECT lease_id FROM cloud_claims WHERE cloud_key = $1 AND released_at IS NULL ORDER BY claimed_at DESC LIMIT 1`,
    [cloudKey],
  );
  return result.rows[0]?.lease_id;
}

/** Least removed the object: an identical one made later is someone else's. */
export async function release(pool: pg.Pool, cloudKey: string, leaseId: string): Promise<void> {
  await pool.query(
    `UPDATE cloud_claims SET released_at = now() WHERE cloud_key = $1 AND lease_id = $2 AND released_at IS NULL`,
    [cloudKey, leaseId],
  );
}
