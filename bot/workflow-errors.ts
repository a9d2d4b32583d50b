import { WorkflowNotFoundError } from '@temporalio/client';

/** The workflow a message was meant for does not exist (never started, or its history was deleted). */
export function isMissing(error: unknown): boolean {
  return (
    error instanceof WorkflowNotFoundError ||
    (error instanceof Error && /not found/i.test(error.message) && /workflow/i.test(error.message))
  );
}

/** The workflow has ended: it takes no more updates. */
export function isCompleted(error: unknown): boolean {
  return error instanceof Error && /already completed|workflow execution already completed/i.test(error.message);
}
