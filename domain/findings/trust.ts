import { parseAwsPolicy } from '../inventory/aws-policy';
import { wildcardMatch } from '../inventory/wildcard';
import type { Severity } from './model';

/**
 * Risky trust: who may assume an AWS role, read from its trust policy. Kinds are named as Cloudsplaining
 * names its role findings where one exists.
 *
 * Decisions:
 * - Only Allow statements granting an assume action (`sts:AssumeRole`, `…WithSAML`, `…WithWebIdentity`,
 *   or a wildcard covering them) open the role. A Deny statement on every principal whose condition
 *   requires a restricting key (`StringNotEquals aws:PrincipalOrgID …`) counts as restricting the
 *   open statements; other denies are not evaluated (the finding stays, to be reviewed).
 * - Anyone: `Principal: "*"`, `{"AWS": "*"}`, `arn:aws:iam::*:root` or an account wildcard, and
 *   `NotPrincipal` on an Allow (everyone but a few). Unrestricted → critical. A condition restricts only
 *   when it pins who may come with a positive operator on one of RESTRICTING_KEYS and no bare `*` value
 *   (`…IfExists` does not pin: an absent key passes) → medium, to review. Any other condition (MFA,
 *   source IP, secure transport) still lets any AWS account in.
 * - Other accounts: an account id, `arn:aws:iam::<id>:root`, or a user/role/assumed-role ARN whose
 *   account is neither the role's own nor listed as trusted → medium (a restricting condition such as
 *   sts:ExternalId is named in the detail; it remains cross-account trust).
 * - Web identity (OIDC) federation without a condition on the provider's `:sub` (or, for Cognito, its
 *   `:aud`) lets every user of that provider in — every GitHub repository, for GitHub Actions → high.
 *   SAML providers are the organization's own and are not reported.
 * - AWS services are not reported. A service assumes the role only for the account that configured it
 *   (and, for most, only after someone with iam:PassRole handed it over); the confused-deputy keys
 *   (aws:SourceAccount / aws:SourceArn) are advisory, absent from AWS's own service-role templates, and
 *   reporting every service role would bury the findings that matter.
 * - Deleted principals show as unique ids (`AROA…`, `AIDA…`): they can never be used again; not reported.
 * - Anything that cannot be read (not JSON, no statements, a statement without Effect, Action or
 *   Principal of the expected shape) is reported as `TrustPolicyUnreadable`, never as "no risk".
 */

export type TrustRiskKind =
  | 'AssumableByAnyPrincipal'
  | 'AssumableByAnyPrincipalWithConditions'
  | 'AssumableByCrossAccountPrincipal'
  | 'AssumableByAnyFederatedUser'
  | 'TrustPolicyUnreadable';

export interface TrustRisk {
  kind: TrustRiskKind;
  severity: Severity;
  /** The principal as the policy writes it; absent when the whole policy could not be read. */
  principal?: string;
  /** 1-based statement position, with its Sid when it has one. */
  statement?: string;
  /** One line a person can act on. */
  summary: string;
}

/** Condition keys that pin who may assume the role. */
const RESTRICTING_KEYS: ReadonlySet<string> = new Set([
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'sts:externalid',
]);

const POSITIVE_OPERATORS: ReadonlySet<string> = new Set([
  'stringequals',
  'stringequalsignorecase',
  'stringlike',
  'arnequals',
  'arnlike',
]);

const NEGATIVE_OPERATORS: ReadonlySet<string> = new Set([
  'stringnotequals',
  'stringnotlike',
  'arnnotequals',
  'arnnotlike',
]);

const ASSUME_ACTIONS = ['sts:assumerole', 'sts:assumerolewithsaml', 'sts:assumerolewithwebidentity'];

