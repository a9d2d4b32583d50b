import { CreateAccessKeyCommand, CreateUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DATA_EVENT_ACTIONS } from '../../activities/inventory/aws/cloudtrail';
import type {
  ActionCatalogue,
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  UsageDay,
} from '../../domain/inventory/model';
import {
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  putInlinePolicy,
} from '../../test/support/checks/cleanup-run';
import type { SnapshotInput } from '../../test/support/checks/findings-snapshot';
import { runPool } from './pool';
import { heldBy, roleId, WINDOW_DAYS, type GeneratedDocument, type LoadOptions } from './inventory-data';

/**
 * What the `cleanup` scenario plans and changes (issue 13).
 *
 * The plan's system is inventory-load's shape (bench/lib/inventory-data.ts: N roles, three customer-managed
 * policies each out of D, one in ten in a group) with what cleanup needs on top: two roles in three also
 * hold an inline policy (out of K bodies, as copy-pasted inline policies are), every role has an owner tag
 * and a creation time (one in 250 created inside the window: too new to judge), and usage rows spread
 * over the 90 days on part of what each role holds; one role in twenty uses nothing (inactive). Documents
 * name actions of the published catalogue, a few consecutive services at a time, some with a wildcard,
 * some with a bucket-scoped statement of data-event actions (which CloudTrail coverage without data
 * events leaves unknown). An older run holding the same paths makes them older than the grace period.
 *
 * The changes on moto are a mix of what a plan holds, each one item: inline policies narrowed (half),
 * customer-managed policies narrowed by a new default version (a tenth, each shared by two roles that use
 * one of its actions), unused managed policies detached (a fifth), unused access keys deactivated and
 * inactive roles guarded.
 */

export const PLAN_SYSTEM = 'bench-cleanup';
export const PLAN_ACCOUNT = '111122223333';
const DAY_MS = 86_400_000;

/** Actions by service, sorted, from the catalogue; services sorted. */
function servicesOf(catalogue: ActionCatalogue): { names: string[]; actions: Map<string, string[]> } {
  const actions = new Map<string, string[]>();
  for (const entry of catalogue.actions) {
    const service = entry.action.slice(0, entry.action.indexOf(':'));
    const list = actions.get(service);
    if (list) list.push(entry.action);
    else actions.set(service, [entry.action]);
  }
  for (const list of actions.values()) list.sort();
  return { names: [...actions.keys()].sort(), actions };
}

/** `count` actions from consecutive services starting at `first`, at most `perService` of each. */
function pickActions(
  services: ReturnType<typeof servicesOf>,
  first: number,
  count: number,
  perService: number,
  offset: number,
): string[] {
  const picked: string[] = [];
  for (let s = first % services.names.length; picked.length < count; s = (s + 1) % services.names.length) {
    const list = services.actions.get(services.names[s]!)!;
    const take = Math.min(list.length, perService, count - picked.length);
    for (let k = 0; k < take; k++) picked.push(list[(offset + k) % list.length]!);
  }
  return [...new Set(picked)];
}

export interface PlanShape {
  roles: number;
  /** Customer-managed policy documents (document 0 is AdministratorAccess, held by group 0). */
  managed: number;
  /** Distinct inline policy bodies. */
  inline: number;
  /** Usage rows written. */
  usage: number;
  page: number;
}

export interface PlanInventory {
  /** What loadInventory needs besides the run id, the window and the store. */
  options: Omit<LoadOptions, 'runId' | 'window' | 'signal'>;
  /** Usage rows to generate so that `shape.usage` rows are written (inactive roles write none). */
  generatedRows: number;
  /** Roles that use nothing, and those created inside the window. */
  inactiveRoles: number;
  newRoles: number;
}

const inactive = (i: number): boolean => i % 20 === 11;
const createdLately = (i: number): boolean => i % 250 === 17;
const inlineOf = (i: number, bodies: number): number | undefined => (i % 3 === 2 ? undefined : i % bodies);

