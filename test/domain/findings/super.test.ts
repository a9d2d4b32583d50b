import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { HeldAction } from '../../../domain/findings/model';
import { superIdentity, type SuperIdentityPath } from '../../../domain/findings/super';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { type AzureActionCatalogue, azureAccessLevels } from '../../../domain/inventory/azure-role';
import type { ActionCatalogue } from '../../../domain/inventory/model';

let aws: ActionCatalogue;
before(async () => {
  aws = await loadAwsCatalogue();
});

function heldFrom(statement: unknown): HeldAction[] {
  return expandAwsPolicy(aws, 'sha256:p', { Version: '2012-10-17', Statement: statement })
    .actions.filter((row) => row.effect === 'allow')
    .map(({ action, accessLevels, resourceReach, conditional }) => ({
      action,
      accessLevels,
      resourceReach,
      conditional,
    }));
}

describe('AWS super identities', () => {
  test('AdministratorAccess by name, in any partition', () => {
    const paths: SuperIdentityPath[] = [
      { documentName: 'arn:aws:iam::111122223333:policy/team', scope: '111122223333' },
      { documentName: 'arn:aws:iam::aws:policy/AdministratorAccess', scope: '111122223333' },
    ];
    assert.equal(
      superIdentity({ cloud: 'aws', catalogue: aws, held: [], paths }),
      'holds AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess) in 111122223333',
    );
    const govCloud = [{ documentName: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess', scope: '1' }];
    assert.ok(superIdentity({ cloud: 'aws', catalogue: aws, held: [], paths: govCloud }));
    const lookalike = [{ documentName: 'arn:aws:iam::111122223333:policy/AdministratorAccess', scope: '1' }];
    assert.equal(superIdentity({ cloud: 'aws', catalogue: aws, held: [], paths: lookalike }), undefined);
  });

  test('*:* on all resources by actions, whatever the policy is called', () => {
    const held = heldFrom([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    const reason = superIdentity({ cloud: 'aws', catalogue: aws, held, paths: [{ scope: '111122223333' }] });
    assert.equal(reason, `holds every action of the catalogue (${aws.actions.length}) on all resources`);
  });

  test('not super: everything on named resources, or everything but one service', () => {
    const named = heldFrom([{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/*' }]);
    assert.equal(superIdentity({ cloud: 'aws', catalogue: aws, held: named, paths: [] }), undefined);
    const allButIam = heldFrom([{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }]);
    assert.ok(allButIam.length > 20000);
    assert.equal(superIdentity({ cloud: 'aws', catalogue: aws, held: allButIam, paths: [] }), undefined);
  });
});

const azureCatalogue: AzureActionCatalogue = {
  cloud: 'azure',
  version: 'test',
  actions: [
    ...['Microsoft.Compute/virtualMachines/write', 'Microsoft.Authorization/roleAssignments/write'].map((action) => ({
      action,
      accessLevels: azureAccessLevels(action),
      dataAction: false,
    })),
    {
      action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      accessLevels: ['Read'],
      dataAction: true,
    },
  ],
};

function azure(paths: SuperIdentityPath[], held: HeldAction[] = []): string | undefined {
  return superIdentity({ cloud: 'azure', catalogue: azureCatalogue, held, paths });
}

const SUBSCRIPTION = '/subscriptions/0000-1111';

describe('Azure super identities', () => {
  test('Owner at a subscription, a management group or the root; not at a resource group', () => {
    assert.equal(azure([{ documentName: 'Owner', scope: SUBSCRIPTION }]), `holds Owner at ${SUBSCRIPTION}`);
    assert.ok(azure([{ documentName: 'Owner', scope: '/providers/Microsoft.Management/managementGroups/root' }]));
    assert.equal(azure([{ documentName: 'Owner', scope: '/' }]), 'holds Owner at /');
    assert.equal(azure([{ documentName: 'Owner', scope: `${SUBSCRIPTION}/resourceGroups/web` }]), undefined);
  });

  test('Owner named by its built-in role definition id', () => {
    const id = `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`;
    assert.equal(azure([{ documentName: id, scope: SUBSCRIPTION }]), `holds Owner at ${SUBSCRIPTION}`);
  });

  test('Contributor plus User Access Administrator over the same subscription', () => {
    assert.equal(
      azure([
        { documentName: 'Contributor', scope: SUBSCRIPTION },
        { documentName: 'User Access Administrator', scope: '/' },
      ]),
      `holds Contributor and User Access Administrator at ${SUBSCRIPTION}`,
    );
    // apart, or one of them only on a resource group, is not the same power
    assert.equal(azure([{ documentName: 'Contributor', scope: SUBSCRIPTION }]), undefined);
    assert.equal(
      azure([
        { documentName: 'Contributor', scope: SUBSCRIPTION },
        { documentName: 'User Access Administrator', scope: '/subscriptions/other' },
      ]),
      undefined,
    );
    assert.equal(
      azure([
        { documentName: 'Contributor', scope: SUBSCRIPTION },
        { documentName: 'User Access Administrator', scope: `${SUBSCRIPTION}/resourceGroups/web` },
      ]),
      undefined,
    );
  });

  test('every control-plane operation held (a custom `*` role) is super; data actions are not needed', () => {
    const held: HeldAction[] = [
      {
        action: 'Microsoft.Compute/virtualMachines/write',
        accessLevels: ['Write'],
        resourceReach: 'all',
        conditional: false,
      },
      {
        action: 'Microsoft.Authorization/roleAssignments/write',
        accessLevels: ['Permissions management'],
        resourceReach: 'all',
        conditional: false,
      },
    ];
    assert.equal(azure([], held), 'holds every control-plane operation of the catalogue (2) on all resources');
    assert.equal(azure([], held.slice(0, 1)), undefined);
  });
});

describe('GCP super identities', () => {
  const gcp: ActionCatalogue = { cloud: 'gcp', version: 'test', actions: [] };
  test('roles/owner and roles/editor on a project, folder or organization', () => {
    assert.equal(
      superIdentity({
        cloud: 'gcp',
        catalogue: gcp,
        held: [],
        paths: [{ documentName: 'roles/owner', scope: 'projects/p1' }],
      }),
      'holds roles/owner on projects/p1',
    );
    assert.ok(
      superIdentity({
        cloud: 'gcp',
        catalogue: gcp,
        held: [],
        paths: [{ documentName: 'roles/editor', scope: '//cloudresourcemanager.googleapis.com/folders/12' }],
      }),
    );
    assert.equal(
      superIdentity({
        cloud: 'gcp',
        catalogue: gcp,
        held: [],
        paths: [{ documentName: 'roles/viewer', scope: 'projects/p1' }],
      }),
      undefined,
    );
    // owner of one bucket is not owner of the project
    assert.equal(
      superIdentity({
        cloud: 'gcp',
        catalogue: gcp,
        held: [],
        paths: [{ documentName: 'roles/owner', scope: 'projects/_/buckets/logs' }],
      }),
      undefined,
    );
  });

  test('an empty catalogue never makes everyone super', () => {
    assert.equal(superIdentity({ cloud: 'gcp', catalogue: gcp, held: [], paths: [] }), undefined);
    assert.equal(
      superIdentity({ cloud: 'aws', catalogue: { cloud: 'aws', version: 'empty', actions: [] }, held: [], paths: [] }),
      undefined,
    );
  });
});
