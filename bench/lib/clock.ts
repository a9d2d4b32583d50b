import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with ISO times from the workflow. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export class Aborted extends Error {
  constructor(reason = 'benchmark aborted') {
    super(reason);
    this.name = 'Aborted';
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Aborted(String(signal.reason ?? 'benchmark aborted'));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted(String(signal.reason ?? 'benchmark aborted')));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Aborted(String(signal?.reason ?? 'benchmark aborted')));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects after `ms` with a message naming what did not finish; the work itself keeps running. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
