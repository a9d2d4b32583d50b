import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownBlock, SectionBlock } from '@slack/types';
import { plainCleanupWording, type CleanupItemView } from '../../../bot/render/cleanup';
import { cleanupDiffReply, cleanupOwnerMessage } from '../../../bot/render/slack';
import { cleanupDiffCard } from '../../../bot/render/teams';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { diffView, item, run } from './cleanup-fixtures';
import { shown as slackShown } from './slack/fixtures';
import { shown as teamsShown } from './teams/fixtures';

/** A permission set's inline policy in chat: named as the permission set, with how many hold it. */

const SET = 'arn:aws:sso:::permissionSet/ssoins-1/ps-readonlyplus';
const ITEM_ID = `narrow-policy:aws-permission-set-policy:${SET}`;
const BEFORE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }],
};
const AFTER = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] };

const SHARED: CleanupItemView = item(1, {
  itemId: ITEM_ID,
  objectName: 'permission set ReadOnlyPlus',
  objectKind: 'aws-permission-set-policy',
  identities: ['ada', 'bob', 'cleo'],
  identityIds: ['u-ada', 'u-bob', 'u-cleo'].map((id) => `arn:aws:identitystore:::user/${id}`),
  actions: 12,
  reason: '12 actions never used in the 90-day window by any of its 3 holders',
});

const sections = (blocks: KnownBlock[]): string[] =>
  blocks.filter((b): b is SectionBlock => b.type === 'section' && b.text !== undefined).map((b) => b.text!.text);

describe("a permission set's inline policy in chat and the log", () => {
  test('the item reads as the permission set it narrows, shared by every holder', () => {
    assert.equal(
      plainCleanupWording.change(SHARED),
      'Remove 12 unused actions from permission set ReadOnlyPlus (shared by 3)',
    );
    // one holder: nothing shared to say
    assert.equal(
      plainCleanupWording.change({ ...SHARED, identities: ['ada'] }),
      'Remove 12 unused actions from permission set ReadOnlyPlus',
    );
    const message = cleanupOwnerMessage(run(), [SHARED]);
    assertWithinSlackLimits('message', message);
    assert.ok(
      sections(message.blocks).some((text) =>
        text.startsWith(
          'Remove 12 unused actions from *permission set ReadOnlyPlus* (shared by 3)\nAffects ada, bob, cleo',
        ),
      ),
      sections(message.blocks).join('\n---\n'),
    );
  });

  test('Show diff says the set is provisioned again, on Slack and Teams', () => {
    const view = diffView({
      itemId: ITEM_ID,
      change: 'narrow-policy',
      objectName: 'permission set ReadOnlyPlus',
      objectKind: 'aws-permission-set-policy',
      identities: ['ada', 'bob', 'cleo'],
      reason: SHARED.reason,
      explicitOnly: false,
      removeActions: ['s3:PutObject'],
      before: BEFORE,
      after: AFTER,
    });
    const slack = slackShown(cleanupDiffReply(view));
    assert.match(slack, /Remove 1 unused action from \*permission set ReadOnlyPlus\* \(shared by 3\)/);
    assert.match(slack, /provisioned again to every account it is in/);
    assert.match(slack, /- +"s3:PutObject"/);
    const teams = teamsShown(cleanupDiffCard(view));
    assert.ok(teams.includes('provisioned again to every account it is in'), teams);
  });
});
