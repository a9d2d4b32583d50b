import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputBlock, KnownBlock, SectionBlock } from '@slack/types';
import {
  encodeTarget,
  parseSuppressDays,
  parseSuppressMetadata,
  parseTarget,
  type FindingsTarget,
} from '../../../bot/render/findings';
import { mayStartCleanup } from '../../../domain/cleanup/authority';
import {
  approvalCard,
  findingsSummaryReply,
  identityCardReply,
  lookRefusedReply,
  noSuchIdentityReply,
  requesterFindingsBlocks,
  rightSizeReply,
  suppressedReply,
  suppressForm,
  suppressRefusedReply,
  withRequesterFindings,
} from '../../../bot/render/slack';
import { cleanupStartedReply } from '../../../bot/render/slack/findings';
import { SlackAction, SlackBlock, SlackView } from '../../../bot/render/slack/ids';
import { assertWithinSlackLimits, type SlackSurface } from '../../support/checks/block-kit-limits';
import {
  ALICE,
  assessment,
  CLEANUP_EXTERNAL,
  CLEANUP_PEOPLE,
  cleanupPolicy,
  finding,
  HOSTILE_NAME,
  hostileViews,
  identityView,
  pci,
  requesterView,
  rightSizeView,
  summary,
  suppressedFinding,
  system,
  SYSTEM,
} from './findings-fixtures';
import { hasHalfEmoji } from './hostile';
import { buttons, mrkdwnTexts, NOW, REQUESTER_SLACK, shown, state, view } from './slack/fixtures';

const DATE = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:.Z-]+>/g;
/** Our own tokens: dates, and the requester's mention on the approval card. */
const OURS = new RegExp(`${DATE.source}|<@${REQUESTER_SLACK}>`, 'g');

/** What Slack would parse from user text: any `<` or broadcast left once our own date tokens are gone. */
function leaks(payload: unknown): string[] {
  return mrkdwnTexts(payload).flatMap((text) => {
    const rest = text.replace(OURS, '');
    const found: string[] = [];
    if (rest.includes('<'))
      found.push(`raw < in ${JSON.stringify(rest.slice(rest.indexOf('<') - 20, rest.indexOf('<') + 40))}`);
    if (/(?<![\w.+-])@(channel|here|everyone)\b/i.test(rest)) found.push('literal broadcast');
    return found;
  });
}

