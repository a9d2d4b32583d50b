/**
 * Records a fresh history for the replay test: `npm test -- test/replay/record-history.ts` is NOT how
 * to run it; run `LEAST_RECORD_HISTORY=1 npm test -- test/replay` after a deliberate workflow change,
 * review the diff, and commit the new file next to the old ones (keep the old ones: they are what
 * running workflows look like).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { LEAD, submitRequest, type Stack } from '../support/stacks/stack';

export const HISTORIES = path.join(__dirname, 'histories');

export async function recordApproveGrantRevoke(stack: Stack, file: string): Promise<void> {
  const id = await submitRequest(stack, { reason: 'recorded for replay' });
  await stack.waitForStatus(id, 'pending');
  await stack.access.decide(id, LEAD, 'approve');
  const handle = stack.env.client.workflow.getHandle(id);
  await handle.result();
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES, file), `${historyToJSON(history)}\n`);
}
