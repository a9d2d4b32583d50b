import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditAction } from '../../domain/audit';
import type { AuditEntry } from '../../activities/store/types';

describe('AuditAction', () => {
  test('every action is a distinct dotted lower-case verb, subject first', () => {
    const names = Object.values(AuditAction);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[a-z]+(\.[a-z_]+)+$/, name);
  });

  test('an audit entry names an action from the set; any other string does not type-check', () => {
    const entry: AuditEntry = { actor: 'workflow', action: 'grant.applied', detail: {} };
    // @ts-expect-error `grant.granted` is not a declared audit action (npm run typecheck fails if it becomes one).
    const stray: AuditEntry = { actor: 'workflow', action: 'grant.granted', detail: {} };
    assert.equal(entry.action, AuditAction.GrantApplied);
    assert.ok(!(Object.values(AuditAction) as string[]).includes(stray.action));
  });
});
