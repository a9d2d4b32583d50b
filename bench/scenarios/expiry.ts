import { inlinePolicyName } from '../../domain/lease';
import type { RequestState } from '../../domain/request';
import { now, withTimeout } from '../lib/clock';
import { INLINE_ENTITLEMENT, requester, startAutoApproved, type BenchContext } from '../lib/context';
import { inlinePolicyObserver } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { distribution } from '../lib/stats';
import { cpuSnapshot, describeCpu, type CpuSnapshot } from '../lib/resources';
import os from 'node:os';

/**
 * Expiry → revoked. Short leases (seconds) on the inline-policy entitlement, started directly as
 * auto-approved workflows (AccessClient refuses under a minute). Lateness = when an outside observer
 * polling moto first sees the lease's inline policy gone − the lease's expiresAt (set by the workflow).
 */
/** A lease shorter than this could expire before its grant is in place on a busy machine. */
const MIN_LEASE_SECONDS = 5;

export async function expiryScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config, notices } = ctx;
  const { leases, seconds, concurrency, pollMs, windowSeconds } = config.expiry;
  const report = newReport('expiry');
  const startedAt = now();
  const observer = inlinePolicyObserver(stack, pollMs);
  observer.start();

  const goneLateMs: number[] = [];
  const toldLateMs: number[] = [];
  const closedLateMs: number[] = [];
  const expiries: number[] = [];
  let wrongEnd = 0;
  const started: string[] = [];
  // where the CPU went from the first expiry to the last revocation seen: what the window asks of the machine
  let windowCpu: { from?: CpuSnapshot; to?: CpuSnapshot } = {};
  let windowTimer: NodeJS.Timeout | undefined;
  let seenGone = 0;
  const outcome = await (async () => {
    try {
      // start them all (C in flight), then wait for every one: the leases are live at the same time
      // Each lease is given the length that lands its expiry at its place in the window, whatever the pace
      // of the starts (lengths are whole seconds, so expiries fall on up to `window` + 1 second marks).
      const firstExpiry = now() + seconds * 1000;
      windowTimer = setTimeout(() => (windowCpu = { from: cpuSnapshot(ctx.pids) }), seconds * 1000);
      const starts = await runPool(leases, concurrency, ctx.signal, async (i) => {
        const target = firstExpiry + (windowSeconds * 1000 * i) / Math.max(1, leases - 1);
        const length = Math.max(MIN_LEASE_SECONDS, Math.ceil((target - now()) / 1000));
        const id = await startAutoApproved(
          ctx,
          requester('expiry', i),
          INLINE_ENTITLEMENT,
          length,
          'benchmark: expiry',
        );
        observer.watch(inlinePolicyName(id));
        started.push(id);
        // a start returns at once; waiting for the grant keeps C grants in flight, so a lease's expiry is
        // where its length put it, not wherever the worker's queue of first tasks left it
        await notices.wait(id, 'granted', 120_000);
      });
      const waits = await runPool(started.length, started.length, ctx.signal, async (i) => {
        const id = started[i]!;
        const key = inlinePolicyName(id);
        const final = (await withTimeout(
          stack.env.client.workflow.getHandle(id).result(),
          (seconds + 120) * 1000,
          `lease ${id}`,
        )) as RequestState;
        const closed = now();
        if (final.status !== 'revoked' || final.endedBy !== 'expiry') {
          wrongEnd++;
          throw new Error(`lease ${id} ended ${final.status} by ${final.endedBy ?? '?'}`);
        }
        const expiresAt = Date.parse(final.expiresAt!);
        expiries.push(expiresAt);
        const gone = await observer.waitGone(key, 30_000);
        if (++seenGone === started.length && windowCpu.from) windowCpu.to = cpuSnapshot(ctx.pids);
        const told = await notices.wait(id, 'revoked', 30_000);
        goneLateMs.push(gone - expiresAt);
        toldLateMs.push(told - expiresAt);
        closedLateMs.push(closed - expiresAt);
        observer.forget(key);
      });
      return { errors: [...starts.errors, ...waits.errors] };
    } finally {
      clearTimeout(windowTimer);
      await observer.stop();
    }
  })();

  latency(report, 'expiresAt → inline policy gone (ListRolePolicies)', goneLateMs, outcome.errors.length);
  latency(report, "expiresAt → 'revoked' notice delivered", toldLateMs, outcome.errors.length);
  latency(report, 'expiresAt → workflow result returned', closedLateMs, outcome.errors.length);
  value(report, 'leases (ok / failed)', `${goneLateMs.length} / ${outcome.errors.length}`);
  value(report, 'lease duration / start concurrency', `${seconds} s / ${concurrency}`);
  if (expiries.length)
    value(report, 'expiries spread over', ((Math.max(...expiries) - Math.min(...expiries)) / 1000).toFixed(1), 's');
  const gone = distribution(goneLateMs);
  if (gone)
    value(
      report,
      `goal p99 ≤ 500 ms (${leases} leases expiring within ${windowSeconds} s)`,
      `${gone.p99} ms: ${gone.p99 <= 500 ? 'met' : 'missed'}`,
    );
  if (windowCpu.from && windowCpu.to)
    value(
      report,
      'CPU-s from the first expiry to the last lease gone (its share of all cores)',
      describeCpu(windowCpu.from, windowCpu.to, os.cpus().length),
    );
  value(report, 'observer poll interval / mean list call', `${pollMs} ms / ${observer.meanListMs.toFixed(1)} ms`);
  if (wrongEnd) value(report, 'leases not ended by expiry', wrongEnd);
  report.errors.push(...describeErrors(outcome.errors));
  report.notes.push(
    `${leases} workflows started back to back (${concurrency} starts in flight, each until its grant is in place), so they are live at once; each is given the ` +
      `length that puts its expiry at its place in a ${windowSeconds} s window starting ${seconds} s after the first start. ` +
      'Started directly with policy-evaluated rules and outcome auto-approved (AccessClient enforces ≥ 1 minute). ' +
      'Lateness includes the durable timer firing, the revoke step (DeleteRolePolicy, then GetRolePolicy to verify), and observation lag ' +
      `(≤ one ${pollMs} ms poll + one list call). The workflow result also waits for the audit write and the notice.`,
  );
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
