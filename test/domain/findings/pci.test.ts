import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  actionWeight,
  bandOf,
  ESCALATION_PATH_WEIGHT,
  permissionCreepIndex,
  PciTally,
  SCALE,
  scoreOf,
  type ScoredAction,
} from '../../../domain/findings/pci';

const coverage = { sources: ['cloudtrail 2026-09-02…2026-12-01 (action-day)'], blindSpots: [] };

function writes(n: number, verdict: ScoredAction['verdict'], reach: 'all' | 'some' = 'all'): ScoredAction[] {
  return Array.from({ length: n }, (_, i) => ({
    action: `ec2:Write${String(i).padStart(4, '0')}`,
    accessLevels: ['Write'],
    resourceReach: reach,
    conditional: false,
    verdict,
    categories: ['InfrastructureModification'],
  }));
}

describe('Permission Creep Index', () => {
  test('nothing unused scores 0, whatever is used or unknown', () => {
    const pci = permissionCreepIndex({ actions: [...writes(50, 'used')], escalations: [], coverage });
    assert.equal(pci.score, 0);
    assert.equal(pci.band, 'low');
    assert.deepEqual(pci.contributors, []);
    const unknown = permissionCreepIndex({ actions: writes(50, 'unknown'), escalations: [], coverage });
    assert.equal(unknown.score, 0);
    assert.equal(unknown.ceiling, scoreOf(50 * 4), 'unknown shows only in the ceiling');
  });

  test('the published formula: 410 unused writes on all resources and 12 escalation paths', () => {
    const actions = writes(410, 'unused');
    const escalations = Array.from({ length: 12 }, (_, i) => ({
      technique: `Technique${i}`,
      actions: [actions[i]!.action],
      conditional: false,
    }));
    const pci = permissionCreepIndex({ actions, escalations, lastUsed: '2026-08-02', coverage });
    const mass = 410 * 4 + 12 * ESCALATION_PATH_WEIGHT;
    assert.equal(pci.score, Math.round(100 * (1 - Math.exp(-mass / SCALE))));
    assert.equal(pci.score, 71);
    assert.equal(pci.band, 'high');
    assert.deepEqual(
      pci.contributors.map((c) => [c.points, c.label]),
      [
        [62, '410 unused write actions on all resources'],
        [9, '12 privilege-escalation paths'],
      ],
      'as docs/pci.md shows it',
    );
    assert.equal(
      pci.contributors.reduce((sum, c) => sum + c.points, 0),
      pci.score,
      'the explanation sums to the score',
    );
    assert.equal(pci.ifTopRemoved, 0, 'removing both contributors removes all the mass');
    assert.equal(pci.lastUsed, '2026-08-02');
  });

  test('monotonic: every further unused risky permission never lowers the score', () => {
    let previous = -1;
    for (let n = 0; n <= 3000; n += 37) {
      const score = permissionCreepIndex({ actions: writes(n, 'unused'), escalations: [], coverage }).score;
      assert.ok(score >= previous, `${n} unused: ${score} < ${previous}`);
      previous = score;
    }
    assert.ok(previous <= 100);
    assert.equal(scoreOf(1e9), 100);
  });

  test('reach, conditions and access levels weigh as published', () => {
    const base = { action: 'a', categories: [] as const, verdict: 'unused' as const };
    assert.equal(
      actionWeight({
        ...base,
        accessLevels: ['Permissions management', 'Write'],
        resourceReach: 'all',
        conditional: false,
      }),
      8,
    );
    assert.equal(actionWeight({ ...base, accessLevels: ['Write'], resourceReach: 'some', conditional: false }), 2);
    assert.equal(actionWeight({ ...base, accessLevels: ['Write'], resourceReach: 'some', conditional: true }), 1);
    assert.equal(
      actionWeight({
        ...base,
        accessLevels: ['Read'],
        resourceReach: 'all',
        conditional: false,
        categories: ['CredentialsExposure'],
      }),
      8,
    );
    assert.equal(actionWeight({ ...base, accessLevels: [], resourceReach: 'all', conditional: false }), 1);
  });

  test('an escalation path counts only when none of its actions was used', () => {
    const actions = [...writes(1, 'used'), ...writes(2, 'unused').map((a) => ({ ...a, action: `${a.action}b` }))];
    const used = permissionCreepIndex({
      actions,
      escalations: [{ technique: 'T', actions: [actions[0]!.action, actions[1]!.action], conditional: false }],
      coverage,
    });
    const unused = permissionCreepIndex({
      actions,
      escalations: [{ technique: 'T', actions: [actions[1]!.action, actions[2]!.action], conditional: false }],
      coverage,
    });
    assert.equal(used.score, scoreOf(8));
    assert.equal(unused.score, scoreOf(8 + ESCALATION_PATH_WEIGHT));
  });

  test('bands: 0–33 low, 34–66 medium, 67–100 high', () => {
    assert.deepEqual([0, 33, 34, 66, 67, 100].map(bandOf), ['low', 'low', 'medium', 'medium', 'high', 'high']);
  });

  test('contributors always sum to the score, with many buckets', () => {
    for (let seed = 1; seed < 40; seed += 1) {
      const actions: ScoredAction[] = [];
      const levels = [['Read'], ['Write'], ['Permissions management'], ['List'], ['Tagging']] as const;
      for (let i = 0; i < seed * 7; i += 1)
        actions.push({
          action: `svc:A${i}`,
          accessLevels: [...levels[(i * seed) % levels.length]!],
          resourceReach: i % 3 === 0 ? 'some' : 'all',
          conditional: i % 5 === 0,
          verdict: i % 4 === 0 ? 'used' : 'unused',
          categories: i % 11 === 0 ? ['DataExfiltration'] : [],
        });
      const pci = permissionCreepIndex({ actions, escalations: [], coverage });
      assert.equal(
        pci.contributors.reduce((sum, c) => sum + c.points, 0),
        pci.score,
        `seed ${seed}`,
      );
      assert.ok(pci.ifTopRemoved <= pci.score);
      assert.ok(pci.ceiling >= pci.score);
    }
  });

  test("a system's index is the mean of its identities'", () => {
    const tally = new PciTally();
    for (const score of [10, 50, 90, 71]) tally.add(score);
    assert.deepEqual(tally.result(), {
      score: 55,
      band: 'medium',
      identities: 4,
      bands: { low: 1, medium: 1, high: 2 },
    });
    assert.equal(new PciTally().result().score, 0);
  });
});
