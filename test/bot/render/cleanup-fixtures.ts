import type {
  CleanupDiffView,
  CleanupItemView,
  CleanupRestoreNotice,
  CleanupRunView,
  CleanupSummaryView,
} from '../../../bot/render/cleanup';

/** What the cleanup renderer tests of both platforms share: a run, its items, and names from a hostile cloud. */

export const RUN_ID = 'cleanup-aws-prod-2026-12-01';
export const NOTICE_UNTIL = '2026-12-08T10:00:00.000Z';

/** Names an attacker with IAM write could give a role or a policy: mentions, links, markdown, code fences. */
export const HOSTILE_NAMES = [
  '<!channel>',
  '[x](http://evil.example)',
  '@here *bold* _it_ ~s~ `code` ```fence',
  '<https://evil.example|click> **y** {{DATE(2020-01-01T00:00:00Z)}}',
  '# heading\n> quote\n- item\n1. first',
  'rtl \u202Eevil\u202C 👩‍💻 &lt; &#x202E;',
];
export const HOSTILE = HOSTILE_NAMES.join(' ');

export function run(overrides: Partial<CleanupRunView> = {}): CleanupRunView {
  return {
    runId: RUN_ID,
    systemId: 'aws-prod',
    systemTitle: 'AWS production',
    mode: 'enforce',
    windowDays: 90,
    noticeUntil: NOTICE_UNTIL,
    ...overrides,
  };
}

export function item(n: number, overrides: Partial<CleanupItemView> = {}): CleanupItemView {
  return {
    itemId: `narrow-policy:aws-inline-policy:arn:aws:iam::123456789012:role/app-${n}#Inline`,
    change: 'narrow-policy',
    objectName: `app-${n}-inline`,
    identities: [`app-${n}`],
    identityIds: [`arn:aws:iam::123456789012:role/app-${n}`],
    actions: 12,
    reason: 'no use of 12 of its 20 actions in 90 days',
    explicitOnly: false,
    ...overrides,
  };
}

export const PASSWORD_ITEM = item(0, {
  itemId: 'remove-password:aws-console-password:arn:aws:iam::123456789012:user/bob#console-password',
  change: 'remove-password',
  objectName: 'bob',
  identities: ['bob'],
  identityIds: ['arn:aws:iam::123456789012:user/bob'],
  actions: 0,
  reason: 'console password unused for 90 days',
  explicitOnly: true,
});

export function items(count: number, overrides: Partial<CleanupItemView> = {}): CleanupItemView[] {
  return Array.from({ length: count }, (_, n) => item(n + 1, overrides));
}

/** One item whose every field came from a hostile cloud or person. */
export function hostileItem(n = 1): CleanupItemView {
  return item(n, {
    objectName: HOSTILE,
    identities: [...HOSTILE_NAMES, HOSTILE],
    identityIds: HOSTILE_NAMES.map((name) => `arn:${name}`),
    reason: HOSTILE,
    outcomeDetail: HOSTILE,
    decidedBy: HOSTILE,
  });
}

export function hostileRun(): CleanupRunView {
  return run({ systemId: HOSTILE, systemTitle: HOSTILE, runId: 'run-<!channel>' });
}

export function summary(overrides: Partial<CleanupSummaryView> = {}): CleanupSummaryView {
  return {
    run: run(),
    counts: { items: 14, identities: 5, actions: 120, 'not-enough-data': 3, excluded: 1 },
    unowned: [item(7)],
    unreached: [{ owner: 'bob@example.com', items: [PASSWORD_ITEM, item(8)] }],
    reached: 3,
    ...overrides,
  };
}

export const POLICY_BEFORE = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' },
    { Sid: 'Write', Effect: 'Allow', Action: ['iam:PassRole', 's3:PutObject'], Resource: '*' },
  ],
};
export const POLICY_AFTER = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' },
    { Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: '*' },
  ],
};

export function diffView(overrides: Partial<CleanupDiffView> = {}): CleanupDiffView {
  return {
    runId: RUN_ID,
    itemId: item(1).itemId,
    change: 'narrow-policy',
    objectName: 'app-1-inline',
    identities: ['app-1'],
    reason: 'no use of iam:PassRole in 90 days',
    explicitOnly: false,
    removeActions: ['iam:PassRole'],
    before: POLICY_BEFORE,
    after: POLICY_AFTER,
    ...overrides,
  };
}

/** A policy document an attacker wrote: its resources and conditions hold mentions, fences and markdown. */
export function hostileDocument(lines: number): unknown {
  return {
    Version: '2012-10-17',
    Statement: Array.from({ length: lines }, (_, n) => ({
      Sid: `S${n}`,
      Effect: 'Allow',
      Action: [`s3:Get${n}`],
      Resource: `arn:aws:s3:::${HOSTILE_NAMES[n % HOSTILE_NAMES.length]}`,
    })),
  };
}

export function restoreNotice(overrides: Partial<CleanupRestoreNotice> = {}): CleanupRestoreNotice {
  return {
    run: run(),
    by: 'lead@example.com',
    items: [item(1, { outcome: 'restored', outcomeDetail: 'policy version v3 is the default again' }), PASSWORD_ITEM],
    owners: ['ada@example.com'],
    ...overrides,
  };
}
