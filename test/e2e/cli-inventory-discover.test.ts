import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { authorizationSystemSchema, type PolicyInput } from '../../domain/policy/schema';
import {
  ACCOUNT_ID,
  awsSystemInput,
  freshAwsAccount,
  REGION,
  useDummyAwsCredentials,
} from '../support/fakes/aws-fixtures';
import { testServices } from '../support/launch/services';
import { leastInProcess } from '../support/generators/least-cli';
import { discover } from '../../app/cli/inventory';
import { FAKE_TENANT_ID, staticCredential } from '../support/fakes/fake-arm';
import { FakeDiscovery } from '../support/fakes/fake-discovery';

/**
 * `least inventory discover`: the accounts of the AWS Organization, listed through the system's broker
 * role in moto, printed as policy entries to paste; the account already in the policy is marked. Then
 * the subscriptions of an Azure tenant and the projects under a GCP folder, through the real ARM and
 * Resource Manager clients against a local fake, with static credentials handed to the command.
 */

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const saved = { ...process.env };

const least = leastInProcess;

before(async () => {
  const account = await freshAwsAccount(motoUrl);
  const policy: PolicyInput = {
    version: 1,
    authorizationSystems: [awsSystemInput(account, motoUrl)],
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: 'aws-prod',
        grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  };
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'least-discover-')), 'policy.yaml');
  writeFileSync(file, YAML.stringify(policy));
  Object.assign(process.env, { LEAST_POLICY_FILE: file, DATABASE_URL: 'postgres://127.0.0.1:1/unused' });
});

after(() => {
  process.env = saved;
});

describe('least inventory discover', () => {
  it('says so when the account is in no organization, exit 1', async () => {
    const run = await least('inventory', 'discover', '--system', 'aws-prod');
    assert.equal(run.code, 1, run.out);
    assert.match(
      run.out,
      /^# aws-prod: discovery failed — account 123456789012 \(aws-prod\) is not in an AWS Organization/m,
    );
  });

  it("lists the organization's accounts as entries to paste, marking the one in the policy", async () => {
    const organizations = new OrganizationsClient({ endpoint: motoUrl, region: REGION });
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    for (const name of ['Payments Sandbox', 'Data Lake'])
      await organizations.send(
        new CreateAccountCommand({ AccountName: name, Email: `${name.replace(/\W/g, '')}@example.com` }),
      );

    const run = await least('inventory', 'discover');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^# aws-prod: AWS Organization o-[a-z0-9]+ — 3 found$/m);
    assert.match(run.out, new RegExp(`^# {3}${ACCOUNT_ID} .*: already in the policy as aws-prod$`, 'm'));
    // the printed lines paste under `authorizationSystems:` and pass the policy's own schema
    const pasted = YAML.parse(`authorizationSystems:\n${run.out}`) as { authorizationSystems: unknown[] };
    const entries = pasted.authorizationSystems.map((entry) => authorizationSystemSchema.parse(entry));
    assert.deepEqual(entries.map((entry) => entry.id).sort(), ['aws-data-lake', 'aws-payments-sandbox']);
    const sandbox = entries.find((entry) => entry.id === 'aws-payments-sandbox')!;
    assert.equal(sandbox.cloud, 'aws');
    if (sandbox.cloud !== 'aws') return;
    assert.match(sandbox.accountId, /^\d{12}$/);
    assert.notEqual(sandbox.accountId, ACCOUNT_ID);
    assert.equal(sandbox.brokerRoleArn, `arn:aws:iam::${sandbox.accountId}:role/least-broker`);
    assert.equal(sandbox.title, `Payments Sandbox (${sandbox.accountId})`);

    const json = await least('inventory', 'discover', '--system', 'aws-prod', '--json');
    assert.equal(json.code, 0, json.out);
    const [result] = JSON.parse(json.out) as { entries: { target: { id: string }; inPolicy?: string }[] }[];
    assert.equal(result!.entries.find((entry) => entry.target.id === ACCOUNT_ID)?.inPolicy, 'aws-prod');
  });

  it('refuses a system the policy does not name', async () => {
    const run = await least('inventory', 'discover', '--system', 'aws-nowhere');
    assert.equal(run.code, 1);
    assert.match(run.out, /no authorization system "aws-nowhere" in the policy file/);
  });
});

