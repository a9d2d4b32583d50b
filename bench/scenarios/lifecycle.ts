import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { inlinePolicyName } from '../../domain/lease';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import { LEAD } from '../../test/support/stacks/stack';
import { now } from '../lib/clock';
import { INLINE_ENTITLEMENT, requester, type BenchContext } from '../lib/context';
import { describeErrors, runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';

/**
 * Full lifecycles: submit → (approval card) → approve → (granted notice) → "I'm done" → revoked and
 * verified, each through AccessClient, with C lifecycles in flight. The next step waits for the notice
 * a person would act on, delivered by the stack's LogNotifier, so nothing polls.
 */
export async function lifecycleScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config, notices } = ctx;
  const { requests, concurrency } = config.lifecycle;
  const report = newReport('lifecycle');
  const totalMs: number[] = [];
  const submitMs: number[] = [];
  const approveToGrantedMs: number[] = [];
  const endMs: number[] = [];
  const ids: string[] = [];
  const started = now();
  let progress = 0;
  const outcome = await runPool(requests, concurrency, ctx.signal, async (i) => {
    const person = requester('life', i);
    const t0 = now();
    const submitted = await stack.access.submit({
      requester: person,
      entitlementId: INLINE_ENTITLEMENT,
      duration: '1h',
      reason: 'benchmark: lifecycle',
      origin: { platform: 'cli' },
    });
    const t1 = now();
    if (!submitted.ok) throw new Error(`submit refused: ${submitted.code} ${submitted.message}`);
    const id = submitted.state.request.requestId;
    ids.push(id);
    await notices.wait(id, 'approval-needed', 60_000);
    const t2 = now();
    const decided = await stack.access.decide(id, LEAD, 'approve');
    if (!decided.ok) throw new Error(`approve refused: ${decided.code} ${decided.message}`);
    await notices.wait(id, 'granted', 60_000);
    const t3 = now();
    const ended = await stack.access.end(id, person, "I'm done");
    const t4 = now();
    if (!ended.ok) throw new Error(`end refused: ${ended.code} ${ended.message}`);
    if (ended.state.status !== 'revoked') throw new Error(`ended as ${ended.state.status}`);
    submitMs.push(t1 - t0);
    approveToGrantedMs.push(t3 - t2);
    endMs.push(t4 - t3);
    totalMs.push(t4 - t0);
    if (++progress % Math.max(1, Math.floor(requests / 4)) === 0) ctx.log(`  lifecycle ${progress}/${requests}`);
  });
  const wallSeconds = (now() - started) / 1000;

  // the product verified each revocation itself; check from outside that nothing of these leases is left
  const listed = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
  const names = new Set(listed.PolicyNames ?? []);
  const left = ids.filter((id) => names.has(inlinePolicyName(id))).length;

  value(report, 'lifecycles per second', totalMs.length / wallSeconds, '/s');
  value(report, 'wall time', wallSeconds.toFixed(1), 's');
  value(report, 'lifecycles (ok / failed)', `${totalMs.length} / ${outcome.errors.length}`);
  value(report, 'concurrency (lifecycles in flight)', concurrency);
  value(report, 'inline policies left in moto afterwards', left);
  latency(report, 'whole lifecycle (submit → revoked)', totalMs, outcome.errors.length);
  latency(report, 'submit (start + status query)', submitMs, outcome.errors.length);
  latency(report, "approve sent → 'granted' notice", approveToGrantedMs, outcome.errors.length);
  latency(report, "end ('done') sent → revoked+verified", endMs, outcome.errors.length);
  report.errors.push(...describeErrors(outcome.errors));
  report.notes.push(
    `Entitlement ${INLINE_ENTITLEMENT} (inline policy on one IAM role), 1h leases ended early. The whole-lifecycle time also contains ` +
      'the wait for the approval-needed notice (record + notify activities) before approving.',
  );
  report.seconds = wallSeconds;
  return report;
}
