import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputBlock } from '@slack/types';
import { denyReasonForm, entitlementOptions, requestForm } from '../../../../bot/render/slack/request-form';
import { SlackAction, SlackBlock, SlackView } from '../../../../bot/render/slack/ids';
import { assertOptionsWithinSlackLimits, assertWithinSlackLimits } from '../../../support/checks/block-kit-limits';
import { CHOICES as AWS_CHOICES, choice } from './fixtures';

/** The shared choices and one on another cloud, for the system picker and type-ahead. */
const CHOICES = [
  ...AWS_CHOICES,
  choice({
    id: 'payments-logs',
    title: 'Admin of payments logs',
    systemId: 'gcp-payments',
    systemTitle: 'GCP payments',
  }),
];
const SYSTEMS = [
  { id: 'aws-prod', title: 'AWS production' },
  { id: 'aws-dev', title: 'AWS development' },
];

const inputs = (blocks: unknown[]): InputBlock[] =>
  blocks.filter((b): b is InputBlock => (b as InputBlock).type === 'input');
const element = (blocks: unknown[], blockId: string): Record<string, unknown> =>
  inputs(blocks).find((b) => b.block_id === blockId)!.element as unknown as Record<string, unknown>;

describe('requestForm', () => {
  test('is the request modal with one input per field, under the ids the handler reads', () => {
    const form = requestForm({ choices: CHOICES, systems: SYSTEMS, privateMetadata: '{"channelId":"C1"}' });
    assert.equal(form.callback_id, SlackView.RequestForm);
    assert.deepEqual([form.title.text, form.submit?.text, form.close?.text], ['Request access', 'Request', 'Cancel']);
    assert.equal(form.private_metadata, '{"channelId":"C1"}');
    assert.deepEqual(
      inputs(form.blocks).map((b) => [b.block_id, (b.element as { action_id: string }).action_id, Boolean(b.optional)]),
      [
        [SlackBlock.System, SlackAction.SystemPicker, true],
        [SlackBlock.Entitlement, SlackAction.EntitlementPicker, false],
        [SlackBlock.Duration, SlackAction.DurationInput, false],
        [SlackBlock.Reason, SlackAction.ReasonInput, false],
        [SlackBlock.Ticket, SlackAction.TicketInput, true],
      ],
    );
    const system = inputs(form.blocks)[0]!;
    assert.equal(system.dispatch_action, false);
    assert.deepEqual(
      (system.element as { options: { value: string }[] }).options.map((o) => o.value),
      ['aws-prod', 'aws-dev'],
    );
    assert.equal(element(form.blocks, SlackBlock.Entitlement).type, 'external_select');
    assert.equal(element(form.blocks, SlackBlock.Entitlement).min_query_length, 0);
    assert.equal(element(form.blocks, SlackBlock.Entitlement).initial_option, undefined);
    assert.deepEqual(
      [element(form.blocks, SlackBlock.Reason).multiline, element(form.blocks, SlackBlock.Reason).max_length],
      [true, 1000],
    );
    assert.equal(element(form.blocks, SlackBlock.Ticket).max_length, 100);
    const hint = inputs(form.blocks).find((b) => b.block_id === SlackBlock.Duration)!.hint!.text;
    assert.equal(hint, 'e.g. 30m, 2h; at most 8h');
    assertWithinSlackLimits('modal', form);
  });

  test('pre-fills what the command already said, and the chosen entitlement with its system', () => {
    const form = requestForm({
      choices: CHOICES,
      systems: SYSTEMS,
      initial: { entitlementId: 'prod-admin', reason: 'fix INC-7', ticket: 'OPS-9' },
      privateMetadata: '{}',
    });
    const picked = element(form.blocks, SlackBlock.Entitlement).initial_option as {
      value: string;
      text: { text: string };
    };
    assert.equal(picked.value, 'prod-admin');
    assert.equal(picked.text.text, 'Production admin · AWS production');
    assert.equal((element(form.blocks, SlackBlock.System).initial_option as { value: string }).value, 'aws-prod');
    assert.equal(element(form.blocks, SlackBlock.Duration).initial_value, '1h', 'the default duration');
    assert.equal(element(form.blocks, SlackBlock.Reason).initial_value, 'fix INC-7');
    assert.equal(element(form.blocks, SlackBlock.Ticket).initial_value, 'OPS-9');
    assertWithinSlackLimits('modal', form);

    const unknown = requestForm({
      choices: CHOICES,
      systems: SYSTEMS,
      initial: { entitlementId: 'nope', duration: '2h' },
      privateMetadata: '{}',
    });
    assert.equal(element(unknown.blocks, SlackBlock.Entitlement).initial_option, undefined);
    assert.equal(element(unknown.blocks, SlackBlock.Duration).initial_value, '2h');
  });

  test('leaves out the system picker when there is nothing to pick, and keeps at most 100 systems', () => {
    const none = requestForm({ choices: CHOICES, systems: [], privateMetadata: '' });
    assert.ok(!inputs(none.blocks).some((b) => b.block_id === SlackBlock.System));
    assertWithinSlackLimits('modal', none);
    const many = requestForm({
      choices: CHOICES,
      systems: Array.from({ length: 150 }, (_, i) => ({ id: `system-${i}`, title: `System ${i} ${'x'.repeat(100)}` })),
      privateMetadata: '{}',
    });
    assert.equal((element(many.blocks, SlackBlock.System).options as unknown[]).length, 100);
    assertWithinSlackLimits('modal', many);
  });

  test('refuses private_metadata Slack would not keep, rather than cutting JSON in half', () => {
    assert.throws(
      () => requestForm({ choices: CHOICES, systems: SYSTEMS, privateMetadata: 'x'.repeat(3001) }),
      RangeError,
    );
  });
});

