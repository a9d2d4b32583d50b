import { policySchema, type Policy } from '../../../domain/policy/schema';
import { PROD_DB_READONLY } from '../store/fixtures';

/** What the notifier tests share: the people of the `prod-db-readonly` fixture and a policy naming its system. */

export const REQUESTER = 'ada@example.com';
export const [PRIYA, TOM] = PROD_DB_READONLY.approvers as [string, string];

export const NOTIFIER_POLICY: Policy = policySchema.parse({
  version: 1,
  authorizationSystems: [
    {
      id: 'aws-prod',
      cloud: 'aws',
      title: 'AWS production',
      accountId: '123456789012',
      brokerRoleArn: 'arn:aws:iam::123456789012:role/least-broker',
      identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', identityStoreId: 'd-1' },
    },
  ],
  entitlements: [
    {
      id: 'prod-db-readonly',
      title: 'Production database read-only',
      system: 'aws-prod',
      grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'] }] },
      requesters: { everyone: true },
      approvers: { users: [PRIYA] },
    },
  ],
});
