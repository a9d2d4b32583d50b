import { randomUUID } from 'node:crypto';
import type { FrontResponse, MotoFront } from './aws-fixtures';

/**
 * Identity Center's permission-set provisioning, answered at the HTTP boundary in front of moto (moto
 * 5.2.5 provisions at once and to its own account only, ignores ListAccountsForProvisionedPermissionSet's
 * ProvisioningStatus, and has no DescribePermissionSetProvisioningStatus). moto keeps the permission sets
 * and their inline policies; this keeps, per set, the accounts it is provisioned to and which of them
 * hold an older version, as AWS does:
 * - a put or delete of a set's inline policy leaves every account it is provisioned to outdated;
 * - ProvisionPermissionSet answers IN_PROGRESS with a request id; the request succeeds (or FAILS, when
 *   told) at its `pollsUntilDone`th DescribePermissionSetProvisioningStatus, and only then are the
 *   accounts up to date (0: it answers SUCCEEDED at once);
 * - ListAccountsForProvisionedPermissionSet lists them a page of `pageSize` at a time, filtered by status.
 */

export interface ProvisioningFake {
  /** The set counts as provisioned (up to date) to these accounts. */
  provision(permissionSetArn: string, accounts: string[]): void;
  /** The next provisioning request ends FAILED with this reason. */
  failNext(reason: string): void;
  /** Accounts holding an older version of the set. */
  outdated(permissionSetArn: string): string[];
  /** ProvisionPermissionSet requests received, with their target type. */
  readonly requests: { permissionSetArn: string; targetType: string }[];
}

interface SetState {
  accounts: Set<string>;
  outdated: Set<string>;
}

interface Request {
  permissionSetArn: string;
  polls: number;
  failure?: string;
}

const json = (body: unknown): FrontResponse => ({
  status: 200,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});

export function fakeProvisioning(
  front: MotoFront,
  options: { pollsUntilDone?: number; pageSize?: number } = {},
): ProvisioningFake {
  const pollsUntilDone = options.pollsUntilDone ?? 1;
  const pageSize = options.pageSize ?? 1;
  const sets = new Map<string, SetState>();
  const requests = new Map<string, Request>();
  const received: ProvisioningFake['requests'] = [];
  let nextFailure: string | undefined;
  const stateOf = (arn: string): SetState => {
    let found = sets.get(arn);
    if (!found) sets.set(arn, (found = { accounts: new Set(), outdated: new Set() }));
    return found;
  };
  const status = (requestId: string, request: Request, state: string) => ({
    PermissionSetProvisioningStatus: {
      Status: state,
      RequestId: requestId,
      PermissionSetArn: request.permissionSetArn,
      ...(state === 'FAILED' ? { FailureReason: request.failure } : {}),
    },
  });
  const finish = (requestId: string, request: Request) => {
    if (request.failure) return status(requestId, request, 'FAILED');
    stateOf(request.permissionSetArn).outdated.clear();
    return status(requestId, request, 'SUCCEEDED');
  };

  const changed = async ({
    params,
    forward,
  }: {
    params: Record<string, unknown>;
    forward: () => Promise<FrontResponse>;
  }) => {
    const answer = await forward();
    if (answer.status === 200) {
      const state = stateOf(String(params.PermissionSetArn));
      for (const account of state.accounts) state.outdated.add(account);
    }
    return answer;
  };
  front.intercept('PutInlinePolicyToPermissionSet', changed);
  front.intercept('DeleteInlinePolicyFromPermissionSet', changed);

  front.intercept('ProvisionPermissionSet', async ({ params }) => {
    const permissionSetArn = String(params.PermissionSetArn);
    const targetType = String(params.TargetType);
    received.push({ permissionSetArn, targetType });
    if (targetType === 'AWS_ACCOUNT') stateOf(permissionSetArn).accounts.add(String(params.TargetId));
    const requestId = randomUUID();
    const request: Request = { permissionSetArn, polls: 0, ...(nextFailure ? { failure: nextFailure } : {}) };
    nextFailure = undefined;
    requests.set(requestId, request);
    return json(pollsUntilDone === 0 ? finish(requestId, request) : status(requestId, request, 'IN_PROGRESS'));
  });

  front.intercept('DescribePermissionSetProvisioningStatus', async ({ params }) => {
    const requestId = String(params.ProvisionPermissionSetRequestId);
    const request = requests.get(requestId);
    if (!request) {
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: JSON.stringify({ __type: 'ResourceNotFoundException', message: `no request ${requestId}` }),
      };
    }
    request.polls += 1;
    return json(
      request.polls >= pollsUntilDone ? finish(requestId, request) : status(requestId, request, 'IN_PROGRESS'),
    );
  });

  front.intercept('ListAccountsForProvisionedPermissionSet', async ({ params }) => {
    const state = stateOf(String(params.PermissionSetArn));
    const all = [...state.accounts].sort();
    const listed =
      params.ProvisioningStatus === 'LATEST_PERMISSION_SET_NOT_PROVISIONED'
        ? all.filter((account) => state.outdated.has(account))
        : params.ProvisioningStatus === 'LATEST_PERMISSION_SET_PROVISIONED'
          ? all.filter((account) => !state.outdated.has(account))
          : all;
    const start = typeof params.NextToken === 'string' ? Number(params.NextToken) : 0;
    const page = listed.slice(start, start + pageSize);
    const more = start + pageSize < listed.length;
    return json({ AccountIds: page, ...(more ? { NextToken: String(start + pageSize) } : {}) });
  });

  return {
    provision(permissionSetArn, accounts) {
      const state = stateOf(permissionSetArn);
      for (const account of accounts) {
        state.accounts.add(account);
        state.outdated.delete(account);
      }
    },
    failNext(reason) {
      nextFailure = reason;
    },
    outdated: (permissionSetArn) => [...stateOf(permissionSetArn).outdated].sort(),
    requests: received,
  };
}
