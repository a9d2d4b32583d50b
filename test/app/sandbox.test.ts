import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAwsProvider, type AwsProvider } from '../../activities/cloud/aws';
import { AwsStep, createAwsCollector, ssoUserId } from '../../activities/inventory/aws';
import type { Policy } from '../../domain/policy/schema';
import { EXAMPLE_POLICY_FILE, onExamplePolicy } from '../../app/policy-fallback';
import { loadPolicyFile } from '../../app/policy-file';
import { sandboxWanted, startSandbox, type Sandbox } from '../../app/sandbox';
import { SANDBOX_STANDING_POLICY } from '../../app/sandbox/seed';
import { RecordingSink } from '../support/checks/inventory-sink';
import { runStep } from '../support/checks/collector-run';

/**
 * The sandbox the README's first run uses: the shipped example policy's AWS account, built in the
 * emulator, takes the example's grants exactly as the policy writes them (its fake ARNs and ids).
 */
let sandbox: Sandbox;
let policy: Policy;
let provider: AwsProvider;

before(async () => {
  sandbox = await startSandbox(loadPolicyFile(EXAMPLE_POLICY_FILE), () => undefined);
  policy = sandbox.policy;
  provider = createAwsProvider();
});
after(async () => {
  provider.close();
  await sandbox.stop();
});

async function grantAndRevoke(entitlementId: string, person: string): Promise<{ granted: string; after: boolean }> {
  const entitlement = policy.entitlements.find((e) => e.id === entitlementId)!;
  const system = policy.authorizationSystems.find((s) => s.id === entitlement.system)!;
  const principal = await provider.resolvePrincipal(system, person, entitlement.grant, policy);
  const lease = {
    leaseId: `r-sandbox${entitlementId.length}`,
    systemId: system.id,
    grant: entitlement.grant,
    principal,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const receipt = await provider.grant(system, lease);
  assert.equal((await provider.check(system, lease)).present, true);
  await provider.revoke(system, lease);
  return { granted: receipt.detail, after: (await provider.check(system, lease)).present };
}

describe('the AWS sandbox on the shipped example policy', () => {
  it('points every AWS system of the policy at the emulator, on loopback', () => {
    for (const system of policy.authorizationSystems.filter((s) => s.cloud === 'aws')) {
      assert.equal(system.endpoint, sandbox.url);
    }
    assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('grants and revokes the Identity Center entitlement for a developer', async () => {
    const outcome = await grantAndRevoke('aws-prod-readonly', 'frank@example.com');
    assert.match(outcome.granted, /aws-prod-readonly|permission set/i);
    assert.equal(outcome.after, false);
  });

  it('grants and revokes the inline-policy entitlement on the analyst role the example maps', async () => {
    const outcome = await grantAndRevoke('aws-prod-logs-read', 'frank@example.com');
    assert.match(outcome.granted, /analyst-frank/);
    assert.equal(outcome.after, false);
  });

  it('finds a person by the directory user id the example writes down', async () => {
    const entitlement = policy.entitlements.find((e) => e.id === 'aws-prod-readonly')!;
    const system = policy.authorizationSystems.find((s) => s.id === 'aws-prod')!;
    const principal = await provider.resolvePrincipal(system, 'grace@example.com', entitlement.grant, policy);
    assert.match(JSON.stringify(principal), /906744a0d1-0a1b2c3d-4e5f-6789-abcd-ef0123456789/);
  });
});

describe('the inventory in the sandbox (least inventory collect on the example)', () => {
  const sink = new RecordingSink();
  const window = { from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: new Date().toISOString() };

  before(async () => {
    const system = policy.authorizationSystems.find((s) => s.id === 'aws-prod')!;
    const collector = createAwsCollector({ reportPolling: { delayMs: 10 } });
    try {
      for (const step of collector.steps(system)) await runStep(collector, system, step, { window, policy, sink });
    } finally {
      collector.close();
    }
  });

  it('collects the example account without Access Advisor, which the emulator lacks', () => {
    const source = loadPolicyFile(EXAMPLE_POLICY_FILE).authorizationSystems.find((s) => s.id === 'aws-prod')!;
    assert.equal(source.cloud === 'aws' && source.inventory?.accessAdvisor, true);
    const system = policy.authorizationSystems.find((s) => s.id === 'aws-prod')!;
    assert.equal(system.cloud === 'aws' && system.inventory?.accessAdvisor, false);
    const collector = createAwsCollector();
    const steps = collector.steps(system);
    collector.close();
    assert.deepEqual(steps, [AwsStep.Authorization, AwsStep.IdentityCenter, AwsStep.Credentials]);
  });

  it("finds analyst-frank's standing policy and its actions, the wildcard expanded", () => {
    const frank = [...sink.identitiesById.values()].find((identity) => identity.name === 'analyst-frank');
    assert.ok(frank, 'analyst-frank is collected');
    assert.equal(frank.kind, 'aws-iam-role');
    const paths = sink.pathsOf(frank.id).filter((path) => path.kind === 'managed-policy');
    assert.deepEqual(
      paths.map((path) => path.via?.split('/').pop()),
      [SANDBOX_STANDING_POLICY.name],
    );
    const actions = sink.documentsById.get(paths[0]!.documentId!)!.actions.map((entry) => entry.action);
    assert.ok(actions.includes('athena:StartQueryExecution'));
    assert.ok(actions.includes('cloudwatch:GetMetricData'), 'cloudwatch:Get* is expanded from the catalogue');
  });

  it('lists the directory users the sandbox made, as Identity Center users', () => {
    const users = [...sink.identitiesById.values()].filter((identity) => identity.kind === 'aws-sso-user');
    assert.ok(users.some((user) => user.name === 'frank@example.com'));
    assert.ok(users.every((user) => user.id === ssoUserId('aws', user.id.split('/').pop()!)));
  });
});

describe('when the sandbox runs', () => {
  it("on the example unless switched off; on a policy of one's own only when switched on", () => {
    assert.equal(onExamplePolicy({ policyFile: EXAMPLE_POLICY_FILE }), true);
    assert.equal(onExamplePolicy({ policyFile: 'config/policy.yaml' }), false);
    assert.equal(sandboxWanted(undefined, true), true);
    assert.equal(sandboxWanted(false, true), false);
    assert.equal(sandboxWanted(undefined, false), false);
    assert.equal(sandboxWanted(true, false), true);
  });
});
