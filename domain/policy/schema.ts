import { z } from 'zod';
import { ABSOLUTE_MAX_SECONDS, parseDuration } from '../duration';
import { GUID } from '../guid';
import { DEFAULT_GRACE_DAYS, DEFAULT_NOTICE_DAYS, DEFAULT_WINDOW_DAYS, MIN_WINDOW_DAYS } from '../cleanup/model';
import { DIGEST_CADENCES, isTimeZone, WEEKDAYS } from '../digest/period';
import { DIGEST_SECTIONS } from '../digest/sections';
import { ALERT_RULE_IDS, ALERT_SEVERITIES } from '../alert/rules';
import { anomalyPolicySchema } from './anomalies';

/**
 * The policy file, as one zod definition: it validates the YAML at start-up, gives the TypeScript
 * types, and generates the JSON Schema editors use (`least schema`). Durations are written as text
 * (`4h`) and arrive here as seconds.
 */

const duration = z
  .string()
  .describe('A duration such as 30m, 2h, 1d or PT2H')
  .transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'use lowercase letters, digits and dashes (at most 63), starting with a letter or digit',
  );

/** People are named by e-mail address everywhere: it is what Slack, Teams and the clouds share. */
const email = z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address'));

const people = z
  .object({
    users: z.array(email).default([]),
    groups: z.array(id).default([]),
    slackUserGroups: z
      .array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group id such as S0123ABCD'))
      .default([])
      .describe('Slack user groups whose members count as listed (read with usergroups.users.list)'),
    everyone: z.boolean().default(false).describe('true lets every known person through'),
  })
  .strict();

/** How often and how far back each system's inventory is collected (issue 11). */
const inventorySettings = {
  schedule: z
    .object({
      every: duration.default(86400).describe('How often the collection runs, e.g. 1d or 12h'),
      offset: duration.optional().describe('Delay within each period, e.g. 2h to run at 02:00 UTC daily'),
    })
    .strict()
    .default({ every: 86400 }),
  usageWindow: duration.default(90 * 86400).describe('How far back usage is read on each collection (90d by default)'),
  snapshotsKept: z.number().int().min(1).default(90).describe('Successful snapshots kept per system, for trends'),
  usageDetailRetention: duration
    .default(90 * 86400)
    .describe('How long source addresses and other raw usage detail are kept (personal data)'),
};

const cloudTrailSource = z
  .object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    prefix: z.string().default('').describe('Key prefix before AWSLogs/, as set on the trail'),
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'an AWS Organizations id such as o-a1b2c3d4e5')
      .optional()
      .describe('Set for an organization trail: keys are AWSLogs/<org id>/<account>/CloudTrail/…'),
    regions: z.array(z.string()).default([]).describe('Regions to read; empty reads every region found'),
    region: z.string().optional().describe("The bucket's region, when it differs from the system's"),
    readerRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
      .optional()
      .describe('A role in the log-archive account that may read the bucket (and its KMS key)'),
    externalId: z.string().optional(),
  })
  .strict();

const awsInventory = z
  .object({
    ...inventorySettings,
    cloudTrail: cloudTrailSource.optional(),
    accessAdvisor: z.boolean().default(true).describe('Ask IAM Access Advisor for action-level last access'),
    accountReaderRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
      .optional()
      .describe(
        "A role in the system's own account that the collector reads IAM through, when the broker role lives in another account (an Identity Center delegated administrator); it trusts the broker role and takes the system's externalId",
      ),
  })
  .strict();

const azureInventory = z.object({ ...inventorySettings }).strict();

/** What findings judge per system (issue 12). */
const systemFindings = z
  .object({
    inactiveDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('No use for this many days makes an identity inactive (the usage window by default; e.g. 45)'),
    trustedAccounts: z
      .array(z.string().regex(/^\d{12}$/, 'an AWS account id has 12 digits'))
      .default([])
      .describe('Other AWS accounts a role may trust without a risky-trust finding'),
  })
  .strict();

const notifyTarget = z
  .object({
    platform: z.enum(['slack', 'teams', 'log']),
    channel: z.string().min(1),
  })
  .strict();

