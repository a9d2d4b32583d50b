import { spawn } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../../../app/cli';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The CLI in this process, as `least …` would run it: its exit code and what it printed. */
export async function leastInProcess(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (line) => lines.push(line));
  return { code, out: lines.join('\n') };
}

/**
 * The real `npx least …` from the checkout, as a person runs it. `--yes=false` keeps npx from ever
 * fetching a registry package called "least" if the project's own bin were broken.
 */
export async function spawnLeast(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--yes=false', 'least', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
