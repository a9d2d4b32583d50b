import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { contentId } from '../../../activities/inventory/documents';
import type { PgStore } from '../../../activities/store/pg-store';
import type { CleanupRunState } from '../../../domain/cleanup/run';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import type { ActionCatalogue, Identity } from '../../../domain/inventory/model';
import { cleanup } from '../../../workflows/cleanup';
import { cleanupStatusQuery, manualCleanupRunId, type CleanupInput } from '../../../workflows/cleanup-messages';
import type { Stack } from '../stacks/stack';
import { writeSnapshot, type SnapshotDocument, type SnapshotInput } from './findings-snapshot';

/**
 * What the cleanup tests share: AWS roles and policies made in moto and read back from it, the inventory
 * the planner reads, and a cleanup run started and watched through its status query.
 */

/** Every test role's trust policy: EC2 may assume it. */
const ROLE_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** Creates an IAM role that EC2 may assume. */
export async function createRole(iam: IAMClient, name: string): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ROLE_TRUST_POLICY }));
}

/** Puts an inline policy on a role. */
export async function putInlinePolicy(iam: IAMClient, role: string, name: string, document: unknown): Promise<void> {
  await iam.send(
    new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(document) }),
  );
}

/** Creates a customer-managed policy. */
export async function createManagedPolicy(iam: IAMClient, name: string, document: unknown): Promise<void> {
  await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }));
}

/** Attaches a managed policy to a role. */
export async function attachManagedPolicy(iam: IAMClient, role: string, policyArn: string): Promise<void> {
  await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
}

/** An inline policy's document as IAM holds it now. */
export async function inlinePolicyDocument(iam: IAMClient, role: string, name: string): Promise<unknown> {
  const found = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
  return JSON.parse(decodeURIComponent(found.PolicyDocument!));
}

/** A managed policy's default version's document as IAM holds it now. */
export async function managedPolicyDocument(iam: IAMClient, policyArn: string): Promise<unknown> {
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  const version = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy.Policy!.DefaultVersionId! }),
  );
  return JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!));
}

/** The actions a policy document's statements name, sorted. */
export function actionsIn(document: unknown): string[] {
  return ((document as { Statement?: { Action: string | string[] }[] }).Statement ?? [])
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .sort();
}

/**
 * An AWS policy as the inventory stores it, with the actions the catalogue expands it to (by default
 * content-addressed, as the collector stores it). A statement the catalogue cannot read is a fixture's mistake.
 */
export function awsPolicyDocument(
  catalogue: ActionCatalogue,
  name: string,
  body: unknown,
  options: { id?: string; managedByCloud?: boolean } = {},
): SnapshotDocument {
  const id = options.id ?? contentId(body);
  const expansion = expandAwsPolicy(catalogue, id, body);
  if (expansion.skipped.length) throw new Error(`policy document ${name}: ${JSON.stringify(expansion.skipped[0])}`);
  return {
    document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud: options.managedByCloud ?? false, body },
    actions: expansion.actions,
  };
}

/** An IAM user's access key as the AWS collector writes it: a credential whose parent is the user. */
export function accessKeyIdentity(user: Identity, keyId: string, createdAt: string): Identity {
  return {
    systemId: user.systemId,
    id: keyId,
    kind: 'aws-access-key',
    name: keyId,
    nature: 'credential',
    tags: {},
    createdAt,
    parentId: user.id,
  };
}

/**
 * Writes an older snapshot holding the same grants (`current` with `older`'s fields), then `current`: what
 * both hold is older than the grace period.
 */
export async function writeSnapshotPair(
  store: PgStore,
  current: SnapshotInput,
  older: Pick<SnapshotInput, 'runId' | 'window'> & Partial<SnapshotInput>,
): Promise<void> {
  await writeSnapshot(store, { ...current, ...older });
  await writeSnapshot(store, current);
}

/** Starts a cleanup run on demand, as the CLI and the finding card do; returns its run id. */
export async function startCleanupRun(
  stack: Pick<Stack, 'env' | 'taskQueue'>,
  input: Omit<CleanupInput, 'trigger'>,
): Promise<string> {
  const runId = manualCleanupRunId(input.systemId, new Date());
  await stack.env.client.workflow.start(cleanup, {
    workflowId: runId,
    taskQueue: stack.taskQueue,
    args: [{ ...input, trigger: 'manual' }],
  });
  return runId;
}

/** The run's state, polled through its status query until `reached` holds; fails naming `what` after `timeoutMs`. */
export async function waitForCleanupState(
  stack: Pick<Stack, 'env'>,
  runId: string,
  reached: (state: CleanupRunState) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<CleanupRunState> {
  const handle = stack.env.client.workflow.getHandle(runId);
  const deadline = Date.now() + timeoutMs;
  let last: CleanupRunState | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(cleanupStatusQuery).catch(() => undefined);
    if (last && reached(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`cleanup ${runId} did not reach ${what}; last phase ${last?.phase ?? 'none'}`);
}

/** The run's state once it is in `phase`. */
export function waitForCleanupPhase(
  stack: Pick<Stack, 'env'>,
  runId: string,
  phase: CleanupRunState['phase'],
  timeoutMs?: number,
): Promise<CleanupRunState> {
  return waitForCleanupState(stack, runId, (state) => state.phase === phase, `phase ${phase}`, timeoutMs);
}
