import type { AccessClient } from './access-client';

/**
 * Audits requests a front end rejected before they reached a handler (forged or stale Slack
 * signatures, missing Teams tokens): at most one entry a minute, with a count, so a flood cannot
 * grow the hash-chained audit log without bound. Each one is still answered 401.
 */
export function rejectionAuditor(
  access: AccessClient,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): () => void {
  let windowStart = 0;
  let unreported = 0;
  return () => {
    unreported += 1;
    const now = Date.now();
    if (now - windowStart < 60_000) return;
    windowStart = now;
    const count = unreported;
    unreported = 0;
    void access.refused(actor, action, { ...detail, count });
  };
}