const PAYMENTS_SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
const PLATFORM_SUBSCRIPTION = '22222222-2222-3333-4444-555555555555';
const SANDBOX_SUBSCRIPTION = '33333333-2222-3333-4444-555555555555';
const GUEST_SUBSCRIPTION = '44444444-2222-3333-4444-555555555555';

describe('least inventory discover, Azure and GCP', () => {
  let fake: FakeDiscovery;

  /** The discover verb as runCli calls it, with credentials that never leave the machine. */
  const discoverWith = async (system: string, json = false): Promise<{ code: number; out: string }> => {
    const lines: string[] = [];
    const code = await discover(
      { command: 'inventory', values: { system, json }, rest: [], json, print: (line) => lines.push(line) },
      { azure: staticCredential(), gcp: fake.gcpAuthClient() },
    );
    return { code, out: lines.join('\n') };
  };

  before(async () => {
    fake = await FakeDiscovery.start();
    fake.subscriptions.push(
      { subscriptionId: PAYMENTS_SUBSCRIPTION, tenantId: FAKE_TENANT_ID, displayName: 'Payments', state: 'Enabled' },
      {
        subscriptionId: PLATFORM_SUBSCRIPTION,
        tenantId: FAKE_TENANT_ID,
        displayName: 'Data Platform',
        state: 'Enabled',
      },
      // a guest's view of another tenant: not this tenant's to add
      {
        subscriptionId: GUEST_SUBSCRIPTION,
        tenantId: '00000000-0000-0000-0000-000000000001',
        displayName: 'Partner',
        state: 'Enabled',
      },
      { subscriptionId: SANDBOX_SUBSCRIPTION, tenantId: FAKE_TENANT_ID, displayName: 'Sandbox', state: 'Disabled' },
    );
    fake.folders.push(
      { name: 'folders/100', parent: 'organizations/1' },
      { name: 'folders/200', parent: 'folders/100' },
      { name: 'folders/300', parent: 'folders/200' },
    );
    fake.projects.push(
      { projectId: 'payments-prod', displayName: 'Payments', parent: 'folders/100', state: 'ACTIVE' },
      { projectId: 'ledger-prod', displayName: 'Ledger', parent: 'folders/100', state: 'ACTIVE' },
      { projectId: 'billing-prod', displayName: 'Billing', parent: 'folders/100', state: 'ACTIVE' },
      { projectId: 'ml-sandbox', displayName: 'ML sandbox', parent: 'folders/200', state: 'DELETE_REQUESTED' },
      { projectId: 'deep-analytics', displayName: 'Deep analytics', parent: 'folders/300', state: 'ACTIVE' },
      { projectId: 'elsewhere-prod', displayName: 'Elsewhere', parent: 'folders/999', state: 'ACTIVE' },
    );
    const policy: PolicyInput = {
      version: 1,
      authorizationSystems: [
        {
          id: 'azure-payments',
          cloud: 'azure',
          tenantId: FAKE_TENANT_ID,
          subscriptionId: PAYMENTS_SUBSCRIPTION.toUpperCase(),
          endpoint: fake.url,
        },
        { id: 'gcp-payments', cloud: 'gcp', projectId: 'payments-prod', endpoint: fake.url },
        { id: 'gcp-platform', cloud: 'gcp', folderId: '200', endpoint: fake.url },
      ],
      entitlements: [
        {
          id: 'payments-logs',
          title: 'Read the payments logs',
          system: 'gcp-payments',
          grant: { kind: 'gcp-iam-binding', role: 'roles/logging.viewer' },
          requesters: { everyone: true },
          approvers: { users: ['lead@example.com'] },
        },
      ],
    };
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'least-discover-')), 'policy.yaml');
    writeFileSync(file, YAML.stringify(policy));
    process.env.LEAST_POLICY_FILE = file;
  });

  after(async () => {
    await fake?.stop();
  });

  it("lists the tenant's subscriptions page by page, marking the one in the policy", async () => {
    fake.calls.length = 0;
    const run = await discoverWith('azure-payments');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, new RegExp(`^# azure-payments: tenant ${FAKE_TENANT_ID} — 3 found$`, 'm'));
    assert.match(
      run.out,
      new RegExp(
        `^# {3}${PAYMENTS_SUBSCRIPTION} Payments \\(Enabled\\): already in the policy as azure-payments$`,
        'm',
      ),
    );
    assert.doesNotMatch(run.out, /Partner/);
    assert.deepEqual(
      fake.calls
        .filter((call) => call.startsWith('GET /subscriptions'))
        .map((call) => /\$skiptoken=(\d+)/.exec(call)?.[1]),
      [undefined, '2'],
    );
    const pasted = YAML.parse(`authorizationSystems:\n${run.out}`) as { authorizationSystems: unknown[] };
    const entries = pasted.authorizationSystems.map((entry) => authorizationSystemSchema.parse(entry));
    assert.deepEqual(entries, [
      {
        id: 'azure-data-platform',
        cloud: 'azure',
        title: 'Data Platform',
        tenantId: FAKE_TENANT_ID,
        subscriptionId: PLATFORM_SUBSCRIPTION,
      },
      {
        id: 'azure-sandbox',
        cloud: 'azure',
        title: 'Sandbox',
        tenantId: FAKE_TENANT_ID,
        subscriptionId: SANDBOX_SUBSCRIPTION,
      },
    ]);
    assert.match(run.out, /^ {2}# Sandbox \(Disabled\)$/m);
  });

  it("lists the projects under the project's folder and its sub-folders, page by page", async () => {
    fake.calls.length = 0;
    const run = await discoverWith('gcp-payments');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^# gcp-payments: under folders\/100 — 5 found$/m);
    assert.match(
      run.out,
      /^# {3}payments-prod Payments \(ACTIVE, under folders\/100\): already in the policy as gcp-payments$/m,
    );
    assert.ok(
      fake.calls.some((call) => call.startsWith('GET /v3/projects?parent=folders/100&pageToken=after-2&')),
      fake.calls.join('\n'),
    );
    const pasted = YAML.parse(`authorizationSystems:\n${run.out}`) as { authorizationSystems: unknown[] };
    const entries = pasted.authorizationSystems.map((entry) => authorizationSystemSchema.parse(entry));
    assert.deepEqual(
      entries.map((entry) => [entry.id, entry.cloud === 'gcp' ? entry.projectId : '', entry.title]),
      [
        ['gcp-ledger', 'ledger-prod', 'Ledger'],
        ['gcp-billing', 'billing-prod', 'Billing'],
        ['gcp-ml-sandbox', 'ml-sandbox', 'ML sandbox'],
        ['gcp-deep-analytics', 'deep-analytics', 'Deep analytics'],
      ],
    );
    assert.match(run.out, /^ {2}# ML sandbox \(DELETE_REQUESTED, under folders\/200\)$/m);
  });

  it('lists from a folder system down only, and answers --json', async () => {
    const run = await discoverWith('gcp-platform', true);
    assert.equal(run.code, 0, run.out);
    const [result] = JSON.parse(run.out) as {
      scope: string;
      entries: { target: { id: string }; inPolicy?: string; entry?: { projectId: string } }[];
    }[];
    assert.equal(result!.scope, 'folders/200');
    assert.deepEqual(
      result!.entries.map((entry) => entry.entry?.projectId ?? entry.inPolicy),
      ['ml-sandbox', 'deep-analytics'],
    );
  });

  it('says what to grant when ARM refuses the subscription list, exit 1', async () => {
    fake.failNext('/subscriptions', 403);
    const run = await discoverWith('azure-payments');
    assert.equal(run.code, 1, run.out);
    assert.match(
      run.out,
      new RegExp(
        `^# azure-payments: discovery failed — Azure denied Least listing the subscriptions of tenant ${FAKE_TENANT_ID} ` +
          ".*Give Least's identity Reader on the management group",
        'm',
      ),
    );
  });

  it('says what to grant when Resource Manager refuses the folder list, exit 1', async () => {
    fake.failNext('/v3/folders', 403);
    const run = await discoverWith('gcp-platform');
    assert.equal(run.code, 1, run.out);
    assert.match(
      run.out,
      /^# gcp-platform: discovery failed — GCP denied Least the right to list the folders under folders\/200 .*roles\/browser on folders\/200/m,
    );
  });
});
