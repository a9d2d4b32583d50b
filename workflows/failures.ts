import { ApplicationFailure } from '@temporalio/workflow';
import type { Verdict } from '../domain/errors';

/** Validators throw to reject; the error's type is the stable code the front ends show. */
export function enforce(verdict: Verdict): void {
  if (!verdict.ok)
    throw ApplicationFailure.create({ type: verdict.code, message: verdict.message, nonRetryable: true });
}

/** The activity's own words, not the wrapper's "Activity task failed": its deepest cause, with its type. */
export function failureMessage(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const code = cause instanceof Error && 'type' in cause && typeof cause.type === 'string' ? `${cause.type}: ` : '';
  return code + (cause instanceof Error ? cause.message : String(cause));
}
