import { type CloudRiskRules, type EscalationTechnique, lowerSet, modifies, type SingleActionCategory } from './rules';

/**
 * AWS risk rules, as Cloudsplaining 0.9.1 (BSD-3-Clause) defines them, so the two compare one to one.
 * The names and action sets below are facts taken from its published constants and glossary; the code
 * is ours. Sources, per list:
 * - techniques: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (the 22
 *   original methods, under Cloudsplaining's names) and the paths Cloudsplaining 0.9.1 adds from
 *   DataDog's pathfinding.cloud (https://pathfinding.cloud/paths/…);
 * - credentials exposure: Cloudsplaining's ACTIONS_THAT_RETURN_CREDENTIALS (its gist
 *   kmcquade/33860a617e651104d243c324ddf7992a), with its `gamelist:` misspelling read as `gamelift:`;
 * - data exfiltration: Cloudsplaining's READ_ONLY_DATA_EXFILTRATION_ACTIONS;
 * - resource exposure: every "Permissions management" action (Cloudsplaining's
 *   permissions_management_without_constraints);
 * - infrastructure modification: every Write, Permissions management or Tagging action, plus the read
 *   actions Cloudsplaining's default exclusions file always includes (`include-actions`).
 */

export const AWS_ESCALATION_TECHNIQUES: readonly EscalationTechnique[] = [
  // Rhino Security Labs: permissions on other users
  { technique: 'CreateAccessKey', actions: ['iam:CreateAccessKey'] },
  { technique: 'CreateLoginProfile', actions: ['iam:CreateLoginProfile'] },
  { technique: 'UpdateLoginProfile', actions: ['iam:UpdateLoginProfile'] },
  { technique: 'AddUserToGroup', actions: ['iam:AddUserToGroup'] },
  // permissions on policies
  { technique: 'CreateNewPolicyVersion', actions: ['iam:CreatePolicyVersion'] },
  { technique: 'SetExistingDefaultPolicyVersion', actions: ['iam:SetDefaultPolicyVersion'] },
  { technique: 'AttachUserPolicy', actions: ['iam:AttachUserPolicy'] },
  { technique: 'AttachGroupPolicy', actions: ['iam:AttachGroupPolicy'] },
  { technique: 'AttachRolePolicy', actions: ['iam:AttachRolePolicy'] },
  { technique: 'PutUserPolicy', actions: ['iam:PutUserPolicy'] },
  { technique: 'PutGroupPolicy', actions: ['iam:PutGroupPolicy'] },
  { technique: 'PutRolePolicy', actions: ['iam:PutRolePolicy'] },
  // updating a trust policy
  { technique: 'UpdateRolePolicyToAssumeIt', actions: ['iam:UpdateAssumeRolePolicy'] },
  // passing an existing role to a new resource
  { technique: 'CreateEC2WithExistingIP', actions: ['iam:PassRole', 'ec2:RunInstances'] },
  {
    technique: 'PassExistingRoleToNewLambdaThenInvoke',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
  },
  {
    technique: 'PassExistingRoleToNewLambdaThenTriggerWithNewDynamo',
    actions: [
      'iam:PassRole',
      'lambda:CreateFunction',
      'lambda:CreateEventSourceMapping',
      'dynamodb:CreateTable',
      'dynamodb:PutItem',
    ],
  },
  {
    technique: 'PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping'],
  },
  { technique: 'PassExistingRoleToNewGlueDevEndpoint', actions: ['iam:PassRole', 'glue:CreateDevEndpoint'] },
  { technique: 'PassExistingRoleToCloudFormation', actions: ['iam:PassRole', 'cloudformation:CreateStack'] },
  { technique: 'PassExistingRoleToNewDataPipeline', actions: ['iam:PassRole', 'datapipeline:CreatePipeline'] },
  // using a service that already runs with a role
  { technique: 'UpdateExistingGlueDevEndpoint', actions: ['glue:UpdateDevEndpoint'] },
  { technique: 'EditExistingLambdaFunctionWithRole', actions: ['lambda:UpdateFunctionCode'] },
  // pathfinding.cloud: changing an existing resource that runs with a role
  {
    technique: 'AccessExistingBedrockCodeInterpreterSession',
    actions: ['bedrock-agentcore:StartCodeInterpreterSession', 'bedrock-agentcore:InvokeCodeInterpreter'],
  },
  {
    technique: 'ExecuteCloudFormationChangeSet',
    actions: ['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet'],
  },
  {
    technique: 'ModifyEC2InstanceUserDataThenRestart',
    actions: ['ec2:ModifyInstanceAttribute', 'ec2:StopInstances', 'ec2:StartInstances'],
  },
  {
    technique: 'ModifyExistingEC2LaunchTemplate',
    actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
  },
  {
    technique: 'EC2InstanceConnectSendSSHPublicKey',
    actions: ['ec2-instance-connect:SendSSHPublicKey', 'ec2:DescribeInstances'],
  },
  { technique: 'ECSExecuteCommandOnRunningTask', actions: ['ecs:ExecuteCommand', 'ecs:DescribeTasks'] },
  { technique: 'UpdateAndInvokeLambdaFunction', actions: ['lambda:UpdateFunctionCode', 'lambda:InvokeFunction'] },
  {
    technique: 'UpdateLambdaFunctionAndAddPermission',
    actions: ['lambda:UpdateFunctionCode', 'lambda:AddPermission'],
  },
  { technique: 'CreatePresignedSageMakerNotebookUrl', actions: ['sagemaker:CreatePresignedNotebookInstanceUrl'] },
  {
    technique: 'UpdateSageMakerNotebookLifecycleConfig',
    actions: [
      'sagemaker:CreateNotebookInstanceLifecycleConfig',
      'sagemaker:StopNotebookInstance',
      'sagemaker:UpdateNotebookInstance',
      'sagemaker:StartNotebookInstance',
    ],
  },
  // pathfinding.cloud: passing an existing role to a new resource
  { technique: 'PassExistingRoleToNewAppRunnerService', actions: ['iam:PassRole', 'apprunner:CreateService'] },
  {
    technique: 'PassExistingRoleToNewBedrockCodeInterpreter',
    actions: [
      'iam:PassRole',
      'bedrock-agentcore:CreateCodeInterpreter',
      'bedrock-agentcore:StartCodeInterpreterSession',
      'bedrock-agentcore:InvokeCodeInterpreter',
    ],
  },
  {
    technique: 'PassExistingRoleToNewCloudFormationStackSet',
    actions: ['iam:PassRole', 'cloudformation:CreateStackSet', 'cloudformation:CreateStackInstances'],
  },
  { technique: 'PassRoleToUpdateCloudFormationStackSet', actions: ['iam:PassRole', 'cloudformation:UpdateStackSet'] },
  {
    technique: 'PassExistingRoleToNewCodeBuildProjectThenBuild',
    actions: ['iam:PassRole', 'codebuild:CreateProject', 'codebuild:StartBuild'],
  },
  {
    technique: 'PassExistingRoleToNewCodeBuildProjectThenBuildBatch',
    actions: ['iam:PassRole', 'codebuild:CreateProject', 'codebuild:StartBuildBatch'],
  },
  { technique: 'PassExistingRoleToNewEC2SpotInstance', actions: ['iam:PassRole', 'ec2:RequestSpotInstances'] },
  {
    technique: 'PassExistingRoleToNewECSClusterServiceTask',
    actions: ['iam:PassRole', 'ecs:CreateCluster', 'ecs:RegisterTaskDefinition', 'ecs:CreateService'],
  },
  {
    technique: 'PassExistingRoleToNewECSClusterRunTask',
    actions: ['iam:PassRole', 'ecs:CreateCluster', 'ecs:RegisterTaskDefinition', 'ecs:RunTask'],
  },
  {
    technique: 'PassExistingRoleToNewECSService',
    actions: ['iam:PassRole', 'ecs:RegisterTaskDefinition', 'ecs:CreateService'],
  },
  {
    technique: 'PassExistingRoleToNewECSTaskViaRunTask',
    actions: ['iam:PassRole', 'ecs:RegisterTaskDefinition', 'ecs:RunTask'],
  },
  {
    technique: 'PassExistingRoleToNewECSTaskViaStartTask',
    actions: ['iam:PassRole', 'ecs:RegisterTaskDefinition', 'ecs:StartTask'],
  },
  { technique: 'PassExistingRoleToNewGlueJobThenRun', actions: ['iam:PassRole', 'glue:CreateJob', 'glue:StartJobRun'] },
  {
    technique: 'PassExistingRoleToNewGlueJobViaTrigger',
    actions: ['iam:PassRole', 'glue:CreateJob', 'glue:CreateTrigger'],
  },
  {
    technique: 'PassExistingRoleToUpdatedGlueJobThenRun',
    actions: ['iam:PassRole', 'glue:UpdateJob', 'glue:StartJobRun'],
  },
  {
    technique: 'PassExistingRoleToUpdatedGlueJobViaTrigger',
    actions: ['iam:PassRole', 'glue:UpdateJob', 'glue:CreateTrigger'],
  },
  {
    technique: 'PassExistingRoleToNewLambdaThenAddPermission',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:AddPermission'],
  },
  {
    technique: 'PassExistingRoleToNewSageMakerNotebookInstance',
    actions: ['iam:PassRole', 'sagemaker:CreateNotebookInstance'],
  },
  { technique: 'PassExistingRoleToNewSageMakerTrainingJob', actions: ['iam:PassRole', 'sagemaker:CreateTrainingJob'] },
  {
    technique: 'PassExistingRoleToNewSageMakerProcessingJob',
    actions: ['iam:PassRole', 'sagemaker:CreateProcessingJob'],
  },
  // pathfinding.cloud: access as another principal
  { technique: 'CreateAndRotateAccessKey', actions: ['iam:CreateAccessKey', 'iam:DeleteAccessKey'] },
  { technique: 'AttachUserPolicyThenCreateAccessKey', actions: ['iam:AttachUserPolicy', 'iam:CreateAccessKey'] },
  { technique: 'CreatePolicyVersionThenAssumeRole', actions: ['iam:CreatePolicyVersion', 'sts:AssumeRole'] },
  { technique: 'PutUserPolicyThenCreateAccessKey', actions: ['iam:PutUserPolicy', 'iam:CreateAccessKey'] },
  {
    technique: 'AttachRolePolicyThenUpdateAssumeRolePolicy',
    actions: ['iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy'],
  },
  {
    technique: 'CreatePolicyVersionThenUpdateAssumeRolePolicy',
    actions: ['iam:CreatePolicyVersion', 'iam:UpdateAssumeRolePolicy'],
  },
  {
    technique: 'PutRolePolicyThenUpdateAssumeRolePolicy',
    actions: ['iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy'],
  },
];

