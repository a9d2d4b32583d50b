import type { CleanupHold, CleanupItem, CleanupPlan } from '../../domain/cleanup/model';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import type { CleanupRunRecord, StoredCleanupItem } from '../../activities/store/cleanup/store';
import { loadPolicy, withCore, withPgStore } from './connect';
import { usage, type Invocation } from './usage';

/**
 * `least cleanup …`: the unused-permission cleanup for operators. `plan` is a dry run anyone may read
 * (it changes and records nothing); `run` starts a cleanup now outside its Schedule; `runs` and `show`
 * read what runs did; `restore` puts back what a run removed, from its snapshots.
 */
export async function runCleanup(invocation: Invocation): Promise<number> {
  const [verb, ...rest] = invocation.rest;
  const next = { ...invocation, rest };
  switch (verb) {
    case 'plan':
      return plan(next);
    case 'run':
      return start(next);
    case 'runs':
      return runs(next);
    case 'show':
      return show(next);
    case 'restore':
      return restore(next);
    default:
      return usage(
        verb === undefined
          ? 'cleanup needs a verb: plan, run, runs, show or restore'
          : `unknown cleanup verb "${verb.slice(0, 40)}": use plan, run, runs, show or restore`,
      );
  }
}

function systemsOf(policy: Policy, only: string | undefined): AuthorizationSystem[] {
  const systems = policy.authorizationSystems.filter((s) => !only || s.id === only);
  if (only && systems.length === 0) usage(`no authorization system "${only.slice(0, 80)}" in the policy file`);
  return systems;
}

async function plan({ values, json, print }: Invocation): Promise<number> {
  const policy = await loadPolicy();
  const systems = systemsOf(policy, values.system);
  const { planSystem } = await import('../../activities/cleanup');
  return withPgStore(async (store) => {
    const plans: { system: AuthorizationSystem; plan?: CleanupPlan }[] = [];
    for (const system of systems) {
      const run = await store.inventory.currentRun(system.id);
      if (!run) {
        plans.push({ system });
        continue;
      }
      const planned = await planSystem(
        { policy: () => policy, cleanup: store.cleanup, inventory: store.inventory, reads: store.cleanupReads },
        system,
        run,
        new Date().toISOString(),
        values.identity ? { identityId: values.identity } : {},
      );
      plans.push({ system, plan: planned });
    }
    if (json)
      print(JSON.stringify({ plans: plans.map(({ system, plan: p }) => ({ systemId: system.id, plan: p ?? null })) }));
    else
      for (const { system, plan: p } of plans) {
        if (!p) {
          print(
            `${system.id} (${system.cloud}): no inventory yet — run \`least inventory collect --system ${system.id}\``,
          );
          continue;
        }
        planLines(system, p).forEach((line) => print(line));
      }
    return 0;
  });
}

export function planLines(system: AuthorizationSystem, plan: CleanupPlan): string[] {
  const lines = [
    `${system.id} (${system.cloud}): ${plan.mode} mode, window ${plan.window.from.slice(0, 10)} → ${plan.window.to.slice(0, 10)}, ` +
      `${plan.items.length} change(s) taking away ${plan.counts.actions} action(s) from ${plan.counts.identities} identit${plan.counts.identities === 1 ? 'y' : 'ies'}`,
  ];
  for (const item of plan.items) lines.push(...itemLines(item));
  const held = holdCounts(plan.holds);
  if (held.length > 0) lines.push(`  held back: ${held.join(', ')}`);
  if (plan.items.length === 0 && held.length === 0)
    lines.push(
      '  nothing is proven unused: a permission is a candidate only when usage data covers the whole window for an identity older than it (docs/cleanup.md)',
    );
  return lines;
}

function itemLines(item: CleanupItem | StoredCleanupItem): string[] {
  const who = item.identities.map((i) => i.name).join(', ');
  const outcome =
    'outcome' in item && item.outcome ? ` [${item.outcome}${item.outcomeDetail ? `: ${item.outcomeDetail}` : ''}]` : '';
  const lines = [`  ${item.change} ${item.object.name} (${who}) — ${item.reason}${outcome}`];
  if (item.removeActions?.length)
    lines.push(
      `    removes ${item.removeActions.length}: ${item.removeActions.slice(0, 8).join(', ')}${item.removeActions.length > 8 ? ', …' : ''}`,
    );
  if (item.keptForOthers?.length) lines.push(`    kept for other holders: ${item.keptForOthers.length}`);
  if (item.explicitOnly) lines.push("    changed only on an owner's explicit Remove, never on silence");
  lines.push(
    `    id ${item.itemId}${item.owners.length > 0 ? `; owners ${item.owners.join(', ')}` : '; no owner found (channel)'}`,
  );
  return lines;
}

