import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../bot/commands';

describe('report command parsing', () => {
  it('reads an identity (spaces allowed), optional days and an optional system', () => {
    assert.deepEqual(parseCommand('report ada@example.com'), { kind: 'report', identity: 'ada@example.com', days: 90 });
    assert.deepEqual(parseCommand('REPORT ada@example.com 30'), {
      kind: 'report',
      identity: 'ada@example.com',
      days: 30,
    });
    assert.deepEqual(parseCommand('report deployer 7d in aws-prod'), {
      kind: 'report',
      identity: 'deployer',
      days: 7,
      systemId: 'aws-prod',
    });
    assert.deepEqual(parseCommand('report Payments Operator 365'), {
      kind: 'report',
      identity: 'Payments Operator',
      days: 365,
    });
    assert.deepEqual(parseCommand('report 123456789012'), { kind: 'report', identity: '123456789012', days: 90 });
  });

  it('answers out-of-bounds days, a missing identity and hostile input with the usage', () => {
    for (const text of [
      'report',
      'report ada@example.com 0',
      'report ada@example.com 366',
      'report ada@example.com 99999999',
      'report x in <bad>',
      `report ${'a'.repeat(300)}`,
      'report a\u0007b c',
    ]) {
      const command = parseCommand(text);
      assert.equal(command.kind, 'usage', text);
      assert.match(command.kind === 'usage' ? command.problem : '', /report <identity> \[days\]/, text);
    }
  });

  it('never echoes the identity into a usage problem', () => {
    const command = parseCommand(`report <!channel> ${'x'.repeat(300)} 0`);
    assert.ok(command.kind === 'usage' && !command.problem.includes('<!channel>'));
  });
});
