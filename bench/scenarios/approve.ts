import { inlinePolicyName } from '../../domain/lease';
import { LEAD } from '../../test/support/stacks/stack';
import { now } from '../lib/clock';
import {
  approveRequester,
  createDirectoryUsers,
  endAll,
  IDENTITY_CENTER_ENTITLEMENT,
  INLINE_ENTITLEMENT,
  type BenchContext,
  type BenchEntitlement,
} from '../lib/context';
import { activitiesFromApproveToGrant, measureFloors } from '../lib/floors';
import { assignmentObserver, inlinePolicyObserver } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { distribution } from '../lib/stats';

/**
 * Approve → grant applied. Each request is submitted through AccessClient (1h, distinct requester);
 * once the approver's card has been "posted" (the approval-needed notice), the clock starts just
 * before AccessClient.decide(approve) is sent, and stops when an outside observer polling moto first
 * lists the grant. Requests run with bounded concurrency, so submits and approvals overlap. The floors
 * (Temporal, moto, PostgreSQL on their own) are measured first, in the same run, at the same concurrency.
 */
export async function approveScenario(
  ctx: BenchContext,
  entitlementId: BenchEntitlement,
  concurrency: number,
): Promise<ScenarioReport> {
  const { stack, config, notices } = ctx;
  const { requests, pollMs, floorSamples } = config.approve;
  const inline = entitlementId === INLINE_ENTITLEMENT;
  const report = newReport(`approve:${entitlementId}@${concurrency}`);
  const startedAt = now();
  const floors = await measureFloors(ctx, floorSamples, concurrency);
  const people = Array.from({ length: requests }, (_, i) => approveRequester(concurrency, i, inline));
  const userIds = inline ? new Map<string, string>() : await createDirectoryUsers(stack, people, 10, ctx.signal);
  const observer = inline
    ? inlinePolicyObserver(stack, pollMs)
    : assignmentObserver(stack, stack.account.readOnlyPermissionSetArn, pollMs);
  observer.start();

  const updateMs: number[] = [];
  const visibleMs: number[] = [];
  const noticeMs: number[] = [];
  const leases: { requestId: string; requester: string }[] = [];
  let progress = 0;
  const outcome = await (async () => {
    try {
      return await runPool(requests, concurrency, ctx.signal, async (i) => {
        const person = people[i]!;
        const submitted = await stack.access.submit({
          requester: person,
          entitlementId,
          duration: '1h',
          reason: 'benchmark: approve → grant',
          origin: { platform: 'cli' },
        });
        if (!submitted.ok) throw new Error(`submit refused: ${submitted.code} ${submitted.message}`);
        const id = submitted.state.request.requestId;
        leases.push({ requestId: id, requester: person });
        const key = inline ? inlinePolicyName(id) : userIds.get(person)!;
        observer.watch(key);
        await notices.wait(id, 'approval-needed', 60_000);

        const sent = now();
        const decided = await stack.access.decide(id, LEAD, 'approve');
        const returned = now();
        if (!decided.ok) throw new Error(`approve refused: ${decided.code} ${decided.message}`);
        const visible = await observer.waitPresent(key, 60_000);
        const told = await notices.wait(id, 'granted', 60_000);
        updateMs.push(returned - sent);
        visibleMs.push(visible - sent);
        noticeMs.push(told - sent);
        observer.forget(key);
        if (++progress % Math.max(1, Math.floor(requests / 4)) === 0)
          ctx.log(`  approve:${entitlementId} ${progress}/${requests}`);
      });
    } finally {
      await observer.stop();
    }
  })();

  const where = inline ? 'inline policy listed by ListRolePolicies' : 'assignment listed by ListAccountAssignments';
  latency(report, `approve sent → ${where}`, visibleMs, outcome.errors.length);
  latency(report, 'approve sent → decide update returned', updateMs, outcome.errors.length);
  latency(report, "approve sent → 'granted' notice delivered", noticeMs, outcome.errors.length);
  latency(report, 'floor: Update round trip, handler runs one no-op activity', floors.updateMs);
  latency(report, 'floor: PutRolePolicy + ListRolePolicies on moto', floors.motoMs);
  latency(report, 'floor: one INSERT into PostgreSQL', floors.insertMs);
  report.errors.push(...floors.errors);
  const sample = leases[0];
  if (sample) {
    const steps = await activitiesFromApproveToGrant(ctx, sample.requestId);
    value(report, 'activities from Approve to grant (from history)', `${steps.length}: ${steps.join(' → ')}`);
  }
  const ours = distribution(visibleMs);
  const floorParts = [floors.updateMs, floors.motoMs, floors.insertMs].map(distribution);
  if (ours && floorParts.every((part) => part !== undefined)) {
    const floorP50 = floorParts.reduce((sum, part) => sum + part!.p50, 0);
    const floorP99 = floorParts.reduce((sum, part) => sum + part!.p99, 0);
    value(
      report,
      'goal ≤ 2× floor: ours / floor (floor = sum of the three floors)',
      `p50 ${ours.p50} / ${floorP50.toFixed(1)} = ${(ours.p50 / floorP50).toFixed(2)}×; ` +
        `p99 ${ours.p99} / ${floorP99.toFixed(1)} = ${(ours.p99 / floorP99).toFixed(2)}×`,
    );
    if (concurrency === 1)
      value(report, 'goal p99 ≤ 300 ms at 1 in flight', `${ours.p99} ms: ${ours.p99 <= 300 ? 'met' : 'missed'}`);
  }
  value(report, 'requests (ok / failed)', `${visibleMs.length} / ${outcome.errors.length}`);
  value(report, 'concurrency (requests in flight)', concurrency);
  value(report, 'observer poll interval / mean list call', `${pollMs} ms / ${observer.meanListMs.toFixed(1)} ms`);
  report.errors.push(...describeErrors(outcome.errors));

  const cleanup = await endAll(ctx, leases, 20);
  value(
    report,
    'cleanup: leases ended early (20 in flight)',
    `${cleanup.results.length} in ${cleanup.seconds.toFixed(1)} s`,
  );
  if (cleanup.errors.length) report.errors.push(...describeErrors(cleanup.errors).map((e) => `cleanup: ${e}`));
  report.notes.push(
    `Clock starts just before AccessClient.decide(approve) is sent (after the approval-needed notice), stops at the end of the first ` +
      `${observer.what} poll that lists the grant (outside observer, base credentials, every ${pollMs} ms): ` +
      `resolution ≈ poll interval + one list call. Includes the update, every activity listed above, broker AssumeRole, the grant calls, moto. ` +
      `Floors: ${floorSamples} samples each at ${concurrency} in flight, measured just before the requests.`,
  );
  if (!inline)
    report.notes.push(
      `${requests} Identity Store users were created in moto first; the product finds each by e-mail (GetUserId).`,
    );
  if (entitlementId === IDENTITY_CENTER_ENTITLEMENT)
    report.notes.push('moto answers CreateAccountAssignment SUCCEEDED at once; real AWS takes seconds.');
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