describe('entitlementOptions', () => {
  test('matches id, title or system title regardless of case; names starting with the query come first', () => {
    assert.deepEqual(
      entitlementOptions(CHOICES, 'ADMIN').map((o) => o.value),
      ['payments-logs', 'dev-admin', 'prod-admin'],
    );
    assert.deepEqual(
      entitlementOptions(CHOICES, 'development').map((o) => o.value),
      ['dev-admin'],
    );
    assert.deepEqual(
      entitlementOptions(CHOICES, 'prod-r').map((o) => o.value),
      ['prod-read-only'],
    );
    assert.deepEqual(entitlementOptions(CHOICES, 'nothing like it'), []);
  });

  test('puts prefix matches before the rest, then sorts by title', () => {
    assert.deepEqual(
      entitlementOptions(CHOICES, 'prod').map((o) => o.value),
      ['prod-admin', 'prod-read-only'],
    );
    assert.deepEqual(
      entitlementOptions(CHOICES, 'aws').map((o) => o.value),
      ['dev-admin', 'prod-admin', 'prod-read-only'],
    );
    assert.deepEqual(
      entitlementOptions(CHOICES, '').map((o) => o.value),
      ['payments-logs', 'dev-admin', 'prod-admin', 'prod-read-only'],
    );
  });

  test('narrows to the chosen system', () => {
    assert.deepEqual(
      entitlementOptions(CHOICES, '', 'aws-prod').map((o) => o.value),
      ['prod-admin', 'prod-read-only'],
    );
    assert.deepEqual(entitlementOptions(CHOICES, 'dev', 'aws-prod'), []);
  });

  test('says how long and how risky, and stays within option limits with 300 long choices', () => {
    const [admin] = entitlementOptions(CHOICES, 'prod-admin');
    assert.deepEqual(admin, {
      text: { type: 'plain_text', text: 'Production admin · AWS production' },
      value: 'prod-admin',
      description: { type: 'plain_text', text: 'up to 8h · high risk · ticket required' },
    });
    const many = Array.from({ length: 300 }, (_, i) =>
      choice({ id: `e-${i}`, title: `Entitlement ${i} ${'long '.repeat(30)}` }),
    );
    const options = entitlementOptions(many, 'entitlement');
    assert.equal(options.length, 100);
    for (const option of options) assert.ok(option.text.text.length <= 75, option.text.text);
    assertOptionsWithinSlackLimits(options);
  });
});

describe('denyReasonForm', () => {
  test('asks for a reason of at most 500 characters under the ids the handler reads', () => {
    const form = denyReasonForm({
      requestId: 'r-abc123defg',
      title: 'Production admin',
      privateMetadata: '{"requestId":"r-abc123defg"}',
    });
    assert.equal(form.callback_id, SlackView.DenyReason);
    assert.equal(form.title.text, 'Deny request');
    assert.equal(form.private_metadata, '{"requestId":"r-abc123defg"}');
    const [input] = inputs(form.blocks);
    assert.equal(input?.block_id, SlackBlock.DenyReason);
    assert.deepEqual(
      [
        (input?.element as { action_id: string }).action_id,
        (input?.element as { multiline: boolean }).multiline,
        (input?.element as { max_length: number }).max_length,
      ],
      [SlackAction.DenyReasonInput, true, 500],
    );
    assert.match(JSON.stringify(form.blocks), /Production admin.*r-abc123defg/);
    assertWithinSlackLimits('modal', form);
  });
});
