import type { PgStore } from '../../activities/store/pg-store';
import type { Config } from '../config';
import type { Core } from '../runtime';
import type { Policy } from '../../domain/policy/schema';

/**
 * What the operators' commands open: the policy in force (the example one when there is none, as the main
 * job does) and the database. Loaded when a command runs, so `least help` stays instant.
 */
export async function loadPolicy(): Promise<Policy> {
  const { loadConfig } = await import('../config');
  const { withPolicyFallback } = await import('../policy-fallback');
  const { loadPolicyFile } = await import('../policy-file');
  return loadPolicyFile(withPolicyFallback(loadConfig()).policyFile);
}

/** The store for the length of `use`, closed after it whatever happens. */
export async function withPgStore<T>(use: (store: PgStore) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../config');
  const { PgStore } = await import('../../activities/store/pg-store');
  const store = PgStore.connect(loadConfig().databaseUrl);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * The store, policy and Temporal client every process starts from (`connectCore`, on the policy in force
 * or the example), with the configuration, for the length of `use`; closed after it whatever happens.
 */
export async function withCore<T>(use: (core: Core, config: Config) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../config');
  const { withPolicyFallback } = await import('../policy-fallback');
  const { connectCore } = await import('../runtime');
  const config = withPolicyFallback(loadConfig());
  const core = await connectCore(config);
  try {
    return await use(core, config);
  } finally {
    await core.close();
  }
}