/** The plan's system: documents, roles, inline policies and usage over the window ending `windowTo`. */
export function planInventory(catalogue: ActionCatalogue, shape: PlanShape, windowTo: Date): PlanInventory {
  const services = servicesOf(catalogue);
  const document = (d: number): GeneratedDocument => {
    if (d === 0)
      return awsPolicyDocument(
        catalogue,
        'arn:aws:iam::aws:policy/AdministratorAccess',
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        { managedByCloud: true },
      );
    const actions = pickActions(services, d * 37, 10 + (d % 11) * 5, 25, d * 13);
    // one in four names a whole family with a wildcard, as people write them
    const service = actions[0]!.slice(0, actions[0]!.indexOf(':'));
    if (d % 4 === 0 && services.actions.get(service)!.some((a) => a.startsWith(`${service}:List`)))
      actions[0] = `${service}:List*`;
    const statements: Record<string, unknown>[] = [{ Effect: 'Allow', Action: actions, Resource: '*' }];
    if (d % 5 === 0)
      statements.push({
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::bench-bucket-${d}`, `arn:aws:s3:::bench-bucket-${d}/*`],
      });
    return awsPolicyDocument(catalogue, `arn:aws:iam::${PLAN_ACCOUNT}:policy/bench-cleanup-policy-${d}`, {
      Version: '2012-10-17',
      Statement: statements,
    });
  };
  const inlineDocuments = Array.from({ length: shape.inline }, (_, k) =>
    awsPolicyDocument(catalogue, `bench-inline-${k}`, {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: `Inline${k}`,
          Effect: 'Allow',
          Action: pickActions(services, k * 53 + 7, 4 + (k % 9) * 2, 12, k * 3),
          Resource: '*',
        },
      ],
    }),
  );

  const from = (days: number): string => new Date(windowTo.getTime() - days * DAY_MS).toISOString();
  const role = (i: number): Partial<Identity> => ({
    createdAt: createdLately(i) ? from(10) : from(400),
    ...(inactive(i) ? {} : { lastActivityAt: from(i % 5) }),
    tags: i % 100 === 3 ? {} : { owner: `team-${i % 40}@example.com`, team: `team-${i % 40}` },
  });
  const extraPaths = (i: number): GrantPath[] => {
    const k = inlineOf(i, shape.inline);
    if (k === undefined) return [];
    return [
      {
        systemId: PLAN_SYSTEM,
        identityId: roleId(i),
        kind: 'inline-policy',
        documentId: inlineDocuments[k]!.document.id,
        via: `bench-inline-${k}`,
        scope: '*',
        conditional: false,
      },
    ];
  };

  // What each role uses: half of its first policy, a third of its inline policy, a quarter of its second
  // policy for one role in three; nothing for an inactive role. Built once per role, on first use.
  const used: (readonly string[] | undefined)[] = new Array(shape.roles);
  const usedBy = (i: number, docs: readonly GeneratedDocument[]): readonly string[] => {
    let list = used[i];
    if (list) return list;
    const part = (actions: readonly DocumentAction[], share: number): string[] =>
      actions.slice(0, Math.max(1, Math.floor(actions.length * share))).map((a) => a.action);
    const held = heldBy(i, shape.managed);
    const k = inlineOf(i, shape.inline);
    list = inactive(i)
      ? []
      : [
          ...new Set([
            ...part(docs[held[0]!]!.actions, 1 / 2),
            ...(k !== undefined ? part(inlineDocuments[k]!.actions, 1 / 3) : []),
            ...(i % 3 === 0 ? part(docs[held[1]!]!.actions, 1 / 4) : []),
          ]),
        ];
    used[i] = list;
    return list;
  };
  const day = (n: number): string => new Date(windowTo.getTime() - n * DAY_MS).toISOString().slice(0, 10);
  const usageRow = (r: number, docs: readonly GeneratedDocument[]): UsageDay[] => {
    const i = r % shape.roles;
    const actions = usedBy(i, docs);
    if (actions.length === 0) return [];
    const round = Math.floor(r / shape.roles);
    const a = round % actions.length;
    const pass = Math.floor(round / actions.length);
    return [
      {
        systemId: PLAN_SYSTEM,
        identityId: roleId(i),
        action: actions[a]!,
        // spread over the whole window; one action's passes fall on distinct days (7 and 90 are coprime)
        day: day((pass * 7 + i + a * 13) % WINDOW_DAYS),
        count: 1 + (r % 17),
        denied: r % 97 === 0 ? 1 : 0,
      },
    ];
  };
  const coverage = (window: { from: string; to: string }): Coverage[] => [
    {
      systemId: PLAN_SYSTEM,
      identityId: '*',
      source: 'cloudtrail',
      granularity: 'action-day',
      from: window.from,
      to: window.to,
      actions: 'all',
      exceptActions: Object.values(DATA_EVENT_ACTIONS).flat(),
      note: `s3://bench-trail/AWSLogs/${PLAN_ACCOUNT}/CloudTrail us-east-1`,
    },
  ];

  let inactiveRoles = 0;
  let newRoles = 0;
  for (let i = 0; i < shape.roles; i++) {
    if (inactive(i)) inactiveRoles += 1;
    if (createdLately(i)) newRoles += 1;
  }
  // rows of inactive roles are not written: generate more so that `usage` are
  let generatedRows = 0;
  for (let written = 0; written < shape.usage; generatedRows++)
    if (!inactive(generatedRows % shape.roles)) written += 1;

  return {
    options: {
      systemId: PLAN_SYSTEM,
      shape: { identities: shape.roles, documents: shape.managed, usage: generatedRows, page: shape.page },
      document,
      coverage,
      role,
      extraDocuments: inlineDocuments,
      extraPaths,
      usageRow,
    },
    generatedRows,
    inactiveRoles,
    newRoles,
  };
}

/* ---------- the changes on moto ---------- */

/** How many of each change C changes are made of. */
export interface ChangeMix {
  inline: number;
  managed: number;
  detach: number;
  keys: number;
  guards: number;
}

export function changeMix(changes: number): ChangeMix {
  const guards = Math.round(changes * 0.05);
  const keys = Math.round(changes * 0.15);
  let inline = changes - guards - keys - Math.round(changes * 0.1) - Math.round(changes * 0.2);
  inline = Math.max(inline, 1);
  // each shared policy needs two inline roles, each detach one
  const managed = Math.min(Math.round(changes * 0.1), Math.floor(inline / 2));
  const detach = Math.min(changes - guards - keys - inline - managed, inline);
  inline = changes - guards - keys - managed - detach;
  return { inline, managed, detach, keys, guards };
}

/** Services whose management events CloudTrail records, so their use counts (no data events here). */
const MOTO_SERVICES = ['ec2', 'sqs', 'sns', 'kms', 'logs', 'cloudwatch', 'ssm', 'rds', 'ecr', 'ecs'];
const UNUSED_POLICIES = 10;

export interface MotoObjects {
  mix: ChangeMix;
  roles: string[];
  idleRoles: string[];
  users: { name: string; keyId: string }[];
  /** Inline bodies (one per service) and what role k holds of them. */
  inlineBodies: GeneratedDocument[];
  shared: GeneratedDocument[];
  unused: GeneratedDocument[];
  idle: GeneratedDocument;
}

export const motoRole = (k: number): string => `bench-cleanup-role-${k}`;
export const motoIdleRole = (g: number): string => `bench-cleanup-idle-${g}`;
export const INLINE_POLICY = 'bench-app-access';
export const IDLE_POLICY = 'bench-idle-access';

/**
 * Documents of four actions of one service each (management events only); inline bodies take a service's
 * actions 0–3, shared policies 4–7, unused ones 8–11, so no document holds what another one's holder uses.
 */
function motoDocuments(catalogue: ActionCatalogue, account: string, mix: ChangeMix) {
  const services = servicesOf(catalogue);
  const four = (service: string, offset: number): string[] => {
    const list = services.actions.get(service);
    if (!list || list.length < 12) throw new Error(`the catalogue has too few ${service} actions`);
    return list.slice(offset, offset + 4);
  };
  const doc = (name: string, actions: string[]) =>
    awsPolicyDocument(catalogue, name, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
    });
  const arn = (name: string): string => `arn:aws:iam::${account}:policy/${name}`;
  return {
    inlineBodies: MOTO_SERVICES.map((service) => doc(`${INLINE_POLICY} (${service})`, four(service, 0))),
    shared: Array.from({ length: mix.managed }, (_, m) =>
      doc(arn(`bench-cleanup-shared-${m}`), four(MOTO_SERVICES[m % MOTO_SERVICES.length]!, 4)),
    ),
    unused: Array.from({ length: UNUSED_POLICIES }, (_, u) =>
      doc(arn(`bench-cleanup-unused-${u}`), four(MOTO_SERVICES[u % MOTO_SERVICES.length]!, 8)),
    ),
    idle: doc(IDLE_POLICY, four('logs', 3)),
  };
}

const policyName = (d: GeneratedDocument): string => d.document.name.slice(d.document.name.lastIndexOf('/') + 1);

/** Creates the objects in moto, `concurrency` calls in flight. */
export async function createMotoObjects(
  iam: IAMClient,
  catalogue: ActionCatalogue,
  account: string,
  mix: ChangeMix,
  concurrency: number,
  signal: AbortSignal,
): Promise<MotoObjects> {
  const docs = motoDocuments(catalogue, account, mix);
  const roles = Array.from({ length: mix.inline }, (_, k) => motoRole(k));
  const idleRoles = Array.from({ length: mix.guards }, (_, g) => motoIdleRole(g));
  const must = async (what: string, count: number, work: (i: number) => Promise<unknown>): Promise<void> => {
    const outcome = await runPool(count, concurrency, signal, work);
    if (outcome.errors.length)
      throw new Error(`${what}: ${outcome.errors.length} failed, first: ${String(outcome.errors[0]!.error)}`);
  };
  await must('create policies', docs.shared.length + docs.unused.length, (p) => {
    const d = p < docs.shared.length ? docs.shared[p]! : docs.unused[p - docs.shared.length]!;
    return createManagedPolicy(iam, policyName(d), d.document.body);
  });
  await must('create roles', roles.length, async (k) => {
    await createRole(iam, roles[k]!);
    const inline = docs.inlineBodies[k % docs.inlineBodies.length]!;
    await putInlinePolicy(iam, roles[k]!, INLINE_POLICY, inline.document.body);
    const shared = k < mix.managed * 2 ? docs.shared[Math.floor(k / 2)] : undefined;
    if (shared) await attachManagedPolicy(iam, roles[k]!, shared.document.name);
    if (k < mix.detach) await attachManagedPolicy(iam, roles[k]!, docs.unused[k % UNUSED_POLICIES]!.document.name);
  });
  await must('create idle roles', idleRoles.length, async (g) => {
    await createRole(iam, idleRoles[g]!);
    await putInlinePolicy(iam, idleRoles[g]!, IDLE_POLICY, docs.idle.document.body);
  });
  const users: { name: string; keyId: string }[] = new Array(mix.keys);
  await must('create users and keys', mix.keys, async (u) => {
    const name = `bench-cleanup-user-${u}`;
    await iam.send(new CreateUserCommand({ UserName: name }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    users[u] = { name, keyId: key.AccessKey!.AccessKeyId! };
  });
  return { mix, roles, idleRoles, users, ...docs };
}

/** The inventory a collection of those objects writes, with usage over the 90 days before `at`. */
export function motoSnapshot(objects: MotoObjects, systemId: string, account: string, at: Date): SnapshotInput {
  const iso = (days: number): string => new Date(at.getTime() - days * DAY_MS).toISOString();
  const arn = (type: 'role' | 'user', name: string): string => `arn:aws:iam::${account}:${type}/${name}`;
  const identity = (name: string, kind: Identity['kind'], extra: Partial<Identity> = {}): Identity => ({
    systemId,
    id: arn(kind === 'aws-iam-user' ? 'user' : 'role', name),
    kind,
    name,
    nature: kind === 'aws-iam-user' ? 'human' : 'workload',
    tags: { owner: 'owner@example.com' },
    createdAt: iso(400),
    ...extra,
  });
  const path = (who: Identity, kind: GrantPath['kind'], d: GeneratedDocument, via: string): GrantPath => ({
    systemId,
    identityId: who.id,
    kind,
    documentId: d.document.id,
    via,
    scope: account,
    conditional: false,
  });
  const used = (who: Identity, action: string, daysAgo: number): UsageDay => ({
    systemId,
    identityId: who.id,
    action,
    day: iso(daysAgo).slice(0, 10),
    count: 3,
    denied: 0,
  });
  const identities: Identity[] = [];
  const paths: GrantPath[] = [];
  const usage: UsageDay[] = [];
  objects.roles.forEach((name, k) => {
    const role = identity(name, 'aws-iam-role', { lastActivityAt: iso(1 + (k % 5)) });
    identities.push(role);
    const inline = objects.inlineBodies[k % objects.inlineBodies.length]!;
    paths.push(path(role, 'inline-policy', inline, INLINE_POLICY));
    usage.push(used(role, inline.actions[0]!.action, 1 + (k % 80)));
    const shared = k < objects.mix.managed * 2 ? objects.shared[Math.floor(k / 2)] : undefined;
    if (shared) {
      paths.push(path(role, 'managed-policy', shared, shared.document.name));
      usage.push(used(role, shared.actions[0]!.action, 2 + (k % 70)));
    }
    if (k < objects.mix.detach) {
      const unused = objects.unused[k % UNUSED_POLICIES]!;
      paths.push(path(role, 'managed-policy', unused, unused.document.name));
    }
  });
  for (const name of objects.idleRoles) {
    const role = identity(name, 'aws-iam-role');
    identities.push(role);
    paths.push(path(role, 'inline-policy', objects.idle, IDLE_POLICY));
  }
  for (const { name, keyId } of objects.users) {
    const user = identity(name, 'aws-iam-user');
    identities.push(user, {
      systemId,
      id: keyId,
      kind: 'aws-access-key',
      name: keyId,
      nature: 'credential',
      tags: {},
      createdAt: iso(400),
      parentId: user.id,
    });
  }
  return {
    runId: `bench-cleanup-moto-${at.getTime().toString(36)}`,
    systemId,
    window: { from: iso(WINDOW_DAYS), to: at.toISOString() },
    identities,
    documents: [...objects.inlineBodies, ...objects.shared, ...objects.unused, objects.idle],
    paths,
    usage,
    coverage: [
      {
        systemId,
        identityId: '*',
        source: 'cloudtrail',
        granularity: 'action-day',
        from: iso(WINDOW_DAYS + 10),
        to: at.toISOString(),
        actions: 'all',
      },
    ],
  };
}
