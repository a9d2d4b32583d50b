import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { LeastActivities } from '../activities';
import type { AlertOccurrence } from '../domain/alert/model';

const acts = proxyActivities<LeastActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Raising the sweep's alerts: a few tries; a failure is logged and the sweep's report stands. */
const { raiseAlerts } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface ReconciliationReport {
  removed: { systemId: string; key: string; description: string; receipt: string }[];
  outOfBand: { systemId: string; key: string; description: string }[];
  errors: { systemId: string; key?: string; message: string }[];
}

/**
 * The sweep behind the Temporal Schedule: grants Least made that no live lease covers are removed
 * (a lost revocation, a restored backup); grants of managed kinds made outside Least are reported.
 */
export async function reconcile(): Promise<ReconciliationReport> {
  const report: ReconciliationReport = { removed: [], outOfBand: [], errors: [] };
  const outOfBand: AlertOccurrence[] = [];
  for (const systemId of await acts.listSystems()) {
    let findings;
    try {
      findings = await acts.observeSystem(systemId);
    } catch (error) {
      report.errors.push({ systemId, message: failureMessage(error) });
      continue;
    }
    for (const finding of findings) {
      const { key, description } = finding.grant;
      if (!finding.madeByLeast) {
        report.outOfBand.push({ systemId, key, description });
        outOfBand.push({
          rule: 'out-of-band-grant',
          subject: systemId,
          systemId,
          occurrenceId: `${systemId}:${key}`,
          at: new Date(Date.now()).toISOString(),
          line: `${description} (${key})`,
          once: true,
        });
        await acts.audit({
          actor: 'reconciler',
          action: 'reconcile.out_of_band',
          detail: { systemId, key, description },
        });
        continue;
      }
      try {
        const receipt = await acts.removeOrphan(finding);
        report.removed.push({ systemId, key, description, receipt });
        await acts.audit({
          actor: 'reconciler',
          action: 'reconcile.orphan_removed',
          ...(finding.grant.leaseId ? { requestId: finding.grant.leaseId } : {}),
          detail: { systemId, key, description, receipt },
        });
      } catch (error) {
        report.errors.push({ systemId, key, message: failureMessage(error) });
      }
    }
  }
  // Grants made outside Least are alerted on the first sweep that finds them (issue 14).
  if (outOfBand.length > 0 && patched('alert-out-of-band')) {
    try {
      await raiseAlerts(outOfBand);
    } catch (error) {
      log.warn('out-of-band grants were not alerted', { error: failureMessage(error) });
    }
  }
  return report;
}

/** The activity's own words, not the wrapper's "Activity task failed". */
function failureMessage(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}
