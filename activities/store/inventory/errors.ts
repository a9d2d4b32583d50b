/** Why the inventory store refused a call; stable codes, as in domain/errors.ts. */
export const InventoryErrorCode = {
  /** No run with this id was begun. */
  RunUnknown: 'INVENTORY.RUN_UNKNOWN',
  /** The run already succeeded or failed: a late page must not change a snapshot. */
  RunClosed: 'INVENTORY.RUN_CLOSED',
  /** A batch broke a rule (wrong system, a path to a document never stored, a malformed day): nothing of it was written. */
  BatchRefused: 'INVENTORY.BATCH_REFUSED',
} as const;

export type InventoryErrorCode = (typeof InventoryErrorCode)[keyof typeof InventoryErrorCode];

/** None of these improves on retry: the activity that meets one should fail without retrying. */
export class InventoryStoreError extends Error {
  override readonly name = 'InventoryStoreError';
  constructor(
    readonly code: InventoryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function refuseBatch(message: string): InventoryStoreError {
  return new InventoryStoreError(InventoryErrorCode.BatchRefused, message);
}
