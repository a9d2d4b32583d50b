import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { ACCOUNT_ID, APP_ROLE, REGION } from '../support/fakes/aws-fixtures';
import { LEAD, REQUESTER, startStack, submitRequest, type Stack } from '../support/stacks/stack';
import {
  assumedRoleActor,
  ensureBucket,
  identityCenterActor,
  writeTrailFile,
  type TrailEvent,
} from '../support/generators/cloudtrail';
import type { RequestState } from '../../domain/request';
import type { PolicyInput } from '../../domain/policy/schema';

/**
 * Right-size at revoke on the time-skipping server: after a grant ends (and CloudTrail's delivery delay,
 * skipped here), Least reads the lease's own records from the trail in moto S3 and tells the requester
 * and the approvers how much was used, and which narrower entitlement would have been enough.
 */

const BUCKET = 'org-trail';
let stack: Stack;
let s3: S3Client;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.inventory = { cloudTrail: { bucket: BUCKET, regions: [REGION] } };
      input.entitlements.push({
        id: 'payments-everything',
        title: 'All of S3 in production',
        system: 'aws-prod',
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:*'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: [LEAD] },
      });
    },
  });
  s3 = new S3Client({ endpoint: stack.motoUrl, region: REGION, forcePathStyle: true });
  await ensureBucket(s3, BUCKET);
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  s3?.destroy();
  await stack?.close();
});

function result(requestId: string): Promise<RequestState> {
  return stack.env.client.workflow.getHandle(requestId).result() as Promise<RequestState>;
}

function toldAbout(requestId: string, to: string): string[] {
  return stack.messages
    .filter((m) => m.requestId === requestId && m.to === to && m.kind === 'right-sized')
    .map((m) => m.text);
}

const event = (
  at: number,
  actor: TrailEvent['actor'],
  eventName: string,
  extra: Partial<TrailEvent> = {},
): TrailEvent => ({
  time: new Date(at),
  actor,
  eventSource: 's3.amazonaws.com',
  eventName,
  region: REGION,
  ...extra,
});

async function approvedAndActive(entitlementId: string): Promise<{ id: string; grantedAt: number }> {
  const id = await submitRequest(stack, { entitlementId, reason: 'refund investigation' });
  await stack.waitForStatus(id, 'pending');
  assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);
  const active = await stack.waitForStatus(id, 'active');
  return { id, grantedAt: Date.parse(active.grantedAt!) };
}

describe('right-size at revoke', () => {
  it('tells how much of a role grant was used, and the narrower entitlement that would have done', async () => {
    const { id, grantedAt } = await approvedAndActive('payments-everything');
    const role = assumedRoleActor(ACCOUNT_ID, APP_ROLE, 'ada-session');
    await writeTrailFile(s3, { bucket: BUCKET, accountId: ACCOUNT_ID }, REGION, [
      event(grantedAt + 60_000, role, 'GetObject', { category: 'Data' }),
      event(grantedAt + 61_000, role, 'GetObject', { category: 'Data' }),
      event(grantedAt + 62_000, role, 'GetObject', { category: 'Data' }),
      event(grantedAt + 64_000, role, 'DeleteBucket', { errorCode: 'AccessDenied' }), // an attempt, not a use
      event(grantedAt - 3_600_000, role, 'PutObject', { category: 'Data' }), // before the lease
      event(grantedAt + 65_000, assumedRoleActor(ACCOUNT_ID, 'other-role', 'x'), 'PutObject'), // someone else
    ]);
    const final = await result(id); // skips the lease, its expiry and CloudTrail's delivery delay
    assert.equal(final.status, 'revoked');
    const [toRequester] = toldAbout(id, REQUESTER);
    assert.match(toRequester ?? 'nothing told', /^Used 1 of \d+ actions of /);
    assert.match(toRequester!, /: s3:GetObject\. payments-logs would have been enough\.$/);
    assert.equal(toldAbout(id, LEAD).length, 1, 'the approver hears it too');
  });

  it("reads an Identity Center grant from the user's own session under the permission set", async () => {
    const { id, grantedAt } = await approvedAndActive('prod-read-only');
    await writeTrailFile(s3, { bucket: BUCKET, accountId: ACCOUNT_ID }, REGION, [
      // the session is named by the directory user name (ada.lovelace), not the e-mail
      event(grantedAt + 30_000, identityCenterActor(ACCOUNT_ID, 'ReadOnly', 'ada.lovelace'), 'ListBuckets'),
      event(grantedAt + 31_000, identityCenterActor(ACCOUNT_ID, 'Admin', 'ada.lovelace'), 'DeleteBucket'),
      event(grantedAt + 32_000, identityCenterActor(ACCOUNT_ID, 'ReadOnly', 'grace@example.com'), 'GetObject'),
    ]);
    const final = await result(id);
    assert.equal(final.status, 'revoked');
    const [told] = toldAbout(id, REQUESTER);
    // no inventory of the permission set here: how many it grants is unknown, and no suggestion is made
    assert.equal(
      told,
      `Used 1 actions of Read-only in production (prod-read-only) for ${REQUESTER}: s3:ListAllMyBuckets.`,
    );
  });
});
