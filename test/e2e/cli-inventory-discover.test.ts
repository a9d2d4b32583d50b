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

/**
 * `least inventory discover`: the accounts of the AWS Organization, listed through the system's broker
 * role in moto, printed as policy entries to paste; the account already in the policy is marked.
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
