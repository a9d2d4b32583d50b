import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import { catalogueAction } from '../../../domain/inventory/catalogue-index';
import {
  iamActionForEvent,
  iamServiceForEventSource,
  renamedEventTargets,
} from '../../../domain/inventory/cloudtrail-actions';
import type { ActionCatalogue } from '../../../domain/inventory/model';

let catalogue: ActionCatalogue;
before(async () => {
  catalogue = await loadAwsCatalogue();
});

describe('iamActionForEvent', () => {
  test('most events are their own action', () => {
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'GetObject'), 's3:GetObject');
    assert.equal(iamActionForEvent('iam.amazonaws.com', 'CreateRole'), 'iam:CreateRole');
    assert.equal(iamActionForEvent('sts.amazonaws.com', 'AssumeRole'), 'sts:AssumeRole');
    assert.equal(iamActionForEvent('states.amazonaws.com', 'StartExecution'), 'states:StartExecution');
    assert.equal(iamActionForEvent('sso.amazonaws.com', 'ListPermissionSets'), 'sso:ListPermissionSets');
  });

  test('services whose IAM prefix is not the event source host', () => {
    assert.equal(iamActionForEvent('monitoring.amazonaws.com', 'PutMetricAlarm'), 'cloudwatch:PutMetricAlarm');
    assert.equal(iamActionForEvent('email.amazonaws.com', 'SendEmail'), 'ses:SendEmail');
    assert.equal(iamActionForEvent('tagging.amazonaws.com', 'GetResources'), 'tag:GetResources');
    assert.equal(iamServiceForEventSource('streams.dynamodb.amazonaws.com'), 'dynamodb');
    assert.equal(iamServiceForEventSource('S3.AMAZONAWS.COM'), 's3');
  });

  test('S3 REST names map to the actions that authorize them', () => {
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'ListObjects'), 's3:ListBucket');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'ListObjectsV2'), 's3:ListBucket');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'HeadObject'), 's3:GetObject');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'UploadPart'), 's3:PutObject');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'ListBuckets'), 's3:ListAllMyBuckets');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'DeleteObjects'), 's3:DeleteObject');
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'PutBucketLifecycle'), 's3:PutLifecycleConfiguration');
  });

  test('Lambda and CloudFront event names lose their API version', () => {
    assert.equal(iamActionForEvent('lambda.amazonaws.com', 'CreateFunction20150331'), 'lambda:CreateFunction');
    assert.equal(
      iamActionForEvent('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2'),
      'lambda:UpdateFunctionCode',
    );
    assert.equal(iamActionForEvent('lambda.amazonaws.com', 'Invoke'), 'lambda:InvokeFunction');
    assert.equal(
      iamActionForEvent('cloudfront.amazonaws.com', 'CreateDistribution2020_05_31'),
      'cloudfront:CreateDistribution',
    );
  });

  test('every mapped action is a real catalogue action, spelled as the catalogue spells it', () => {
    const mapped = [
      ...renamedEventTargets(),
      iamActionForEvent('monitoring.amazonaws.com', 'PutMetricAlarm'),
      iamActionForEvent('email.amazonaws.com', 'SendEmail'),
      iamActionForEvent('tagging.amazonaws.com', 'GetResources'),
      iamActionForEvent('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2'),
      iamActionForEvent('cloudfront.amazonaws.com', 'CreateDistribution2020_05_31'),
    ];
    for (const action of mapped) assert.equal(catalogueAction(catalogue, action)?.action, action, action);
  });

  test('odd names are passed through for the collector to count, never taken from Object.prototype', () => {
    assert.equal(iamActionForEvent('s3.amazonaws.com', 'constructor'), 's3:constructor');
    assert.equal(iamActionForEvent('constructor', 'toString'), 'constructor:toString');
    assert.equal(iamActionForEvent('signin.amazonaws.com', 'ConsoleLogin'), 'signin:ConsoleLogin');
    assert.equal(catalogueAction(catalogue, 'signin:ConsoleLogin'), undefined);
  });
});
