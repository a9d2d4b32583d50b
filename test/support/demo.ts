/**
 * `npm run demo`: a whole request → approve → grant → expiry → revoke against a local AWS emulator
 * (moto), a Temporal dev server and a throwaway PostgreSQL database, printing each step.
 * Everything it starts listens on 127.0.0.1 and is stopped at the end.
 */
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createAwsProvider } from '../../activities/cloud/aws';
import { LogNotifier } from '../../activities/chat/log-notifier';
import { PgStore } from '../../activities/store/pg-store';
import { AccessClient } from '../../bot/access-client';
import { policySchema } from '../../domain/policy/schema';
import type { RequestState } from '../../domain/request';
import { startTemporalDevServer } from '../../app/embedded/temporal';
import { createWorker } from '../../app/worker';
import { newRequestId } from '../../app/ids';
import { ensureDatabase } from '../../app/database';
// The demo lives with the test support: it seeds moto with the same realistic account the tests use.
import { startMoto } from './fakes/moto';
import {
  ACCOUNT_ID,
  awsSystemInput,
  createAwsAccount,
  operatorClients,
  useDummyAwsCredentials,
} from './fakes/aws-fixtures';

const APPROVER = 'lead@example.com';
const step = (text: string): void => console.log(`\n▶ ${text}`);

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  try {
    step('Starting a Temporal dev server and the AWS emulator (moto) on 127.0.0.1');
    const [temporal, moto] = await Promise.all([startTemporalDevServer(), startMoto()]);
    stops.push(
      () => temporal.stop(),
      () => moto.stop(),
    );
    useDummyAwsCredentials();
    const account = await createAwsAccount(moto.url);
    console.log(
      `  Temporal ${temporal.url}; moto ${moto.url}; Identity Center user ada@example.com = ${account.ada.userId}`,
    );

    const databaseUrl = process.env.LEAST_DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/least_demo';
    await ensureDatabase(databaseUrl);
    const store = PgStore.connect(databaseUrl);
    stops.push(() => store.close());
    await store.migrate();
    console.log(`  PostgreSQL ready (${databaseUrl.replace(/:[^:@/]*@/, ':***@')})`);

    const policy = policySchema.parse({
      version: 1,
      authorizationSystems: [awsSystemInput(account, moto.url, 'aws-demo')],
      entitlements: [
        {
          id: 'prod-read-only',
          title: 'Read-only in production',
          system: 'aws-demo',
          grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
          requesters: { everyone: true },
          approvers: { users: [APPROVER] },
        },
      ],
    });
    const aws = createAwsProvider();
    stops.push(async () => aws.close());
    const taskQueue = 'least-demo';
    const { worker, connection: workerConnection } = await createWorker({
      address: temporal.url,
      namespace: 'default',
      taskQueue,
      activities: createActivities({
        store,
        clouds: { aws },
        notifier: new LogNotifier((m) => console.log(`  ✉ to ${m.to}: ${m.text}`)),
        policy: () => policy,
      }),
    });
    const running = worker.run();
    stops.unshift(async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    });
    const connection = await Connection.connect({ address: temporal.url });
    stops.unshift(() => connection.close());
    const access = new AccessClient({
      temporal: new Client({ connection }),
      taskQueue,
      policy: () => policy,
      heldEntitlements: (r) => store.heldEntitlements(r),
      audit: async (entry) => void (await store.appendAudit(entry)),
      newRequestId,
    });

    const assignments = async (): Promise<number> =>
      (
        await operatorClients(moto.url).ssoAdmin.send(
          new ListAccountAssignmentsCommand({
            InstanceArn: account.instanceArn,
            AccountId: ACCOUNT_ID,
            PermissionSetArn: account.readOnlyPermissionSetArn,
          }),
        )
      ).AccountAssignments?.length ?? 0;

    step('ada@example.com asks for prod-read-only for 1 minute');
    const submitted = await access.submit({
      requester: 'ada@example.com',
      entitlementId: 'prod-read-only',
      duration: '1m',
      reason: 'demo',
      origin: { platform: 'cli' },
    });
    if (!submitted.ok) throw new Error(submitted.message);
    const id = submitted.state.request.requestId;
    console.log(`  request ${id} is ${submitted.state.status}`);

    step('ada tries to approve her own request');
    const self = await access.decide(id, 'ada@example.com', 'approve');
    console.log(`  ${self.ok ? 'accepted?!' : `refused: ${self.code} — ${self.message}`}`);

    step(`${APPROVER} approves`);
    await access.decide(id, APPROVER, 'approve');
    const active = await waitFor(access, id, 'active');
    console.log(`  granted until ${active.expiresAt}; Identity Center assignments now: ${await assignments()}`);

    step('Waiting for expiry (about a minute); Temporal holds the timer');
    const revoked = await waitFor(access, id, 'revoked', 120_000);
    console.log(
      `  revoked (${revoked.endReason}); assignments now: ${await assignments()}; receipt: ${revoked.revocationReceipt}`,
    );

    step('Verifying the audit log hash chain');
    const verification = await store.verifyAudit();
    console.log(`  ${verification.ok ? `intact: ${verification.rows} rows` : JSON.stringify(verification.problems)}`);
    for (const row of await store.auditFor(id)) console.log(`  #${row.seq} ${row.at} ${row.actor} ${row.action}`);
    step('Done');
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

async function waitFor(access: AccessClient, id: string, status: string, timeoutMs = 30_000): Promise<RequestState> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const outcome = await access.status(id);
    if (outcome.ok && outcome.state.status === status) return outcome.state;
    if (outcome.ok && ['failed', 'denied', 'expired'].includes(outcome.state.status))
      throw new Error(`request ${outcome.state.status}: ${JSON.stringify(outcome.state.failure)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`request ${id} did not become ${status} in time`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exit(1);
  },
);
