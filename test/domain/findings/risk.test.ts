import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { HeldAction, RiskMode, RiskProfile, RiskRuleOptions } from '../../../domain/findings/model';
import { actionCategories, assessRisk } from '../../../domain/findings/risk';
import {
  AWS_CREDENTIALS_EXPOSURE_ACTIONS,
  AWS_DATA_EXFILTRATION_ACTIONS,
  AWS_ESCALATION_TECHNIQUES,
} from '../../../domain/findings/risk/aws';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { catalogueAction } from '../../../domain/inventory/catalogue-index';
import type { ActionCatalogue, CatalogueAction } from '../../../domain/inventory/model';

let catalogue: ActionCatalogue;
before(async () => {
  catalogue = await loadAwsCatalogue();
});

function options(mode: RiskMode = 'cloudsplaining'): RiskRuleOptions {
  return { cloud: 'aws', catalogue, mode };
}

/** A held action with the catalogue's own access levels. */
function held(action: string, fields: Partial<Omit<HeldAction, 'action'>> = {}): HeldAction {
  const entry = catalogueAction(catalogue, action);
  assert.ok(entry, `${action} is in the catalogue`);
  return {
    action: entry.action,
    accessLevels: entry.accessLevels,
    resourceReach: 'all',
    conditional: false,
    ...fields,
  };
}

function techniques(profile: RiskProfile): string[] {
  return profile.escalations.map((path) => path.technique).sort();
}

/** The 22 methods the issue names (Rhino Security Labs' list, as Cloudsplaining names them). */
const RHINO_METHODS = [
  'CreateNewPolicyVersion',
  'SetExistingDefaultPolicyVersion',
  'CreateEC2WithExistingIP',
  'CreateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'AttachUserPolicy',
  'AttachGroupPolicy',
  'AttachRolePolicy',
  'PutUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'AddUserToGroup',
  'UpdateRolePolicyToAssumeIt',
  'PassExistingRoleToNewLambdaThenInvoke',
  'PassExistingRoleToNewLambdaThenTriggerWithNewDynamo',
  'PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo',
  'PassExistingRoleToNewGlueDevEndpoint',
  'UpdateExistingGlueDevEndpoint',
  'PassExistingRoleToCloudFormation',
  'PassExistingRoleToNewDataPipeline',
  'EditExistingLambdaFunctionWithRole',
];

describe('AWS privilege escalation techniques', () => {
  test('the rules know the Rhino methods and every path Cloudsplaining 0.9.1 lists (59), each action in the catalogue', () => {
    const names = AWS_ESCALATION_TECHNIQUES.map((t) => t.technique);
    assert.equal(names.length, 59);
    assert.equal(new Set(names).size, 59, 'no technique is listed twice');
    for (const method of RHINO_METHODS) assert.ok(names.includes(method), method);
    for (const technique of AWS_ESCALATION_TECHNIQUES) {
      for (const action of technique.actions) {
        assert.equal(
          catalogueAction(catalogue, action)?.action,
          action,
          `${technique.technique}: ${action} as spelled`,
        );
      }
    }
  });

  test('CreateEC2WithExistingIP needs iam:PassRole and ec2:RunInstances together', () => {
    const profile = assessRisk([held('iam:PassRole'), held('ec2:RunInstances')], options());
    assert.deepEqual(profile.escalations, [
      { technique: 'CreateEC2WithExistingIP', actions: ['ec2:RunInstances', 'iam:PassRole'], conditional: false },
    ]);
    assert.deepEqual(profile.categories.PrivilegeEscalation, ['ec2:RunInstances', 'iam:PassRole']);
    assert.deepEqual(assessRisk([held('iam:PassRole')], options()).escalations, []);
    assert.deepEqual(assessRisk([held('ec2:RunInstances')], options()).escalations, []);
  });

  for (const technique of AWS_ESCALATION_TECHNIQUES) {
    test(`${technique.technique}: its actions make it; one fewer does not`, () => {
      const all = technique.actions.map((action) => held(action));
      const found = assessRisk(all, options()).escalations.find((path) => path.technique === technique.technique);
      assert.deepEqual(found, {
        technique: technique.technique,
        actions: [...technique.actions].sort(),
        conditional: false,
      });
      if (technique.actions.length === 1) {
        // near miss: on named resources only, Cloudsplaining does not flag it
        const narrow = assessRisk([held(technique.actions[0]!, { resourceReach: 'some' })], options());
        assert.ok(!techniques(narrow).includes(technique.technique));
        return;
      }
      for (const left of technique.actions) {
        const missing = assessRisk(
          all.filter((entry) => entry.action !== left),
          options(),
        );
        assert.ok(!techniques(missing).includes(technique.technique), `without ${left}`);
      }
    });
  }

  test('actions match whatever their case and sets hold several techniques at once', () => {
    const profile = assessRisk(
      [
        { action: 'IAM:passrole', accessLevels: ['Write'], resourceReach: 'all', conditional: false },
        held('lambda:CreateFunction'),
        held('lambda:InvokeFunction'),
        held('lambda:CreateEventSourceMapping'),
      ],
      options(),
    );
    assert.deepEqual(techniques(profile), [
      'PassExistingRoleToNewLambdaThenInvoke',
      'PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo',
    ]);
    assert.deepEqual(profile.categories.PrivilegeEscalation, [
      'iam:PassRole',
      'lambda:CreateEventSourceMapping',
      'lambda:CreateFunction',
      'lambda:InvokeFunction',
    ]);
  });
});

