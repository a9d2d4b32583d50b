import type { AuditAction } from '../domain/audit';
import type { AccessClient } from './access-client';

/** Counts rejections; `close()` writes what is still counted (front ends call it when they stop). */
export interface RejectionRecorder {
  (): void;
  /** Writes the open window's count now, if there is one. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; a rejection after this is written at once. */
  close(): Promise<void>;
}

export interface RejectionAuditorOptions {
  /** How long one audit entry gathers rejections; a minute unless a test wants less. */
  windowMs?: number;
}

/**
 * Audits requests a front end rejected before they reached a handler (forged or stale Slack
 * signatures, missing Teams tokens): at most two entries a window, whose counts add up to every
 * rejection, so a flood cannot grow the hash-chained audit log without bound. Each one is still
 * answered 401.
 */
export function rejectionAuditor(
  access: AccessClient,
  actor: string,
  action: AuditAction,
  detail: Record<string, unknown>,
  options: RejectionAuditorOptions = {},
): RejectionRecorder {
  const windowMs = options.windowMs ?? 60_000;
  let unreported = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const writes = new Set<Promise<void>>();

  const write = (count: number): void => {
    const entry = access.refused(actor, action, { ...detail, count });
    writes.add(entry);
    void entry.finally(() => writes.delete(entry));
  };

  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (unreported > 0) write(unreported);
    unreported = 0;
    await Promise.all(writes);
  };

  const record = (): void => {
    if (closed) return write(1);
    if (timer) {
      unreported += 1;
      return;
    }
    // The first rejection of a window is written at once, so an attack shows without delay; the rest
    // of the window is counted and written when it ends.
    write(1);
    timer = setTimeout(() => void flush(), windowMs);
    // A quiet front end must not keep the process alive for a count.
    timer.unref();
  };

  return Object.assign(record, {
    flush,
    close: async () => {
      closed = true;
      await flush();
    },
  });
}
