import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digestSlackMessage } from '../../../bot/render/slack/digest';
import { digestTeamsMessage } from '../../../bot/render/teams/digest';
import { buildDigest, type DigestContent } from '../../../domain/digest/content';
import type { Anomaly } from '../../../domain/anomaly/model';
import { assertWithinSlackLimits } from '../../support/checks/block-kit-limits';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { busyFacts, quietDigest } from '../../support/generators/digest';
import { mrkdwnTexts } from './slack/fixtures';

/** The digest's anomalies section on both platforms: counts per system, the most severe explained, hostile text inert. */

function anomaly(overrides: Partial<Anomaly>): Anomaly {
  return {
    systemId: 'aws-prod',
    identityId: 'arn:aws:iam::123456789012:role/payments-app',
    identityName: 'payments-app',
    day: '2026-03-29',
    kind: 'volume',
    subject: 's3:GetObject',
    observed: 4120,
    baseline: 35,
    score: 300,
    severity: 'high',
    explanation: 's3:GetObject ×4,120 on 2026-03-29; its median is 35 (MAD 6)',
    ...overrides,
  };
}

function withAnomalies(top: Anomaly[], total: number): DigestContent {
  const facts = busyFacts();
  return buildDigest({
    ...facts,
    sections: [...facts.sections, 'anomalies'],
    anomalies: {
      total,
      systems: [
        { systemId: 'aws-prod', count: total - 2, high: 2 },
        { systemId: 'gcp-data', count: 2, high: 0 },
      ],
      top,
    },
  });
}

const TOP = [
  anomaly({}),
  anomaly({
    identityName: '<!channel> ops',
    kind: 'new-region',
    subject: 'ap-east-1',
    severity: 'medium',
    explanation: 'new source region ap-east-1 <https://evil.example|click here> [click](https://evil.example)',
  }),
  anomaly({
    systemId: 'gcp-data',
    severity: 'low',
    kind: 'new-address',
    explanation: 'new source address 203.0.113.9',
  }),
];

describe('digest anomalies section', () => {
  test('Slack: the count per system, the most severe explained, the rest counted, nothing forged', () => {
    const message = digestSlackMessage(withAnomalies(TOP, 7), []);
    assertWithinSlackLimits('message', message.blocks);
    const text = mrkdwnTexts(message).join('\n');
    assert.match(text, /\*Anomalies\* · 7 anomalies: `aws-prod` 5 \(2 high\) · `gcp-data` 2/);
    assert.match(
      text,
      /• 🔴 payments-app on `aws-prod`: s3:GetObject ×4,120 on 2026-03-29; its median is 35 \(MAD 6\)/,
    );
    assert.match(text, /…and 4 more anomalies/);
    assert.ok(!text.includes('<!channel>'), 'a mention cannot be forged');
    assert.ok(!text.includes('<https://evil.example'), 'a link cannot be forged');
    assert.match(text, /&lt;!channel&gt; ops/);
    assert.match(message.text, /, 7 anomalies\.$/);
  });

  test('Teams: the same words in a valid card, markdown from the cloud kept as text', () => {
    const { message } = digestTeamsMessage(withAnomalies(TOP, 3), []);
    assert.ok(message.card, 'a card');
    const card = assertCardValid(message.card);
    const text = JSON.stringify(card);
    assert.match(text, /\*\*Anomalies\*\* · 3 anomalies/);
    assert.match(text, /s3:GetObject ×4,120 on 2026-03-29; its median is 35 \(MAD 6\)/);
    assert.ok(!text.includes('[click](https://evil.example)'), 'a link cannot be forged');
    assert.ok(!text.includes('more anomal'), 'all three are shown');
  });

  test('a period with no anomalies (and nothing else) is quiet, and says so', () => {
    const quiet = quietDigest();
    const content = buildDigest({
      digestId: quiet.digestId,
      period: quiet.period,
      sections: ['anomalies'],
      anomalies: { total: 0, systems: [], top: [] },
    });
    assert.equal(content.quiet, true);
    const [line] = mrkdwnTexts(digestSlackMessage(content, []).blocks);
    assert.match(line ?? '', /nothing to report — no anomalies\.$/);
  });
});
