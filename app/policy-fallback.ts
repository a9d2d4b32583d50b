import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config';

/** The policy shipped with Least: fake ids, and the sandbox's default. */
export const EXAMPLE_POLICY_FILE = 'config/policy.example.yaml';

/** Whether the process runs on the shipped example rather than a policy of one's own. */
export function onExamplePolicy(config: Pick<Config, 'policyFile'>): boolean {
  return path.resolve(config.policyFile) === path.resolve(EXAMPLE_POLICY_FILE);
}

/** A first run has no policy of its own yet: run on the example, and say so loudly. */
export function withPolicyFallback(
  config: Config,
  warn: (msg: string) => void = (msg) => console.warn(JSON.stringify({ level: 'warn', msg })),
): Config {
  if (process.env.LEAST_POLICY_FILE || existsSync(config.policyFile)) return config;
  warn(
    `${config.policyFile} not found: running on ${EXAMPLE_POLICY_FILE}. Copy it to ${config.policyFile} and edit it for your accounts.`,
  );
  return { ...config, policyFile: EXAMPLE_POLICY_FILE };
}