describe('AWS categories', () => {
  test('each category lists exactly the held actions that fall in it', () => {
    const profile = assessRisk(
      [
        held('s3:PutBucketPolicy'), // Permissions management
        held('ecr:GetAuthorizationToken'),
        held('s3:GetObject'),
        held('ec2:TerminateInstances'), // Write
        held('ec2:DescribeInstances'), // List: nothing
      ],
      options(),
    );
    assert.deepEqual(profile.categories, {
      ResourceExposure: ['s3:PutBucketPolicy'],
      CredentialsExposure: ['ecr:GetAuthorizationToken'],
      DataExfiltration: ['s3:GetObject'],
      InfrastructureModification: ['ec2:TerminateInstances', 's3:GetObject', 's3:PutBucketPolicy'],
    });
    assert.deepEqual(profile.escalations, []);
  });

  test('credentials exposure and data exfiltration lists are Cloudsplaining 0.9.1 lists', () => {
    assert.deepEqual(AWS_DATA_EXFILTRATION_ACTIONS, [
      's3:GetObject',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:GetParametersByPath',
    ]);
    assert.equal(AWS_CREDENTIALS_EXPOSURE_ACTIONS.length, 45);
    for (const action of ['iam:CreateAccessKey', 'redshift:GetClusterCredentials', 'sts:GetFederationToken']) {
      assert.ok(AWS_CREDENTIALS_EXPOSURE_ACTIONS.includes(action), action);
    }
    // two entries name APIs the IAM catalogue has no action for; every other one is spelled as it is
    const absent = AWS_CREDENTIALS_EXPOSURE_ACTIONS.filter(
      (action) => catalogueAction(catalogue, action)?.action !== action,
    );
    assert.deepEqual(absent, ['connect:GetFederationTokens', 'sso:GetRoleCredentials']);
  });

  test('ServiceWildcard names services of which every catalogue action is held', () => {
    const sqs = catalogue.actions.filter((entry) => entry.action.startsWith('sqs:'));
    assert.ok(sqs.length > 10);
    const all = sqs.map((entry) => held(entry.action));
    assert.deepEqual(assessRisk(all, options()).categories.ServiceWildcard, ['sqs']);
    assert.equal(assessRisk(all.slice(1), options()).categories.ServiceWildcard, undefined);
    // Cloudsplaining reads `sqs:*` without looking at Resource: reach does not matter, a condition does
    const named = all.map((entry) => ({ ...entry, resourceReach: 'some' as const }));
    assert.deepEqual(assessRisk(named, options()).categories.ServiceWildcard, ['sqs']);
    const conditional = all.map((entry) => ({ ...entry, conditional: true }));
    assert.equal(assessRisk(conditional, options()).categories.ServiceWildcard, undefined);
    assert.deepEqual(assessRisk(conditional, options('least')).categories.ServiceWildcard, ['sqs']);
  });

  test('an empty set has no category and no path', () => {
    assert.deepEqual(assessRisk([], options()), { categories: {}, escalations: [] });
  });
});

