import type { TokenCredential } from '@azure/core-auth';
import type { AzureActionCatalogue } from '../../../domain/inventory/azure-role';
import { type ArmRetry, DEFAULT_RETRY } from '../../cloud/azure/connections';
import { asAzureSystem, type AzureSystem } from '../../cloud/azure/errors';
import { loadAzureCatalogue } from '../catalogue/azure';
import type { InventoryCollector } from '../collector';
import { collectActivityLogPage } from './activity-log';
import { AzureInventoryClients } from './clients';
import { collectPrincipalPage } from './principals';
import { collectRoleAssignmentPage } from './role-assignments';

export { activityLogWindow, ActivityLogSkipReason } from './activity-log';
export { AzurePrincipalSkipReason } from './principals';
export { AzureRoleSkipReason } from './role-assignments';

export const AZURE_STEPS = ['role-assignments', 'principals', 'usage:activity-log'] as const;
export type AzureStep = (typeof AZURE_STEPS)[number];

export interface AzureCollectorOptions {
  /** The SDK's auth boundary; DefaultAzureCredential when absent (as for grants). */
  credential?: TokenCredential;
  /** How the SDK pipelines (and the Graph reader) retry 429 and 5xx before the activity's own retries. */
  retry?: Partial<ArmRetry>;
  /** Graph `$top` for users, groups and service principals (999 at most). */
  graphPageSize?: number;
}

export interface AzureCollector extends InventoryCollector {
  /** Forgets cached clients and catalogues. */
  close(): void;
}

/** Per-collection state kept on the worker between pages: the catalogue and the role definitions read. */
interface RunState {
  catalogue: Promise<AzureActionCatalogue>;
  roleDocuments: Map<string, string | null>;
}

/** Runs a worker keeps state for; older ones are forgotten (a later page just reads again). */
const RUNS_KEPT = 8;

export function createAzureCollector(options: AzureCollectorOptions = {}): AzureCollector {
  const clients = new AzureInventoryClients(options.credential, { ...DEFAULT_RETRY, ...options.retry });
  const graphPageSize = Math.min(999, Math.max(1, options.graphPageSize ?? 999));
  const runs = new Map<string, RunState>();

  const runState = (system: AzureSystem, runId: string, heartbeat: () => void): RunState => {
    const key = `${runId}|${system.id}`;
    let state = runs.get(key);
    if (!state) {
      const catalogue = loadAzureCatalogue(clients.arm(system), heartbeat);
      state = { catalogue, roleDocuments: new Map() };
      // a failed load is not kept: the next page reads the list again
      void catalogue.catch(() => runs.delete(key));
      runs.set(key, state);
      while (runs.size > RUNS_KEPT) runs.delete(runs.keys().next().value!);
    }
    return state;
  };

  return {
    steps(system) {
      asAzureSystem(system);
      return [...AZURE_STEPS];
    },

    async collectPage(anySystem, step, cursor, context) {
      const system = asAzureSystem(anySystem);
      switch (step as AzureStep) {
        case 'role-assignments': {
          const state = runState(system, context.runId, () => context.heartbeat({ step, catalogue: 'loading' }));
          const catalogue = await state.catalogue;
          const result = await collectRoleAssignmentPage(
            clients,
            system,
            cursor,
            context,
            catalogue,
            state.roleDocuments,
          );
          return cursor
            ? result
            : { ...result, counts: { ...result.counts, catalogueOperations: catalogue.actions.length } };
        }
        case 'principals':
          return collectPrincipalPage(clients, system, cursor, context, graphPageSize);
        case 'usage:activity-log':
          return collectActivityLogPage(clients, system, cursor, context, async () => {
            const state = runState(system, context.runId, () => context.heartbeat({ step, catalogue: 'loading' }));
            const catalogue = await state.catalogue;
            return catalogue.actions.filter((entry) => entry.dataAction).map((entry) => entry.action);
          });
        default:
          throw new Error(`The Azure collector has no step "${step}" (it has ${AZURE_STEPS.join(', ')})`);
      }
    },

    async catalogueVersion(anySystem, runId) {
      const system = asAzureSystem(anySystem);
      return (await runState(system, runId, () => {}).catalogue).version;
    },

    close() {
      runs.clear();
      clients.close();
    },
  };
}
