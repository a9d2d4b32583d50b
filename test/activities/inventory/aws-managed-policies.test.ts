import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  GetAccountAuthorizationDetailsCommand,
} from '@aws-sdk/client-iam';
import { createAwsCollector, type AwsCollector } from '../../../activities/inventory/aws';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { RunningServer } from '../../../app/embedded/processes';
import type { ActionCatalogue } from '../../../domain/inventory/model';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import {
  ACCOUNT_ID,
  APP_ROLE,
  CI_USER,
  createAwsAccount,
  operatorClients,
  useDummyAwsCredentials,
} from '../../support/fakes/aws-fixtures';
import { startMoto } from '../../support/fakes/moto';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { runStep } from '../../support/checks/collector-run';
import { inventorySystem } from '../../support/fakes/aws-fixtures';

/**
 * GetAccountAuthorizationDetails with AWS's own policies present, as in every real account: moto lists
 * them only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, which slows every reset, so this file has a moto of
 * its own. Of ~1,580 listed, only the policies something holds are stored and expanded.
 */

useDummyAwsCredentials();
const WINDOW = { from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
const ADMINISTRATOR = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const VIEW_ONLY = 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess';
const HELD = [ADMINISTRATOR, READ_ONLY, VIEW_ONLY];
/** What createAwsAccount writes besides: the broker's customer-managed policy and the app role's inline one. */
const LOCAL_DOCUMENTS = 2;
const isAwsManaged = (name: string): boolean => name.startsWith('arn:aws:iam::aws:policy/');

let moto: RunningServer;
let collector: AwsCollector | undefined;
let catalogue: ActionCatalogue;
let system: AuthorizationSystem;
let policy: Policy;
let listedAwsManaged = 0;
const sink = new RecordingSink();
let step: Awaited<ReturnType<typeof runStep>>;
const timings: Record<string, number> = {};

const since = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

before(async () => {
  let start = process.hrtime.bigint();
  moto = await startMoto({ environment: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
  timings['moto start (ms)'] = since(start);
  const { iam } = operatorClients(moto.url);
  const account = await createAwsAccount(moto.url);
  ({ policy, system } = inventorySystem(account, moto.url, { accessAdvisor: false }));
  // a role holds the broadest and a job-function policy, the user the read-only one; the role holds it too
  for (const arn of [ADMINISTRATOR, VIEW_ONLY, READ_ONLY])
    await iam.send(new AttachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: arn }));
  await iam.send(new AttachUserPolicyCommand({ UserName: CI_USER, PolicyArn: READ_ONLY }));

  start = process.hrtime.bigint();
  const listed = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['AWSManagedPolicy'] }));
  timings['GAAD of AWS-managed policies alone (ms)'] = since(start);
  listedAwsManaged = (listed.Policies ?? []).filter((p) => p.Arn && isAwsManaged(p.Arn)).length;

  catalogue = await loadAwsCatalogue();
  collector = createAwsCollector({ reportPolling: { delayMs: 20 } });
  start = process.hrtime.bigint();
  step = await runStep(collector, system, 'authorization', { window: WINDOW, policy, sink });
  timings['authorization step (ms)'] = since(start);
});

after(async () => {
  collector?.close();
  await moto?.stop();
});

const held = (arn: string) => {
  const found = sink.documentRows.filter((row) => row.document.name.startsWith(`${arn}:v`));
  assert.equal(found.length, 1, `${arn} is stored once: ${found.map((row) => row.document.name).join(', ')}`);
  return found[0]!;
};

