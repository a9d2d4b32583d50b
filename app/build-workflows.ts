/**
 * Builds the workflow bundle ahead of time: `tsx app/build-workflows.ts OUT`. The image runs it at build
 * time and points LEAST_WORKFLOW_BUNDLE at the file, so a worker starts without running webpack: it is
 * ready sooner after a restart, and keeps the ~140 MiB webpack leaves behind out of its memory. A worker
 * with tracing on still bundles at start, since the tracing interceptors must be bundled in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './worker';

export async function buildWorkflowBundle(out: string): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // only problems: webpack's module listing is noise here
    logger: { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error },
  });
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, code);
  return Buffer.byteLength(code);
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: tsx app/build-workflows.ts OUT.js');
    process.exit(2);
  }
  buildWorkflowBundle(out).then(
    (bytes) => console.log(`workflow bundle written to ${out} (${Math.round(bytes / 1024)} KiB)`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
