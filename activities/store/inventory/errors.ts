import { ErrorCode } from '../../../domain/errors';

/** Why the inventory store refused a call; the codes are declared in domain/errors.ts. */
export const InventoryErrorCode = {
  RunUnknown: ErrorCode.InventoryRunUnknown,
  RunClosed: ErrorCode.InventoryRunClosed,
  BatchRefused: ErrorCode.InventoryBatchRefused,
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
