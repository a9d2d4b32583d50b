import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownBlock, SectionBlock } from '@slack/types';
import {
  CleanupAction,
  OWN_COPY_NOTE,
  PASSWORD_NOTE,
  plainCleanupWording,
  type CleanupItemView,
} from '../../../bot/render/cleanup';
import { cleanupDiffReply, cleanupOwnerMessage } from '../../../bot/render/slack';
import { cleanupDiffCard } from '../../../bot/render/teams';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { diffView, item, run } from './cleanup-fixtures';
import { shown as slackShown } from './slack/fixtures';
import { shown as teamsShown } from './teams/fixtures';

/** An own copy of a shared policy in chat: worded as the copy it is, with its own warning, applied by Remove now. */

const SHARED = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage'], Resource: '*' }],
};
const COPY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] };
const ITEM_ID =
  'own-copy:aws-policy-attachment:arn:aws:iam::123456789012:role/reader|arn:aws:iam::123456789012:policy/shared';

const OWN_COPY: CleanupItemView = item(1, {
  itemId: ITEM_ID,
  change: 'own-copy',
  objectName: 'shared on reader',
  identities: ['reader'],
  identityIds: ['arn:aws:iam::123456789012:role/reader'],
  actions: 2,
  reason:
    'its own copy of shared keeps 1 of its 3 actions and leaves out 2 never used in the 90-day window; 1 of them stays in shared for its other holders',
  explicitOnly: true,
});

const sections = (blocks: KnownBlock[]): string[] =>
  blocks.filter((b): b is SectionBlock => b.type === 'section' && b.text !== undefined).map((b) => b.text!.text);

describe('an own copy in chat', () => {
  test('the owner’s message words it as a copy, warns it waits for Remove now, and confirms what Remove does', () => {
    const message = cleanupOwnerMessage(run(), [OWN_COPY]);
    assertWithinSlackLimits('message', message);
    const line = sections(message.blocks).find((text) => text.startsWith('Replace'));
    assert.equal(
      line,
      `Replace *shared on reader* with its own copy of the policy, without 2 unused actions\nAffects reader\nWhy: ${OWN_COPY.reason}\n⚠️ ${OWN_COPY_NOTE}`,
    );
    assert.ok(!slackShown(message).includes(PASSWORD_NOTE), 'not the console password warning');
    const remove = (
      message.blocks.find((b) => b.type === 'actions') as {
        elements: { action_id: string; confirm?: { text: { text: string } } }[];
      }
    ).elements.find((b) => b.action_id === CleanupAction.RemoveNow)!;
    assert.equal(remove.confirm?.text.text, `Least makes the copy now. ${OWN_COPY_NOTE}`);
  });

  test('Show diff shows the shared document against the copy, on Slack and Teams', () => {
    const view = diffView({
      itemId: ITEM_ID,
      change: 'own-copy',
      objectName: 'shared on reader',
      identities: ['reader'],
      reason: OWN_COPY.reason,
      explicitOnly: true,
      removeActions: ['s3:PutObject', 'sqs:SendMessage'],
      before: SHARED,
      after: COPY,
    });
    const slack = slackShown(cleanupDiffReply(view));
    assert.match(slack, /- +"s3:PutObject",\n- +"sqs:SendMessage"\n\+ +"s3:GetObject"/);
    assert.match(slack, /Removed: `s3:PutObject`, `sqs:SendMessage`/);
    assert.match(slack, /made and attached to it, then the shared policy is detached from it/);
    const teams = teamsShown(cleanupDiffCard(view));
    assert.ok(teams.includes('s3:PutObject'));
    assert.ok(teams.includes('Restore attaches the shared policy again and deletes the copy'));
  });

  test('the plain wording names the change for the CLI’s log front end and the answers', () => {
    assert.equal(
      plainCleanupWording.change(OWN_COPY),
      'Replace shared on reader with its own copy of the policy, without 2 unused actions',
    );
    assert.equal(
      plainCleanupWording.decided({ kind: 'remove', change: 'own-copy', objectName: 'shared on reader' }),
      "🗑️ Removing it now: Replace shared on reader with its own copy of the policy, without the unused actions. The run's report will have a Restore button for it.",
    );
  });
});
