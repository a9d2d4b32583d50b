import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { ErrorCode } from '../../domain/errors';
import {
  evaluateRequest,
  expandPeople,
  findEntitlement,
  isIncluded,
  MAX_REASON_LENGTH,
  resolveRules,
  type EvaluationResult,
} from '../../domain/policy/evaluate';
import { policySchema, type Policy } from '../../domain/policy/schema';

const POLICY_YAML = `
version: 1
authorizationSystems:
  - id: aws-prod
    cloud: aws
    accountId: "123456789012"
    brokerRoleArn: arn:aws:iam::123456789012:role/least-broker
    identityCenter:
      instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef
      identityStoreId: d-1234567890
  - id: gcp-data
    cloud: gcp
    projectId: example-data
groups:
  leads: [lead-a@example.com, lead-b@example.com, Lead-C@Example.com]
  oncall: [oncall@example.com, lead-a@example.com]
  developers: [dev@example.com, dev2@example.com]
admins:
  users: [admin@example.com]
defaults:
  approval: { pendingTimeout: 12h, reminderEvery: 2h }
  limits: { maxDuration: 8h, defaultDuration: 1h, requireReason: true }
  extension: { allowed: false, maxTotal: 12h, requiresApproval: false }
notify:
  - { platform: slack, channel: "#access-audit" }
entitlements:
  - id: prod-readonly
    title: Production read-only
    system: aws-prod
    risk: low
    grant: { kind: aws-identity-center, permissionSetArn: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef" }
    requesters: { groups: [developers, leads, oncall] }
    approvers: { groups: [leads] }
    limits: { requireReason: false }
    autoApprove:
      requesters: { groups: [leads] }
      maxDuration: 1h
  - id: prod-admin
    title: Production admin
    system: aws-prod
    risk: high
    grant: { kind: aws-identity-center, permissionSetArn: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-fedcba9876543210" }
    requesters: { groups: [oncall, leads] }
    approvers: { groups: [leads], required: 2 }
    approval: { reminderEvery: 30m }
    limits: { maxDuration: 2h, ticketPattern: '^(OPS|INC)-\\d+$' }
    extension: { allowed: true, requiresApproval: true }
    breakGlass:
      requesters: { groups: [oncall] }
      maxDuration: 1h
    notify:
      - { platform: slack, channel: "#sec-alerts" }
  - id: data-viewer
    title: Data viewer
    system: gcp-data
    grant: { kind: gcp-iam-binding, role: roles/bigquery.dataViewer }
    requesters: { everyone: true }
    approvers: { users: [lead-a@example.com] }
  - id: solo-approver
    title: Only one approver, who may also request
    system: gcp-data
    grant: { kind: gcp-iam-binding, role: roles/viewer }
    requesters: { users: [lead-a@example.com, dev@example.com] }
    approvers: { users: [lead-a@example.com] }
`;

function policy(edit: (raw: Record<string, unknown>) => void = () => undefined): Policy {
  const raw = parseYaml(POLICY_YAML) as Record<string, unknown>;
  edit(raw);
  return policySchema.parse(raw);
}

const base = policy();

type Ask = Parameters<typeof evaluateRequest>[1];
function ask(overrides: Partial<Ask> = {}): Ask {
  return {
    requester: 'dev@example.com',
    entitlementId: 'prod-readonly',
    durationSeconds: 2 * 3600,
    reason: 'look at the failing deploy',
    ...overrides,
  };
}

function refusedWith(result: EvaluationResult, code: ErrorCode): string {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result).slice(0, 200)}`);
  assert.ok(!result.ok);
  assert.equal(result.code, code);
  return result.message;
}

function outcomeOf(result: EvaluationResult): string {
  assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.message}`);
  return result.outcome;
}