/** Slack file uploads (files.completeUploadExternal) take a conversation id only, never a `#name`. */
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/**
 * A digest (issue 14): the period's access, findings and cleanup, posted into one channel on a
 * schedule at a time of day in a named time zone. `platform` and `channel` are a notify target.
 */
const digestSchema = z
  .object({
    id,
    platform: z.enum(['slack', 'teams']).describe('Where the digest is posted'),
    channel: z
      .string()
      .min(1)
      .max(200)
      .describe(
        'Slack: the channel id (C…; uploads take ids, not names). Teams: the channel conversation id (19:…@thread.tacv2) stored when Least was added to the team',
      ),
    cadence: z
      .enum(DIGEST_CADENCES)
      .default('daily')
      .describe('daily: yesterday, 00:00–24:00 in the time zone; weekly: the seven days before the weekday'),
    weekday: z.enum(WEEKDAYS).optional().describe('weekly only: the day the digest is posted, e.g. monday'),
    time: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24-hour), such as 08:30')
      .describe('When the digest is posted, on the clocks of timeZone; avoid 01:00–03:59, when DST changes happen'),
    timeZone: z
      .string()
      .superRefine((zone, ctx) => {
        if (!isTimeZone(zone))
          ctx.addIssue({
            code: 'custom',
            message: `"${zone.slice(0, 64)}" is not a time zone name; use one from the IANA database such as Europe/Berlin`,
          });
      })
      .describe('A named IANA time zone such as Europe/Berlin or America/New_York (UTC for none)'),
    sections: z
      .array(z.enum(DIGEST_SECTIONS))
      .min(1)
      .default([...DIGEST_SECTIONS])
      .describe('What the digest tells: access (requests, grants, approvals), findings (PCI), cleanup; all by default'),
  })
  .strict()
  .superRefine((digest, ctx) => {
    if (digest.cadence === 'weekly' && digest.weekday === undefined)
      ctx.addIssue({ code: 'custom', path: ['weekday'], message: 'a weekly digest names its weekday, e.g. monday' });
    if (digest.cadence === 'daily' && digest.weekday !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['weekday'],
        message: 'a daily digest has no weekday; set cadence: weekly',
      });
    if (digest.platform === 'slack' && !SLACK_CHANNEL_ID.test(digest.channel))
      ctx.addIssue({
        code: 'custom',
        path: ['channel'],
        message: "a Slack channel id such as C0123ABCD (the channel's details show it); file uploads take no names",
      });
    const seen = new Set<string>();
    digest.sections.forEach((section, index) => {
      if (seen.has(section))
        ctx.addIssue({ code: 'custom', path: ['sections', index], message: `"${section}" is listed twice` });
      seen.add(section);
    });
  });

/** Where an alert of one severity is posted: a Slack channel id or a Teams channel conversation id. */
const alertTarget = z
  .object({
    platform: z.enum(['slack', 'teams']),
    channel: z
      .string()
      .min(1)
      .max(200)
      .describe('Slack: a channel id (C…) or name; Teams: the channel conversation id stored when Least was added'),
  })
  .strict();

const alertRuleSettings = z
  .object({
    enabled: z.boolean().default(true),
    severity: z.enum(ALERT_SEVERITIES).optional().describe("Overrides the rule's own severity"),
  })
  .strict();

/**
 * Rule alerts (issue 14): posted at once into the channels named for their severity, one message per
 * alert with a count (repeats within `throttle` fold into it), acknowledged with a button.
 */
const alertsSchema = z
  .object({
    channels: z
      .object({
        critical: z.array(alertTarget).default([]),
        high: z.array(alertTarget).default([]),
        medium: z.array(alertTarget).default([]),
        low: z.array(alertTarget).default([]),
      })
      .strict()
      .default({ critical: [], high: [], medium: [], low: [] })
      .describe('Channels per severity (critical, high, medium, low); a severity with none is only audited'),
    throttle: duration
      .default(15 * 60)
      .describe('Repeats of one alert within this time of its message fold into it as a count (15m by default)'),
    openFor: duration
      .default(7 * 86400)
      .describe('An alert nobody acknowledged closes this long after its last occurrence (7d by default)'),
    acknowledgers: people
      .optional()
      .describe('Who may acknowledge alerts; by default the admins and the security viewers'),
    pciJump: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe("pci-jump fires when a system's index rises by at least this much between two collections"),
    rules: z
      .partialRecord(z.enum(ALERT_RULE_IDS), alertRuleSettings)
      .default({})
      .describe('Per rule: enabled (true by default) and severity'),
  })
  .strict();

