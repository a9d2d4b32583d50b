import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  createAwsBroker,
  createAwsProvider,
  sessionName,
  type AwsBroker,
  type AwsProvider,
  type AwsSystem,
} from '../../../activities/cloud/aws';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  APP_ROLE,
  BROKER_ROLE,
  BROKER_ROLE_ARN,
  freshAwsAccount,
  entitlementGrant,
  EXTERNAL_ID,
  operatorClients,
  policyFor,
  queryError,
  REGION,
  startMotoFront,
  SYSTEM_ID,
  useDummyAwsCredentials,
  type MotoFront,
} from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { iam } = operatorClients(motoUrl);

let front: MotoFront;
let policy: Policy;
/** The system as Least sees it: every call goes through the front, then to moto. */
let system: AuthorizationSystem;
let clock: number;
let broker: AwsBroker;
let provider: AwsProvider;

beforeEach(async () => {
  const account = await freshAwsAccount(motoUrl);
  front = await startMotoFront(motoUrl);
  policy = policyFor(account, front.url);
  system = policy.authorizationSystems[0]!;
  clock = Date.now();
  broker = createAwsBroker({ now: () => clock });
  provider = createAwsProvider({ broker });
});
afterEach(async () => {
  broker.close();
  await front.close();
});

function inlineLease(leaseId: string): LeaseSpec {
  return {
    leaseId,
    systemId: SYSTEM_ID,
    grant: entitlementGrant(policy, 'payments-logs'),
    principal: { kind: 'aws-iam-role', roleName: APP_ROLE },
    expiresAt: '2030-01-01T12:00:00.000Z',
  };
}

const calls = (operation: string) => front.calls.filter((call) => call.operation === operation);

describe('AWS broker sessions', () => {
  test('session names carry the lease id within what STS accepts', () => {
    assert.equal(sessionName('req-42'), 'least-req-42');
    assert.equal(sessionName('slack:T01/U02 #7'), 'least-slack-T01-U02--7');
    assert.equal(sessionName('a.b@c,d=e+f_g'), 'least-a.b@c,d=e+f_g');
    assert.equal(sessionName('x'.repeat(100)), `least-${'x'.repeat(58)}`);
  });

  test('a grant runs as the broker role in a session named after the lease', async () => {
    await provider.grant(system, inlineLease('req-1234'));

    const [assume] = calls('AssumeRole');
    assert.equal(assume?.params.RoleArn, BROKER_ROLE_ARN);
    assert.equal(assume?.params.RoleSessionName, 'least-req-1234');
    assert.equal(assume?.params.ExternalId, EXTERNAL_ID);
    // what CloudTrail would record for the PutRolePolicy: the identity behind its access key
    const session = await broker.session(system as AwsSystem, 'req-1234');
    const [put] = calls('PutRolePolicy');
    assert.equal(put?.accessKeyId, session.credentials.accessKeyId);
    const sts = new STSClient({ endpoint: motoUrl, region: REGION, credentials: session.credentials });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${BROKER_ROLE}/least-req-1234`);
  });

  test('one session serves every call of a lease until 5 minutes before it expires', async () => {
    const lease = inlineLease('req-cache');
    await provider.grant(system, lease);
    await provider.check(system, lease);
    await provider.grant(system, inlineLease('req-other'));
    assert.deepEqual(
      calls('AssumeRole').map((call) => call.params.RoleSessionName),
      ['least-req-cache', 'least-req-other'],
    );

    clock += 56 * 60_000; // moto's sessions last an hour
    await provider.revoke(system, lease);

    assert.deepEqual(
      calls('AssumeRole').map((call) => call.params.RoleSessionName),
      ['least-req-cache', 'least-req-other', 'least-req-cache'],
    );
  });

  test('the broker role refusing Least is CLOUD.ACCESS_DENIED naming the role', async () => {
    front.intercept('AssumeRole', async () =>
      queryError('AccessDenied', 'not authorized to perform: sts:AssumeRole', 403),
    );

    const error = await provider.grant(system, inlineLease('req-denied')).catch((thrown: unknown) => thrown);

    assert.ok(error instanceof DomainError);
    assert.equal(error.code, ErrorCode.CloudAccessDenied);
    assert.match(error.message, new RegExp(BROKER_ROLE_ARN));
    assert.equal(calls('PutRolePolicy').length, 0);
  });
});

describe('AWS calls under stress', () => {
  test('throttled calls are retried by the SDK and the grant lands once', async () => {
    front.intercept('PutRolePolicy', async ({ count, forward }) =>
      count <= 2 ? queryError('Throttling', 'Rate exceeded') : forward(),
    );

    const receipt = await provider.grant(system, inlineLease('req-throttled'));

    assert.equal(receipt.created, true);
    assert.equal(calls('PutRolePolicy').length, 3);
    const stored = await iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: 'least-req-throttled' }));
    assert.match(decodeURIComponent(stored.PolicyDocument!), /aws:CurrentTime/);
  });

  test('IAM denying an action is CLOUD.ACCESS_DENIED', async () => {
    front.intercept('PutRolePolicy', async () =>
      queryError('AccessDenied', 'User is not authorized to perform: iam:PutRolePolicy', 403),
    );

    const error = await provider.grant(system, inlineLease('req-no-put')).catch((thrown: unknown) => thrown);

    assert.ok(error instanceof DomainError);
    assert.equal(error.code, ErrorCode.CloudAccessDenied);
    assert.match(error.message, /iam:PutRolePolicy/);
  });

  test('a failure that persists is rethrown as AWS sent it, after five attempts, for the activity to retry', async () => {
    front.intercept('PutRolePolicy', async () => queryError('ServiceFailure', 'internal failure', 500));

    const error = await provider.grant(system, inlineLease('req-5xx')).catch((thrown: unknown) => thrown);

    assert.ok(!(error instanceof DomainError), `expected the AWS error, got ${String(error)}`);
    assert.match((error as Error).name, /ServiceFailure/);
    assert.equal(calls('PutRolePolicy').length, 5);
  });
});