describe('who may request', () => {
  test('an unknown entitlement is refused and the known ones are listed', () => {
    const message = refusedWith(
      evaluateRequest(base, ask({ entitlementId: 'prod-root' })),
      ErrorCode.EntitlementUnknown,
    );
    assert.match(message, /prod-root/);
    assert.match(message, /prod-readonly, prod-admin/);
  });

  test('someone outside the requesters is not eligible', () => {
    const message = refusedWith(
      evaluateRequest(base, ask({ requester: 'stranger@example.com' })),
      ErrorCode.RequesterNotEligible,
    );
    assert.match(message, /Production read-only/);
    refusedWith(
      evaluateRequest(base, ask({ requester: 'dev@example.com', entitlementId: 'prod-admin', ticket: 'OPS-1' })),
      ErrorCode.RequesterNotEligible,
    );
  });

  test('everyone: true lets anyone through', () => {
    assert.equal(
      outcomeOf(evaluateRequest(base, ask({ requester: 'new.hire@example.com', entitlementId: 'data-viewer' }))),
      'needs-approval',
    );
  });

  test('groups are expanded, case-insensitively, and without repeats', () => {
    assert.deepEqual(
      expandPeople(base, {
        users: ['Lead-A@example.com'],
        groups: ['leads', 'oncall'],
        slackUserGroups: [],
        everyone: false,
      }),
      ['lead-a@example.com', 'lead-b@example.com', 'lead-c@example.com', 'oncall@example.com'],
    );
    assert.equal(isIncluded(base, findEntitlement(base, 'prod-readonly')!.requesters, 'LEAD-C@example.com'), true);
    assert.equal(outcomeOf(evaluateRequest(base, ask({ requester: 'oncall@example.com' }))), 'needs-approval');
  });

  test('one pending or active request per entitlement: GRANT.ALREADY_ACTIVE', () => {
    refusedWith(evaluateRequest(base, ask(), ['data-viewer', 'prod-readonly']), ErrorCode.GrantAlreadyActive);
    assert.equal(evaluateRequest(base, ask(), ['data-viewer']).ok, true);
  });
});

describe('limits', () => {
  test('a duration over the maximum is refused, naming both', () => {
    const message = refusedWith(
      evaluateRequest(base, ask({ durationSeconds: 8 * 3600 + 60 })),
      ErrorCode.DurationTooLong,
    );
    assert.match(message, /at most 8h/);
    assert.match(message, /8h1m/);
    assert.equal(evaluateRequest(base, ask({ durationSeconds: 8 * 3600 })).ok, true);
  });

  test('under a minute is refused', () => {
    refusedWith(evaluateRequest(base, ask({ durationSeconds: 59 })), ErrorCode.DurationTooShort);
    assert.equal(evaluateRequest(base, ask({ durationSeconds: 60 })).ok, true);
  });

  test('a reason is required unless the entitlement says otherwise', () => {
    const admin = ask({
      requester: 'oncall@example.com',
      entitlementId: 'prod-admin',
      ticket: 'INC-7',
      durationSeconds: 3600,
    });
    refusedWith(evaluateRequest(base, { ...admin, reason: '   ' }), ErrorCode.ReasonRequired);
    assert.equal(evaluateRequest(base, { ...admin, reason: 'page 123' }).ok, true);
    // prod-readonly sets requireReason: false
    assert.equal(evaluateRequest(base, ask({ reason: '' })).ok, true);
  });

  test('a reason may not be too long', () => {
    refusedWith(evaluateRequest(base, ask({ reason: 'x'.repeat(MAX_REASON_LENGTH + 1) })), ErrorCode.ReasonTooLong);
    assert.equal(evaluateRequest(base, ask({ reason: 'x'.repeat(MAX_REASON_LENGTH) })).ok, true);
  });

  test('a ticket is required where the entitlement has a pattern, and must match it', () => {
    const admin = ask({ requester: 'oncall@example.com', entitlementId: 'prod-admin', durationSeconds: 3600 });
    const missing = refusedWith(evaluateRequest(base, admin), ErrorCode.TicketRequired);
    assert.match(missing, /\(OPS\|INC\)/, 'the message shows the pattern');
    refusedWith(evaluateRequest(base, { ...admin, ticket: '  ' }), ErrorCode.TicketRequired);
    refusedWith(evaluateRequest(base, { ...admin, ticket: 'JIRA-12' }), ErrorCode.TicketMalformed);
    refusedWith(evaluateRequest(base, { ...admin, ticket: 'OPS-12 and more' }), ErrorCode.TicketMalformed);
    refusedWith(evaluateRequest(base, { ...admin, ticket: `OPS-${'1'.repeat(200)}` }), ErrorCode.TicketMalformed);
    assert.equal(outcomeOf(evaluateRequest(base, { ...admin, ticket: ' INC-4711 ' })), 'needs-approval');
    // no pattern, no ticket needed
    assert.equal(evaluateRequest(base, ask({ ticket: undefined })).ok, true);
  });
});