/** API calls whose response carries a credential (keys, tokens, passwords, signed certificates). */
export const AWS_CREDENTIALS_EXPOSURE_ACTIONS: readonly string[] = [
  'airflow:CreateCliToken',
  'airflow:CreateWebLoginToken',
  'appsync:CreateApiKey',
  'chime:CreateApiKey',
  'cloud9:CreateEnvironmentToken',
  'codeartifact:GetAuthorizationToken',
  'codepipeline:PollForJobs',
  'cognito-identity:GetCredentialsForIdentity',
  'cognito-identity:GetOpenIdToken',
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
  'cognito-idp:GetSigningCertificate',
  'connect:GetFederationToken',
  'connect:GetFederationTokens',
  'ec2:GetPasswordData',
  'ecr:GetAuthorizationToken',
  'ecr-public:GetAuthorizationToken',
  'emr-containers:GetManagedEndpointSessionCredentials',
  'finspace-api:GetProgrammaticAccessCredentials',
  'gamelift:GetComputeAccess',
  'gamelift:GetComputeAuthToken',
  'gamelift:GetInstanceAccess',
  'gamelift:RequestUploadCredentials',
  'grafana:CreateWorkspaceApiKey',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:CreateServiceSpecificCredential',
  'iam:ResetServiceSpecificCredential',
  'iam:UpdateAccessKey',
  'license-manager:GetAccessToken',
  'lightsail:CreateBucketAccessKey',
  'lightsail:DownloadDefaultKeyPair',
  'lightsail:GetInstanceAccessDetails',
  'lightsail:GetRelationalDatabaseMasterUserPassword',
  'mediapackage:RotateChannelCredentials',
  'mediapackage:RotateIngestEndpointCredentials',
  'rds-db:connect',
  'redshift:GetClusterCredentials',
  'redshift:GetClusterCredentialsWithIAM',
  'redshift-serverless:GetCredentials',
  'sso:GetRoleCredentials',
  'sts:AssumeRole',
  'sts:AssumeRoleWithSAML',
  'sts:AssumeRoleWithWebIdentity',
  'sts:GetFederationToken',
  'sts:GetSessionToken',
];

