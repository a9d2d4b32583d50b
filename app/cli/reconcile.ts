import { loadConfig } from '../config';
import { withPolicyFallback } from '../policy-fallback';
import { connectCore } from '../runtime';
import { reconcile } from '../../workflows/reconcile';
import type { Invocation } from './usage';

/** `reconcile`: one sweep now, outside its Schedule, and its report. */
export async function runReconcile({ json, print }: Invocation): Promise<number> {
  const config = withPolicyFallback(loadConfig());
  const core = await connectCore(config);
  try {
    const report = await core.temporal.workflow.execute(reconcile, {
      workflowId: `reconcile-manual-${Date.now()}`,
      taskQueue: config.taskQueue,
      args: [],
    });
    print(JSON.stringify(report, null, json ? 0 : 2));
    return 0;
  } finally {
    await core.close();
  }
}