export function riskyTrust(
  trustPolicy: unknown,
  ownAccountId: string,
  trustedAccounts: readonly string[] = [],
): TrustRisk[] {
  const document = parsePolicy(trustPolicy);
  if (typeof document === 'string') {
    return [
      { kind: 'TrustPolicyUnreadable', severity: 'medium', summary: `The trust policy could not be read: ${document}` },
    ];
  }
  const statements = Array.isArray(document.Statement) ? (document.Statement as unknown[]) : [document.Statement];
  const trusted = new Set([ownAccountId, ...trustedAccounts]);
  const risks: TrustRisk[] = [];
  const restrictedByDeny = statements.some(isRestrictingDeny);
  statements.forEach((statement, position) => {
    const label = statementLabel(statement, position);
    const unreadable = (why: string): void => {
      risks.push({
        kind: 'TrustPolicyUnreadable',
        severity: 'medium',
        statement: label,
        summary: `Statement ${label} could not be read: ${why}`,
      });
    };
    if (!isObject(statement)) return unreadable('not an object');
    if (statement.Effect === 'Deny') return;
    if (statement.Effect !== 'Allow') return unreadable(`Effect ${JSON.stringify(statement.Effect) ?? 'missing'}`);
    const actions = stringList(statement.Action ?? statement.NotAction);
    if (!actions) return unreadable('Action is missing or not a string list');
    if (!grantsAssume(actions, statement.NotAction !== undefined)) return;
    const condition = statement.Condition;
    if (condition !== undefined && !isObject(condition)) return unreadable('Condition is not an object');
    const restriction =
      restrictingCondition(condition) ?? (restrictedByDeny ? 'a Deny on other principals' : undefined);
    if (statement.NotPrincipal !== undefined) {
      risks.push(anyone('NotPrincipal (everyone but the listed principals)', label, restriction));
      return;
    }
    const principals = principalsOf(statement.Principal);
    if (typeof principals === 'string') return unreadable(principals);
    for (const { type, value } of principals) {
      const risk = judge(type, value, label, restriction, condition, trusted);
      if (risk) risks.push(risk);
    }
  });
  return risks;
}

function judge(
  type: string,
  value: string,
  label: string,
  restriction: string | undefined,
  condition: Record<string, unknown> | undefined,
  trusted: ReadonlySet<string>,
): TrustRisk | undefined {
  if (type === '*') return anyone(value, label, restriction);
  if (type === 'AWS') {
    if (value === '*') return anyone(value, label, restriction);
    const account = accountOf(value);
    if (account === undefined) return undefined; // a deleted principal's unique id
    if (account === '*' || account.includes('*') || account.includes('?')) return anyone(value, label, restriction);
    if (trusted.has(account)) return undefined;
    return {
      kind: 'AssumableByCrossAccountPrincipal',
      severity: 'medium',
      principal: value,
      statement: label,
      summary:
        `Account ${account}, not listed as trusted, may assume this role` +
        (restriction ? ` (limited by ${restriction})` : ''),
    };
  }
  if (type === 'Federated') return federated(value, label, condition);
  return undefined; // Service, CanonicalUser: see the decisions above
}

function anyone(principal: string, label: string, restriction: string | undefined): TrustRisk {
  return restriction
    ? {
        kind: 'AssumableByAnyPrincipalWithConditions',
        severity: 'medium',
        principal,
        statement: label,
        summary: `Any principal may assume this role, limited by ${restriction}: check that it pins your organization`,
      }
    : {
        kind: 'AssumableByAnyPrincipal',
        severity: 'critical',
        principal,
        statement: label,
        summary: 'Any AWS principal, in any account, may assume this role',
      };
}

function federated(
  provider: string,
  label: string,
  condition: Record<string, unknown> | undefined,
): TrustRisk | undefined {
  const lower = provider.toLowerCase();
  if (lower.includes(':saml-provider/')) return undefined;
  const host = lower.includes(':oidc-provider/') ? lower.slice(lower.indexOf(':oidc-provider/') + 15) : lower;
  const required = host === 'cognito-identity.amazonaws.com' ? `${host}:aud` : `${host}:sub`;
  if (pinned(condition, (key) => key === required)) return undefined;
  return {
    kind: 'AssumableByAnyFederatedUser',
    severity: 'high',
    principal: provider,
    statement: label,
    summary: `Every user of ${host} may assume this role: no condition on ${required}`,
  };
}

