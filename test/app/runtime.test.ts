import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { LogNotifier, type LogMessage } from '../../activities/chat/log-notifier';
import type { PgStore } from '../../activities/store/pg-store';
import { AccessClient } from '../../bot/access-client';
import { newRequestId } from '../../app/ids';
import { buildActivities } from '../../app/runtime';
import { createWorker } from '../../app/worker';
import type { Policy } from '../../domain/policy/schema';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { resetMoto } from '../support/fakes/moto';
import { APP_ROLE, createAwsAccount, operatorClients, useDummyAwsCredentials } from '../support/fakes/aws-fixtures';
import { LEAD, REQUESTER, stackPolicy } from '../support/stacks/stack';

/**
 * The worker exactly as `npm start` builds it (app/runtime.ts buildActivities, app/worker.ts createWorker),
 * with only the notifier replaced by one that records: a wiring mistake there fails here.
 */

const services = testServices();
let db: TestDatabase;
let store: PgStore;
let policy: Policy;
let connection: Connection;
let access: AccessClient;
let worker: Worker;
let running: Promise<void>;
let closeActivities: () => Promise<void>;
const messages: LogMessage[] = [];
const taskQueue = `least-runtime-${randomBytes(4).toString('hex')}`;

before(async () => {
  useDummyAwsCredentials();
  await resetMoto(services.motoUrl);
  policy = stackPolicy(await createAwsAccount(services.motoUrl), services.motoUrl);
  ({ db, store } = await freshStore());
  const built = buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    { notifiers: [new LogNotifier((message) => messages.push(message))] },
  );
  closeActivities = built.close;
  ({ worker } = await createWorker({
    address: services.temporalAddress,
    namespace: 'default',
    taskQueue,
    activities: built.activities,
  }));
  running = worker.run();
  connection = await Connection.connect({ address: services.temporalAddress });
  access = new AccessClient({
    temporal: new Client({ connection }),
    taskQueue,
    policy: () => policy,
    heldEntitlements: (requester) => store.heldEntitlements(requester),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    newRequestId,
  });
});

after(async () => {
  worker.shutdown();
  await running;
  await closeActivities();
  await connection.close();
  await db.drop();
});

describe('the production worker wiring', () => {
  test('an approved request puts the inline policy in the account and tells the requester', async () => {
    const submitted = await access.submit({
      requester: REQUESTER,
      entitlementId: 'payments-logs',
      duration: '1h',
      reason: 'investigate INC-42',
      origin: { platform: 'cli' },
    });
    assert.ok(submitted.ok, JSON.stringify(submitted));
    const id = submitted.state.request.requestId;
    assert.ok((await access.decide(id, LEAD, 'approve')).ok);

    const deadline = Date.now() + 20_000;
    while (!messages.some((m) => m.requestId === id && m.kind === 'granted' && m.to === REQUESTER)) {
      assert.ok(Date.now() < deadline, `no "granted" notice; saw ${JSON.stringify(messages.map((m) => m.kind))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const iam = operatorClients(services.motoUrl).iam;
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: `least-${id}` }));
    assert.match(decodeURIComponent(inline.PolicyDocument ?? ''), /s3:GetObject/);

    assert.ok((await access.end(id, REQUESTER, 'done')).ok);
  });
});
