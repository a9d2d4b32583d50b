import type { ChildProcess } from 'node:child_process';

/** Collects a child's stdout and stderr as whole, non-blank lines into `lines` (the main job writes JSON lines). */
export function collectLines(job: ChildProcess, lines: string[]): void {
  let partial = '';
  const collect = (chunk: Buffer): void => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    lines.push(...complete.filter((line) => line.trim() !== ''));
  };
  job.stdout!.on('data', collect);
  job.stderr!.on('data', collect);
}
