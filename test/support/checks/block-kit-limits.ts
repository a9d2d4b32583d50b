import assert from 'node:assert/strict';
import { SLACK_LIMITS as L } from '../../../bot/render/slack/limits';

/**
 * Block Kit's limits, checked the way Slack checks them: every block and element of a message,
 * modal or Home view is walked, and anything Slack would reject (`invalid_blocks`) is a problem
 * named by its path. Unknown block and element types are problems too, so a new kind of block
 * cannot slip past unchecked.
 */
export type SlackSurface = 'message' | 'modal' | 'home';

export function assertWithinSlackLimits(surface: SlackSurface, blocksOrView: unknown): void {
  const problems = slackLimitProblems(surface, blocksOrView);
  assert.deepEqual(problems, [], `Block Kit limits broken on a ${surface}:\n${problems.join('\n')}`);
}

type Node = Record<string, unknown>;

/** Type-ahead options are not blocks of their own: checked as a select inside a one-block modal. */
export function assertOptionsWithinSlackLimits(options: unknown[]): void {
  assertWithinSlackLimits('modal', {
    type: 'modal',
    title: { type: 'plain_text', text: 't' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'x' },
        accessory: { type: 'static_select', action_id: 'a', options },
      },
    ],
  });
}

export function slackLimitProblems(surface: SlackSurface, blocksOrView: unknown): string[] {
  const problems: string[] = [];
  const fail = (path: string, problem: string): void => void problems.push(`${path}: ${problem}`);
  const container = Array.isArray(blocksOrView) ? { blocks: blocksOrView } : (blocksOrView as Node);
  const blocks = container.blocks;
  if (!Array.isArray(blocks)) return ['blocks: missing'];

  const maxBlocks = { message: L.messageBlocks, modal: L.modalBlocks, home: L.homeBlocks }[surface];
  if (blocks.length > maxBlocks) fail('blocks', `${blocks.length} blocks > ${maxBlocks}`);
  if (surface === 'message' && 'text' in container) length(fail, 'text', container.text, L.fallbackText);
  if (surface !== 'message' && !Array.isArray(blocksOrView)) checkView(fail, surface, container, blocks);

  const blockIds = new Set<string>();
  blocks.forEach((block: unknown, index) => {
    const path = `blocks[${index}]`;
    const id = (block as Node).block_id;
    if (id !== undefined) {
      length(fail, `${path}.block_id`, id, L.id);
      if (blockIds.has(String(id))) fail(`${path}.block_id`, `duplicate "${String(id)}"`);
      blockIds.add(String(id));
    }
    checkBlock(fail, path, block as Node);
  });
  return problems;
}

type Fail = (path: string, problem: string) => void;

function checkView(fail: Fail, surface: SlackSurface, view: Node, blocks: unknown[]): void {
  if (view.type !== surface) fail('type', `expected "${surface}", got ${JSON.stringify(view.type)}`);
  if (view.private_metadata !== undefined)
    length(fail, 'private_metadata', view.private_metadata, L.privateMetadata, 0);
  if (view.callback_id !== undefined) length(fail, 'callback_id', view.callback_id, L.id);
  if (surface !== 'modal') return;
  text(fail, 'title', view.title, L.modalTitle, 'plain_text');
  if (view.submit !== undefined) text(fail, 'submit', view.submit, L.modalButton, 'plain_text');
  if (view.close !== undefined) text(fail, 'close', view.close, L.modalButton, 'plain_text');
  if (view.submit === undefined && blocks.some((b) => (b as Node).type === 'input'))
    fail('submit', 'required with input blocks');
}

function checkBlock(fail: Fail, path: string, block: Node): void {
  switch (block.type) {
    case 'header':
      text(fail, `${path}.text`, block.text, L.headerText, 'plain_text');
      return;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) fail(path, 'a section needs text or fields');
      if (block.text !== undefined) text(fail, `${path}.text`, block.text, L.sectionText);
      if (block.fields !== undefined) {
        const fields = list(fail, `${path}.fields`, block.fields, L.sectionFields);
        fields.forEach((field, i) => text(fail, `${path}.fields[${i}]`, field, L.fieldText));
      }
      if (block.accessory !== undefined) checkElement(fail, `${path}.accessory`, block.accessory as Node);
      return;
    }
    case 'context':
      list(fail, `${path}.elements`, block.elements, L.contextElements).forEach((element, i) => {
        const type = (element as Node).type;
        if (type === 'mrkdwn' || type === 'plain_text') text(fail, `${path}.elements[${i}]`, element, L.sectionText);
        else if (type !== 'image') fail(`${path}.elements[${i}]`, `unknown context element ${JSON.stringify(type)}`);
      });
      return;
    case 'actions': {
      const actionIds = new Set<string>();
      list(fail, `${path}.elements`, block.elements, L.actionElements).forEach((element, i) => {
        const id = String((element as Node).action_id);
        if (actionIds.has(id)) fail(`${path}.elements[${i}].action_id`, `duplicate "${id}" in one block`);
        actionIds.add(id);
        checkElement(fail, `${path}.elements[${i}]`, element as Node);
      });
      return;
    }
    case 'input':
      text(fail, `${path}.label`, block.label, L.inputLabel, 'plain_text');
      if (block.hint !== undefined) text(fail, `${path}.hint`, block.hint, L.inputHint, 'plain_text');
      checkElement(fail, `${path}.element`, block.element as Node);
      return;
    case 'divider':
      return;
    default:
      fail(path, `unknown block type ${JSON.stringify(block.type)}`);
  }
}

