import type pg from 'pg';

/** Records that a lease is about to make a cloud object; repeating a claim changes nothing. */
export async function claim(pool: pg.Pool, cloudKey: string, leaseId: string): Promise<void> {
  await pool.query(
    `INSERT INTO cloud_claims (cloud_key, lease_id) VALUES ($1, $2) ON CONFLICT (cloud_key, lease_id) DO NOTHING`,
    [cloudKey, leaseId],
  );
}

export async function claimed(pool: pg.Pool, cloudKey: string, leaseId: string): Promise<boolean> {
  const result = await pool.query(`SELECT 1 FROM cloud_claims WHERE cloud_key = $1 AND lease_id = $2`, [
    cloudKey,
    leaseId,
  ]);
  return (result.rowCount ?? 0) > 0;
}
