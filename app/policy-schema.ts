import { z } from 'zod';
import { formatDuration } from '../domain/duration';
import { policySchema } from '../domain/policy/schema';

/**
 * JSON Schema of the policy file *as people write it*, for editors (yaml-language-server, VS Code).
 * Generated from the same zod definition that validates the file, and committed as
 * docs/policy.schema.json (`npm run policy:schema`; a test fails when the two differ).
 *
 * With `io: 'input'` zod describes the input side of every pipe, so a duration (`string → seconds`
 * transform) comes out as `{type: 'string'}` with its description, and no transform is ever visited:
 * `unrepresentable` stays at its default ('throw') so a field JSON Schema cannot express fails loudly
 * here instead of silently becoming `{}`. What zod cannot know is patched in `override` below.
 */
export function policyJsonSchema(): object {
  const generated = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12', override });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'Least policy file',
    description:
      'Authorization systems, entitlements, who may request them, who approves and the limits. ' +
      'Generated from domain/policy/schema.ts; do not edit by hand.',
    ...rest,
  };
}

/** zod formats that are not JSON Schema formats; the `pattern` zod writes beside them says the same thing. */
const NON_STANDARD_FORMATS = new Set(['starts_with', 'ends_with', 'includes']);

function override(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const { zodSchema, jsonSchema } = ctx;
  const def = zodSchema._zod.def;
  if (typeof jsonSchema.format === 'string' && NON_STANDARD_FORMATS.has(jsonSchema.format)) delete jsonSchema.format;
  // People are named by e-mail: a string trimmed and lower-cased, then checked as an e-mail.
  if (def.type === 'pipe' && def.out._zod.def.type === 'string' && (def.out as z.ZodString).format === 'email') {
    jsonSchema.format = 'email';
  }
  // zod drops defaults of transforming schemas in input mode (the default is an output value, seconds);
  // give editors the default as a person would write it.
  if (def.type === 'default' && jsonSchema.default === undefined) {
    const written = asWritten(def.innerType, def.defaultValue);
    if (written !== undefined) jsonSchema.default = written;
  }
}

/** A parsed (output) value turned back into what the file would say: seconds → `4h`. */
function asWritten(schema: z.core.$ZodType, value: unknown): unknown {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'default':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return asWritten(def.innerType, value);
    case 'pipe':
      // The only string → number pipe in the policy is a duration.
      if (def.in._zod.def.type === 'string' && typeof value === 'number') return formatDuration(value);
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null) return value;
      const written: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const field = def.shape[key];
        written[key] = field ? asWritten(field, item) : item;
      }
      return written;
    }
    default:
      return value;
  }
}
