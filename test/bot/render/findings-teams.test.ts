import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSuppressDays, parseTarget, type FindingsTarget } from '../../../bot/render/findings';
import {
  approvalCard,
  approverCard,
  cardBytes,
  findingsSummaryCard,
  findingsSummaryMessage,
  identityCard,
  identityCardMessage,
  lookRefusedMessage,
  noSuchIdentityMessage,
  requesterFindingsElements,
  rightSizeMessage,
  suppressCard,
  suppressedMessage,
  suppressRefusedMessage,
  withRequesterFindings,
  type AdaptiveCard,
  type TeamsMessage,
} from '../../../bot/render/teams';
import { mayStartCleanup } from '../../../domain/cleanup/authority';
import { card as buildCard } from '../../../bot/render/teams/card';
import { cleanupStartedMessage } from '../../../bot/render/teams/findings';
import { TEAMS_CARD_MAX_BYTES, TeamsInput, TeamsVerb } from '../../../bot/render/teams/ids';
import { assertCardValid } from '../../support/checks/adaptive-cards';
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
import { APPROVER_IDS, inputs, markdownTexts, NOW, shown, state, verbs, view } from './teams/fixtures';

/** Characters that are Teams markdown syntax wherever they stand; our own findings text never uses them. */
const ALWAYS_SYNTAX = new Set(['[', ']', '<', '`', '~', '|', '{']);
const OUR_DATES = /\{\{(DATE|TIME)\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(, SHORT)?\)\}\}/g;

