import { type CloudRiskRules, type EscalationTechnique, lowerSet, modifies, type SingleActionCategory } from './rules';

/**
 * Azure risk rules: Cloudsplaining's categories mapped onto ARM operations (docs/findings-categories.md).
 * Technique names are ours. Sources: Microsoft's Azure RBAC documentation (who may assign roles, elevate
 * access, PIM schedule requests), and the publicly documented abuse of workloads that run with a managed
 * identity (NetSPI and SpecterOps write-ups on VM run command, VM extensions and Automation runbooks;
 * Microsoft's workload identity federation docs for federated credentials on a managed identity).
 */

export const AZURE_ESCALATION_TECHNIQUES: readonly EscalationTechnique[] = [
  // grant any role, to anyone, at the scope held: the Azure twin of iam:AttachUserPolicy
  { technique: 'CreateRoleAssignment', actions: ['Microsoft.Authorization/roleAssignments/write'] },
  // widen a custom role someone (perhaps oneself) already holds: the twin of iam:CreatePolicyVersion
  { technique: 'UpdateRoleDefinition', actions: ['Microsoft.Authorization/roleDefinitions/write'] },
  // a Global Administrator makes itself User Access Administrator at the root scope
  { technique: 'ElevateAccessToRootScope', actions: ['Microsoft.Authorization/elevateAccess/action'] },
  // PIM: request an active (or eligible) assignment of any role
  {
    technique: 'RequestRoleAssignmentSchedule',
    actions: ['Microsoft.Authorization/roleAssignmentScheduleRequests/write'],
  },
  {
    technique: 'RequestRoleEligibilitySchedule',
    actions: ['Microsoft.Authorization/roleEligibilityScheduleRequests/write'],
  },
  // trust an outside token issuer to sign in as a user-assigned managed identity
  {
    technique: 'AddFederatedCredentialToManagedIdentity',
    actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write'],
  },
  // the twin of iam:PassRole + ec2:RunInstances: a VM of one's own running as an existing identity
  {
    technique: 'AssignManagedIdentityToVirtualMachine',
    actions: [
      'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
      'Microsoft.Compute/virtualMachines/write',
    ],
  },
  // run code on an existing VM, then read its managed identity's token from the metadata endpoint
  { technique: 'RunCommandOnVirtualMachine', actions: ['Microsoft.Compute/virtualMachines/runCommand/action'] },
  { technique: 'InstallVirtualMachineExtension', actions: ['Microsoft.Compute/virtualMachines/extensions/write'] },
  // the twin of EditExistingLambdaFunctionWithRole: a runbook runs as the Automation account's identity
  {
    technique: 'RunAutomationRunbookWithIdentity',
    actions: [
      'Microsoft.Automation/automationAccounts/runbooks/write',
      'Microsoft.Automation/automationAccounts/jobs/write',
    ],
  },
];

/**
 * Operations whose response is a key, a connection string, a SAS token or a publishing credential. ARM
 * names them consistently (`…/listKeys/action`, `…/listCredential(s)/action`, `…/listAccountSas/action`,
 * `…/regenerateKey/action`, …), so a pattern covers every provider, including ones newer than this list.
 */
const CREDENTIAL_OPERATION =
  /\/(list[a-z]*keys?|list[a-z]*credentials?|listconnectionstrings|listsecrets|list[a-z]*sas|regenerate[a-z]*keys?|publishxml)\/action$/;
const CREDENTIAL_OPERATIONS = lowerSet([
  // app settings, connection strings and publishing credentials of a web app or function app
  'Microsoft.Web/sites/config/list/action',
  'Microsoft.Web/sites/slots/config/list/action',
]);

/** Data-plane reads of stored content and secrets: the twins of s3:GetObject, ssm:GetParameter, secretsmanager:GetSecretValue. */
export const AZURE_DATA_EXFILTRATION_ACTIONS: readonly string[] = [
  'Microsoft.AppConfiguration/configurationStores/keyValues/read',
  'Microsoft.Compute/disks/beginGetAccess/action',
  'Microsoft.Compute/snapshots/beginGetAccess/action',
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
  'Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read',
  'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
  'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
];

/**
 * Operations that change who may reach a resource beyond RBAC (which is Permissions management): Key
 * Vault access policies are a resource's own access list, like an S3 bucket policy.
 */
export const AZURE_RESOURCE_EXPOSURE_ACTIONS: readonly string[] = ['Microsoft.KeyVault/vaults/accessPolicies/write'];

const exfiltration = lowerSet(AZURE_DATA_EXFILTRATION_ACTIONS);
const exposure = lowerSet(AZURE_RESOURCE_EXPOSURE_ACTIONS);

export function isAzureCredentialOperation(lowerAction: string): boolean {
  return CREDENTIAL_OPERATIONS.has(lowerAction) || CREDENTIAL_OPERATION.test(lowerAction);
}

export const azureRiskRules: CloudRiskRules = {
  techniques: AZURE_ESCALATION_TECHNIQUES,
  categoriesOf(lowerAction, accessLevels) {
    const found: SingleActionCategory[] = [];
    if (accessLevels.includes('Permissions management') || exposure.has(lowerAction)) found.push('ResourceExposure');
    if (isAzureCredentialOperation(lowerAction)) found.push('CredentialsExposure');
    if (exfiltration.has(lowerAction)) found.push('DataExfiltration');
    if (modifies(accessLevels) || exfiltration.has(lowerAction)) found.push('InfrastructureModification');
    return found;
  },
};
