import { throwIfAborted } from './clock';

export interface PoolOutcome<R> {
  results: R[];
  errors: { index: number; error: unknown }[];
}

/**
 * Runs `work(i)` for i in [0, count) with at most `concurrency` in flight. A failed item is counted,
 * not fatal; an abort stops handing out new items.
 */
export async function runPool<R>(
  count: number,
  concurrency: number,
  signal: AbortSignal,
  work: (index: number) => Promise<R>,
): Promise<PoolOutcome<R>> {
  const results: R[] = [];
  const errors: { index: number; error: unknown }[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      throwIfAborted(signal);
      const index = next++;
      if (index >= count) return;
      try {
        results.push(await work(index));
      } catch (error) {
        throwIfAborted(signal);
        errors.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  return { results, errors };
}

export function describeErrors(errors: { error: unknown }[], limit = 3): string[] {
  const counts = new Map<string, number>();
  for (const { error } of errors) {
    const text = error instanceof Error ? error.message : String(error);
    const key = text.split('\n')[0]!.slice(0, 200);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].slice(0, limit).map(([text, n]) => `${n}× ${text}`);
}