function holdCounts(holds: readonly CleanupHold[]): string[] {
  const counts = new Map<string, number>();
  for (const hold of holds) counts.set(hold.reason, (counts.get(hold.reason) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, n]) => `${reason} ${n}`);
}

async function start({ values, json, print }: Invocation): Promise<number> {
  const systemId = values.system ?? usage('cleanup run needs --system S');
  const { cleanup } = await import('../../workflows/cleanup');
  const { manualCleanupRunId } = await import('../../workflows/cleanup-messages');
  return withCore(async (core, config) => {
    systemsOf(core.policy, systemId);
    const runId = manualCleanupRunId(systemId, new Date());
    await core.temporal.workflow.start(cleanup, {
      workflowId: runId,
      taskQueue: config.taskQueue,
      args: [
        {
          systemId,
          trigger: 'manual',
          ...(values.as ? { requestedBy: values.as.toLowerCase() } : {}),
          ...(values.identity ? { identityId: values.identity } : {}),
        },
      ],
    });
    print(json ? JSON.stringify({ runId }) : `cleanup ${runId} started; \`least cleanup show ${runId}\` follows it`);
    return 0;
  });
}

async function runs({ values, json, print }: Invocation): Promise<number> {
  return withPgStore(async (store) => {
    const list = await store.cleanup.runs({
      ...(values.system ? { systemId: values.system } : {}),
      limit: values.limit ? Number(values.limit) : 20,
    });
    if (json) print(JSON.stringify({ runs: list }));
    else if (list.length === 0) print('no cleanup runs yet');
    else for (const run of list) print(runLine(run));
    return 0;
  });
}

function runLine(run: CleanupRunRecord): string {
  const counts = Object.entries(run.counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${run.runId}  ${run.systemId}  ${run.mode}  ${run.status}  planned ${run.plannedAt}${run.noticeUntil ? `  notice until ${run.noticeUntil}` : ''}${counts ? `  (${counts})` : ''}`;
}

async function show({ rest, values, json, print }: Invocation): Promise<number> {
  const runId = rest[0] ?? usage('cleanup show needs a run id');
  return withPgStore(async (store) => {
    const run = await store.cleanup.run(runId);
    if (!run) {
      print(json ? JSON.stringify({ ok: false, message: `no cleanup run ${runId}` }) : `no cleanup run ${runId}`);
      return 1;
    }
    const items = await store.cleanup.items(runId, values.identity ? { identityId: values.identity } : {});
    const holds = await store.cleanup.holds(runId, {
      ...(values.identity ? { identityId: values.identity } : {}),
      limit: 10_000,
    });
    if (json) print(JSON.stringify({ run, items, holds }));
    else {
      print(runLine(run));
      if (run.announceProblem) print(`  could not tell owners: ${run.announceProblem}`);
      for (const item of items) itemLines(item).forEach((line) => print(line));
      const held = holdCounts(holds);
      if (held.length > 0) print(`  held back: ${held.join(', ')}`);
    }
    return 0;
  });
}

async function restore({ rest, values, json, print }: Invocation): Promise<number> {
  const runId = rest[0] ?? usage('cleanup restore needs a run id');
  if (!values.as) usage('cleanup restore needs --as EMAIL (who restores; audited)');
  if (values.identity && values.item) usage('cleanup restore takes --item or --identity, not both');
  const { identityRestoreItem, RESTORE_WHOLE_RUN } = await import('../../bot/render/cleanup');
  // the chat's Restore, by the same client: one rule (checkCleanupRestore), one audit, one workflow per selection
  const item = values.item ?? (values.identity ? identityRestoreItem(values.identity) : RESTORE_WHOLE_RUN);
  return withCore(async (core) => {
    const outcome = await core.cleanup.restore(
      { runId, item, ...(values.reason ? { reason: values.reason } : {}) },
      values.as!,
    );
    if (!outcome.ok) {
      print(json ? JSON.stringify(outcome) : `refused: ${outcome.message}`);
      return 1;
    }
    const { result } = outcome;
    if (json) print(JSON.stringify({ ok: true, ...result }));
    else for (const restored of result.items) print(`${restored.status}  ${restored.itemId} — ${restored.detail}`);
    return result.items.some((i) => i.status === 'conflict') ? 1 : 0;
  });
}