const DAY = 86400;

/** The unused-permission cleanup per system (issue 13): report-only unless `mode: enforce`. */
export const systemCleanupSchema = z
  .object({
    mode: z
      .enum(['report', 'enforce'])
      .default('report')
      .describe('report: announce and change only what an owner removes; enforce: also change on no answer'),
    schedule: z
      .object({
        every: duration.default(7 * DAY).describe('How often a cleanup run starts, e.g. 7d'),
        offset: duration.optional().describe('Delay within each period, e.g. 10h to start at 10:00 UTC'),
      })
      .strict()
      .default({ every: 7 * DAY }),
    window: duration
      .default(DEFAULT_WINDOW_DAYS * DAY)
      .refine((seconds) => seconds >= MIN_WINDOW_DAYS * DAY, `at least ${MIN_WINDOW_DAYS}d`)
      .describe('Unused for this long makes a permission a candidate (90d by default, at least 30d)'),
    notice: duration
      .default(DEFAULT_NOTICE_DAYS * DAY)
      .describe('Time between the announcement and any change (7d by default)'),
    grace: duration
      .default(DEFAULT_GRACE_DAYS * DAY)
      .describe('Permissions granted more recently than this are never candidates'),
    staging: duration
      .optional()
      .describe(
        'AWS: before removing actions from a policy, deny exactly those actions to its holders for this long (e.g. 7d), then remove',
      ),
    changes: z
      .object({
        actions: z.boolean().default(true).describe('Remove unused actions from inline and customer-managed policies'),
        attachments: z.boolean().default(true).describe('Detach unused managed policies'),
        assignments: z.boolean().default(true).describe('Delete unused Identity Center and Azure role assignments'),
        bindings: z.boolean().default(true).describe('Remove unused GCP binding members'),
        accessKeys: z.boolean().default(true).describe('Deactivate (never delete) unused access keys'),
        passwords: z
          .boolean()
          .default(true)
          .describe('Report unused console passwords (removed only on an explicit Remove)'),
        inactiveIdentities: z
          .boolean()
          .default(true)
          .describe(
            'Make inactive identities harmless: AWS deny-all guard, Azure assignments removed, GCP account disabled',
          ),
      })
      .strict()
      .default({
        actions: true,
        attachments: true,
        assignments: true,
        bindings: true,
        accessKeys: true,
        passwords: true,
        inactiveIdentities: true,
      }),
    owners: z
      .object({
        tag: z.string().min(1).optional().describe("A tag on the identity naming its owner's e-mail, e.g. owner"),
        mapping: z
          .record(z.string().min(1), email)
          .default({})
          .describe('Identity id or name (* as a wildcard) → owner e-mail'),
        channel: notifyTarget.optional().describe('Where announcements go when no owner can be found (never silence)'),
      })
      .strict()
      .default({ mapping: {} })
      .describe("Who answers for an identity: its tag, then the mapping, then the system's owners"),
    exclude: z
      .object({
        identities: z.array(z.string().min(1)).default([]).describe('Identity ids or names, * as a wildcard'),
        tags: z.record(z.string().min(1), z.string()).default({}).describe('key: value (* for any value)'),
        paths: z.array(z.string().min(1)).default([]).describe('IAM paths or scope prefixes never touched'),
        serviceLinked: z.boolean().default(true).describe('Leave service-linked roles and service agents alone'),
        breakGlass: z.array(z.string().min(1)).default([]).describe('Break-glass identities, never changed'),
        sidPrefix: z
          .string()
          .min(1)
          .optional()
          .describe('AWS statements whose Sid starts with this are kept as written, e.g. LeastKeep'),
      })
      .strict()
      .default({ identities: [], tags: {}, paths: [], serviceLinked: true, breakGlass: [] }),
  })
  .strict();

