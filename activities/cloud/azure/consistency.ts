/**
 * ARM reads are eventually consistent: a GET right after a PUT may 404, and one right after a DELETE
 * may still find the object. Where Least must know (a grant is visible, a revocation took), it reads
 * again on this bounded schedule (about 10 s by default) before believing the answer.
 */
export interface Consistency {
  /** Waits between reads; the first read is immediate. */
  delaysMs: number[];
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_CONSISTENCY: Consistency = {
  delaysMs: [250, 500, 1_000, 2_000, 3_000, 3_000],
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Reads until `settled` holds or the schedule runs out, and returns the last read. */
export async function readUntil<T>(
  consistency: Consistency,
  read: () => Promise<T>,
  settled: (value: T) => boolean,
): Promise<T> {
  let value = await read();
  for (const delay of consistency.delaysMs) {
    if (settled(value)) return value;
    await consistency.sleep(delay);
    value = await read();
  }
  return value;
}