describe('modes', () => {
  test('cloudsplaining counts only unconditional actions on all resources; least counts every held action', () => {
    const set = [
      held('iam:PassRole', { resourceReach: 'some' }),
      held('ec2:RunInstances'),
      held('s3:GetObject', { resourceReach: 'some' }),
      held('iam:CreateAccessKey', { conditional: true }),
    ];
    const strict = assessRisk(set, options('cloudsplaining'));
    assert.deepEqual(strict.escalations, []);
    assert.deepEqual(strict.categories, { InfrastructureModification: ['ec2:RunInstances'] });

    const least = assessRisk(set, options('least'));
    assert.deepEqual(least.escalations, [
      { technique: 'CreateAccessKey', actions: ['iam:CreateAccessKey'], conditional: true },
      { technique: 'CreateEC2WithExistingIP', actions: ['ec2:RunInstances', 'iam:PassRole'], conditional: false },
    ]);
    assert.deepEqual(least.categories.DataExfiltration, ['s3:GetObject']);
    assert.deepEqual(least.categories.CredentialsExposure, ['iam:CreateAccessKey']);
  });

  test('least marks a path conditional only when every action of it is held under a condition', () => {
    const some = assessRisk([held('iam:PassRole', { conditional: true }), held('ec2:RunInstances')], options('least'));
    assert.equal(some.escalations[0]?.conditional, false);
    const every = assessRisk(
      [held('iam:PassRole', { conditional: true }), held('ec2:RunInstances', { conditional: true })],
      options('least'),
    );
    assert.equal(every.escalations[0]?.conditional, true);
    // the same action held twice: once without a condition is enough to make it unconditional
    const twice = assessRisk(
      [
        held('iam:PassRole', { conditional: true }),
        held('iam:PassRole'),
        held('ec2:RunInstances', { conditional: true }),
      ],
      options('least'),
    );
    assert.equal(twice.escalations[0]?.conditional, false);
  });

  test('a wildcard-only action counts wherever its statement points, but never as unconstrained modification', () => {
    // written as a Write here, to show a wildcard-only action never counts as infrastructure modification
    const wildcardOnly: CatalogueAction = {
      action: 'ecr:GetAuthorizationToken',
      accessLevels: ['Write'],
      wildcardOnly: true,
    };
    const restricted: CatalogueAction = { action: 'iam:CreateAccessKey', accessLevels: ['Write'] };
    const others: CatalogueAction[] = [
      { action: 'ecr:PutImage', accessLevels: ['Write'] },
      { action: 'iam:DeleteUser', accessLevels: ['Write'] },
    ];
    const small: ActionCatalogue = { cloud: 'aws', version: 'test', actions: [wildcardOnly, restricted, ...others] };
    const narrow = (action: string): HeldAction => ({
      action,
      accessLevels: ['Write'],
      resourceReach: 'some',
      conditional: false,
    });
    const profile = assessRisk([narrow('ecr:GetAuthorizationToken'), narrow('iam:CreateAccessKey')], {
      cloud: 'aws',
      catalogue: small,
      mode: 'cloudsplaining',
    });
    assert.deepEqual(profile.categories, { CredentialsExposure: ['ecr:GetAuthorizationToken'] });
    const everywhere = assessRisk(
      [{ action: 'ecr:GetAuthorizationToken', accessLevels: ['Read'], resourceReach: 'all', conditional: false }],
      { cloud: 'aws', catalogue: small, mode: 'cloudsplaining' },
    );
    assert.deepEqual(everywhere.categories, { CredentialsExposure: ['ecr:GetAuthorizationToken'] });
  });
});

