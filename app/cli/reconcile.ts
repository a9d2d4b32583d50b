import { reconcile } from '../../workflows/reconcile';
import { withCore } from './connect';
import type { Invocation } from './usage';

/** `reconcile`: one sweep now, outside its Schedule, and its report. */
export async function runReconcile({ json, print }: Invocation): Promise<number> {
  return withCore(async (core, config) => {
    const report = await core.temporal.workflow.execute(reconcile, {
      workflowId: `reconcile-manual-${Date.now()}`,
      taskQueue: config.taskQueue,
      args: [],
    });
    print(JSON.stringify(report, null, json ? 0 : 2));
    return 0;
  });
}