/** Per system: who answers for it (sees and suppresses its findings), what findings judge, and its cleanup. */
const systemOversight = {
  owners: people.optional().describe("Owners see this system's findings and may suppress them"),
  findings: systemFindings.optional(),
  cleanup: systemCleanupSchema.optional().describe('Find, announce and remove permissions unused for the window'),
};
const gcpInventory = z
  .object({
    ...inventorySettings,
    auditLogs: z
      .boolean()
      .default(false)
      .describe('Read usage from Cloud Audit Logs (Admin Activity; Data Access where enabled)'),
  })
  .strict();

const awsSystem = z
  .object({
    id,
    cloud: z.literal('aws'),
    title: z.string().optional(),
    accountId: z.string().regex(/^\d{12}$/, 'an AWS account id has 12 digits'),
    region: z.string().default('us-east-1'),
    brokerRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'),
    externalId: z.string().optional(),
    identityCenter: z
      .object({
        instanceArn: z.string().startsWith('arn:aws', 'must be an ARN'),
        identityStoreId: z.string().min(1),
        portalUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    endpoint: z.url().optional().describe('Override the AWS endpoint (emulators only)'),
    inventory: awsInventory.optional().describe('Collect identities, grants and usage on a schedule'),
    ...systemOversight,
  })
  .strict();

const azureSystem = z
  .object({
    id,
    cloud: z.literal('azure'),
    title: z.string().optional(),
    tenantId: z.string().regex(GUID, 'the Entra tenant id, a GUID'),
    subscriptionId: z.string().regex(GUID, 'the subscription id, a GUID'),
    endpoint: z.url().optional().describe('Override the ARM endpoint (emulators and tests only)'),
    graphEndpoint: z.url().optional().describe('Override the Microsoft Graph endpoint (emulators and tests only)'),
    inventory: azureInventory.optional().describe('Collect identities, grants and usage on a schedule'),
    ...systemOversight,
  })
  .strict();

const gcpSystem = z
  .object({
    id,
    cloud: z.literal('gcp'),
    title: z.string().optional(),
    /** Exactly one of project and folder: whose IAM policy the bindings go into. */
    projectId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id such as my-project-123')
      .optional(),
    folderId: z
      .string()
      .regex(/^\d{1,20}$/, 'a numeric folder id')
      .optional(),
    endpoint: z.url().optional().describe('Override the Resource Manager endpoint (emulators and tests only)'),
    inventory: gcpInventory.optional().describe('Collect identities, grants and usage on a schedule'),
    ...systemOversight,
  })
  .strict()
  .refine((system) => Boolean(system.projectId) !== Boolean(system.folderId), {
    message: 'name exactly one of projectId and folderId',
    path: ['projectId'],
  });

export const authorizationSystemSchema = z.discriminatedUnion('cloud', [awsSystem, azureSystem, gcpSystem]);

const awsIdentityCenterGrant = z
  .object({
    kind: z.literal('aws-identity-center'),
    permissionSetArn: z.string().startsWith('arn:aws', 'must be a permission set ARN'),
  })
  .strict();

const policyStatement = z
  .object({
    actions: z.array(z.string().regex(/^[a-zA-Z0-9-]+:[a-zA-Z0-9*]+$|^\*$/, 'an IAM action like s3:GetObject')).min(1),
    resources: z.array(z.string().min(1)).default(['*']),
  })
  .strict();

const awsInlinePolicyGrant = z
  .object({
    kind: z.literal('aws-iam-inline-policy'),
    statements: z.array(policyStatement).min(1),
  })
  .strict();

const azureRoleGrant = z
  .object({
    kind: z.literal('azure-role-assignment'),
    roleDefinitionId: z.string().min(1),
    scope: z.string().startsWith('/', 'an ARM scope such as /subscriptions/ID/resourceGroups/NAME'),
  })
  .strict();

const azurePimGrant = z
  .object({
    kind: z.literal('azure-pim-activation'),
    roleDefinitionId: z.string().min(1),
    scope: z.string().startsWith('/', 'an ARM scope such as /subscriptions/ID/resourceGroups/NAME'),
  })
  .strict()
  .describe('A PIM role assignment schedule request with an expiry: Azure ends the access itself');

const gcpBindingGrant = z
  .object({
    kind: z.literal('gcp-iam-binding'),
    role: z.string().startsWith('roles/', 'a role such as roles/viewer'),
  })
  .strict();

export const grantSpecSchema = z.discriminatedUnion('kind', [
  awsIdentityCenterGrant,
  awsInlinePolicyGrant,
  azureRoleGrant,
  azurePimGrant,
  gcpBindingGrant,
]);

const approvalRules = z
  .object({
    pendingTimeout: duration.default(24 * 3600),
    reminderEvery: duration.default(4 * 3600),
  })
  .strict();

const limitRules = z
  .object({
    maxDuration: duration.default(4 * 3600),
    defaultDuration: duration.default(3600),
    requireReason: z.boolean().default(true),
    ticketPattern: z
      .string()
      .refine(isRegex, 'must be a valid regular expression')
      .optional()
      .describe('When set, a ticket matching this pattern is required'),
  })
  .strict();

const extensionRules = z
  .object({
    allowed: z.boolean().default(true),
    maxTotal: duration.describe('Longest a lease may last including extensions').default(8 * 3600),
    requiresApproval: z.boolean().default(false),
  })
  .strict();

/**
 * An entitlement's own approval/limits/extension block: every field optional and without its built-in
 * default, so a field the entitlement leaves out falls back to the policy's `defaults`. (`.partial()`
 * keeps the inner defaults, which silently replaced the policy's defaults with built-in values.)
 */
function overridesOf<Shape extends z.ZodRawShape>(rules: z.ZodObject<Shape>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(rules.shape)) {
    shape[key] = ((field instanceof z.ZodDefault ? field.unwrap() : field) as z.ZodType).optional();
  }
  return z.object(shape).strict() as unknown as z.ZodObject<
    { [K in keyof Shape]: z.ZodOptional<Shape[K] extends z.ZodDefault<infer Inner> ? Inner : Shape[K]> },
    z.core.$strict
  >;
}

const entitlement = z
  .object({
    id,
    title: z.string().min(1).max(150),
    description: z.string().max(1000).optional(),
    system: id.describe('id of an authorization system'),
    grant: grantSpecSchema,
    risk: z.enum(['low', 'medium', 'high']).default('medium'),
    requesters: people,
    approvers: people.extend({ required: z.number().int().min(1).max(10).default(1) }).strict(),
    approval: overridesOf(approvalRules).optional(),
    limits: overridesOf(limitRules).optional(),
    extension: overridesOf(extensionRules).optional(),
    autoApprove: z
      .object({ requesters: people, maxDuration: duration })
      .strict()
      .optional()
      .describe('Requests from these people up to this duration need no approver'),
    breakGlass: z
      .object({ requesters: people, maxDuration: duration.default(3600) })
      .strict()
      .optional()
      .describe('Who may take this immediately in an emergency; every use is announced and reviewed'),
    notify: z.array(notifyTarget).default([]),
  })
  .strict();

/** A finding (or every finding of an identity) shown as suppressed until a date, with why and who said so. */
const suppressionEntry = z
  .object({
    system: id,
    identity: z.string().min(1).max(2048).describe('Identity id (ARN, object id, member) or name'),
    finding: z.string().min(1).max(4096).optional().describe('A finding id; absent: every finding of the identity'),
    reason: z.string().min(1).max(500),
    by: email,
    until: z.iso.date().describe('YYYY-MM-DD; the suppression ends at the start of that day (UTC)'),
  })
  .strict();

const principalMapping = z
  .object({
    awsIdentityStoreUserId: z.string().optional(),
    awsIamRole: z.string().optional(),
    awsIamUser: z.string().optional(),
    azureObjectId: z.string().optional(),
    gcpMember: z
      .string()
      .regex(/^(user|serviceAccount|group):.+$/, 'user:…, serviceAccount:… or group:…')
      .optional(),
  })
  .strict();

/**
 * The fields the reference checks below read. When these parsed, the checks run even if other parts of
 * the file failed, so one pass reports every problem (a bad duration does not hide an unknown system).
 */
const grantKinds: readonly string[] = grantSpecSchema.options.map((option) => option.shape.kind.value);
const referencedFields = z.object({
  authorizationSystems: z.array(z.looseObject({ id: z.string(), cloud: z.string() })),
  groups: z.record(z.string(), z.unknown()),
  defaults: z.looseObject({ limits: z.looseObject({}) }),
  entitlements: z.array(
    z.looseObject({
      id: z.string(),
      system: z.string(),
      grant: z.looseObject({ kind: z.string().refine((kind) => grantKinds.includes(kind)) }),
      requesters: z.looseObject({ groups: z.array(z.string()) }),
      approvers: z.looseObject({ users: z.array(z.unknown()), groups: z.array(z.string()) }),
    }),
  ),
});

export const policySchema = z
  .object({
    version: z.literal(1),
    authorizationSystems: z.array(authorizationSystemSchema).min(1),
    groups: z.record(id, z.array(email)).default({}),
    admins: people.default({ users: [], groups: [], slackUserGroups: [], everyone: false }),
    principals: z
      .record(email, z.record(id, principalMapping))
      .default({})
      .describe('Explicit person → cloud principal per authorization system; otherwise looked up by e-mail'),
    defaults: z
      .object({
        approval: approvalRules.default({ pendingTimeout: 24 * 3600, reminderEvery: 4 * 3600 }),
        limits: limitRules.default({ maxDuration: 4 * 3600, defaultDuration: 3600, requireReason: true }),
        extension: extensionRules.default({ allowed: true, maxTotal: 8 * 3600, requiresApproval: false }),
      })
      .strict()
      .default({
        approval: { pendingTimeout: 24 * 3600, reminderEvery: 4 * 3600 },
        limits: { maxDuration: 4 * 3600, defaultDuration: 3600, requireReason: true },
        extension: { allowed: true, maxTotal: 8 * 3600, requiresApproval: false },
      }),
    notify: z.array(notifyTarget).default([]).describe('Where every decision and break-glass use is announced'),
    digests: z
      .array(digestSchema)
      .default([])
      // Checked even when a digest has another mistake, so one pass names every problem.
      .superRefine(
        (digests, ctx) => {
          const seen = new Set<string>();
          digests.forEach((digest, index) => {
            const name: unknown = digest?.id;
            if (typeof name !== 'string') return;
            if (seen.has(name))
              ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id "${name}"` });
            seen.add(name);
          });
        },
        { when: (payload) => Array.isArray(payload.value) },
      )
      .describe('Digests posted on a schedule into chat channels: the period with charts'),
    alerts: alertsSchema
      .default({
        channels: { critical: [], high: [], medium: [], low: [] },
        throttle: 15 * 60,
        openFor: 7 * 86400,
        pciJump: 10,
        rules: {},
      })
      .describe('Rule alerts posted into channels per severity, deduplicated, with an Acknowledge button'),
    chatUsers: z
      .object({
        slack: z.record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id such as U0123ABCD'), email).default({}),
        teams: z.record(z.string().min(1), email).default({}),
      })
      .strict()
      .default({ slack: {}, teams: {} })
      .describe('Chat user id → e-mail, for people whose chat profile has no (or another) e-mail address'),
    entitlements: z.array(entitlement).min(1),
    findings: z
      .object({
        securityViewers: people
          .default({ users: [], groups: [], slackUserGroups: [], everyone: false })
          .describe("See every system's findings and may suppress them"),
        suppressions: z.array(suppressionEntry).default([]).describe('Suppressions kept as code'),
      })
      .strict()
      .default({
        securityViewers: { users: [], groups: [], slackUserGroups: [], everyone: false },
        suppressions: [],
      }),
    anomalies: anomalyPolicySchema.prefault({}).describe('Anomaly detection over the usage data, per identity'),
  })
  .strict()
  .superRefine(
    (policy, ctx) => {
      const systems = new Map(policy.authorizationSystems.map((system) => [system.id, system]));
      unique(
        policy.authorizationSystems.map((s) => s.id),
        ['authorizationSystems'],
        ctx,
      );
      unique(
        policy.entitlements.map((e) => e.id),
        ['entitlements'],
        ctx,
      );
      // Checked only when the rest parsed well enough: another part may have failed.
      const suppressions = Array.isArray(policy.findings?.suppressions) ? policy.findings.suppressions : [];
      suppressions.forEach((suppression, index) => {
        if (typeof suppression?.system === 'string' && !systems.has(suppression.system))
          ctx.addIssue({
            code: 'custom',
            path: ['findings', 'suppressions', index, 'system'],
            message: `no authorization system "${suppression.system}"`,
          });
      });
      const anomalySuppressions = Array.isArray(policy.anomalies?.suppressions) ? policy.anomalies.suppressions : [];
      anomalySuppressions.forEach((suppression, index) => {
        if (typeof suppression?.system === 'string' && !systems.has(suppression.system))
          ctx.addIssue({
            code: 'custom',
            path: ['anomalies', 'suppressions', index, 'system'],
            message: `no authorization system "${suppression.system}"`,
          });
      });
      policy.entitlements.forEach((entitlement, index) => {
        const path = ['entitlements', index];
        const system = systems.get(entitlement.system);
        if (!system) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'system'],
            message: `no authorization system "${entitlement.system}"`,
          });
        } else if (!entitlement.grant.kind.startsWith(`${system.cloud}-`)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'grant', 'kind'],
            message: `a ${entitlement.grant.kind} grant cannot run on ${system.cloud} system "${system.id}"`,
          });
        } else if (
          entitlement.grant.kind === 'aws-identity-center' &&
          system.cloud === 'aws' &&
          !system.identityCenter
        ) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'grant'],
            message: `system "${system.id}" has no identityCenter block, which aws-identity-center grants need`,
          });
        }
        for (const [key, group] of [
          ['requesters', entitlement.requesters],
          ['approvers', entitlement.approvers],
        ] as const) {
          group.groups.forEach((name, groupIndex) => {
            if (!policy.groups[name]) {
              ctx.addIssue({
                code: 'custom',
                path: [...path, key, 'groups', groupIndex],
                message: `no group "${name}"`,
              });
            }
          });
        }
        const { users, groups, slackUserGroups } = entitlement.approvers;
        if (users.length === 0 && groups.length === 0 && slackUserGroups.length === 0 && !entitlement.autoApprove) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'approvers'],
            message: 'name at least one approver user or group',
          });
        }
        const max = entitlement.limits?.maxDuration ?? policy.defaults.limits.maxDuration;
        if (max > ABSOLUTE_MAX_SECONDS) {
          ctx.addIssue({ code: 'custom', path: [...path, 'limits', 'maxDuration'], message: 'at most 90 days' });
        }
      });
    },
    { when: (payload) => referencedFields.safeParse(payload.value).success },
  );

function unique(ids: string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((value, index) => {
    if (seen.has(value))
      ctx.addIssue({ code: 'custom', path: [...path, index, 'id'], message: `duplicate id "${value}"` });
    seen.add(value);
  });
}

function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type AuthorizationSystem = z.output<typeof authorizationSystemSchema>;
export type GrantSpec = z.output<typeof grantSpecSchema>;
export type Entitlement = Policy['entitlements'][number];
export type People = z.output<typeof people>;
export type PeopleInput = z.input<typeof people>;
export type PrincipalMapping = z.output<typeof principalMapping>;
export type NotifyTarget = z.output<typeof notifyTarget>;
export type Digest = z.output<typeof digestSchema>;
export type AlertsSettings = z.output<typeof alertsSchema>;
export type AlertTarget = z.output<typeof alertTarget>;
export type { AnomalyPolicy } from './anomalies';
