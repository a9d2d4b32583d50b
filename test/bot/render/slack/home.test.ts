import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderBlock } from '@slack/types';
import { homeView } from '../../../../bot/render/slack/home';
import { SlackAction } from '../../../../bot/render/slack/ids';
import type { RequestStatus } from '../../../../domain/request';
import { assertWithinSlackLimits } from '../../../support/checks/block-kit-limits';
import { buttons, NOW, shown, state, view } from './fixtures';

const many = (count: number, status: RequestStatus, prefix: string) =>
  Array.from({ length: count }, (_, i) =>
    view(state(status, { request: { requestId: `r-${prefix}${String(i).padStart(8, '0')}` } })),
  );

const headers = (blocks: unknown[]): string[] =>
  blocks.filter((b): b is HeaderBlock => (b as HeaderBlock).type === 'header').map((b) => b.text.text);

describe('homeView', () => {
  test('lists live grants with End now, pending requests, and approvals with Approve/Deny', () => {
    const home = homeView({
      live: [view(state('active', { request: { requestId: 'r-live000001' } }))],
      pending: [view(state('pending', { request: { requestId: 'r-mine000001' } }))],
      approvals: [
        view(state('pending', { request: { requestId: 'r-them000001', requester: 'ada@example.com' } }), {
          requesterUserId: 'UADA',
        }),
      ],
      now: NOW,
    });
    assert.equal(home.type, 'home');
    assert.deepEqual(headers(home.blocks), ['Your live grants', 'Your pending requests', 'Waiting for your approval']);
    assert.deepEqual(
      buttons(home.blocks).map((b) => [b.action_id, b.value ?? null]),
      [
        [SlackAction.OpenRequestForm, null],
        [SlackAction.EndNow, 'r-live000001'],
        [SlackAction.Approve, 'r-them000001'],
        [SlackAction.Deny, 'r-them000001'],
      ],
    );
    const text = shown(home);
    assert.match(text, /🟢 42m left · until <!date\^\d+\^.* · `r-live000001`/);
    assert.match(text, /⏳ 0 of 2 approvals · submitted <!date.*`r-mine000001`/);
    assert.match(text, /<@UADA> \(ada@example\.com\)/);
    assert.doesNotMatch(text, /and \d+ more/);
    assertWithinSlackLimits('home', home);
  });

  test('says when a list is empty', () => {
    const home = homeView({ live: [], pending: [], approvals: [], now: NOW });
    const text = shown(home);
    for (const empty of [
      'You have no live grants.',
      'Nothing is waiting for approval.',
      'Nothing waits for your decision.',
    ]) {
      assert.ok(text.includes(empty), empty);
    }
    assert.deepEqual(
      buttons(home.blocks).map((b) => b.action_id),
      [SlackAction.OpenRequestForm],
    );
    assertWithinSlackLimits('home', home);
  });

  test('caps each list so 300 of each stay under 100 blocks, and says how many more', () => {
    const home = homeView({
      live: many(300, 'active', 'l'),
      pending: many(300, 'pending', 'p'),
      approvals: many(300, 'pending', 'a'),
      now: NOW,
    });
    assert.ok(home.blocks.length <= 100, `${home.blocks.length} blocks`);
    const text = shown(home);
    assert.match(text, /and 280 more — use `\/access list`/);
    assert.match(text, /and 285 more — use `\/access approvals`/);
    assert.equal(buttons(home.blocks).filter((b) => b.action_id === SlackAction.EndNow).length, 20);
    assert.equal(buttons(home.blocks).filter((b) => b.action_id === SlackAction.Approve).length, 15);
    assertWithinSlackLimits('home', home);
  });

  test('an approved grant not yet applied is shown as such, still with End now', () => {
    const home = homeView({ live: [view(state('approved'))], pending: [], approvals: [], now: NOW });
    assert.match(shown(home), /Approved; access is being applied/);
    assert.ok(buttons(home.blocks).some((b) => b.action_id === SlackAction.EndNow));
  });
});
