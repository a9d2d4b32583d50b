import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureCollector, type AzureCollector } from '../../activities/inventory/azure';
import { createGcpCollector, type GcpCollector } from '../../activities/inventory/gcp';
import type { IdentityView } from '../../domain/inventory/view';
import { collect } from '../../workflows/collect';
import { staticCredential } from '../support/fakes/fake-arm';
import { AZ, FakeAzureInventory, INVENTORY_TENANT, seedAzureInventory } from '../support/fakes/fake-azure-inventory';
import { FakeGcpInventory, GCP_PROJECT, seedGcpInventory } from '../support/fakes/fake-gcp-inventory';
import { FakeResourceManager } from '../support/fakes/fake-resource-manager';
import { ADMIN, startStack, type Stack } from '../support/stacks/stack';

/**
 * `collect` for an Azure and a GCP system with the worker wired as in production (app/runtime.ts), the
 * real Azure and GCP collectors pointed at the inventory fakes: each run becomes the system's current
 * snapshot, and `least inventory show` (the store's identity view) gives a principal's granted actions
 * with a verdict the coverage allows.
 */

const AZURE_SYSTEM = 'azure-inventory';
const GCP_SYSTEM = 'gcp-inventory';

let stack: Stack;
let azureFake: FakeAzureInventory;
let resourceManager: FakeResourceManager;
let gcpFake: FakeGcpInventory;
let azure: AzureCollector;
let gcp: GcpCollector;

before(async () => {
  azureFake = await FakeAzureInventory.start();
  seedAzureInventory(azureFake);
  resourceManager = await FakeResourceManager.start();
  gcpFake = await FakeGcpInventory.start(resourceManager);
  seedGcpInventory(resourceManager, gcpFake);
  azure = createAzureCollector({
    credential: staticCredential(),
    retry: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
  });
  gcp = createGcpCollector({
    authClient: resourceManager.authClient(),
    endpoints: { iam: `${gcpFake.url}/`, recommender: gcpFake.url },
    retry: { retryDelayMs: 5, maxRetryDelayMs: 50 },
  });
  stack = await startStack('dev', {
    policy: (input) => {
      input.authorizationSystems.push(
        {
          id: AZURE_SYSTEM,
          cloud: 'azure',
          tenantId: INVENTORY_TENANT,
          subscriptionId: azureFake.subscriptionId,
          endpoint: azureFake.url,
          graphEndpoint: azureFake.url,
          inventory: { usageWindow: '30d' },
        },
        {
          id: GCP_SYSTEM,
          cloud: 'gcp',
          projectId: GCP_PROJECT,
          endpoint: resourceManager.url,
          inventory: { usageWindow: '30d' },
        },
      );
    },
    collectors: () => ({ azure, gcp }),
  });
  await stack.startWorker();
});

after(async () => {
  await stack?.close();
  azure?.close();
  await gcp?.close();
  await gcpFake?.stop();
  await resourceManager?.stop();
  await azureFake?.stop();
});

async function collectSystem(systemId: string) {
  const run = await stack.env.client.workflow.execute(collect, {
    workflowId: `collect-${systemId}-test`,
    taskQueue: stack.taskQueue,
    args: [{ systemId }],
  });
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  assert.equal((await stack.store.inventory.currentRun(systemId))?.runId, run.runId, 'the run is current');
  return run;
}

function verdicts(view: IdentityView | undefined, actions: string[]): Record<string, string | undefined> {
  return Object.fromEntries(actions.map((action) => [action, view?.granted.find((g) => g.action === action)?.verdict]));
}

describe('collect for Azure and GCP through the production wiring', () => {
  it('an Azure subscription: ada’s Owner actions, her writes judged by the Activity Log, her reads unknown', async () => {
    const run = await collectSystem(AZURE_SYSTEM);
    assert.ok((run.counts.roleAssignments ?? 0) > 0, JSON.stringify(run.counts));
    assert.match(run.catalogues.azure ?? '', /providerOperationsMetadata [\d-]+: \d+ operations, sha256:/);

    const view = await stack.store.inventory.identityView(AZURE_SYSTEM, 'ada@example.com');
    assert.equal(view?.identity.id, AZ.ada);
    assert.equal(view?.run.runId, run.runId);
    assert.ok((view?.granted.length ?? 0) > 10, 'Owner: every control-plane operation');
    assert.ok(
      view?.granted.every((g) => g.verdict !== undefined),
      'every granted action has a verdict',
    );
    assert.deepEqual(
      verdicts(view, [
        'Microsoft.Compute/virtualMachines/write',
        'Microsoft.Compute/disks/write',
        'Microsoft.Compute/virtualMachines/read',
      ]),
      {
        'Microsoft.Compute/virtualMachines/write': 'used',
        // the Activity Log covers the whole window for writes and shows none
        'Microsoft.Compute/disks/write': 'unused',
        // it sees no reads, and ada signed in within the window: unknown, never unused
        'Microsoft.Compute/virtualMachines/read': 'unknown',
      },
    );

    // the collection's last step assessed the snapshot: ada is an Owner with unused writes
    const summary = await stack.store.findings.summary(AZURE_SYSTEM);
    assert.equal(summary?.runId, run.runId);
    const card = await stack.findings.identity(ADMIN, 'ada@example.com', AZURE_SYSTEM);
    assert.ok(card.ok, JSON.stringify(card));
    assert.ok(card.assessment.findings.some((f) => f.kind === 'super-identity' && /Owner/.test(f.title)));
    assert.ok((card.assessment.pci?.score ?? 0) > 0, 'unused Owner writes raise her index');
    assert.ok(card.assessment.pci?.coverage.blindSpots.some((b) => /reads are not recorded/.test(b)));
  });

  it('a GCP project: ada’s roles from the project and its folder, the insight speaking for its role only', async () => {
    const run = await collectSystem(GCP_SYSTEM);
    assert.ok((run.counts.insights ?? 0) > 0, JSON.stringify(run.counts));
    assert.match(run.catalogues.gcp ?? '', /iam roles\.get v1: [1-9]\d* roles, sha256:/, 'the roles this run read');

    const view = await stack.store.inventory.identityView(GCP_SYSTEM, 'user:ada@example.com');
    assert.equal(view?.identity.kind, 'gcp-user');
    assert.ok(
      view?.granted.every((g) => g.verdict !== undefined),
      'every granted action has a verdict',
    );
    const editor = view?.paths.find((path) => path.documentName === 'roles/editor');
    assert.equal(editor?.kind, 'inherited', 'roles/editor is bound on the folder');
    assert.deepEqual(
      view?.coverage.filter((c) => c.source === 'recommender').map((c) => c.documentId),
      [editor?.documentId],
      'the editor insight covers the editor role only',
    );
    assert.deepEqual(verdicts(view, ['compute.instances.get', 'compute.instances.delete', 'storage.objects.get']), {
      'compute.instances.get': 'used',
      // the insight, refreshed yesterday, speaks for the window as of its refresh (WINDOW_TOTAL_LAG_MS)
      'compute.instances.delete': 'unused',
      // granted only by bucketReader, for which there is no insight
      'storage.objects.get': 'unknown',
    });

    const summary = await stack.store.findings.summary(GCP_SYSTEM);
    assert.equal(summary?.runId, run.runId);
    const card = await stack.findings.identity(ADMIN, 'user:ada@example.com', GCP_SYSTEM);
    assert.ok(card.ok, JSON.stringify(card));
    assert.ok(card.assessment.findings.some((f) => f.kind === 'super-identity' && /roles\/editor/.test(f.title)));
  });
});