describe('actionCategories', () => {
  test('single-action categories, with PrivilegeEscalation only for actions that escalate alone', () => {
    assert.deepEqual(actionCategories(held('iam:CreateAccessKey'), options()), [
      'PrivilegeEscalation',
      'ResourceExposure',
      'CredentialsExposure',
      'InfrastructureModification',
    ]);
    // every IAM write changes who may do what: resource exposure, whatever level the catalogue gives it
    assert.deepEqual(actionCategories(held('iam:PassRole'), options()), [
      'ResourceExposure',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(held('iam:PutRolePolicy'), options()), [
      'PrivilegeEscalation',
      'ResourceExposure',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(held('s3:ListBucket'), options()), []);
  });

  test('follows the mode: reach some counts in least only', () => {
    const narrow = held('s3:GetObject', { resourceReach: 'some' });
    assert.deepEqual(actionCategories(narrow, options('cloudsplaining')), []);
    assert.deepEqual(actionCategories(narrow, options('least')), ['DataExfiltration', 'InfrastructureModification']);
  });

  test('an action the catalogue does not know is judged by its name and access levels', () => {
    const unknown: HeldAction = {
      action: 'newservice:PutResourcePolicy',
      accessLevels: ['Permissions management'],
      resourceReach: 'all',
      conditional: false,
    };
    assert.deepEqual(actionCategories(unknown, options()), ['ResourceExposure', 'InfrastructureModification']);
  });

  test('the catalogue is compiled once: repeated calls give the same shared answer', () => {
    const sample = ['iam:CreateAccessKey', 's3:GetObject', 'ec2:DescribeInstances', 'iam:PassRole'].map((a) => held(a));
    actionCategories(sample[0]!, options());
    let total = 0;
    for (let i = 0; i < 100_000; i += 1) total += actionCategories(sample[i % 4]!, options()).length;
    assert.equal(total, 25_000 * (4 + 2 + 0 + 2));
    assert.equal(actionCategories(sample[0]!, options()), actionCategories(sample[0]!, options()));
  });
});

describe('real policies expanded against the AWS catalogue', () => {
  function heldFrom(policy: unknown): HeldAction[] {
    const { actions, skipped } = expandAwsPolicy(catalogue, 'sha256:test', policy);
    assert.deepEqual(skipped, []);
    return actions
      .filter((row) => row.effect === 'allow')
      .map((row) => ({
        action: row.action,
        accessLevels: row.accessLevels,
        resourceReach: row.resourceReach,
        conditional: row.conditional,
      }));
  }

  test('AdministratorAccess: every technique, every category, every service', () => {
    const profile = assessRisk(
      heldFrom({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      options(),
    );
    assert.deepEqual(techniques(profile), AWS_ESCALATION_TECHNIQUES.map((t) => t.technique).sort());
    const services = new Set(catalogue.actions.map((entry) => entry.action.split(':')[0]));
    assert.equal(profile.categories.ServiceWildcard?.length, services.size);
    assert.deepEqual(profile.categories.DataExfiltration, [...AWS_DATA_EXFILTRATION_ACTIONS]);
    assert.equal(profile.categories.CredentialsExposure?.length, 43);
    assert.ok(profile.categories.ResourceExposure!.includes('s3:PutBucketPolicy'));
    assert.ok(!profile.categories.InfrastructureModification!.includes('ec2:DescribeInstances'));
  });

  test('IAM writes on named users only: Cloudsplaining sees nothing, least sees the techniques', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['iam:CreateAccessKey', 'iam:Get*'],
          Resource: 'arn:aws:iam::111122223333:user/ci-*',
        },
        { Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:111122223333:jobs' },
      ],
    };
    const strict = assessRisk(heldFrom(policy), options('cloudsplaining'));
    assert.deepEqual(strict.escalations, []);
    assert.deepEqual(strict.categories, { ServiceWildcard: ['sqs'] });
    const least = assessRisk(heldFrom(policy), options('least'));
    assert.deepEqual(techniques(least), ['CreateAccessKey']);
    assert.deepEqual(least.categories.CredentialsExposure, ['iam:CreateAccessKey']);
  });

  test('a PassRole policy with Lambda on all resources, and a conditional statement', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
        },
      ],
    };
    const strict = assessRisk(heldFrom(policy), options('cloudsplaining'));
    assert.deepEqual(techniques(strict), ['PassExistingRoleToNewLambdaThenInvoke']);
    assert.equal(strict.categories.DataExfiltration, undefined);
    const least = assessRisk(heldFrom(policy), options('least'));
    assert.deepEqual(least.categories.DataExfiltration, ['secretsmanager:GetSecretValue']);
  });
});