function assertSafe(surface: SlackSurface, payload: unknown, what: string): void {
  assertWithinSlackLimits(surface, payload);
  assert.deepEqual(leaks(payload), [], `${what}: user text reached Slack unescaped`);
  // Button values and private_metadata are opaque to Slack; a message's every other string is shown.
  const json = JSON.stringify(payload, (key, v: unknown) =>
    key === 'value' || key === 'private_metadata' ? undefined : v,
  ).replace(OURS, '');
  if (surface !== 'modal') assert.ok(!/<[!@#h]/.test(json), `${what}: a mention or link from user text`);
  assert.ok(!hasHalfEmoji(payload), `${what}: half an emoji`);
}

const sections = (blocks: KnownBlock[]): string[] =>
  blocks.filter((b): b is SectionBlock => b.type === 'section' && b.text !== undefined).map((b) => b.text!.text);

describe('findings summary (Slack)', () => {
  test('per system: PCI with band and trend, counts per kind and category, top identities with buttons', () => {
    const reply = findingsSummaryReply(summary({ hiddenSystems: 2 }));
    assert.equal(reply.text, 'Findings for 2 systems · overall PCI 52 (medium)');
    assert.deepEqual(reply.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'Findings', emoji: true } });
    assert.deepEqual(sections(reply.blocks).slice(0, 4), [
      'Overall PCI 🟠 52 (medium) across 2 systems\n*Movers in 7 days*\n↑ *alice* on `aws-prod`: 40 → 71',
      '`aws-prod` (AWS) · PCI 🔴 71 (high) · ↑ +5 in 7 days · 120 identities\n' +
        '2 super identities · 1 risky trust · 5 over-provisioned identities\n' +
        'Risk categories: Privilege escalation 12 · Data exfiltration 3',
      '*alice* · PCI 🔴 71 (high) · 3 open findings',
      '*ci* · PCI 🟠 40 (medium) · 1 open finding',
    ]);
    const text = shown(reply);
    assert.match(text, /Collected <!date\^\d+\^.*\|2026-12-01T06:00:00\.000Z> · 4 suppressed \(not counted\)/);
    assert.match(text, /`gcp-data` \(GCP\) · PCI 🟢 12 \(low\) · ↓ −3 in 7 days/);
    assert.match(text, /2 systems with findings are not shown/);
    const ci = 'arn:aws:iam::123456789012:role/ci';
    assert.deepEqual(
      buttons(reply.blocks).map((b) => [b.text, b.action_id, b.value && parseTarget(b.value)]),
      [
        ['Show identity', SlackAction.FindingsShowIdentity, { systemId: SYSTEM, identityId: ALICE }],
        ['Suppress', SlackAction.FindingsSuppress, { systemId: SYSTEM, identityId: ALICE }],
        ['Show identity', SlackAction.FindingsShowIdentity, { systemId: SYSTEM, identityId: ci }],
        ['Suppress', SlackAction.FindingsSuppress, { systemId: SYSTEM, identityId: ci }],
      ],
    );
    assertSafe('message', reply, 'summary');
  });

  test('no trend history and no findings say so plainly', () => {
    const text = shown(
      findingsSummaryReply(
        summary({
          systems: [system({ trend: undefined, counts: {}, categories: {}, suppressed: 0 })],
          movers: undefined,
        }),
      ),
    );
    assert.match(
      text,
      /`aws-prod` \(AWS\) · PCI 🔴 71 \(high\) · 120 identities\nNo open findings\nNo risk categories/,
    );
    assert.doesNotMatch(text, /in 7 days|suppressed/);
    assert.match(
      shown(findingsSummaryReply(summary({ systems: [system({ trend: { delta7d: 0 } })] }))),
      /→ unchanged in 7 days/,
    );
  });

  test('empty state tells how to collect; the hidden note stays', () => {
    const empty = findingsSummaryReply({ systems: [] });
    assert.deepEqual(sections(empty.blocks), [
      'No collected data yet for the systems you may see — run `least inventory collect`.',
    ]);
    assert.deepEqual(buttons(empty.blocks), []);
    assert.match(shown(findingsSummaryReply({ systems: [], hiddenSystems: 1 })), /1 system with findings is not shown/);
    assertSafe('message', empty, 'empty');
  });

  test('systems past the 50 blocks are named on one line with their PCI', () => {
    const systems = Array.from({ length: 40 }, (_, i) => system({ systemId: `sys-${i}` }));
    const reply = findingsSummaryReply(summary({ systems }));
    assertSafe('message', reply, 'many systems');
    const whole = sections(reply.blocks).filter((s) => s.startsWith('`sys-')).length;
    assert.ok(whole >= 5 && whole < 40, `${whole} systems shown whole`);
    // The line names twenty and counts the rest.
    assert.match(
      shown(reply),
      new RegExp(
        `\\*Other systems\\*: \`sys-${whole}\` 🔴 71 \\(high\\) · .* and ${40 - whole - 20} more; \`/access findings &lt;system&gt;\` shows one\\.`,
      ),
    );
  });
});

