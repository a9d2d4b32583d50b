import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIGEST_VALUE_MAX, DigestAction, digestButtons, encodeDigestValue } from '../../../bot/render/digest-buttons';
import { parseDigestTarget } from '../../../bot/digest-flow';
import { digestSlackMessage } from '../../../bot/render/slack/digest';
import { digestTeamsMessage } from '../../../bot/render/teams/digest';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { executeActionsIn } from '../../support/checks/teams-cards';
import { busyDigest, busyFacts, quietDigest } from '../../support/generators/digest';
import { buttonsIn } from '../../support/stacks/slack-stack';
import { buildDigest } from '../../../domain/digest/content';

/** The buttons a digest offers into its details: where they sit, what they carry, and what is refused. */

describe('digest buttons', () => {
  test('Slack: Approvals under Access, Findings per system, Cleanup per system with runs; values are ids only', () => {
    const message = digestSlackMessage(busyDigest(), []);
    assertWithinSlackLimits('message', message.blocks);
    assert.deepEqual(buttonsIn(message.blocks), [
      { action_id: `${DigestAction.Approvals}.0`, value: '{}' },
      { action_id: `${DigestAction.Findings}.0`, value: '{"system":"aws-prod"}' },
      { action_id: `${DigestAction.Findings}.1`, value: '{"system":"azure-corp"}' },
      { action_id: `${DigestAction.Findings}.2`, value: '{"system":"gcp-data"}' },
      { action_id: `${DigestAction.Cleanup}.0`, value: '{"system":"aws-prod"}' },
    ]);
    // Each row of buttons follows its own section.
    const kinds = message.blocks.map((b) => b.type);
    assert.equal(kinds.filter((k) => k === 'actions').length, 3);
  });

  test('Teams: the same buttons as Action.Execute, the card valid and within its size', () => {
    const digest = digestTeamsMessage(busyDigest(), []);
    const card = assertCardValid(digest.message.card!);
    assert.deepEqual(
      executeActionsIn(card).map((a) => [a.verb, a.data, a.title]),
      [
        [DigestAction.Approvals, {}, 'Approvals waiting for me'],
        [DigestAction.Findings, { system: 'aws-prod' }, 'Findings: aws-prod'],
        [DigestAction.Findings, { system: 'azure-corp' }, 'Findings: azure-corp'],
        [DigestAction.Findings, { system: 'gcp-data' }, 'Findings: gcp-data'],
        [DigestAction.Cleanup, { system: 'aws-prod' }, 'Cleanup: aws-prod'],
      ],
    );
  });

  test('a quiet digest has no buttons; no approvals waiting, no Approvals button', () => {
    assert.deepEqual(buttonsIn(digestSlackMessage(quietDigest(), []).blocks), []);
    assert.equal(digestTeamsMessage(quietDigest(), []).message.card, undefined);
    const facts = busyFacts();
    const calm = buildDigest({ ...facts, access: { ...facts.access!, waiting: { rows: [], total: 0 } } });
    assert.ok(!digestButtons(calm, 'access').some((b) => b.action === DigestAction.Approvals));
  });

  test('many systems: at most five buttons a section, and a name that is no policy id gets none', () => {
    const facts = busyFacts();
    const systems = Array.from({ length: 12 }, (_, i) => ({ systemId: `sys-${i}`, pciTo: i, openTo: i }));
    const many = buildDigest({
      ...facts,
      findings: { ...facts.findings!, systems: [...systems, { systemId: '<!channel> evil', pciTo: 1, openTo: 1 }] },
    });
    const buttons = digestButtons(many, 'findings');
    assert.equal(buttons.length, 5);
    assert.ok(buttons.every((b) => /^\{"system":"sys-\d+"\}$/.test(encodeDigestValue(b.target))));
    const message = digestSlackMessage(many, []);
    assertWithinSlackLimits('message', message.blocks);
    assert.doesNotMatch(JSON.stringify(buttonsIn(message.blocks)), /channel/);
  });

  test('values read back with zod; anything forged is refused', () => {
    assert.deepEqual(parseDigestTarget(DigestAction.Findings, '{"system":"aws-prod"}'), { system: 'aws-prod' });
    assert.deepEqual(parseDigestTarget(DigestAction.Cleanup, { system: 'aws-prod' }), { system: 'aws-prod' });
    assert.deepEqual(parseDigestTarget(DigestAction.Approvals, '{}'), {});
    const forged: [DigestAction, unknown][] = [
      [DigestAction.Findings, 'aws-prod'],
      [DigestAction.Findings, '{"system":"AWS PROD"}'],
      [DigestAction.Findings, '{"system":"aws-prod","identity":"root"}'],
      [DigestAction.Findings, '{}'],
      [DigestAction.Findings, `{"system":"${'a'.repeat(DIGEST_VALUE_MAX)}"}`],
      [DigestAction.Cleanup, { system: ['aws-prod'] }],
      [DigestAction.Cleanup, { system: 'x'.repeat(5000) }],
      [DigestAction.Approvals, '{"person":"admin@example.com"}'],
      [DigestAction.Approvals, 'null'],
      [DigestAction.Findings, '{"__proto__":{"system":"aws-prod"}}'],
    ];
    for (const [action, value] of forged)
      assert.equal(parseDigestTarget(action, value), undefined, `${action} ${JSON.stringify(value).slice(0, 60)}`);
  });
});
