import { type CloudRiskRules, type EscalationTechnique, lowerSet, modifies, type SingleActionCategory } from './rules';

/**
 * GCP risk rules: Cloudsplaining's categories mapped onto IAM permissions (docs/findings-categories.md).
 * Technique names are ours. Sources: Rhino Security Labs, "Privilege Escalation in Google Cloud
 * Platform" parts 1 (IAM) and 2 (non-IAM), and Google's IAM documentation on service-account
 * impersonation (actAs, getAccessToken, signBlob, signJwt, implicitDelegation, keys).
 */

export const GCP_ESCALATION_TECHNIQUES: readonly EscalationTechnique[] = [
  // bind any role to oneself where the policy sits
  { technique: 'SetProjectIamPolicy', actions: ['resourcemanager.projects.setIamPolicy'] },
  { technique: 'SetFolderIamPolicy', actions: ['resourcemanager.folders.setIamPolicy'] },
  { technique: 'SetOrganizationIamPolicy', actions: ['resourcemanager.organizations.setIamPolicy'] },
  // grant oneself the right to impersonate a service account
  { technique: 'SetServiceAccountIamPolicy', actions: ['iam.serviceAccounts.setIamPolicy'] },
  // add permissions to a custom role one already holds
  { technique: 'UpdateCustomRole', actions: ['iam.roles.update'] },
  // act as a service account directly
  { technique: 'GetServiceAccountAccessToken', actions: ['iam.serviceAccounts.getAccessToken'] },
  { technique: 'CreateServiceAccountKey', actions: ['iam.serviceAccountKeys.create'] },
  { technique: 'ServiceAccountImplicitDelegation', actions: ['iam.serviceAccounts.implicitDelegation'] },
  { technique: 'ServiceAccountSignBlob', actions: ['iam.serviceAccounts.signBlob'] },
  { technique: 'ServiceAccountSignJwt', actions: ['iam.serviceAccounts.signJwt'] },
  { technique: 'CreateServiceAccountHmacKey', actions: ['storage.hmacKeys.create'] },
  // weaken the organization policy that guards the rest (e.g. key creation, domain restriction)
  { technique: 'SetOrgPolicy', actions: ['orgpolicy.policy.set'] },
  // run code as an existing service account on a new resource: the twins of iam:PassRole + …
  {
    technique: 'ActAsWithNewCloudFunction',
    actions: [
      'iam.serviceAccounts.actAs',
      'cloudfunctions.functions.create',
      'cloudfunctions.functions.sourceCodeSet',
      'cloudfunctions.functions.call',
    ],
  },
  {
    technique: 'ActAsWithUpdatedCloudFunction',
    actions: ['iam.serviceAccounts.actAs', 'cloudfunctions.functions.update', 'cloudfunctions.functions.sourceCodeSet'],
  },
  {
    technique: 'ActAsWithNewComputeInstance',
    actions: [
      'iam.serviceAccounts.actAs',
      'compute.instances.create',
      'compute.disks.create',
      'compute.subnetworks.use',
      'compute.instances.setMetadata',
      'compute.instances.setServiceAccount',
    ],
  },
  {
    technique: 'ActAsWithNewCloudRunService',
    actions: ['iam.serviceAccounts.actAs', 'run.services.create', 'run.routes.invoke'],
  },
  { technique: 'ActAsWithNewSchedulerJob', actions: ['iam.serviceAccounts.actAs', 'cloudscheduler.jobs.create'] },
  // services whose own service agent holds broad roles by default
  { technique: 'CreateCloudBuild', actions: ['cloudbuild.builds.create'] },
  { technique: 'CreateDeploymentManagerDeployment', actions: ['deploymentmanager.deployments.create'] },
  // SSH into an instance that runs as a service account, by adding a key to its metadata
  { technique: 'SetInstanceMetadataSshKey', actions: ['compute.instances.setMetadata'] },
  { technique: 'SetProjectMetadataSshKey', actions: ['compute.projects.setCommonInstanceMetadata'] },
];

/** Permissions whose response is a credential: tokens, keys, signatures, cluster credentials. */
export const GCP_CREDENTIALS_EXPOSURE_ACTIONS: readonly string[] = [
  'apikeys.keys.create',
  'apikeys.keys.getKeyString',
  'container.clusters.getCredentials',
  'iam.serviceAccountKeys.create',
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.signJwt',
  'storage.hmacKeys.create',
];

/** Reads of stored data and secrets: the twins of s3:GetObject and secretsmanager:GetSecretValue, plus exports. */
export const GCP_DATA_EXFILTRATION_ACTIONS: readonly string[] = [
  'bigquery.tables.export',
  'bigquery.tables.getData',
  'bigtable.tables.readRows',
  'cloudsql.instances.export',
  'datastore.entities.get',
  'secretmanager.versions.access',
  'spanner.databases.read',
  'storage.objects.get',
];

const credentials = lowerSet(GCP_CREDENTIALS_EXPOSURE_ACTIONS);
const exfiltration = lowerSet(GCP_DATA_EXFILTRATION_ACTIONS);

export const gcpRiskRules: CloudRiskRules = {
  techniques: GCP_ESCALATION_TECHNIQUES,
  categoriesOf(lowerAction, accessLevels) {
    const found: SingleActionCategory[] = [];
    // any resource's setIamPolicy changes who may reach it
    if (accessLevels.includes('Permissions management') || lowerAction.endsWith('.setiampolicy')) {
      found.push('ResourceExposure');
    }
    if (credentials.has(lowerAction)) found.push('CredentialsExposure');
    if (exfiltration.has(lowerAction)) found.push('DataExfiltration');
    if (modifies(accessLevels) || exfiltration.has(lowerAction)) found.push('InfrastructureModification');
    return found;
  },
};
