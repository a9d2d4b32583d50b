import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalCard,
  approvalsMessage,
  approverCard,
  cardBytes,
  helpMessage,
  requesterStatusCard,
  requesterUpdate,
  requestFormCard,
  requestListMessage,
  reviewCard,
  submittedMessage,
  type AdaptiveCard,
} from '../../../../bot/render/teams';
import { TEAMS_CARD_MAX_BYTES, TeamsVerb } from '../../../../bot/render/teams/ids';
import { RequestStatus } from '../../../../domain/request';
import { assertCardValid, validateCard } from '../../../support/checks/adaptive-cards';
import { APPROVER_IDS, choice, NOW, shown, state, view } from './fixtures';

/** A long but honest reason: what a person might paste, ten thousand characters of it. */
const REASON = 'Investigating INC-4711: the payments API returns 502s for EU customers since 09:00. '.repeat(120);

function heavyView(status: RequestStatus) {
  const recent = Array.from({ length: 100 }, (_, i) =>
    state('revoked', { request: { requestId: `r-${String(i).padStart(10, '0')}`, reason: REASON } }),
  );
  return view(state(status, { request: { reason: REASON } }), { recent });
}

function everyCard(): [string, AdaptiveCard][] {
  const cards: [string, AdaptiveCard][] = [];
  for (const status of Object.values(RequestStatus)) {
    const v = heavyView(status);
    cards.push(
      [`approvalCard ${status}`, approvalCard(v, NOW, { refreshUserIds: APPROVER_IDS })],
      [`approverCard ${status}`, approverCard(v, NOW, { refreshUserIds: APPROVER_IDS, problem: REASON })],
      [`reviewCard ${status}`, reviewCard(v, NOW, { refreshUserIds: APPROVER_IDS })],
      [`requesterStatusCard ${status}`, requesterStatusCard(v, NOW)],
      [`submittedMessage ${status}`, submittedMessage(v, NOW).card!],
      [
        `requesterUpdate failed ${status}`,
        requesterUpdate({ kind: 'failed', state: v.state, detail: REASON }, v, NOW).card!,
      ],
    );
  }
  const views = Array.from({ length: 100 }, () => heavyView('pending'));
  cards.push(
    ['requestListMessage', requestListMessage(views, NOW).card!],
    ['approvalsMessage', approvalsMessage(views, NOW).card!],
    ['helpMessage', helpMessage().card!],
    ['requestFormCard', requestFormCard({ choices: [choice()], values: { reason: REASON }, problem: REASON })],
  );
  return cards;
}

describe('Teams size limits', () => {
  test('every card stays within the limit with 10 kB reasons and 100 recent requests, and valid', () => {
    for (const [name, card] of everyCard()) {
      assertCardValid(card);
      assert.ok(cardBytes(card) <= TEAMS_CARD_MAX_BYTES, `${name}: ${cardBytes(card)} bytes`);
    }
  });

  test('the approver still reads the start of a long reason, and five recent requests', () => {
    const card = approverCard(heavyView('pending'), NOW, { refreshUserIds: APPROVER_IDS });
    const text = shown(card);
    assert.ok(text.includes(REASON.slice(0, 1500)), 'the first 1500 characters of the reason');
    assert.match(text, /…/);
    assert.equal((text.match(/ · revoked · /g) ?? []).length, 5);
  });

  test('cardBytes counts UTF-8 bytes, as Teams does', () => {
    const card = approvalCard(view(state('pending', { request: { reason: '漢' } })), NOW);
    assert.equal(cardBytes(card), Buffer.byteLength(JSON.stringify(card), 'utf8'));
  });
});

describe('validateCard catches what Teams would refuse or drop', () => {
  const base = (extra: Partial<AdaptiveCard> = {}): AdaptiveCard => ({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [{ type: 'TextBlock', text: 'hello', wrap: true }],
    ...extra,
  });
  const execute = { type: 'Action.Execute', title: 'Approve', verb: TeamsVerb.Approve, data: { requestId: 'r-1' } };

  test('a good card has no problems', () => {
    assert.deepEqual(validateCard(base({ actions: [execute] })), []);
  });

  test('Action.Execute on a card older than 1.4 loses its verb', () => {
    const problems = validateCard(base({ version: '1.2', actions: [execute] }));
    assert.ok(
      problems.some((p) => p.startsWith('dropped by the parser: Action.Execute')),
      problems.join('\n'),
    );
  });

  test('unknown elements and bad values are reported', () => {
    const problems = validateCard(
      base({
        body: [
          { type: 'Input.Txt', id: 'x' },
          { type: 'TextBlock', text: 'x', color: 'purple' },
        ],
      }),
    );
    assert.ok(
      problems.some((p) => /UnknownElementType/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /dropped by the parser: Input\.Txt/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /InvalidPropertyValue.*color/.test(p)),
      problems.join('\n'),
    );
  });

  test('duplicate input ids, a required input without an error message, an empty choice set', () => {
    const problems = validateCard(
      base({
        body: [
          { type: 'Input.Text', id: 'comment', label: 'a' },
          { type: 'Input.Text', id: 'comment', label: 'b', isRequired: true },
          { type: 'Input.ChoiceSet', id: 'c', label: 'c', choices: [] },
        ],
      }),
    );
    assert.ok(
      problems.some((p) => /DuplicateId/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /RequiredInputsShouldHaveErrorMessage/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /CollectionCantBeEmpty|at least one choice/.test(p)),
      problems.join('\n'),
    );
  });

  test('structure the library lets through: no verb, no title, no text, http links, no label', () => {
    const problems = validateCard(
      base({
        body: [
          { type: 'TextBlock', text: ' ' },
          { type: 'Input.Text', id: 'x' },
        ],
        actions: [
          { type: 'Action.Execute', title: 'Go' },
          { type: 'Action.OpenUrl', title: '', url: 'http://x.example' },
        ],
      }),
    );
    for (const expected of [
      /TextBlock without text/,
      /input without a label/,
      /Action\.Execute without a verb/,
      /action without a title/,
      /not https/,
    ]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${String(expected)} in\n${problems.join('\n')}`,
      );
    }
  });

  test('Teams limits: version, size, refresh audience', () => {
    const refresh = (userIds: string[] | undefined) => ({
      action: { type: 'Action.Execute' as const, verb: TeamsVerb.Refresh, data: { requestId: 'r-1' } },
      ...(userIds ? { userIds } : {}),
    });
    assert.ok(validateCard(base({ version: '1.6' })).some((p) => p.startsWith('version')));
    assert.ok(validateCard(base({ refresh: refresh(undefined) })).includes('refresh: no userIds'));
    assert.ok(
      validateCard(base({ refresh: refresh(Array.from({ length: 61 }, (_, i) => `29:${i}`)) })).some((p) =>
        /61 userIds/.test(p),
      ),
    );
    const big = base({ body: [{ type: 'TextBlock', text: 'x'.repeat(TEAMS_CARD_MAX_BYTES), wrap: true }] });
    assert.ok(validateCard(big).some((p) => /bytes >/.test(p)));
  });
});
