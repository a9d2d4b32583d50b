import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cardBytes, requestFormCard } from '../../../../bot/render/teams';
import { TEAMS_CARD_MAX_BYTES, TeamsInput, TeamsVerb } from '../../../../bot/render/teams/ids';
import { assertCardValid } from '../../../support/checks/adaptive-cards';
import { buttons, CHOICES, choice, inputs, shown } from './fixtures';

const choicesOf = (input: Record<string, unknown> | undefined) => input?.choices as { title: string; value: string }[];

describe('requestFormCard', () => {
  test('asks for entitlement, duration, reason and ticket under the ids the bot reads, and submits them', () => {
    const card = assertCardValid(requestFormCard({ choices: CHOICES }));
    const fields = inputs(card);
    assert.deepEqual(Object.keys(fields), [
      TeamsInput.Entitlement,
      TeamsInput.Duration,
      TeamsInput.Reason,
      TeamsInput.Ticket,
    ]);
    assert.deepEqual(choicesOf(fields[TeamsInput.Entitlement]), [
      { title: 'Production read-only · AWS production', value: 'prod-read-only' },
      { title: 'Production admin · AWS production', value: 'prod-admin' },
      { title: 'Dev admin · AWS development', value: 'dev-admin' },
    ]);
    assert.equal(fields[TeamsInput.Entitlement]?.value, undefined, 'nothing preselected');
    assert.equal(fields[TeamsInput.Entitlement]?.isRequired, true);
    assert.deepEqual(
      [
        fields[TeamsInput.Reason]?.isMultiline,
        fields[TeamsInput.Reason]?.isRequired,
        fields[TeamsInput.Reason]?.maxLength,
      ],
      [true, true, 1000],
    );
    assert.equal(fields[TeamsInput.Ticket]?.isRequired, undefined, 'the policy decides per entitlement');
    assert.equal(fields[TeamsInput.Ticket]?.label, 'Ticket (required for some entitlements)');
    assert.equal(fields[TeamsInput.Duration]?.placeholder, "Blank for the entitlement's default; at most 8h");
    assert.deepEqual(buttons(card), [
      { type: 'Action.Execute', title: 'Request', verb: TeamsVerb.SubmitRequest, style: 'positive' },
    ]);
  });

  test('preselects the entitlement and shows its default and maximum', () => {
    const card = assertCardValid(requestFormCard({ choices: CHOICES, entitlementId: 'prod-admin' }));
    const fields = inputs(card);
    assert.equal(fields[TeamsInput.Entitlement]?.value, 'prod-admin');
    assert.equal(fields[TeamsInput.Duration]?.placeholder, '1h (max 8h)');
    assert.equal(fields[TeamsInput.Ticket]?.label, 'Ticket (required for this entitlement)');
    assert.equal(
      inputs(requestFormCard({ choices: CHOICES, entitlementId: 'nope' }))[TeamsInput.Entitlement]?.value,
      undefined,
    );
  });

  test('one set of bounds for all: the placeholder says them', () => {
    const card = requestFormCard({ choices: [choice(), choice({ id: 'other' })] });
    assert.equal(inputs(card)[TeamsInput.Duration]?.placeholder, '1h (max 4h)');
    assert.equal(inputs(card)[TeamsInput.Ticket]?.label, 'Ticket (optional)');
  });

  test('brings back what the person typed, and the problem, in attention colour at the top', () => {
    const card = assertCardValid(
      requestFormCard({
        choices: CHOICES,
        entitlementId: 'prod-read-only',
        values: { duration: '9h', reason: 'line one\nline two', ticket: 'OPS-7\n' },
        problem: '"9h" is longer than the 4h Production read-only allows.',
      }),
    );
    const fields = inputs(card);
    assert.deepEqual(
      [fields[TeamsInput.Duration]?.value, fields[TeamsInput.Reason]?.value, fields[TeamsInput.Ticket]?.value],
      ['9h', 'line one\nline two', 'OPS-7'],
    );
    assert.deepEqual(card.body[1], {
      type: 'TextBlock',
      text: '⚠️ "9h" is longer than the 4h Production read-only allows.',
      wrap: true,
      weight: 'bolder',
      color: 'attention',
    });
  });

  test('a long list can be filtered by typing', () => {
    const many = Array.from({ length: 12 }, (_, i) => choice({ id: `e-${i}`, title: `Entitlement ${i}` }));
    const card = assertCardValid(requestFormCard({ choices: many }));
    assert.equal(inputs(card)[TeamsInput.Entitlement]?.style, 'filtered');
    assert.equal(
      inputs(requestFormCard({ choices: CHOICES }))[TeamsInput.Entitlement]?.style,
      undefined,
      'a drop-down',
    );
  });

  test('with nothing to request, says so and offers no submit', () => {
    const card = assertCardValid(requestFormCard({ choices: [] }));
    assert.match(shown(card), /There is nothing you may request in Least/);
    assert.deepEqual(buttons(card), []);
    assert.deepEqual(inputs(card), {});
  });

  test('a policy with a thousand entitlements still fits, the preselected one among those shown', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      choice({
        id: `entitlement-${String(i).padStart(4, '0')}`,
        title: `Entitlement number ${i} with a long title`,
        systemTitle: 'AWS production (123456789012)',
      }),
    );
    const card = assertCardValid(requestFormCard({ choices: many, entitlementId: 'entitlement-0999' }));
    assert.ok(cardBytes(card) <= TEAMS_CARD_MAX_BYTES);
    const shownChoices = choicesOf(inputs(card)[TeamsInput.Entitlement]);
    assert.ok(shownChoices.length >= 100, `${shownChoices.length} shown`);
    assert.ok(shownChoices.some((c) => c.value === 'entitlement-0999'));
    assert.equal(inputs(card)[TeamsInput.Entitlement]?.value, 'entitlement-0999');
    assert.match(shown(card), new RegExp(`Showing ${shownChoices.length} of 1000 entitlements`));
  });
});