describe('approval outcome', () => {
  test('auto-approve inside its duration and group', () => {
    assert.equal(
      outcomeOf(evaluateRequest(base, ask({ requester: 'lead-b@example.com', durationSeconds: 3600 }))),
      'auto-approved',
    );
  });

  test('no auto-approve over its duration', () => {
    assert.equal(
      outcomeOf(evaluateRequest(base, ask({ requester: 'lead-b@example.com', durationSeconds: 3600 + 60 }))),
      'needs-approval',
    );
  });

  test('no auto-approve outside its group', () => {
    assert.equal(
      outcomeOf(evaluateRequest(base, ask({ requester: 'dev@example.com', durationSeconds: 1800 }))),
      'needs-approval',
    );
  });

  test('break-glass for its requesters, up to its own maximum', () => {
    const glass = ask({
      requester: 'oncall@example.com',
      entitlementId: 'prod-admin',
      durationSeconds: 3600,
      ticket: 'INC-1',
      breakGlass: true,
    });
    assert.equal(outcomeOf(evaluateRequest(base, glass)), 'break-glass');
    const long = refusedWith(
      evaluateRequest(base, { ...glass, durationSeconds: 3600 + 60 }),
      ErrorCode.DurationTooLong,
    );
    assert.match(long, /Break-glass access lasts at most 1h/);
  });

  test('break-glass is refused to people outside its requesters and where the entitlement has none', () => {
    const lead = ask({
      requester: 'lead-b@example.com',
      entitlementId: 'prod-admin',
      durationSeconds: 3600,
      ticket: 'INC-1',
      breakGlass: true,
    });
    refusedWith(evaluateRequest(base, lead), ErrorCode.BreakGlassNotAllowed);
    refusedWith(evaluateRequest(base, ask({ breakGlass: true })), ErrorCode.BreakGlassNotAllowed);
  });

  test('break-glass still needs the ticket and reason the entitlement asks for', () => {
    const glass = ask({
      requester: 'oncall@example.com',
      entitlementId: 'prod-admin',
      durationSeconds: 3600,
      breakGlass: true,
    });
    refusedWith(evaluateRequest(base, glass), ErrorCode.TicketRequired);
  });

  test('refused when the policy names too few approvers other than the requester', () => {
    // prod-admin needs 2 of leads (a, b, c); a lead asking leaves 2 others: fine
    const byLead = ask({
      requester: 'lead-a@example.com',
      entitlementId: 'prod-admin',
      durationSeconds: 3600,
      ticket: 'OPS-2',
    });
    assert.equal(outcomeOf(evaluateRequest(base, byLead)), 'needs-approval');
    // with only two leads, a lead asking leaves one
    const small = policy((raw) => {
      (raw.groups as Record<string, string[]>).leads = ['lead-a@example.com', 'lead-b@example.com'];
    });
    const message = refusedWith(evaluateRequest(small, byLead), ErrorCode.ApproverNotAuthorized);
    assert.match(message, /needs 2 approver\(s\) other than you and the policy names 1/);
    // the sole approver cannot request what only they approve
    refusedWith(
      evaluateRequest(base, ask({ requester: 'Lead-A@example.com', entitlementId: 'solo-approver' })),
      ErrorCode.ApproverNotAuthorized,
    );
    assert.equal(evaluateRequest(base, ask({ requester: 'dev@example.com', entitlementId: 'solo-approver' })).ok, true);
  });
});

