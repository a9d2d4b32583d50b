import type pg from 'pg';

/**
 * A connection checked out of the pool, guarded while it is out: the pool listens for a server that
 * drops an idle connection, but a checked-out client that errors with no listener of its own would
 * crash the whole process (Node's unhandled 'error' event). The error is kept instead; the query in
 * progress fails on its own, and the connection is destroyed rather than returned to the pool.
 */
export async function checkOut(pool: pg.Pool): Promise<{
  client: pg.PoolClient;
  /** Returns the connection, or destroys it when it failed or `broken` says it must not be reused. */
  release(broken?: Error): void;
}> {
  const client = await pool.connect();
  let failed: Error | undefined;
  const onError = (error: Error): void => {
    failed = error;
  };
  client.on('error', onError);
  return {
    client,
    release(broken) {
      client.off('error', onError);
      client.release(broken ?? failed);
    },
  };
}

/**
 * Runs `work` in one transaction on one pooled connection. A connection whose ROLLBACK failed is
 * destroyed rather than returned to the pool, so no later caller inherits a half-finished transaction.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    release(broken);
  }
}