/** Read-only actions with a long record of data leaks: object reads and secret stores. */
export const AWS_DATA_EXFILTRATION_ACTIONS: readonly string[] = [
  's3:GetObject',
  'secretsmanager:GetSecretValue',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
];

/** Cloudsplaining's default `include-actions`: counted as infrastructure modification whatever their level. */
export const AWS_ALWAYS_INFRASTRUCTURE_ACTIONS: readonly string[] = [
  ...AWS_DATA_EXFILTRATION_ACTIONS,
  'rds:CopyDBSnapshot',
  'rds:CreateDBSnapshot',
];

const credentials = lowerSet(AWS_CREDENTIALS_EXPOSURE_ACTIONS);
const exfiltration = lowerSet(AWS_DATA_EXFILTRATION_ACTIONS);
const alwaysInfrastructure = lowerSet(AWS_ALWAYS_INFRASTRUCTURE_ACTIONS);

export const awsRiskRules: CloudRiskRules = {
  techniques: AWS_ESCALATION_TECHNIQUES,
  categoriesOf(lowerAction, accessLevels) {
    const found: SingleActionCategory[] = [];
    // Every IAM write changes who may do what (users, keys, roles, groups, providers), whatever level the
    // catalogue files it under; Cloudsplaining's data classifies them the same way.
    if (
      accessLevels.includes('Permissions management') ||
      (lowerAction.startsWith('iam:') && accessLevels.includes('Write') && !accessLevels.includes('Tagging'))
    )
      found.push('ResourceExposure');
    if (credentials.has(lowerAction)) found.push('CredentialsExposure');
    if (exfiltration.has(lowerAction)) found.push('DataExfiltration');
    if (modifies(accessLevels) || alwaysInfrastructure.has(lowerAction)) found.push('InfrastructureModification');
    return found;
  },
};