describe('identity card (Slack)', () => {
  test('PCI with band, ceiling, contributors summing to the score, and what removing the top would leave', () => {
    const card = identityCardReply(identityView());
    assert.equal(card.text, 'Findings for alice: 1 open, 1 suppressed');
    assert.equal(
      sections(card.blocks)[0],
      '*alice* on `aws-prod` (AWS) · human\n*PCI* 🔴 71 (high)\n' +
        '71 = 40 (410 unused write actions on all resources) + 31 (12 privilege-escalation paths)\n' +
        'Could be up to 85: no usage data for 1,204 of 1,530 granted actions.\n' +
        'Without the unused permissions of its top 2 contributors it would be 0.',
    );
    assertSafe('message', card, 'identity card');
  });

  test('more contributors than shown are summed into one term, so the sum still reads as the score', () => {
    const contributors = Array.from({ length: 8 }, (_, i) => ({ label: `bucket ${i}`, points: 10 - i, actions: [] }));
    const score = contributors.reduce((sum, c) => sum + c.points, 0);
    const text = shown(
      identityCardReply(identityView({ assessment: assessment({ pci: pci({ score, contributors }) }) })),
    );
    const line = text.split('\n').find((l) => l.startsWith(`${score} = `));
    assert.equal(
      line,
      '52 = 10 (bucket 0) + 9 (bucket 1) + 8 (bucket 2) + 7 (bucket 3) + 6 (bucket 4) + 12 (3 other contributors)',
    );
    const terms = [...line!.matchAll(/(?:= |\+ )(\d+) \(/g)].map((m) => Number(m[1]));
    assert.equal(
      terms.reduce((a, b) => a + b, 0),
      score,
    );
  });

  test('a zero score, an unscored identity and one without a PCI say why', () => {
    assert.match(
      shown(
        identityCardReply(
          identityView({
            assessment: assessment({ pci: pci({ score: 0, band: 'low', ceiling: 0, contributors: [] }) }),
          }),
        ),
      ),
      /0: the data shows no unused risky permission\./,
    );
    assert.match(
      shown(identityCardReply(identityView({ assessment: assessment({ scored: false, pci: undefined }) }))),
      /No PCI: service-linked roles/,
    );
    assert.match(shown(identityCardReply(identityView({ assessment: assessment({ pci: undefined }) }))), /No PCI yet/);
  });

  test('findings: open first with a Suppress button; suppressed shown as suppressed with reason, by and until', () => {
    const card = identityCardReply(identityView());
    const text = shown(card);
    assert.ok(
      text.includes(
        '🔴 high · *Holds 410 write actions it has not used in 90 days*\n• iam:CreatePolicyVersion unused\n• s3:PutObject unused\n• ec2:RunInstances unused',
      ),
    );
    assert.doesNotMatch(text, /fourth line/);
    assert.match(text, /🔕 medium, suppressed · Unused for 142 days/);
    assert.match(
      text,
      /🔕 Suppressed until <!date\^\d+\^.*\|2027-03-01T00:00:00\.000Z> by sec@example\.com \(chat\): break-glass user, kept on purpose/,
    );
    assert.ok(text.indexOf('Holds 410') < text.indexOf('Unused for 142 days'), 'open before suppressed');
    assert.deepEqual(
      buttons(card.blocks).map((b) => [b.action_id, b.value && parseTarget(b.value)]),
      [[SlackAction.FindingsSuppress, { systemId: SYSTEM, identityId: ALICE, findingId: finding().id }]],
    );
  });

  test('granted vs used by service (most unused first), last activity, window and coverage', () => {
    const text = shown(identityCardReply(identityView()));
    assert.match(
      text,
      /\*Granted vs used by service\*\n`s3`: 300 granted · 6 used · 200 unused · 94 unknown\n`ec2`: 600 granted/,
    );
    assert.match(text, /\*Granted vs used\*\n1,530 actions granted · 7 used · 1,204 unknown/);
    assert.match(text, /\*Last activity\*\n<!date\^\d+\^.*\|2026-11-30T12:00:00\.000Z>/);
    assert.match(text, /\*Usage window\*\n<!date.*2026-09-02.* – <!date.*2026-12-01/);
    assert.match(
      text,
      /\*Data coverage\*\nSources: cloudtrail 2026-09-02…2026-12-01 \(action-day\)\nBlind spots: no usage data/,
    );
    assert.match(
      shown(identityCardReply(identityView({ lastActivity: undefined, assessment: assessment({ pci: undefined }) }))),
      /\*Last activity\*\nnone seen in the data/,
    );
  });

  test('no findings at all', () => {
    assert.match(
      shown(identityCardReply(identityView({ assessment: assessment({ findings: [] }) }))),
      /\*Findings\*: none\./,
    );
  });
});

describe('Clean up on the identity card (Slack)', () => {
  const card = (person: string) =>
    identityCardReply(
      identityView({ mayStartCleanup: mayStartCleanup(cleanupPolicy(), SYSTEM, person, CLEANUP_EXTERNAL) }),
    );
  const cleanUp = (reply: ReturnType<typeof identityCardReply>) =>
    buttons(reply.blocks).filter((b) => b.action_id === SlackAction.FindingsCleanUp);

  test("the system's owners (by group and by Slack user group) and Least's admins get the button", () => {
    for (const person of [CLEANUP_PEOPLE.owner, CLEANUP_PEOPLE.slackOwner, CLEANUP_PEOPLE.admin]) {
      const reply = card(person);
      assert.deepEqual(
        cleanUp(reply).map((b) => ({ text: b.text, value: b.value && parseTarget(b.value) })),
        [{ text: 'Clean up', value: { systemId: SYSTEM, identityId: ALICE } }],
        person,
      );
      assert.match(shown(reply), /Clean up plans the removal of what this identity has not used: its owners are told/);
      assertSafe('message', reply, `card for ${person}`);
    }
  });

  test('an approver, a stranger and the owner of nothing here get none, and no word of it', () => {
    for (const person of [CLEANUP_PEOPLE.approver, CLEANUP_PEOPLE.stranger]) {
      const reply = card(person);
      assert.deepEqual(cleanUp(reply), [], person);
      assert.doesNotMatch(shown(reply), /Clean up/, person);
    }
    assert.equal(mayStartCleanup(cleanupPolicy(), 'gcp-data', CLEANUP_PEOPLE.admin), false, 'no such system');
    // Without the directory's answer, the Slack group's member is nobody.
    assert.equal(mayStartCleanup(cleanupPolicy(), SYSTEM, CLEANUP_PEOPLE.slackOwner), false);
  });

  test('an identity id too long for a button value gives no button rather than a cut id', () => {
    const reply = identityCardReply(
      identityView({ mayStartCleanup: true, assessment: assessment({ identityId: 'i'.repeat(1_500) }) }),
    );
    assert.deepEqual(cleanUp(reply), []);
  });

  test('the answer names the run and the identity, escaped, and says nothing changes yet', () => {
    const started = cleanupStartedReply({ runId: 'cleanup-aws-prod-1', systemId: SYSTEM, identityName: 'alice' });
    assert.equal(
      started.text,
      'Cleanup `cleanup-aws-prod-1` started for *alice* on `aws-prod`: its owners will be told what would change; nothing changes before the notice period ends.',
    );
    assert.deepEqual(sections(started.blocks), [started.text]);
    const joined = cleanupStartedReply({
      runId: 'cleanup-aws-prod-1',
      systemId: SYSTEM,
      identityName: HOSTILE_NAME,
      joined: true,
    });
    assert.equal(
      joined.text,
      'Cleanup `cleanup-aws-prod-1` for *&lt;!channel&gt; &lt;https://evil|click&gt;* on `aws-prod` is already running: its owners are told what would change; nothing changes before the notice period ends.',
    );
    assertSafe('message', joined, 'joined');
  });
});

describe('suppress form and answers (Slack)', () => {
  const target: FindingsTarget = { systemId: SYSTEM, identityId: ALICE, findingId: finding().id };

  test('a modal with a required reason, 30 or 90 days, and the target in private_metadata', () => {
    const form = suppressForm({
      target,
      identityName: 'alice',
      findingTitle: 'Unused for 142 days',
      channelId: 'C123',
    });
    assert.equal(form.callback_id, SlackView.SuppressFindings);
    assert.deepEqual(parseSuppressMetadata(form.private_metadata!), { ...target, channelId: 'C123' });
    assert.deepEqual(sections(form.blocks as KnownBlock[]), [
      'Suppress the finding *Unused for 142 days* of *alice* on `aws-prod`?',
    ]);
    const inputs = form.blocks.filter((b): b is InputBlock => b.type === 'input');
    assert.deepEqual(
      inputs.map((b) => [b.block_id, b.optional ?? false, b.element]),
      [
        [
          SlackBlock.SuppressReason,
          false,
          { type: 'plain_text_input', action_id: SlackAction.SuppressReasonInput, max_length: 500, multiline: true },
        ],
        [
          SlackBlock.SuppressDays,
          false,
          {
            type: 'static_select',
            action_id: SlackAction.SuppressDaysInput,
            options: [
              { text: { type: 'plain_text', text: '30 days' }, value: '30' },
              { text: { type: 'plain_text', text: '90 days' }, value: '90' },
            ],
            initial_option: { text: { type: 'plain_text', text: '30 days' }, value: '30' },
          },
        ],
      ],
    );
    assertSafe('modal', form, 'suppress form');
    assert.match(
      shown(suppressForm({ target: { systemId: SYSTEM, identityId: ALICE }, identityName: 'alice' })),
      /Suppress every finding of \*alice\*/,
    );
  });

  test('confirmation, refusal, refused look and unknown identity, by value', () => {
    const done = suppressedReply({
      target,
      identityName: 'alice',
      findingTitle: 'Unused for 142 days',
      reason: 'kept on purpose',
      by: 'sec@example.com',
      until: '2027-03-01T00:00:00.000Z',
    });
    assert.match(
      done.text,
      /^🔕 Suppressed the finding \*Unused for 142 days\* of \*alice\* on `aws-prod` until <!date\^\d+\^.*>, by sec@example\.com\. Reason: kept on purpose$/,
    );
    assert.match(shown(done), /still shown, marked suppressed/);
    assert.equal(
      suppressRefusedReply(SYSTEM).text,
      '⛔ You may not suppress findings on `aws-prod`: only its owners/admins and security viewers may.',
    );
    assert.equal(
      lookRefusedReply('bob').text,
      '⛔ You may see findings for your own identities only; *bob* is not yours.',
    );
    assert.equal(
      noSuchIdentityReply('bobby').text,
      'No identity called *bobby* in the systems you may see. `/access findings` lists the top identities.',
    );
    for (const reply of [done, suppressRefusedReply(SYSTEM), lookRefusedReply('bob'), noSuchIdentityReply('x')])
      assertSafe('message', reply, 'reply');
  });

  test('targets round-trip and garbage is refused', () => {
    assert.deepEqual(parseTarget(encodeTarget(target)), target);
    assert.deepEqual(parseTarget({ systemId: 'a', identityId: 'b' }), { systemId: 'a', identityId: 'b' });
    for (const bad of [
      'nope',
      '{}',
      '{"systemId":"a"}',
      '{"systemId":"a","identityId":"b","findingId":3}',
      42,
      null,
      { systemId: 'a', identityId: 'x'.repeat(1025) },
    ])
      assert.equal(parseTarget(bad), undefined, JSON.stringify(bad));
    assert.equal(parseSuppressDays('90'), 90);
    assert.equal(parseSuppressDays('45'), undefined);
  });
});

describe('approver card section (Slack)', () => {
  test("the requester's PCI with top contributors and open findings, above the buttons", () => {
    assert.deepEqual(sections(requesterFindingsBlocks(requesterView())), [
      '*Requester’s PCI* on `aws-prod`: 🔴 71 (high) — 410 unused write actions on all resources (40), 12 privilege-escalation paths (31); 3 open findings\n' +
        '• ‼️ critical · AdministratorAccess held, 3 of 22,000 actions used\n' +
        '• 🔴 high · Holds 410 write actions it has not used in 90 days\n' +
        '• and 1 more',
    ]);
    const card = approvalCard(view(state('pending')), NOW);
    const extended = withRequesterFindings(card, requesterView());
    assert.equal(extended.blocks.length, card.blocks.length + 1);
    const actionsAt = extended.blocks.findIndex((b) => b.type === 'actions');
    assert.match(sections([extended.blocks[actionsAt - 1]!])[0]!, /^\*Requester’s PCI\*/);
    assert.equal(
      card.blocks.findIndex((b) => b.type === 'actions'),
      actionsAt - 1,
      'the card passed in is unchanged',
    );
    assertSafe('message', extended, 'approval card with findings');
    const settled = withRequesterFindings(approvalCard(view(state('denied')), NOW), requesterView());
    assert.match(sections([settled.blocks[settled.blocks.length - 2]!])[0]!, /^\*Requester’s PCI\*/);
  });

  test('unavailable, or nothing to say', () => {
    assert.deepEqual(sections(requesterFindingsBlocks(requesterView({ unavailable: 'no collected data yet' }))), [
      '*Requester’s findings* on `aws-prod`: not available (no collected data yet).',
    ]);
    assert.deepEqual(
      sections(requesterFindingsBlocks(requesterView({ pci: undefined, openFindings: [], openTotal: 0 }))),
      ['*Requester’s PCI* on `aws-prod`: none yet · no open findings'],
    );
  });
});

describe('right-size after revoke (Slack)', () => {
  test('what was used, and the narrower entitlement that would have been enough', () => {
    assert.equal(
      rightSizeReply(rightSizeView()).text,
      'Used 2 of the 312 actions of `prod-admin` on `aws-prod`: `s3:GetObject` ×42, `s3:ListBucket` ×3 — `read-only-s3` (18 actions) would have been enough.',
    );
    assert.equal(
      rightSizeReply(rightSizeView({ used: [], suggestion: undefined })).text,
      'Used none of the 312 actions of `prod-admin` on `aws-prod` during the lease.',
    );
    assert.equal(
      rightSizeReply(rightSizeView({ unavailable: 'usage is not available for Azure reads' })).text,
      'How much of `prod-admin` on `aws-prod` was used cannot be told: usage is not available for Azure reads.',
    );
    assert.match(shown(rightSizeReply(rightSizeView())), /Lease `r-abc123defg`/);
  });
});

describe('hostile and huge input (Slack)', () => {
  const texts = [
    HOSTILE_NAME,
    `${HOSTILE_NAME} @here `.repeat(300),
    'x'.repeat(5_000),
    '😀'.repeat(3_000),
    'a&'.repeat(3_000),
  ];
  texts.forEach((text, index) => {
    test(`#${index} ${JSON.stringify(text.slice(0, 30))}: every view is escaped and within Block Kit's limits`, () => {
      const v = hostileViews(text);
      assertSafe('message', findingsSummaryReply(v.summary), 'summary');
      assertSafe('message', identityCardReply(v.identity), 'identity card');
      assertSafe('message', identityCardReply({ ...v.identity, mayStartCleanup: true }), 'card with Clean up');
      assertSafe(
        'message',
        cleanupStartedReply({ runId: text, systemId: text, identityName: text, joined: true }),
        'cleanup started',
      );
      assertSafe('modal', suppressForm({ target: v.target, identityName: text, findingTitle: text }), 'suppress form');
      assertSafe('message', suppressedReply(v.suppressed), 'suppressed');
      assertSafe('message', suppressRefusedReply(text), 'suppress refused');
      assertSafe('message', lookRefusedReply(text), 'look refused');
      assertSafe('message', noSuchIdentityReply(text), 'no such identity');
      assertSafe('message', { text: 'x', blocks: requesterFindingsBlocks(v.requester) }, 'requester');
      assertSafe('message', { text: 'x', blocks: requesterFindingsBlocks(v.requesterUnavailable) }, 'requester n/a');
      assertSafe('message', withRequesterFindings(approvalCard(view(state('pending')), NOW), v.requester), 'approval');
      assertSafe('message', rightSizeReply(v.rightSize), 'right-size');
      assertSafe('message', rightSizeReply(v.rightSizeUnavailable), 'right-size n/a');
    });
  });

  test('the leak check itself catches a raw ping and link', () => {
    const block = (text: string) => ({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    assert.notDeepEqual(leaks(block('ping <!channel>')), []);
    assert.notDeepEqual(leaks(block('<https://evil|click>')), []);
    assert.notDeepEqual(leaks(block('hey @here')), []);
    assert.deepEqual(
      leaks(block('&lt;!channel&gt; <!date^1^{date_short_pretty} {time}|2024-05-01T10:00:00.000Z>')),
      [],
    );
  });

  test('the hostile name is shown escaped, not as a ping or a link', () => {
    const text = shown(lookRefusedReply(HOSTILE_NAME));
    assert.ok(text.includes('*&lt;!channel&gt; &lt;https://evil|click&gt;*'), text);
    const card = shown(
      identityCardReply(
        identityView({
          assessment: assessment({
            identityName: HOSTILE_NAME,
            findings: [finding({ title: HOSTILE_NAME, suppressed: suppressedFinding().suppressed! })],
          }),
        }),
      ),
    );
    assert.ok(card.includes('&lt;!channel&gt; &lt;https://evil|click&gt;'));
    assert.ok(!card.includes('<!channel>') && !card.includes('<https://evil'));
  });

  test('10,000 findings show the first ten and count the rest; buttons stay within 2000 characters', () => {
    const v = hostileViews('x'.repeat(5_000));
    const card = identityCardReply(v.identity);
    assert.ok(card.blocks.length <= 50);
    assert.match(shown(card), /and 9,990 more findings \(5,000 suppressed\)/);
    assert.match(shown(card), /and 4,990 more services/);
    for (const b of buttons(card.blocks)) assert.ok((b.value ?? '').length <= 2000);
    const many = findingsSummaryReply(v.summary);
    assert.ok(many.blocks.length <= 50, `${many.blocks.length} blocks`);
    assert.ok(buttons(many.blocks).length > 0, 'ids of 300 characters still fit a button');
  });

  test('ids too long for a button value give no button rather than a cut id', () => {
    const long = 'i'.repeat(1_500);
    const reply = findingsSummaryReply(
      summary({
        systems: [system({ top: [{ identityId: long, identityName: 'x', pci: 1, band: 'low', findings: 1 }] })],
      }),
    );
    assert.deepEqual(buttons(reply.blocks), []);
    assert.match(shown(reply), /\*x\* · PCI 🟢 1 \(low\)/);
  });
});
