/**
 * Wildcard patterns, matched case-insensitively against the whole text. Two readings:
 * - `star` (the policy file's identity, tag and coverage `exceptActions` patterns): `*` is any run of
 *   characters, everything else is literal, `?` included.
 * - `iam` (IAM action patterns, as IAM reads them): `*` any run of characters, `?` any one character.
 * Each pattern is compiled once: the same handful are tried against millions of actions.
 */

export type WildcardSyntax = 'star' | 'iam';

const COMPILED = new Map<string, RegExp>();
const COMPILED_KEPT = 10_000;

export function wildcardRegex(pattern: string, syntax: WildcardSyntax = 'star'): RegExp {
  const key = `${syntax}\u0000${pattern}`;
  let regex = COMPILED.get(key);
  if (!regex) {
    let source = '';
    for (const char of pattern)
      source +=
        char === '*' ? '.*' : char === '?' && syntax === 'iam' ? '.' : char.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
    regex = new RegExp(`^${source}$`, 'i');
    if (COMPILED.size >= COMPILED_KEPT) COMPILED.clear();
    COMPILED.set(key, regex);
  }
  return regex;
}

export function wildcardMatch(pattern: string, text: string, syntax: WildcardSyntax = 'star'): boolean {
  return wildcardRegex(pattern, syntax).test(text);
}

/** Whether the text holds a wildcard: `*`, or `?` as IAM reads it. */
export function hasWildcard(text: string, syntax: WildcardSyntax = 'star'): boolean {
  return text.includes('*') || (syntax === 'iam' && text.includes('?'));
}
