import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { LeastActivities } from '../activities';

/**
 * The accessRequest workflow's activities, grouped by how each must be retried; each group exposes
 * only the activities its profile is meant for.
 */

/** PostgreSQL is the record people read: keep trying until it lands. */
export const { recordState, recordDecision } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/** Granting and extending in the cloud: bounded, because a person is waiting for the answer. */
export const { grantLease, resolvePrincipal, applyGrant, extendGrant } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Telling people matters, but never more than granting or revoking on time: a chat outage is retried
 * for a bounded window and then given up on (the audit log still has every step).
 */
export const { notify } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Right-size at revoke reads the cloud's logs for the lease's window: it may take minutes for a busy
 * trail, heartbeats as it goes, and is given up after a while (people are told nothing rather than late).
 */
export const { rightSizeLease, rightSizeDelay } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '20 minutes',
  scheduleToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', backoffCoefficient: 2 },
});

/** Revocation must not give up: it retries inside one attempt window, and the workflow loops on top. */
export const { revokeGrant, verifyRevoked } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

/**
 * The same steps as local activities, for runs started from LEAN_LIFECYCLE_PATCH: they run in the worker
 * that holds the workflow task, without a round trip through the server's task queues, and leave one
 * marker in history instead of three events and a workflow task each. Retry policies match the ones
 * above; a worker that dies mid-step hands the workflow task on, and the step runs again (each is
 * idempotent by its business key).
 */
export const local = {
  ...pick(
    proxyLocalActivities<LeastActivities>({
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
    }),
    'recordState',
    'recordDecision',
    'rightSizeDelay',
    'readClock',
  ),
  // A record and the notices that follow it (PAIRED_STEPS_PATCH): retried like the record, which must
  // land; each notice gets one bounded try inside and is retried on its own profile if it failed.
  ...pick(
    proxyLocalActivities<LeastActivities>({
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
    }),
    'recordAndNotify',
  ),
  ...pick(
    proxyLocalActivities<LeastActivities>({
      startToCloseTimeout: '1 minute',
      scheduleToCloseTimeout: '10 minutes',
      retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
    }),
    'notify',
  ),
  ...pick(
    proxyLocalActivities<LeastActivities>({
      startToCloseTimeout: '3 minutes',
      scheduleToCloseTimeout: '15 minutes',
      retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2 },
    }),
    'grantLease',
    'resolvePrincipal',
  ),
  ...pick(
    proxyLocalActivities<LeastActivities>({
      startToCloseTimeout: '3 minutes',
      scheduleToCloseTimeout: '10 minutes',
      retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', backoffCoefficient: 2 },
    }),
    'revokeLease',
  ),
};

/** Proxies have no own keys to spread: read the named ones off. */
function pick<T extends object, K extends keyof T>(source: T, ...keys: K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = source[key];
  return picked;
}
