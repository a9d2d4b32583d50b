/**
 * `npm run demo`: one request end to end on the embedded default, printing each step: a Temporal dev
 * server, the AWS sandbox seeded from the shipped example policy, and a throwaway PostgreSQL database.
 * frank asks for AWS production read-only, alice approves, the grant lands in the emulator, Temporal's
 * timer expires it, and the revocation is verified. Everything listens on 127.0.0.1 and stops at the end.
 */
import { ListAccountAssignmentsCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { createAwsProvider } from '../activities/cloud/aws';
import { LogNotifier } from '../activities/chat/log-notifier';
import { PgStore } from '../activities/store/pg-store';
import { AccessClient } from '../bot/access-client';
import type { RequestState } from '../domain/request';
import { redact } from './config';
import { ensureDatabase } from './database';
import { ensureTools } from './embedded/binaries';
import { startTemporalDevServer } from './embedded/temporal';
import { newRequestId } from './ids';
import { createLog, temporalLogger } from './logging';
import { EXAMPLE_POLICY_FILE } from './policy-fallback';
import { loadPolicyFile } from './policy-file';
import { startSandbox } from './sandbox';
import { SANDBOX_CREDENTIALS } from './sandbox/seed';
import { createWorker } from './worker';

const REQUESTER = 'frank@example.com';
const APPROVER = 'alice@example.com';
const ENTITLEMENT = 'aws-prod-readonly';

const step = (text: string): void => console.log(`\n▶ ${text}`);
const note = (text: string): void => console.log(`  ${text}`);

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  // The SDK's own lines are left out of the story; warnings and errors still show.
  Runtime.install({ logger: temporalLogger(createLog('warn')), shutdownSignals: [] });
  try {
    step('Starting a Temporal dev server and the AWS sandbox (an emulator seeded from the example policy)');
    ensureTools(['temporal', 'moto_server'], note);
    const [temporal, sandbox] = await Promise.all([
      startTemporalDevServer(),
      startSandbox(loadPolicyFile(EXAMPLE_POLICY_FILE), note),
    ]);
    stops.push(
      () => temporal.stop(),
      () => sandbox.stop(),
    );
    const policy = sandbox.policy;
    const system = policy.authorizationSystems.find((s) => s.cloud === 'aws')!;
    const entitlement = policy.entitlements.find((e) => e.id === ENTITLEMENT)!;
    note(`Temporal ${temporal.url}; AWS emulator ${sandbox.url} (nothing real is granted)`);

    const databaseUrl = process.env.LEAST_DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/least_demo';
    await ensureDatabase(databaseUrl);
    const store = PgStore.connect(databaseUrl);
    stops.unshift(() => store.close());
    await store.migrate();
    note(`PostgreSQL ready (${redact(databaseUrl)})`);

    const aws = createAwsProvider();
    stops.unshift(async () => aws.close());
    const taskQueue = 'least-demo';
    const { worker, connection: workerConnection } = await createWorker({
      address: temporal.url,
      namespace: 'default',
      taskQueue,
      activities: createActivities({
        store,
        clouds: { aws },
        notifier: new LogNotifier((m) => note(`✉ to ${m.to}: ${m.text}`)),
        policy: () => policy,
      }),
      bundlerLogger: temporalLogger(createLog('warn')),
    });
    const running = worker.run();
    stops.unshift(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
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

    const operator = new SSOAdminClient({
      endpoint: sandbox.url,
      region: system.region,
      credentials: SANDBOX_CREDENTIALS,
    });
    const assignments = async (): Promise<number> =>
      entitlement.grant.kind !== 'aws-identity-center' || system.cloud !== 'aws' || !system.identityCenter
        ? 0
        : ((
            await operator.send(
              new ListAccountAssignmentsCommand({
                InstanceArn: system.identityCenter.instanceArn,
                AccountId: system.accountId,
                PermissionSetArn: entitlement.grant.permissionSetArn,
              }),
            )
          ).AccountAssignments?.length ?? 0);

    step(`${REQUESTER} asks for ${ENTITLEMENT} for 1 minute`);
    const submitted = await access.submit({
      requester: REQUESTER,
      entitlementId: ENTITLEMENT,
      duration: '1m',
      reason: 'demo',
      origin: { platform: 'cli' },
    });
    if (!submitted.ok) throw new Error(submitted.message);
    const id = submitted.state.request.requestId;
    note(`request ${id} is ${submitted.state.status}`);

    step(`${REQUESTER} tries to approve his own request`);
    const self = await access.decide(id, REQUESTER, 'approve');
    note(self.ok ? 'accepted?!' : `refused: ${self.code} — ${self.message}`);

    step(`${APPROVER} approves`);
    await access.decide(id, APPROVER, 'approve');
    const active = await waitFor(access, id, 'active');
    note(`granted until ${active.expiresAt}; Identity Center assignments now: ${await assignments()}`);

    step('Waiting for expiry (about a minute); Temporal holds the timer');
    const revoked = await waitFor(access, id, 'revoked', 120_000);
    note(`revoked (${revoked.endReason}); assignments now: ${await assignments()}`);
    note(`receipt: ${revoked.revocationReceipt}`);

    step('Verifying the audit log hash chain');
    const verification = await store.verifyAudit();
    note(verification.ok ? `intact: ${verification.rows} rows` : JSON.stringify(verification.problems));
    for (const row of await store.auditFor(id)) note(`#${row.seq} ${row.at} ${row.actor} ${row.action}`);
    operator.destroy();
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