describe('AWS inventory with AWS-managed policies (moto of its own)', () => {
  test('this moto lists AWS-managed policies, as a real account does', (t) => {
    assert.ok(listedAwsManaged > 1000, `GAAD listed ${listedAwsManaged} AWS-managed policies`);
    t.diagnostic(`GAAD lists ${listedAwsManaged} AWS-managed policies`);
    for (const [name, ms] of Object.entries(timings)) t.diagnostic(`${name}: ${ms.toFixed(0)}`);
  });

  test('held AWS-managed policies are stored once each, as AWS-managed, and linked from who holds them', () => {
    for (const arn of HELD) assert.equal(held(arn).document.managedByCloud, true, arn);
    const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
    const userArn = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;
    const managedPaths = (identity: string) =>
      sink
        .pathsOf(identity)
        .filter((path) => path.kind === 'managed-policy')
        .map((path) => [path.via, path.documentId]);
    assert.deepEqual(managedPaths(roleArn).sort(), HELD.map((arn) => [arn, held(arn).document.id]).sort());
    assert.deepEqual(managedPaths(userArn), [[READ_ONLY, held(READ_ONLY).document.id]]);
    const local = sink.documentRows.filter((row) => !isAwsManaged(row.document.name));
    assert.ok(local.every((row) => !row.document.managedByCloud));
  });

  test('the ~1,580 policies nobody holds are not stored, and the page counts say so', () => {
    const awsManaged = sink.documentRows.filter((row) => isAwsManaged(row.document.name));
    assert.deepEqual(awsManaged.map((row) => row.document.name.replace(/:v\d+$/, '')).sort(), [...HELD].sort());
    assert.equal(step.pages, 1, 'moto ignores MaxItems: GAAD is one page');
    assert.equal(step.counts.documents, LOCAL_DOCUMENTS + HELD.length);
    assert.equal(sink.documentRows.length, LOCAL_DOCUMENTS + HELD.length);
    assert.equal(step.counts.identities, 3, 'the broker role, the app role and the CI user');
    assert.equal(step.counts.skipped, sink.skippedRows.length);
  });

  test('AdministratorAccess expands to every catalogue action, allowed on all resources', () => {
    const { document, actions } = held(ADMINISTRATOR);
    assert.equal(actions.length, catalogue.actions.length);
    assert.deepEqual(new Set(actions.map((row) => row.action)), new Set(catalogue.actions.map((a) => a.action)));
    assert.ok(actions.every((row) => row.effect === 'allow' && row.resourceReach === 'all' && !row.conditional));
    assert.deepEqual(
      sink.skippedRows.filter((item) => item.item === document.id),
      [],
    );
  });

  test('ReadOnlyAccess grants reads and lists; its retired actions are reported skipped', () => {
    const { document, actions } = held(READ_ONLY);
    const names = new Set(actions.map((row) => row.action));
    for (const read of ['s3:GetObject', 'iam:GetRole', 'ec2:DescribeInstances', 'iam:ListRoles'])
      assert.ok(names.has(read), read);
    for (const write of ['s3:PutObject', 'iam:CreateUser', 'iam:AttachRolePolicy', 'ec2:RunInstances'])
      assert.ok(!names.has(write), write);
    assert.ok(actions.every((row) => row.effect === 'allow'));
    // The catalogue files a few Get/List actions under Write or Permissions management (and S3 Express
    // reads need s3express:CreateSession): those are the only rows that are not Read or List.
    const readOrList = (levels: readonly string[]) => levels.every((level) => level === 'Read' || level === 'List');
    const others = actions.filter((row) => !readOrList(row.accessLevels)).map((row) => row.action);
    assert.ok(
      others.length <= actions.length / 100,
      `${others.length} of ${actions.length} rows: ${others.join(', ')}`,
    );
    assert.ok(
      others.every((action) => /^[\w-]+:(Get|List)/.test(action) || action === 's3express:CreateSession'),
      others.join(', '),
    );
    // skipped parts of a document are named by the policy, as people know it
    const skipped = sink.skippedRows.filter((item) => item.item === document.name);
    assert.ok(skipped.length > 0, 'AWS keeps actions in ReadOnlyAccess that no service has any more');
    assert.ok(
      skipped.every((item) => item.reason === 'action.unknown'),
      JSON.stringify(skipped),
    );
    assert.ok(skipped.some((item) => item.detail?.endsWith('deepcomposer:GetComposition')));
  });

  test('a job-function policy is expanded like any other: ViewOnlyAccess lists and describes', () => {
    const { actions } = held(VIEW_ONLY);
    const names = new Set(actions.map((row) => row.action));
    assert.ok(names.has('ec2:DescribeInstances') && names.has('s3:ListAllMyBuckets'));
    assert.ok(!names.has('s3:GetObject'), 'view-only does not read data');
    assert.ok(actions.length < held(READ_ONLY).actions.length);
  });
});
