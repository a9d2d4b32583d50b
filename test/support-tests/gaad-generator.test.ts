import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scanAuthorizationDetails } from '../../activities/findings/scan';
import {
  ADMINISTRATOR_ACCESS,
  type AuthorizationDetailsFile,
  authorizationDetailsText,
  generateAuthorizationDetails,
} from '../support/generators/gaad';

/**
 * The GAAD generator is code too: the committed fixture is its output byte for byte (so the file stays
 * generated, never hand-edited), its accounts hold together as IAM's would, and copies scale the
 * findings without changing them.
 *
 * After changing the generator, rewrite the fixture with:
 *   npx tsx -e "require('./test/support/generators/gaad').authorizationDetailsText({}, 'test/e2e/fixtures/findings-account.json').then((t) => require('fs').writeFileSync('test/e2e/fixtures/findings-account.json', t))"
 */

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'findings-account.json');
const CLI_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;

/** Every reference in the file resolves to an entry of the file, and the counts IAM keeps agree. */
function assertConsistent(file: AuthorizationDetailsFile): void {
  const groups = new Set(file.GroupDetailList.map((g) => g.GroupName));
  const policies = new Map(file.Policies.map((p) => [p.Arn, p]));
  const attachments = new Map<string, number>();
  const boundaries = new Map<string, number>();
  const count = (map: Map<string, number>, arn: string) => map.set(arn, (map.get(arn) ?? 0) + 1);
  for (const entity of [...file.UserDetailList, ...file.GroupDetailList, ...file.RoleDetailList]) {
    for (const a of entity.AttachedManagedPolicies) {
      assert.ok(policies.has(a.PolicyArn), a.PolicyArn);
      assert.equal(a.PolicyName, policies.get(a.PolicyArn)!.PolicyName);
      count(attachments, a.PolicyArn);
    }
    if ('PermissionsBoundary' in entity && entity.PermissionsBoundary) {
      assert.ok(policies.has(entity.PermissionsBoundary.PermissionsBoundaryArn));
      count(boundaries, entity.PermissionsBoundary.PermissionsBoundaryArn);
    }
    assert.match(entity.CreateDate, CLI_DATE);
  }
  for (const user of file.UserDetailList) for (const g of user.GroupList) assert.ok(groups.has(g), g);
  for (const policy of file.Policies) {
    assert.equal(policy.AttachmentCount, attachments.get(policy.Arn) ?? 0, policy.Arn);
    assert.equal(policy.PermissionsBoundaryUsageCount, boundaries.get(policy.Arn) ?? 0, policy.Arn);
    const defaults = policy.PolicyVersionList.filter((v) => v.IsDefaultVersion);
    assert.deepEqual(
      defaults.map((v) => v.VersionId),
      [policy.DefaultVersionId],
      policy.Arn,
    );
  }
  const arns = [
    ...file.UserDetailList.map((u) => u.Arn),
    ...file.GroupDetailList.map((g) => g.Arn),
    ...file.RoleDetailList.map((r) => r.Arn),
    ...file.Policies.map((p) => p.Arn),
  ];
  assert.equal(new Set(arns).size, arns.length, 'ARNs are unique');
  const ids = [
    ...file.UserDetailList.map((u) => u.UserId),
    ...file.GroupDetailList.map((g) => g.GroupId),
    ...file.RoleDetailList.map((r) => r.RoleId),
    ...file.Policies.map((p) => p.PolicyId),
  ];
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const id of ids) assert.match(id, /^A(IDA|GPA|ROA|NPA)[A-Z2-7]{17}$/);
}

describe('GAAD generator', () => {
  it('reproduces test/e2e/fixtures/findings-account.json byte for byte', async () => {
    const committed = readFileSync(FIXTURE, 'utf8');
    const generated = await authorizationDetailsText({}, FIXTURE);
    assert.ok(generated === committed, 'the fixture differs from the generator: rewrite it (see the comment above)');
  });

  it('is deterministic and internally consistent', () => {
    const file = generateAuthorizationDetails();
    assert.deepEqual(generateAuthorizationDetails(), file);
    assertConsistent(file);
    assert.equal(file.UserDetailList.length, 22);
    assert.equal(file.RoleDetailList.length, 5);
  });

  it('makes copies with their own names and references, sharing AWS-managed policies', () => {
    const one = generateAuthorizationDetails();
    const three = generateAuthorizationDetails({ copies: 3, accountId: '444455556666' });
    assertConsistent(three);
    assert.equal(three.UserDetailList.length, 3 * one.UserDetailList.length);
    assert.equal(three.RoleDetailList.length, 3 * one.RoleDetailList.length);
    assert.ok(three.UserDetailList.every((u) => u.Arn.startsWith('arn:aws:iam::444455556666:user/')));
    const admin = three.Policies.filter((p) => p.Arn === ADMINISTRATOR_ACCESS);
    assert.equal(admin.length, 1);
    assert.equal(admin[0]!.AttachmentCount, 3);
    const member = three.UserDetailList.find((u) => u.UserName === 'group-member-c2')!;
    assert.deepEqual(member.GroupList, ['iam-operators-c2']);
    const limited = three.UserDetailList.find((u) => u.UserName === 'boundary-limited-c1')!;
    assert.equal(
      limited.PermissionsBoundary?.PermissionsBoundaryArn,
      'arn:aws:iam::444455556666:policy/list-only-boundary-c1',
    );
    assert.throws(() => generateAuthorizationDetails({ copies: 0 }), /copies must be/);
  });

  it('copies multiply the findings and change none', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const one = await scanAuthorizationDetails(JSON.stringify(generateAuthorizationDetails()), {
      compare: false,
      at,
    });
    const three = await scanAuthorizationDetails(JSON.stringify(generateAuthorizationDetails({ copies: 3 })), {
      compare: false,
      at,
    });
    assert.equal(three.counts.identities, 3 * one.counts.identities);
    for (const [kind, n] of Object.entries(one.counts.findings)) assert.equal(three.counts.findings[kind], 3 * n, kind);
    assert.deepEqual(three.skipped, []);
    const kindsOf = (report: typeof one, name: string) =>
      report.identities
        .find((i) => i.identityName === name)!
        .findings.map((f) => `${f.severity} ${f.kind}`)
        .sort();
    for (const name of ['esc-lambda', 'admin-break-glass', 'public-assumable', 'deny-guarded'])
      assert.deepEqual(kindsOf(three, `${name}-c2`), kindsOf(one, name), name);
  });
});
