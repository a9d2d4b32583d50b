import { ErrorCode } from '../../../domain/errors';

/** Why the inventory store refused a call (its codes are in domain/errors.ts). None improves on retry. */
type InventoryStoreCode =
  typeof ErrorCode.InventoryRunUnknown | typeof ErrorCode.InventoryRunClosed | typeof ErrorCode.InventoryBatchRefused;

/** The activity that meets one should fail without retrying. */
export class InventoryStoreError extends Error {
  override readonly name = 'InventoryStoreError';
  constructor(
    readonly code: InventoryStoreCode,
    message: string,
  ) {
    super(message);
  }
}

export function refuseBatch(message: string): InventoryStoreError {
  return new InventoryStoreError(ErrorCode.InventoryBatchRefused, message);
}
