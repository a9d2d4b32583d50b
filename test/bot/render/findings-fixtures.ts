import type {
  FindingsSummaryView,
  IdentityCardView,
  RequesterFindingsView,
  RightSizeView,
  SystemFindingsView,
} from '../../../bot/render/findings';
import type { Finding, IdentityAssessment, PciScore } from '../../../domain/findings/model';
import { policySchema, type Policy } from '../../../domain/policy/schema';

/**
 * Findings views for the renderer tests of either platform: one AWS system, one identity with a PCI
 * of 71 explained by two contributors, an open and a suppressed finding; and the same views fed
 * hostile and huge text.
 */

export const SYSTEM = 'aws-prod';
export const ALICE = 'arn:aws:iam::123456789012:user/alice';
export const COLLECTED = '2026-12-01T06:00:00.000Z';
/** What Slack would read as a channel ping and a spoofed link, and Teams as an autolink. */
export const HOSTILE_NAME = '<!channel> <https://evil|click>';

/** Who the Clean up rule sees on aws-prod: an owner by a policy group, one by a Slack user group, an admin. */
export const CLEANUP_PEOPLE = {
  owner: 'lead2@example.com',
  slackOwner: 'ops@example.com',
  admin: 'sec@example.com',
  /** Approves for the system and sees its findings; owns nothing. */
  approver: 'lead@example.com',
  stranger: 'mallory@example.com',
} as const;
export const OWNERS_SLACK_GROUP = 'S0OWNERS1';
/** What the Slack directory resolves the owners' user group to. */
export const CLEANUP_EXTERNAL = { [`slack:${OWNERS_SLACK_GROUP}`]: [CLEANUP_PEOPLE.slackOwner] };

export function cleanupPolicy(): Policy {
  return policySchema.parse({
    version: 1,
    groups: { 'aws-prod-owners': [CLEANUP_PEOPLE.owner] },
    authorizationSystems: [
      {
        id: SYSTEM,
        cloud: 'aws',
        title: 'AWS production',
        accountId: '123456789012',
        brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
        identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', identityStoreId: 'd-1' },
        owners: { groups: ['aws-prod-owners'], slackUserGroups: [OWNERS_SLACK_GROUP] },
      },
    ],
    admins: { users: [CLEANUP_PEOPLE.admin] },
    entitlements: [
      {
        id: 'prod-read',
        title: 'Production read',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
        requesters: { everyone: true },
        approvers: { users: [CLEANUP_PEOPLE.approver] },
      },
    ],
  });
}

export function pci(overrides: Partial<PciScore> = {}): PciScore {
  return {
    score: 71,
    band: 'high',
    ceiling: 85,
    contributors: [
      { label: '410 unused write actions on all resources', points: 40, actions: ['s3:PutObject'] },
      { label: '12 privilege-escalation paths', points: 31, actions: ['CreateNewPolicyVersion'] },
    ],
    ifTopRemoved: 0,
    lastUsed: '2026-08-02T10:00:00.000Z',
    coverage: {
      sources: ['cloudtrail 2026-09-02…2026-12-01 (action-day)'],
      blindSpots: ['no usage data for 1,204 of 1,530 granted actions'],
    },
    ...overrides,
  };
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: `over-provisioned|${SYSTEM}|${ALICE}`,
    systemId: SYSTEM,
    identityId: ALICE,
    identityName: 'alice',
    kind: 'over-provisioned',
    categories: ['PrivilegeEscalation'],
    severity: 'high',
    title: 'Holds 410 write actions it has not used in 90 days',
    evidence: ['iam:CreatePolicyVersion unused', 's3:PutObject unused', 'ec2:RunInstances unused', 'fourth line'],
    coverage: pci().coverage,
    ...overrides,
  };
}

export function suppressedFinding(overrides: Partial<Finding> = {}): Finding {
  return finding({
    id: `inactive-identity|${SYSTEM}|${ALICE}`,
    kind: 'inactive-identity',
    severity: 'medium',
    title: 'Unused for 142 days',
    suppressed: {
      reason: 'break-glass user, kept on purpose',
      by: 'sec@example.com',
      until: '2027-03-01T00:00:00.000Z',
      source: 'chat',
    },
    ...overrides,
  });
}

export function assessment(overrides: Partial<IdentityAssessment> = {}): IdentityAssessment {
  return {
    systemId: SYSTEM,
    identityId: ALICE,
    identityName: 'alice',
    nature: 'human',
    scored: true,
    pci: pci(),
    findings: [suppressedFinding(), finding()],
    granted: 1530,
    used: 7,
    unknown: 1204,
    ...overrides,
  };
}

