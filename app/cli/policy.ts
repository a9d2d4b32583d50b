import { writeFileSync } from 'node:fs';
import { loadConfig } from '../config';
import { loadPolicyFile, PolicyFileError } from '../policy-file';
import { withPolicyFallback } from '../policy-fallback';
import { policyJsonSchema } from '../policy-schema';
import type { Invocation } from './usage';

/** `validate` and `schema`: the policy file, with no server at all. */

export function validate({ rest, json, print }: Invocation): number {
  const file = rest[0] ?? withPolicyFallback(loadConfig()).policyFile;
  try {
    const policy = loadPolicyFile(file);
    const counts = {
      authorizationSystems: policy.authorizationSystems.length,
      entitlements: policy.entitlements.length,
    };
    if (json) print(JSON.stringify({ file, valid: true, ...counts }));
    else
      print(
        `${file}: valid (${counts.authorizationSystems} authorization systems, ${counts.entitlements} entitlements)`,
      );
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyFileError) || !json) throw error;
    print(JSON.stringify({ file, valid: false, code: error.code, problems: error.problems }));
    return 1;
  }
}

export function schema({ values, print }: Invocation): number {
  const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
  if (values.out) writeFileSync(values.out, text);
  else print(text);
  return 0;
}
