import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { riskyTrust, type TrustRisk } from '../../../domain/findings/trust';

const OWN = '111122223333';
const PARTNER = '444455556666';

function policy(...statements: unknown[]): unknown {
  return { Version: '2012-10-17', Statement: statements };
}

function assume(principal: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra };
}

function kinds(risks: TrustRisk[]): string[] {
  return risks.map((risk) => risk.kind);
}

describe('trust open to anyone', () => {
  test('every way of writing "anyone" is critical without a restricting condition', () => {
    for (const principal of ['*', { AWS: '*' }, { AWS: ['*'] }, { AWS: 'arn:aws:iam::*:root' }]) {
      const risks = riskyTrust(policy(assume(principal)), OWN);
      assert.equal(risks.length, 1, JSON.stringify(principal));
      assert.equal(risks[0]!.kind, 'AssumableByAnyPrincipal');
      assert.equal(risks[0]!.severity, 'critical');
      assert.equal(risks[0]!.statement, '1');
    }
  });

  test('an organization, source account or external id pins it (medium, to review)', () => {
    for (const condition of [
      { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      { StringEquals: { 'aws:SourceAccount': OWN } },
      { StringEquals: { 'sts:ExternalId': 'f00d' } },
      { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-abc123/r-ab12/*' } },
    ]) {
      const [risk, ...rest] = riskyTrust(policy(assume({ AWS: '*' }, { Condition: condition })), OWN);
      assert.deepEqual(rest, []);
      assert.equal(risk?.kind, 'AssumableByAnyPrincipalWithConditions', JSON.stringify(condition));
      assert.equal(risk?.severity, 'medium');
    }
  });

  test('a condition that does not pin who comes (MFA, IfExists, a wildcard value, a negation) leaves it open', () => {
    for (const condition of [
      { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc123' } },
      { StringLike: { 'aws:PrincipalOrgID': '*' } },
      { StringNotEquals: { 'aws:PrincipalOrgID': 'o-other' } },
    ]) {
      const risks = riskyTrust(policy(assume('*', { Condition: condition })), OWN);
      assert.deepEqual(kinds(risks), ['AssumableByAnyPrincipal'], JSON.stringify(condition));
    }
  });

  test('a Deny on everyone outside the organization restricts the open statement', () => {
    const risks = riskyTrust(
      policy(assume({ AWS: '*' }), {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sts:AssumeRole',
        Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      }),
      OWN,
    );
    assert.deepEqual(kinds(risks), ['AssumableByAnyPrincipalWithConditions']);
  });

  test('NotPrincipal on an Allow is everyone but a few', () => {
    const risks = riskyTrust(
      policy({ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 'sts:AssumeRole' }),
      OWN,
    );
    assert.deepEqual(kinds(risks), ['AssumableByAnyPrincipal']);
  });
});

describe('trust across accounts', () => {
  test('account id, root, role, user and session ARNs of another account are reported; the own account is not', () => {
    const principals = [
      PARTNER,
      `arn:aws:iam::${PARTNER}:root`,
      `arn:aws:iam::${PARTNER}:role/deployer`,
      `arn:aws:iam::${PARTNER}:user/alice`,
      `arn:aws:sts::${PARTNER}:assumed-role/deployer/session`,
      `arn:aws:iam::${OWN}:role/admin`,
      OWN,
    ];
    const risks = riskyTrust(policy(assume({ AWS: principals })), OWN);
    assert.deepEqual(
      risks.map((risk) => [risk.kind, risk.principal, risk.severity]),
      principals.slice(0, 5).map((principal) => ['AssumableByCrossAccountPrincipal', principal, 'medium']),
    );
    assert.equal(risks[0]!.summary, `Account ${PARTNER}, not listed as trusted, may assume this role`);
  });

  test('accounts listed as trusted are not reported', () => {
    const risks = riskyTrust(policy(assume({ AWS: `arn:aws:iam::${PARTNER}:root` })), OWN, [PARTNER]);
    assert.deepEqual(risks, []);
  });

  test('an external id is named, and the trust is still reported', () => {
    const [risk] = riskyTrust(
      policy(assume({ AWS: PARTNER }, { Condition: { StringEquals: { 'sts:ExternalId': 'vendor-42' } } })),
      OWN,
    );
    assert.equal(
      risk?.summary,
      `Account ${PARTNER}, not listed as trusted, may assume this role (limited by sts:externalid)`,
    );
  });

  test('a deleted principal (unique id) is not reported', () => {
    assert.deepEqual(riskyTrust(policy(assume({ AWS: 'AROAEXAMPLEID1234567' })), OWN), []);
  });
});

describe('services and federation', () => {
  test('AWS services are not reported, with or without source keys', () => {
    const risks = riskyTrust(policy(assume({ Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] })), OWN);
    assert.deepEqual(risks, []);
  });

  test('GitHub OIDC without a sub condition lets every repository in; with one it is fine', () => {
    const provider = `arn:aws:iam::${OWN}:oidc-provider/token.actions.githubusercontent.com`;
    const open = {
      Effect: 'Allow',
      Principal: { Federated: provider },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } },
    };
    const [risk, ...rest] = riskyTrust(policy(open), OWN);
    assert.deepEqual(rest, []);
    assert.equal(risk?.kind, 'AssumableByAnyFederatedUser');
    assert.equal(risk?.severity, 'high');
    assert.equal(
      risk?.summary,
      'Every user of token.actions.githubusercontent.com may assume this role: no condition on token.actions.githubusercontent.com:sub',
    );
    const pinned = {
      ...open,
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
      },
    };
    assert.deepEqual(riskyTrust(policy(pinned), OWN), []);
  });

  test("SAML federation is the organization's own and is not reported", () => {
    const saml = {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${OWN}:saml-provider/okta` },
      Action: 'sts:AssumeRoleWithSAML',
    };
    assert.deepEqual(riskyTrust(policy(saml), OWN), []);
  });

  test('statements that grant no assume action, and Deny statements, open nothing', () => {
    const risks = riskyTrust(
      policy(
        { Effect: 'Allow', Principal: '*', Action: 'sts:TagSession' },
        { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' },
      ),
      OWN,
    );
    assert.deepEqual(risks, []);
    assert.deepEqual(kinds(riskyTrust(policy({ Effect: 'Allow', Principal: '*', Action: 'sts:*' }), OWN)), [
      'AssumableByAnyPrincipal',
    ]);
    assert.deepEqual(kinds(riskyTrust(policy({ Effect: 'Allow', Principal: '*', NotAction: 's3:*' }), OWN)), [
      'AssumableByAnyPrincipal',
    ]);
  });
});

describe('trust policies as stored and malformed', () => {
  test('URL-encoded and JSON-string policies are read as GetAccountAuthorizationDetails returns them', () => {
    const document = JSON.stringify(policy(assume('*')));
    assert.deepEqual(kinds(riskyTrust(document, OWN)), ['AssumableByAnyPrincipal']);
    assert.deepEqual(kinds(riskyTrust(encodeURIComponent(document), OWN)), ['AssumableByAnyPrincipal']);
  });

  test('anything unreadable is a risk saying so, never an empty answer and never a throw', () => {
    const cases: [unknown, string][] = [
      [undefined, 'The trust policy could not be read: there is none'],
      [null, 'The trust policy could not be read: there is none'],
      ['{not json', 'The trust policy could not be read: not JSON'],
      ['%E0%A4%A', 'The trust policy could not be read: not valid URL-encoding'],
      [42, 'The trust policy could not be read: not a JSON object'],
      [[], 'The trust policy could not be read: not a JSON object'],
      [{ Version: '2012-10-17' }, 'The trust policy could not be read: it has no Statement'],
      [{ Statement: [] }, 'The trust policy could not be read: it has no Statement'],
      [policy('nope'), 'Statement 1 could not be read: not an object'],
      [
        policy({ Effect: 'Maybe', Principal: '*', Action: 'sts:AssumeRole' }),
        'Statement 1 could not be read: Effect "Maybe"',
      ],
      [
        policy({ Effect: 'Allow', Principal: '*' }),
        'Statement 1 could not be read: Action is missing or not a string list',
      ],
      [policy({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'Statement 1 could not be read: Principal is missing'],
      [
        policy({ Effect: 'Allow', Principal: { AWS: [1] }, Action: 'sts:AssumeRole' }),
        'Statement 1 could not be read: Principal.AWS is not a string list',
      ],
      [policy(assume('*', { Condition: 'yes' })), 'Statement 1 could not be read: Condition is not an object'],
    ];
    for (const [input, summary] of cases) {
      const risks = riskyTrust(input, OWN);
      assert.deepEqual(
        risks.map((risk) => [risk.kind, risk.summary]),
        [['TrustPolicyUnreadable', summary]],
        JSON.stringify(input),
      );
    }
  });

  test('one unreadable statement does not hide a risky one beside it', () => {
    const risks = riskyTrust(policy({ Sid: 'Broken', Effect: 'Allow' }, assume('*', { Sid: 'Open' })), OWN);
    assert.deepEqual(
      risks.map((risk) => [risk.kind, risk.statement]),
      [
        ['TrustPolicyUnreadable', '1 (Broken)'],
        ['AssumableByAnyPrincipal', '2 (Open)'],
      ],
    );
  });
});