export function identityView(overrides: Partial<IdentityCardView> = {}): IdentityCardView {
  return {
    systemId: SYSTEM,
    cloud: 'aws',
    assessment: assessment(),
    lastActivity: '2026-11-30T12:00:00.000Z',
    grantedByService: [
      { service: 'ec2', granted: 600, used: 1, unused: 100, unknown: 499 },
      { service: 's3', granted: 300, used: 6, unused: 200, unknown: 94 },
    ],
    window: { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
    ...overrides,
  };
}

export function system(overrides: Partial<SystemFindingsView> = {}): SystemFindingsView {
  return {
    systemId: SYSTEM,
    cloud: 'aws',
    pci: { score: 71, band: 'high' },
    trend: { delta7d: 5 },
    identities: 120,
    counts: { 'super-identity': 2, 'over-provisioned': 5, 'risky-trust': 1 },
    categories: { PrivilegeEscalation: 12, DataExfiltration: 3 },
    suppressed: 4,
    collectedAt: COLLECTED,
    top: [
      { identityId: ALICE, identityName: 'alice', pci: 71, band: 'high', findings: 3 },
      { identityId: 'arn:aws:iam::123456789012:role/ci', identityName: 'ci', pci: 40, band: 'medium', findings: 1 },
    ],
    ...overrides,
  };
}

export function summary(overrides: Partial<FindingsSummaryView> = {}): FindingsSummaryView {
  return {
    systems: [
      system(),
      system({ systemId: 'gcp-data', cloud: 'gcp', pci: { score: 12, band: 'low' }, trend: { delta7d: -3 }, top: [] }),
    ],
    overall: { score: 52, band: 'medium' },
    movers: [{ identityName: 'alice', systemId: SYSTEM, from: 40, to: 71 }],
    ...overrides,
  };
}

export function requesterView(overrides: Partial<RequesterFindingsView> = {}): RequesterFindingsView {
  return {
    systemId: SYSTEM,
    pci: { score: 71, band: 'high', contributors: pci().contributors },
    openFindings: [
      { severity: 'critical', title: 'AdministratorAccess held, 3 of 22,000 actions used' },
      { severity: 'high', title: 'Holds 410 write actions it has not used in 90 days' },
    ],
    openTotal: 3,
    ...overrides,
  };
}

export function rightSizeView(overrides: Partial<RightSizeView> = {}): RightSizeView {
  return {
    leaseId: 'r-abc123defg',
    entitlement: 'prod-admin',
    systemId: SYSTEM,
    used: [
      { action: 's3:GetObject', count: 42 },
      { action: 's3:ListBucket', count: 3 },
    ],
    granted: 312,
    suggestion: { entitlement: 'read-only-s3', covers: 18 },
    ...overrides,
  };
}

/** Every text a person, a policy or a cloud controls set to `text`, and every list far past what is shown. */
export function hostileViews(text: string) {
  const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
  const hostileFinding = (i: number): Finding =>
    finding({
      id: `${text.slice(0, 200)}|${i}`,
      identityId: text.slice(0, 200),
      systemId: text.slice(0, 200),
      identityName: text,
      title: text,
      evidence: many(20, () => text),
      coverage: { sources: many(20, () => text), blindSpots: many(20, () => text) },
      ...(i % 2 === 0 ? { suppressed: { reason: text, by: text, until: text, source: 'policy' as const } } : {}),
    });
  const hostilePci = pci({
    contributors: many(50, (i) => ({ label: text, points: i < 21 ? 2 : 1, actions: [text] })),
    score: 71,
    ceiling: 99,
    ifTopRemoved: 60,
    coverage: { sources: many(20, () => text), blindSpots: many(20, () => text) },
  });
  const identity: IdentityCardView = {
    systemId: text,
    cloud: 'azure',
    assessment: assessment({
      systemId: text,
      identityId: text,
      identityName: text,
      pci: hostilePci,
      findings: many(10_000, hostileFinding),
    }),
    lastActivity: text,
    grantedByService: many(5_000, (i) => ({ service: `${text}${i}`, granted: i, used: 0, unused: i, unknown: 0 })),
    window: { from: text, to: text },
  };
  const hostileSystem = (i: number): SystemFindingsView =>
    system({
      systemId: `${text.slice(0, 300)}${i}`,
      collectedAt: text,
      top: many(50, (j) => ({
        identityId: `${text.slice(0, 300)}${j}`,
        identityName: text,
        pci: 90,
        band: 'high',
        findings: 10_000,
      })),
    });
  const summaryView: FindingsSummaryView = {
    systems: many(1_000, hostileSystem),
    overall: { score: 80, band: 'high' },
    movers: many(100, () => ({ identityName: text, systemId: text, from: 0, to: 100 })),
    hiddenSystems: 7,
  };
  const target = { systemId: text.slice(0, 200), identityId: text.slice(0, 200), findingId: text.slice(0, 200) };
  return {
    identity,
    summary: summaryView,
    target,
    suppressed: { target, identityName: text, findingTitle: text, reason: text, by: text, until: text },
    requester: requesterView({
      systemId: text,
      pci: { score: 71, band: 'high', contributors: hostilePci.contributors },
      openFindings: many(1_000, () => ({ severity: 'critical' as const, title: text })),
      openTotal: 10_000,
    }),
    requesterUnavailable: requesterView({ systemId: text, unavailable: text }),
    rightSize: rightSizeView({
      entitlement: text,
      systemId: text,
      leaseId: text,
      used: many(5_000, (i) => ({ action: `${text}${i}`, count: i })),
      suggestion: { entitlement: text, covers: 3 },
    }),
    rightSizeUnavailable: rightSizeView({ entitlement: text, systemId: text, unavailable: text }),
  };
}