/** What Teams markdown would read as syntax in text that came from a person or a cloud. */
function leaks(markdown: string): string[] {
  const found: string[] = [];
  const text = markdown.replace(OUR_DATES, '');
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (ALWAYS_SYNTAX.has(c))
      found.push(`unescaped ${c} in ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
  }
  for (const line of text.split('\n')) {
    if (/^\s*([#>+\-=]|\*\s|\d+[.)])/.test(line))
      found.push(`a line starting with syntax: ${JSON.stringify(line.slice(0, 40))}`);
  }
  return found;
}

function assertSafeCard(value: AdaptiveCard, what: string): void {
  assertCardValid(value);
  assert.deepEqual(markdownTexts(value).flatMap(leaks), [], `${what}: user text reached Teams markdown unescaped`);
  assert.ok(
    !markdownTexts(value).some((t) => t.includes('too large for Teams')),
    `${what}: fell back to the too-large card`,
  );
  assert.ok(!hasHalfEmoji(value), `${what}: half an emoji`);
}

function assertSafeMessage(message: TeamsMessage, what: string): void {
  assert.ok(message.card, `${what}: a card`);
  assertSafeCard(message.card, what);
  assert.ok(!message.text.includes('\n') && message.text.length <= 200, `${what}: summary ${message.text.length}`);
}

describe('findings summary (Teams)', () => {
  test('per system: PCI with band and trend, counts per kind and category, top identities with buttons', () => {
    const message = findingsSummaryMessage(summary({ hiddenSystems: 2 }));
    assert.equal(message.text, 'Findings for 2 systems · overall PCI 52 (medium)');
    const texts = markdownTexts(message.card);
    assert.deepEqual(texts.slice(0, 9), [
      'Findings',
      'Overall PCI 🟠 52 (medium) across 2 systems',
      '**Movers in 7 days**\n\n↑ **alice** on **aws-prod**: 40 → 71',
      '**aws-prod** (AWS) · PCI 🔴 71 (high) · ↑ +5 in 7 days · 120 identities',
      '2 super identities · 1 risky trust · 5 over-provisioned identities',
      'Risk categories: Privilege escalation 12 · Data exfiltration 3',
      'Collected {{DATE(2026-12-01T06:00:00Z, SHORT)}} {{TIME(2026-12-01T06:00:00Z)}} · 4 suppressed (not counted)',
      '**alice** · PCI 🔴 71 (high) · 3 open findings',
      '**ci** · PCI 🟠 40 (medium) · 1 open finding',
    ]);
    assert.match(shown(message.card), /\*\*gcp-data\*\* \(GCP\) · PCI 🟢 12 \(low\) · ↓ −3 in 7 days/);
    assert.match(shown(message.card), /2 systems with findings are not shown/);
    const ci = 'arn:aws:iam::123456789012:role/ci';
    assert.deepEqual(verbs(message.card), [
      [TeamsVerb.FindingsShowIdentity, { systemId: SYSTEM, identityId: ALICE }],
      [TeamsVerb.FindingsSuppress, { systemId: SYSTEM, identityId: ALICE }],
      [TeamsVerb.FindingsShowIdentity, { systemId: SYSTEM, identityId: ci }],
      [TeamsVerb.FindingsSuppress, { systemId: SYSTEM, identityId: ci }],
    ]);
    for (const [, data] of verbs(message.card)) assert.ok(parseTarget(data), 'the handler can read every button');
    assertSafeMessage(message, 'summary');
  });

  test('empty state tells how to collect; the hidden note stays', () => {
    const empty = findingsSummaryCard({ systems: [], hiddenSystems: 1 });
    assert.deepEqual(markdownTexts(empty), [
      'Findings',
      'No collected data yet for the systems you may see — run **least inventory collect**.',
      '1 system with findings is not shown: you see the systems you own, administer or approve for, and your own identities.',
    ]);
    assert.deepEqual(verbs(empty), []);
    assertSafeCard(empty, 'empty');
  });

  test('systems past the card budget are named on one line with their PCI', () => {
    const systems = Array.from({ length: 60 }, (_, i) => system({ systemId: `sys-${i}` }));
    const value = findingsSummaryCard(summary({ systems }));
    assertSafeCard(value, 'many systems');
    const whole = markdownTexts(value).filter((t) => t.startsWith('**sys-')).length;
    assert.ok(whole >= 3 && whole < 60, `${whole} systems shown whole`);
    assert.match(shown(value), new RegExp(`\\*\\*Other systems\\*\\*: \\*\\*sys-${whole}\\*\\* 🔴 71 \\(high\\)`));
  });
});

describe('identity card (Teams)', () => {
  test('PCI with band, ceiling, contributors summing to the score, and what removing the top would leave', () => {
    const message = identityCardMessage(identityView());
    assert.equal(message.text, 'Findings for one identity: 1 open, 1 suppressed');
    assert.deepEqual(markdownTexts(message.card).slice(0, 6), [
      'Identity findings',
      '**alice** on **aws-prod** (AWS) · human',
      '**PCI** 🔴 71 (high)',
      '71 = 40 (410 unused write actions on all resources) + 31 (12 privilege-escalation paths)',
      'Could be up to 85: no usage data for 1,204 of 1,530 granted actions.',
      'Without the unused permissions of its top 2 contributors it would be 0.',
    ]);
    assertSafeMessage(message, 'identity card');
  });

  test('more contributors than shown are summed into one term, so the sum still reads as the score', () => {
    const contributors = Array.from({ length: 8 }, (_, i) => ({ label: `bucket ${i}`, points: 10 - i, actions: [] }));
    const text = shown(
      identityCard(identityView({ assessment: assessment({ pci: pci({ score: 52, contributors }) }) })),
    );
    assert.ok(
      text.includes(
        '52 = 10 (bucket 0) + 9 (bucket 1) + 8 (bucket 2) + 7 (bucket 3) + 6 (bucket 4) + 12 (3 other contributors)',
      ),
    );
  });

  test('findings: open first with Suppress; suppressed shown as suppressed with reason, by and until', () => {
    const value = identityCard(identityView());
    const texts = markdownTexts(value);
    const open = texts.indexOf('🔴 high · **Holds 410 write actions it has not used in 90 days**');
    const muted = texts.indexOf('🔕 medium, suppressed · Unused for 142 days');
    assert.ok(open >= 0 && muted > open, 'open before suppressed');
    assert.deepEqual(texts.slice(open + 1, open + 4), [
      'iam:CreatePolicyVersion unused',
      's3:PutObject unused',
      'ec2:RunInstances unused',
    ]);
    assert.ok(!texts.includes('fourth line'));
    assert.ok(
      texts.includes(
        '🔕 Suppressed until {{DATE(2027-03-01T00:00:00Z, SHORT)}} {{TIME(2027-03-01T00:00:00Z)}} by sec@example.com (chat): break-glass user, kept on purpose',
      ),
    );
    assert.deepEqual(verbs(value), [
      [TeamsVerb.FindingsSuppress, { systemId: SYSTEM, identityId: ALICE, findingId: finding().id }],
    ]);
  });

  test('granted vs used by service, last activity, window and coverage', () => {
    const value = identityCard(identityView());
    const text = shown(value);
    assert.match(
      text,
      /\*\*Granted vs used by service\*\*\n\*\*s3\*\*: 300 granted · 6 used · 200 unused · 94 unknown\n\n\*\*ec2\*\*: 600 granted/,
    );
    assert.match(text, /Granted vs used\n1,530 actions granted · 7 used · 1,204 unknown/);
    assert.match(text, /Last activity\n\{\{DATE\(2026-11-30T12:00:00Z, SHORT\)\}\}/);
    assert.match(
      text,
      /Sources\ncloudtrail 2026-09-02…2026-12-01 \(action-day\)\nBlind spots\nno usage data for 1,204/,
    );
    assert.match(
      shown(identityCard(identityView({ assessment: assessment({ findings: [] }) }))),
      /\*\*Findings\*\*: none\./,
    );
  });
});

describe('Clean up on the identity card (Teams)', () => {
  const card = (person: string) =>
    identityCard(identityView({ mayStartCleanup: mayStartCleanup(cleanupPolicy(), SYSTEM, person, CLEANUP_EXTERNAL) }));
  const cleanUp = (value: AdaptiveCard) => verbs(value).filter(([verb]) => verb === TeamsVerb.FindingsCleanUp);

  test("the system's owners (by group and by Slack user group) and Least's admins get the button", () => {
    for (const person of [CLEANUP_PEOPLE.owner, CLEANUP_PEOPLE.slackOwner, CLEANUP_PEOPLE.admin]) {
      const value = card(person);
      assert.deepEqual(cleanUp(value), [[TeamsVerb.FindingsCleanUp, { systemId: SYSTEM, identityId: ALICE }]], person);
      assert.ok(parseTarget(cleanUp(value)[0]![1]), 'the handler can read the button');
      assert.match(shown(value), /Clean up plans the removal of what this identity has not used: its owners are told/);
      assertSafeCard(value, `card for ${person}`);
    }
  });

  test('an approver and a stranger get none, and no word of it', () => {
    for (const person of [CLEANUP_PEOPLE.approver, CLEANUP_PEOPLE.stranger]) {
      const value = card(person);
      assert.deepEqual(cleanUp(value), [], person);
      assert.doesNotMatch(shown(value), /Clean up/, person);
    }
  });

  test('an identity id too long to carry gives no button rather than a cut id', () => {
    const value = identityCard(
      identityView({ mayStartCleanup: true, assessment: assessment({ identityId: 'i'.repeat(1_500) }) }),
    );
    assert.deepEqual(cleanUp(value), []);
  });

  test('the answer is a message (the card stays), naming the run and the identity, escaped', () => {
    const started = cleanupStartedMessage({ runId: 'cleanup-aws-prod-1', systemId: SYSTEM, identityName: 'alice' });
    assert.equal(started.card, undefined);
    assert.equal(
      started.text,
      'Cleanup **cleanup-aws-prod-1** started for **alice** on **aws-prod**: its owners will be told what would change; nothing changes before the notice period ends.',
    );
    const joined = cleanupStartedMessage({
      runId: 'cleanup-aws-prod-1',
      systemId: SYSTEM,
      identityName: HOSTILE_NAME,
      joined: true,
    });
    assert.equal(
      joined.text,
      'Cleanup **cleanup-aws-prod-1** for **\\<!channel> \\<https://evil\\|click>** on **aws-prod** is already running: its owners are told what would change; nothing changes before the notice period ends.',
    );
    assert.deepEqual(leaks(joined.text), []);
  });
});

describe('suppress card and answers (Teams)', () => {
  const target: FindingsTarget = { systemId: SYSTEM, identityId: ALICE, findingId: finding().id };

  test('a required reason, 30 or 90 days, and a submit carrying the target', () => {
    const value = suppressCard({ target, identityName: 'alice', findingTitle: 'Unused for 142 days' });
    assertSafeCard(value, 'suppress card');
    assert.ok(
      markdownTexts(value).includes('Suppress the finding **Unused for 142 days** of **alice** on **aws-prod**?'),
    );
    const { [TeamsInput.SuppressReason]: reason, [TeamsInput.SuppressDays]: days } = inputs(value);
    assert.deepEqual(
      [reason?.type, reason?.isRequired, reason?.maxLength, reason?.isMultiline],
      ['Input.Text', true, 500, true],
    );
    assert.deepEqual(
      [days?.type, days?.isRequired, days?.value, days?.choices],
      [
        'Input.ChoiceSet',
        true,
        '30',
        [
          { title: '30 days', value: '30' },
          { title: '90 days', value: '90' },
        ],
      ],
    );
    assert.deepEqual(verbs(value), [[TeamsVerb.FindingsSuppressSubmit, target]]);
    assert.equal(parseSuppressDays(days?.value), 30);
    const again = suppressCard({ target, identityName: 'alice', problem: 'Say why; security reads this.' });
    assert.match(shown(again), /⚠️ Say why; security reads this\./);
  });

  test('confirmation, refusal, refused look and unknown identity, by value', () => {
    const done = suppressedMessage({
      target,
      identityName: 'alice',
      findingTitle: 'Unused for 142 days',
      reason: 'kept on purpose',
      by: 'sec@example.com',
      until: '2027-03-01T00:00:00.000Z',
    });
    assert.equal(
      markdownTexts(done.card)[0],
      '🔕 Suppressed the finding **Unused for 142 days** of **alice** on **aws-prod** until {{DATE(2027-03-01T00:00:00Z, SHORT)}} {{TIME(2027-03-01T00:00:00Z)}}, by sec@example.com. Reason: kept on purpose',
    );
    assert.deepEqual(markdownTexts(suppressRefusedMessage(SYSTEM).card), [
      '⛔ You may not suppress findings on **aws-prod**: only its owners/admins and security viewers may.',
    ]);
    assert.deepEqual(markdownTexts(lookRefusedMessage('bob').card), [
      '⛔ You may see findings for your own identities only; **bob** is not yours.',
    ]);
    assert.deepEqual(markdownTexts(noSuchIdentityMessage('bobby').card), [
      'No identity called **bobby** in the systems you may see. **findings** lists the top identities.',
    ]);
    for (const m of [done, suppressRefusedMessage(SYSTEM), lookRefusedMessage('bob'), noSuchIdentityMessage('x')])
      assertSafeMessage(m, 'reply');
  });
});

describe('approver card section (Teams)', () => {
  test("the requester's PCI with top contributors and open findings, above the comment box", () => {
    assert.deepEqual(
      markdownTexts({ type: 'AdaptiveCard', version: '1.5', body: requesterFindingsElements(requesterView()) }),
      [
        '**Requester’s PCI** on **aws-prod**: 🔴 71 (high) — 410 unused write actions on all resources (40), 12 privilege-escalation paths (31); 3 open findings',
        '‼️ critical · AdministratorAccess held, 3 of 22,000 actions used',
        '🔴 high · Holds 410 write actions it has not used in 90 days',
        'and 1 more',
      ],
    );
    const original = approverCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS });
    const before = JSON.stringify(original);
    const extended = withRequesterFindings(original, requesterView());
    assert.equal(JSON.stringify(original), before, 'the card passed in is unchanged');
    const body = extended.body as { type: string }[];
    const comment = body.findIndex((e) => e.type === 'Input.Text');
    assert.match(shown({ ...extended, body: [body[comment - 1]] }), /^\*\*Requester’s PCI\*\*/);
    assert.deepEqual(verbs(extended), verbs(original));
    assert.deepEqual(extended.refresh, original.refresh);
    assertSafeCard(extended, 'approver card with findings');
    const settled = withRequesterFindings(approvalCard(view(state('denied')), NOW), requesterView());
    const settledBody = settled.body as unknown[];
    assert.match(shown({ ...settled, body: [settledBody[settledBody.length - 2]] }), /^\*\*Requester’s PCI\*\*/);
  });

  test('unavailable, or nothing to say', () => {
    const body = (v: Parameters<typeof requesterFindingsElements>[0]) =>
      markdownTexts({ type: 'AdaptiveCard', version: '1.5', body: requesterFindingsElements(v) });
    assert.deepEqual(body(requesterView({ unavailable: 'no collected data yet' })), [
      '**Requester’s findings** on **aws-prod**: not available (no collected data yet).',
    ]);
    assert.deepEqual(body(requesterView({ pci: undefined, openFindings: [], openTotal: 0 })), [
      '**Requester’s PCI** on **aws-prod**: none yet · no open findings',
    ]);
  });
});

describe('right-size after revoke (Teams)', () => {
  test('what was used, and the narrower entitlement that would have been enough', () => {
    const message = rightSizeMessage(rightSizeView());
    assert.deepEqual(markdownTexts(message.card), [
      'How much of the grant was used',
      'Used 2 of the 312 actions of **prod-admin** on **aws-prod**: **s3:GetObject** ×42, **s3:ListBucket** ×3',
      '**read-only-s3** (18 actions) would have been enough.',
      'Lease r-abc123defg',
    ]);
    assert.deepEqual(
      markdownTexts(
        rightSizeMessage(rightSizeView({ unavailable: 'usage is not available for Azure reads' })).card,
      ).slice(1, 2),
      ['How much of **prod-admin** on **aws-prod** was used cannot be told: usage is not available for Azure reads.'],
    );
    assertSafeMessage(message, 'right-size');
  });
});

describe('hostile and huge input (Teams)', () => {
  const texts = [
    HOSTILE_NAME,
    '[click](https://evil.example) <at>everyone</at> **bold** {{DATE(2030-01-01T00:00:00Z)}}\n- item\n1. one',
    'x'.repeat(5_000),
    '漢'.repeat(5_000),
    '😀'.repeat(3_000),
    '\\'.repeat(5_000),
  ];
  texts.forEach((text, index) => {
    test(`#${index} ${JSON.stringify(text.slice(0, 24))}: every card is escaped and within Teams' limits`, () => {
      const v = hostileViews(text);
      assertSafeMessage(findingsSummaryMessage(v.summary), 'summary');
      assertSafeMessage(identityCardMessage(v.identity), 'identity card');
      assertSafeMessage(identityCardMessage({ ...v.identity, mayStartCleanup: true }), 'card with Clean up');
      const started = cleanupStartedMessage({ runId: text, systemId: text, identityName: text, joined: true });
      assert.deepEqual(leaks(started.text), [], 'cleanup started');
      assert.ok(!hasHalfEmoji(started.text), 'cleanup started: half an emoji');
      assertSafeCard(
        suppressCard({ target: v.target, identityName: text, findingTitle: text, problem: text }),
        'suppress card',
      );
      assertSafeMessage(suppressedMessage(v.suppressed), 'suppressed');
      assertSafeMessage(suppressRefusedMessage(text), 'suppress refused');
      assertSafeMessage(lookRefusedMessage(text), 'look refused');
      assertSafeMessage(noSuchIdentityMessage(text), 'no such identity');
      assertSafeCard(buildCard(requesterFindingsElements(v.requester)), 'requester');
      assertSafeCard(buildCard(requesterFindingsElements(v.requesterUnavailable)), 'requester n/a');
      assertSafeCard(
        withRequesterFindings(approverCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS }), v.requester),
        'approver card',
      );
      assertSafeMessage(rightSizeMessage(v.rightSize), 'right-size');
      assertSafeMessage(rightSizeMessage(v.rightSizeUnavailable), 'right-size n/a');
    });
  });

  test('the leak check itself catches a link, a mention tag and a list line', () => {
    assert.notDeepEqual(leaks('see [x](https://evil.example)'), []);
    assert.notDeepEqual(leaks('hi <at>everyone</at>'), []);
    assert.notDeepEqual(leaks('ok\n- item'), []);
    assert.deepEqual(leaks('\\[x\\](y) **aws-prod** {{DATE(2024-05-01T09:00:00Z, SHORT)}}'), []);
  });

  test('the hostile name is shown escaped, not as a link', () => {
    const texts = markdownTexts(lookRefusedMessage(HOSTILE_NAME).card);
    assert.deepEqual(texts, [
      '⛔ You may see findings for your own identities only; **\\<!channel> \\<https://evil\\|click>** is not yours.',
    ]);
    const value = identityCard(
      identityView({
        assessment: assessment({
          identityName: HOSTILE_NAME,
          findings: [finding({ title: HOSTILE_NAME, suppressed: suppressedFinding().suppressed! })],
        }),
      }),
    );
    assert.deepEqual(markdownTexts(value).flatMap(leaks), []);
    assert.ok(shown(value).includes('\\<https://evil\\|click>'));
  });

  test('10,000 findings and 1,000 systems stay under 24 KB with their buttons, and count what is not shown', () => {
    const v = hostileViews('x'.repeat(5_000));
    const value = identityCard(v.identity);
    assert.ok(cardBytes(value) <= TEAMS_CARD_MAX_BYTES);
    assert.match(shown(value), /and [\d,]+ more findings \([\d,]+ suppressed\)/);
    assert.match(shown(value), /and 4,990 more services/);
    assert.ok(verbs(value).length > 0, 'open findings keep their Suppress button');
    const many = findingsSummaryCard(v.summary);
    assert.ok(cardBytes(many) <= TEAMS_CARD_MAX_BYTES);
    assert.ok(verbs(many).length > 0);
    assert.match(shown(many), /\*\*Other systems\*\*: .* and 9\d\d more/);
  });

  test('ids too long to carry give no button rather than a cut id', () => {
    const long = 'i'.repeat(1_500);
    const value = findingsSummaryCard(
      summary({
        systems: [system({ top: [{ identityId: long, identityName: 'x', pci: 1, band: 'low', findings: 1 }] })],
      }),
    );
    assert.deepEqual(verbs(value), []);
    assert.match(shown(value), /\*\*x\*\* · PCI 🟢 1 \(low\)/);
  });
});