/** The name of the restricting key a condition pins, if any. */
function restrictingCondition(condition: Record<string, unknown> | undefined): string | undefined {
  let found: string | undefined;
  pinned(condition, (key) => {
    if (RESTRICTING_KEYS.has(key)) found ??= key;
    return RESTRICTING_KEYS.has(key);
  });
  return found;
}

/** Some positive, non-IfExists condition pins a key the test accepts to values other than `*`. */
function pinned(condition: Record<string, unknown> | undefined, keyTest: (key: string) => boolean): boolean {
  if (!condition) return false;
  let result = false;
  for (const [operator, block] of Object.entries(condition)) {
    const base = operator.toLowerCase().replace(/^(forallvalues|foranyvalue):/, '');
    if (!POSITIVE_OPERATORS.has(base) || !isObject(block)) continue;
    for (const [key, value] of Object.entries(block)) {
      const values = stringList(value);
      if (values && values.length > 0 && !values.includes('*') && keyTest(key.toLowerCase())) result = true;
    }
  }
  return result;
}

function isRestrictingDeny(statement: unknown): boolean {
  if (!isObject(statement) || statement.Effect !== 'Deny' || !isObject(statement.Condition)) return false;
  const principals = principalsOf(statement.Principal);
  if (typeof principals === 'string' || !principals.some((p) => p.value === '*')) return false;
  for (const [operator, block] of Object.entries(statement.Condition)) {
    const base = operator
      .toLowerCase()
      .replace(/^(forallvalues|foranyvalue):/, '')
      .replace(/ifexists$/, '');
    if (!NEGATIVE_OPERATORS.has(base) || !isObject(block)) continue;
    if (Object.keys(block).some((key) => RESTRICTING_KEYS.has(key.toLowerCase()))) return true;
  }
  return false;
}

/** Whether the statement's Action (or everything but its NotAction) covers an assume action. */
function grantsAssume(patterns: string[], notAction: boolean): boolean {
  const matched = (assume: string): boolean => patterns.some((pattern) => wildcardMatch(pattern, assume, 'iam'));
  return ASSUME_ACTIONS.some((assume) => (notAction ? !matched(assume) : matched(assume)));
}

/** `123456789012`, `arn:aws:iam::123456789012:root|role/…|user/…`, `arn:aws:sts::123…:assumed-role/…`. */
function accountOf(principal: string): string | undefined {
  const text = principal.trim();
  if (/^\d{12}$/.test(text)) return text;
  const arn = /^arn:[^:]+:(iam|sts)::([^:]*):/.exec(text);
  if (arn) return arn[2];
  return undefined;
}

interface Principal {
  type: string;
  value: string;
}

function principalsOf(value: unknown): Principal[] | string {
  if (value === '*') return [{ type: '*', value: '*' }];
  if (!isObject(value)) return `Principal is ${value === undefined ? 'missing' : 'not "*" or an object'}`;
  const principals: Principal[] = [];
  for (const [type, entries] of Object.entries(value)) {
    const list = stringList(entries);
    if (!list) return `Principal.${type} is not a string list`;
    for (const entry of list) principals.push({ type, value: entry });
  }
  return principals;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value as string[];
  return undefined;
}

function parsePolicy(body: unknown): Record<string, unknown> | string {
  const parsed = parseAwsPolicy(body);
  if (!parsed.ok)
    return parsed.reason === 'not a JSON object' && (parsed.detail === 'null' || parsed.detail === 'undefined')
      ? 'there is none'
      : parsed.reason;
  const value = parsed.document;
  if (value.Statement === undefined || value.Statement === null) return 'it has no Statement';
  if (Array.isArray(value.Statement) && value.Statement.length === 0) return 'it has no Statement';
  return value;
}

function statementLabel(statement: unknown, position: number): string {
  const sid = isObject(statement) && typeof statement.Sid === 'string' && statement.Sid ? ` (${statement.Sid})` : '';
  return `${position + 1}${sid}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
