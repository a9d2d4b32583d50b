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

/** A narrowed Azure custom role in chat: worded as operations taken out of a role its holders share. */

const ROLE_ID =
  '/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Authorization/roleDefinitions/0a0a0a0a-0000-4000-8000-000000000001';
const BEFORE = [
  {
    actions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/write', 'Microsoft.Web/sites/delete'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
];
const AFTER = [{ ...BEFORE[0]!, actions: ['Microsoft.Web/sites/read'] }];

const ROLE: CleanupItemView = item(1, {
  itemId: `narrow-policy:azure-role-definition:${ROLE_ID}`,
  change: 'narrow-policy',
  objectName: 'App Operator',
  objectKind: 'azure-role-definition',
  identities: ['ada@example.com', 'grace@example.com', 'linus@example.com', 'ken@example.com'],
  actions: 5,
  reason: '5 operations never used in the 90-day window by any of its 4 holders',
});

const sections = (blocks: KnownBlock[]): string[] =>
  blocks.filter((b): b is SectionBlock => b.type === 'section' && b.text !== undefined).map((b) => b.text!.text);

describe('a narrowed Azure custom role in chat', () => {
  test('the plain words name the operations, the custom role and how many share it', () => {
    assert.equal(
      plainCleanupWording.change(ROLE),
      'Remove 5 unused operations from custom role App Operator (shared by 4)',
    );
    assert.equal(
      plainCleanupWording.change({ ...ROLE, identities: ['ada@example.com'], actions: 1 }),
      'Remove 1 unused operation from custom role App Operator',
    );
    assert.equal(
      plainCleanupWording.change({ ...ROLE, objectKind: 'aws-managed-policy', objectName: 'shared' }),
      'Remove 5 unused actions from the policy shared',
      'a policy keeps its words',
    );
  });

  test('the owner’s message on Slack reads the same', () => {
    const message = cleanupOwnerMessage(run(), [ROLE]);
    assertWithinSlackLimits('message', message);
    assert.ok(
      sections(message.blocks).some((text) =>
        text.startsWith('Remove 5 unused operations from custom role *App Operator* (shared by 4)'),
      ),
      JSON.stringify(sections(message.blocks)),
    );
  });

  test('Show diff shows the permissions before and after, and says what else stays', () => {
    const view = diffView({
      itemId: ROLE.itemId,
      change: 'narrow-policy',
      objectName: 'App Operator',
      objectKind: 'azure-role-definition',
      identities: ROLE.identities,
      reason: ROLE.reason,
      removeActions: ['Microsoft.Web/sites/delete', 'Microsoft.Web/sites/write'],
      before: BEFORE,
      after: AFTER,
    });
    const slack = slackShown(cleanupDiffReply(view));
    assert.match(slack, /- +"Microsoft\.Web\/sites\/write",\n- +"Microsoft\.Web\/sites\/delete"/);
    assert.match(slack, /name and assignable scopes stay as they are/);
    const teams = teamsShown(cleanupDiffCard(view));
    assert.ok(teams.includes('Remove 2 unused operations from custom role'), teams);
    assert.ok(teams.includes('Restore puts its old permissions back'));
  });
});