describe('resolveRules', () => {
  test('fills from the policy defaults where the entitlement is silent', () => {
    const rules = resolveRules(base, findEntitlement(base, 'data-viewer')!);
    assert.deepEqual(
      {
        maxDuration: rules.maxDurationSeconds,
        pendingTimeout: rules.pendingTimeoutSeconds,
        reminderEvery: rules.reminderEverySeconds,
        extension: rules.extension,
        risk: rules.risk,
        required: rules.requiredApprovals,
        cloud: rules.cloud,
        notify: rules.notify,
      },
      {
        maxDuration: 8 * 3600,
        pendingTimeout: 12 * 3600,
        reminderEvery: 2 * 3600,
        extension: { allowed: false, maxTotalSeconds: 12 * 3600, requiresApproval: false },
        risk: 'medium',
        required: 1,
        cloud: 'gcp',
        notify: [{ platform: 'slack', channel: '#access-audit' }],
      },
    );
  });

  test('entitlement fields override only what they name; the rest still come from the policy defaults', () => {
    const rules = resolveRules(base, findEntitlement(base, 'prod-admin')!);
    assert.equal(rules.maxDurationSeconds, 2 * 3600, 'limits.maxDuration from the entitlement');
    assert.equal(rules.reminderEverySeconds, 30 * 60, 'approval.reminderEvery from the entitlement');
    assert.equal(rules.pendingTimeoutSeconds, 12 * 3600, 'approval.pendingTimeout from the policy defaults');
    assert.deepEqual(rules.extension, { allowed: true, maxTotalSeconds: 12 * 3600, requiresApproval: true });
    assert.equal(rules.requiredApprovals, 2);
    assert.deepEqual(rules.approvers, ['lead-a@example.com', 'lead-b@example.com', 'lead-c@example.com']);
    assert.deepEqual(rules.admins, ['admin@example.com']);
    assert.deepEqual(rules.notify, [
      { platform: 'slack', channel: '#access-audit' },
      { platform: 'slack', channel: '#sec-alerts' },
    ]);
    assert.equal(rules.grant.kind, 'aws-identity-center');
    assert.equal(rules.systemId, 'aws-prod');
  });

  test('an entitlement that relaxes one limit keeps the policy default for the others', () => {
    // prod-readonly sets only requireReason; maxDuration must stay the policy's 8h, not the built-in 4h
    const rules = resolveRules(base, findEntitlement(base, 'prod-readonly')!);
    assert.equal(rules.maxDurationSeconds, 8 * 3600);
    assert.equal(rules.extension.allowed, false, 'extension stays disabled as the policy defaults say');
  });

  test('without a defaults block the built-in defaults apply', () => {
    const bare = policy((raw) => {
      delete raw.defaults;
    });
    const rules = resolveRules(bare, findEntitlement(bare, 'data-viewer')!);
    assert.equal(rules.maxDurationSeconds, 4 * 3600);
    assert.equal(rules.pendingTimeoutSeconds, 24 * 3600);
    assert.deepEqual(rules.extension, { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: false });
  });

  test('the extension total is never below the maximum duration', () => {
    const p = policy((raw) => {
      (raw.defaults as { extension: Record<string, unknown> }).extension = { allowed: true, maxTotal: '1h' };
    });
    assert.equal(resolveRules(p, findEntitlement(p, 'data-viewer')!).extension.maxTotalSeconds, 8 * 3600);
  });
});