function checkElement(fail: Fail, path: string, element: Node | undefined): void {
  if (!element || typeof element !== 'object') return fail(path, 'missing element');
  if (element.action_id !== undefined) length(fail, `${path}.action_id`, element.action_id, L.id);
  if (element.placeholder !== undefined)
    text(fail, `${path}.placeholder`, element.placeholder, L.placeholder, 'plain_text');
  switch (element.type) {
    case 'button':
      text(fail, `${path}.text`, element.text, L.buttonText, 'plain_text');
      if (element.value !== undefined) length(fail, `${path}.value`, element.value, L.buttonValue);
      if (element.url !== undefined) length(fail, `${path}.url`, element.url, L.buttonUrl);
      if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger')
        fail(`${path}.style`, 'primary or danger');
      if (element.confirm !== undefined) checkConfirm(fail, `${path}.confirm`, element.confirm as Node);
      return;
    case 'static_select': {
      const options = list(fail, `${path}.options`, element.options, L.options);
      options.forEach((option, i) => checkOption(fail, `${path}.options[${i}]`, option as Node));
      if (element.initial_option !== undefined) {
        checkOption(fail, `${path}.initial_option`, element.initial_option as Node);
        const initial = JSON.stringify(element.initial_option);
        if (!options.some((option) => JSON.stringify(option) === initial))
          fail(`${path}.initial_option`, 'not one of the options');
      }
      return;
    }
    case 'external_select':
      if (element.initial_option !== undefined)
        checkOption(fail, `${path}.initial_option`, element.initial_option as Node);
      if (typeof element.min_query_length === 'number' && element.min_query_length < 0)
        fail(`${path}.min_query_length`, 'negative');
      return;
    case 'plain_text_input': {
      const max = typeof element.max_length === 'number' ? element.max_length : L.textInputLength;
      if (max > L.textInputLength || max < 1) fail(`${path}.max_length`, `${max} outside 1..${L.textInputLength}`);
      if (element.initial_value !== undefined) length(fail, `${path}.initial_value`, element.initial_value, max);
      return;
    }
    default:
      fail(path, `unknown element type ${JSON.stringify(element.type)}`);
  }
}

function checkConfirm(fail: Fail, path: string, confirm: Node): void {
  if (confirm.title !== undefined) text(fail, `${path}.title`, confirm.title, L.confirmTitle, 'plain_text');
  text(fail, `${path}.text`, confirm.text, L.confirmText);
  if (confirm.confirm !== undefined) text(fail, `${path}.confirm`, confirm.confirm, L.confirmButton, 'plain_text');
  if (confirm.deny !== undefined) text(fail, `${path}.deny`, confirm.deny, L.confirmButton, 'plain_text');
}

function checkOption(fail: Fail, path: string, option: Node): void {
  text(fail, `${path}.text`, option.text, L.optionText, 'plain_text');
  length(fail, `${path}.value`, option.value, L.optionValue);
  if (option.description !== undefined)
    text(fail, `${path}.description`, option.description, L.optionDescription, 'plain_text');
}

/** A text object: the right type, not empty (Slack rejects empty text), not over `max`. */
function text(fail: Fail, path: string, object: unknown, max: number, type?: 'plain_text' | 'mrkdwn'): void {
  const node = object as Node | undefined;
  if (!node || typeof node !== 'object') return fail(path, 'missing text object');
  if (node.type !== 'plain_text' && node.type !== 'mrkdwn')
    fail(`${path}.type`, `not a text type: ${JSON.stringify(node.type)}`);
  if (type && node.type !== type) fail(`${path}.type`, `must be ${type}`);
  length(fail, `${path}.text`, node.text, max);
}

function length(fail: Fail, path: string, value: unknown, max: number, min = 1): void {
  if (typeof value !== 'string') return fail(path, `not a string: ${JSON.stringify(value)}`);
  if (value.length > max) fail(path, `${value.length} characters > ${max}`);
  if (value.length < min || (min > 0 && value.trim() === '')) fail(path, 'empty');
}

function list(fail: Fail, path: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) {
    fail(path, 'not a list');
    return [];
  }
  if (value.length === 0) fail(path, 'empty');
  if (value.length > max) fail(path, `${value.length} items > ${max}`);
  return value;
}
