import assert from 'node:assert/strict';
import { DomainError } from '../../../domain/errors';

/** Asserts `work` fails with a DomainError of this code (and message pattern); returns the error. */
export async function rejectsWith(work: Promise<unknown>, code: string, pattern?: RegExp): Promise<DomainError> {
  const error = await work.then(
    () => assert.fail(`expected ${code}, but it succeeded`),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
  return error;
}

/** Polls `check` until it holds; fails naming `what` after the timeout. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting until ${what}`);
}
