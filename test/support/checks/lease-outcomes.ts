import assert from 'node:assert/strict';
import { AuditAction } from '../../../domain/audit';
import type { RequestState } from '../../../domain/request';
import { leaseLedger, type LeaseLedger } from '../launch/chaos-leases';
import type { Stack } from '../stacks/stack';

/**
 * What a person and an auditor must find after leases ran through faults: every lease ended by expiry and
 * revoked, nothing left in the cloud, each grant applied and revoked exactly once in the audit log, and
 * the chain intact.
 */
export async function assertRevokedExactlyOnce(
  stack: Stack,
  ids: string[],
  finals: RequestState[],
): Promise<LeaseLedger> {
  for (const [i, final] of finals.entries()) {
    assert.equal(final.status, 'revoked', `lease ${ids[i]} ended ${final.status}: ${JSON.stringify(final.failure)}`);
    assert.equal(final.endedBy, 'expiry', `lease ${ids[i]} ended by ${final.endedBy}`);
  }
  const ledger = await leaseLedger(stack.db.pool, stack.aws.iam, ids);
  assert.deepEqual(ledger.orphaned, [], 'inline policies left in moto');
  assert.deepEqual(ledger.duplicated, [], `grants applied more than once: ${JSON.stringify(ledger.duplicateRows)}`);
  assert.deepEqual(ledger.unrevoked, [], 'revocations lost');
  assert.equal(ledger.exactlyOnce[AuditAction.GrantApplied], ids.length);
  assert.equal(ledger.exactlyOnce[AuditAction.GrantRevoked], ids.length);
  const verification = await stack.store.verifyAudit();
  assert.ok(verification.ok, JSON.stringify(verification.problems));
  assert.ok(verification.rows >= ledger.auditRows);
  return ledger;
}
