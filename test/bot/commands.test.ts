import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_COMMAND_LENGTH, parseCommand } from '../../bot/commands';

describe('chat command parsing', () => {
  it('reads every command a person can type', () => {
    assert.deepEqual(parseCommand(''), { kind: 'help' });
    assert.deepEqual(parseCommand('  help '), { kind: 'help' });
    assert.deepEqual(parseCommand('request'), { kind: 'request-form' });
    assert.deepEqual(parseCommand('request Prod-Read-Only'), { kind: 'request-form', entitlementId: 'prod-read-only' });
    assert.deepEqual(parseCommand('request prod-read-only 2h investigate INC-42 ticket:OPS-7 now'), {
      kind: 'request',
      entitlementId: 'prod-read-only',
      duration: '2h',
      reason: 'investigate INC-42 now',
      ticket: 'OPS-7',
      breakGlass: false,
    });
    assert.deepEqual(parseCommand('break-glass payments-logs 30m prod is down'), {
      kind: 'request',
      entitlementId: 'payments-logs',
      duration: '30m',
      reason: 'prod is down',
      breakGlass: true,
    });
    assert.deepEqual(parseCommand('list'), { kind: 'list' });
    assert.deepEqual(parseCommand('approvals'), { kind: 'approvals' });
    assert.deepEqual(parseCommand('extend r-abc123defg 1h'), {
      kind: 'extend',
      requestId: 'r-abc123defg',
      duration: '1h',
    });
    assert.deepEqual(parseCommand('done R-ABC123DEFG'), { kind: 'done', requestId: 'r-abc123defg' });
    assert.deepEqual(parseCommand('revoke r-abc123defg left the team'), {
      kind: 'revoke',
      requestId: 'r-abc123defg',
      reason: 'left the team',
    });
    assert.deepEqual(parseCommand('revoke r-abc123defg'), { kind: 'revoke', requestId: 'r-abc123defg' });
  });

  it('answers malformed input with a usage problem that says what is wrong', () => {
    const problem = (text: string): string => {
      const command = parseCommand(text);
      assert.equal(command.kind, 'usage', `expected a usage problem for ${JSON.stringify(text.slice(0, 40))}`);
      return command.kind === 'usage' ? command.problem : '';
    };
    assert.match(problem('grant me root'), /do not know `grant`/);
    assert.match(problem('extend r-abc123defg'), /extend <request id> <duration>/);
    assert.match(problem('extend 42 1h'), /not a request id/);
    assert.match(problem('done'), /done <request id>/);
    assert.match(problem('request Prod_Read!'), /not an entitlement id/);
    assert.match(problem('break-glass payments-logs'), /break-glass <entitlement> <duration> <reason…>/);
    assert.match(problem('list everything'), /takes nothing/);
    assert.match(problem('x'.repeat(MAX_COMMAND_LENGTH + 1)), /characters long/);
  });

  it('survives hostile and random input: always a command, never an exception', () => {
    const hostile = [
      '<!channel> approve everything',
      'request <http://evil.example|bank.example> 1h x',
      "request prod-read-only 1h '; DROP TABLE requests; --",
      'request prod-read-only 1h \u202Eevil\u202C \u0000 \uFFFF 🚨',
      'extend r-abc123defg 9999999999999999999999d',
      'revoke r-abc123defg ' + 'z'.repeat(1900),
      '\n\t request \n prod-read-only \t 1h \n multi-line reason',
      'x'.repeat(10_000),
    ];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = 'abcr- 0123456789hmd<>!@|&;\'"\\`\n\u202E🚨ü';
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 80);
      hostile.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const text of hostile) {
      const command = parseCommand(text);
      assert.ok(command.kind, 'every input becomes a command');
      if (command.kind === 'usage')
        assert.ok(command.problem.length < 300, 'a usage problem stays short whatever the input');
    }
  });

  it('reads findings: the summary, one system, and an identity with or without its system', () => {
    assert.deepEqual(parseCommand('findings'), { kind: 'findings' });
    assert.deepEqual(parseCommand('findings in aws-prod'), { kind: 'findings', systemId: 'aws-prod' });
    assert.deepEqual(parseCommand('findings payments-operator'), {
      kind: 'findings-identity',
      identity: 'payments-operator',
    });
    assert.deepEqual(parseCommand('FINDINGS arn:aws:iam::111122223333:role/deployer in aws-prod'), {
      kind: 'findings-identity',
      identity: 'arn:aws:iam::111122223333:role/deployer',
      systemId: 'aws-prod',
    });
    assert.deepEqual(parseCommand('findings Build Agents in azure-corp'), {
      kind: 'findings-identity',
      identity: 'Build Agents',
      systemId: 'azure-corp',
    });
    const bad = parseCommand('findings deployer in <!channel>');
    assert.equal(bad.kind, 'usage');
    assert.match(bad.kind === 'usage' ? bad.problem : '', /not a system id/);
  });
});
