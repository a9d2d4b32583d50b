/**
 * Why an item was skipped (`SkippedItem.reason`), declared once. Collectors, expansion and the run report
 * share these strings; a report groups by them, so never rename one.
 */
export const SkipReason = {
  /** The document is not JSON, or not a JSON object. */
  PolicyJsonInvalid: 'policy.json.invalid',
  /** The document has no `Statement`. */
  PolicyStatementMissing: 'policy.statement.missing',
  /** A statement is not an object, or has neither or both of `Action` and `NotAction`. */
  PolicyStatementInvalid: 'policy.statement.invalid',
  /** `Effect` is not exactly `Allow` or `Deny`; the statement is left out. */
  PolicyEffectUnknown: 'policy.effect.unknown',
  /** An action or pattern matches nothing in the catalogue (a typo, or newer than the catalogue). */
  ActionUnknown: 'action.unknown',
  /** An action entry that is not an action at all: not a string, or no `service:` prefix. */
  ActionInvalid: 'action.invalid',
  /** A condition operator IAM does not define; the statement still counts, as conditional. */
  ConditionOperatorUnknown: 'condition.operator.unknown',
  /** `Condition` is not an object of operator → { key: values }; the statement counts as conditional. */
  ConditionInvalid: 'condition.invalid',
} as const;

export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];
