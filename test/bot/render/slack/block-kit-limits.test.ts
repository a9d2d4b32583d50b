import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertWithinSlackLimits, slackLimitProblems } from '../../../support/checks/block-kit-limits';

/** The checker every renderer test leans on: it must see each kind of breach, or those tests prove nothing. */

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: { type: 'plain_text', text: 'Go' },
  action_id: 'go',
  ...extra,
});
const option = (text: string, value = 'v') => ({ text: { type: 'plain_text', text }, value });
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Title' },
  blocks: [section('x')],
  ...extra,
});

describe('assertWithinSlackLimits', () => {
  test('passes a well-formed message, modal and home', () => {
    assertWithinSlackLimits('message', {
      text: 'fallback',
      blocks: [section('hi'), { type: 'actions', elements: [button({ value: 'r-1' })] }],
    });
    assertWithinSlackLimits('modal', modal());
    assertWithinSlackLimits('home', {
      type: 'home',
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Home' } }, { type: 'divider' }],
    });
  });

  test('fails on too many blocks for the surface', () => {
    const blocks = Array.from({ length: 51 }, () => section('x'));
    assert.throws(() => assertWithinSlackLimits('message', blocks), /51 blocks > 50/);
    assertWithinSlackLimits('home', blocks);
    assert.throws(
      () => assertWithinSlackLimits('home', { type: 'home', blocks: [...blocks, ...blocks] }),
      /102 blocks > 100/,
    );
  });

  test('names each text over its limit', () => {
    const problems = (blocks: unknown[]) => slackLimitProblems('message', blocks);
    assert.deepEqual(problems([section('x'.repeat(3001))]), ['blocks[0].text.text: 3001 characters > 3000']);
    assert.deepEqual(problems([{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }]), [
      'blocks[0].text.text: 151 characters > 150',
    ]);
    assert.deepEqual(problems([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }]), [
      'blocks[0].text.type: must be plain_text',
    ]);
    assert.deepEqual(
      problems([{ type: 'actions', elements: [button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })] }]),
      ['blocks[0].elements[0].text.text: 76 characters > 75'],
    );
    assert.deepEqual(problems([{ type: 'actions', elements: [button({ value: 'x'.repeat(2001) })] }]), [
      'blocks[0].elements[0].value: 2001 characters > 2000',
    ]);
    assert.deepEqual(
      problems([{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }]),
      ['blocks[0].elements: 11 items > 10'],
    );
    assert.deepEqual(problems([section('')]), ['blocks[0].text.text: empty']);
    assert.deepEqual(slackLimitProblems('message', { text: 'x'.repeat(4001), blocks: [] }), [
      'text: 4001 characters > 4000',
    ]);
  });

  test('checks options, their count, and that a static initial option is one of them', () => {
    const select = (options: unknown[], extra: Record<string, unknown> = {}) => [
      { ...section('pick'), accessory: { type: 'static_select', action_id: 'pick', options, ...extra } },
    ];
    assert.deepEqual(slackLimitProblems('modal', select([option('x'.repeat(76))])), [
      'blocks[0].accessory.options[0].text.text: 76 characters > 75',
    ]);
    assert.deepEqual(slackLimitProblems('modal', select(Array.from({ length: 101 }, (_, i) => option('o', `v${i}`)))), [
      'blocks[0].accessory.options: 101 items > 100',
    ]);
    assert.deepEqual(slackLimitProblems('modal', select([option('a')], { initial_option: option('b') })), [
      'blocks[0].accessory.initial_option: not one of the options',
    ]);
  });

  test('checks the modal itself: title, buttons, metadata, submit with inputs', () => {
    assert.deepEqual(slackLimitProblems('modal', modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } })), [
      'title.text: 25 characters > 24',
    ]);
    assert.deepEqual(slackLimitProblems('modal', modal({ private_metadata: 'x'.repeat(3001) })), [
      'private_metadata: 3001 characters > 3000',
    ]);
    const input = {
      type: 'input',
      block_id: 'b',
      label: { type: 'plain_text', text: 'L' },
      element: { type: 'plain_text_input', action_id: 'a', max_length: 5, initial_value: 'toolong' },
    };
    assert.deepEqual(slackLimitProblems('modal', modal({ blocks: [input] })), [
      'submit: required with input blocks',
      'blocks[0].element.initial_value: 7 characters > 5',
    ]);
    assert.deepEqual(slackLimitProblems('home', modal()), ['type: expected "home", got "modal"']);
  });

  test('rejects duplicate ids and kinds of block it does not know', () => {
    assert.deepEqual(
      slackLimitProblems('message', [
        { ...section('a'), block_id: 'same' },
        { ...section('b'), block_id: 'same' },
      ]),
      ['blocks[1].block_id: duplicate "same"'],
    );
    assert.deepEqual(slackLimitProblems('message', [{ type: 'actions', elements: [button(), button()] }]), [
      'blocks[0].elements[1].action_id: duplicate "go" in one block',
    ]);
    assert.deepEqual(slackLimitProblems('message', [{ type: 'rich_text', elements: [] }]), [
      'blocks[0]: unknown block type "rich_text"',
    ]);
    assert.deepEqual(
      slackLimitProblems('message', [{ type: 'actions', elements: [{ type: 'datepicker', action_id: 'd' }] }]),
      ['blocks[0].elements[0]: unknown element type "datepicker"'],
    );
  });
});
