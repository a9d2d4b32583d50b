import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadPolicyFile, parsePolicy, PolicyFileError } from '../../app/policy-file';
import { policyJsonSchema } from '../../app/policy-schema';
import { DomainError, ErrorCode } from '../../domain/errors';
import { evaluateRequest, resolveRules } from '../../domain/policy/evaluate';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'config', 'policy.example.yaml');
const SCHEMA_FILE = path.join(ROOT, 'docs', 'policy.schema.json');

function policyError(fn: () => unknown): PolicyFileError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PolicyFileError, `expected a PolicyFileError, got ${String(caught)}`);
  assert.ok(caught instanceof DomainError);
  assert.equal(caught.code, ErrorCode.PolicyInvalid);
  return caught;
}

const MINIMAL = `version: 1
authorizationSystems:
  - id: aws-prod
    cloud: aws
    accountId: "123456789012"
    brokerRoleArn: arn:aws:iam::123456789012:role/least-broker
groups:
  leads: [lead@example.com, lead2@example.com]
entitlements:
  - id: logs
    title: Logs
    system: aws-prod
    grant: { kind: aws-iam-inline-policy, statements: [{ actions: [s3:GetObject] }] }
    requesters: { everyone: true }
    approvers: { groups: [leads] }
`;

describe('the example policy', () => {
  test('validates and means what its comments say', () => {
    const policy = loadPolicyFile(EXAMPLE);
    assert.deepEqual(
      policy.entitlements.map((e) => e.id),
      ['aws-prod-readonly', 'aws-prod-admin', 'aws-prod-logs-read'],
    );
    const system = policy.authorizationSystems[0];
    assert.equal(system?.cloud, 'aws');
    assert.ok(system?.cloud === 'aws' && system.identityCenter?.portalUrl);

    const admin = policy.entitlements.find((e) => e.id === 'aws-prod-admin')!;
    const rules = resolveRules(policy, admin);
    assert.equal(rules.requiredApprovals, 2);
    assert.equal(rules.risk, 'high');
    assert.equal(rules.maxDurationSeconds, 2 * 3600);

    // a platform lead gets an hour of read-only at once
    const quick = evaluateRequest(policy, {
      requester: 'alice@example.com',
      entitlementId: 'aws-prod-readonly',
      durationSeconds: 3600,
      reason: 'check the dashboards',
    });
    assert.ok(quick.ok && quick.outcome === 'auto-approved', JSON.stringify(quick));

    // on-call break-glass with an incident ticket
    const glass = evaluateRequest(policy, {
      requester: 'dave@example.com',
      entitlementId: 'aws-prod-admin',
      durationSeconds: 3600,
      reason: 'database failover',
      ticket: 'INC-4242',
      breakGlass: true,
    });
    assert.ok(glass.ok && glass.outcome === 'break-glass', JSON.stringify(glass));

    // admin needs a ticket in the right form
    const noTicket = evaluateRequest(policy, {
      requester: 'alice@example.com',
      entitlementId: 'aws-prod-admin',
      durationSeconds: 3600,
      reason: 'rotate keys',
      ticket: 'JIRA-1',
    });
    assert.ok(!noTicket.ok && noTicket.code === ErrorCode.TicketMalformed);
  });
});

describe('parsePolicy', () => {
  test('accepts a minimal policy', () => {
    const policy = parsePolicy(MINIMAL, 'minimal.yaml');
    assert.equal(policy.entitlements[0]?.id, 'logs');
  });

  test('reports every mistake at once, each with its file, path and line', () => {
    const text = `version: 1
authorizationSystems:
  - id: aws-prod
    cloud: aws
    accountId: "123456789012"
    brokerRoleArn: arn:aws:iam::123456789012:role/least-broker
groups:
  leads: [lead@example.com, lead2@example.com]
entitlements:
  - id: unknown-system
    title: Unknown system
    system: aws-staging
    grant: { kind: aws-iam-inline-policy, statements: [{ actions: [s3:GetObject] }] }
    requesters: { everyone: true }
    approvers: { groups: [leads] }
  - id: wrong-cloud
    title: Wrong cloud
    system: aws-prod
    grant: { kind: gcp-iam-binding, role: roles/viewer }
    requesters: { everyone: true }
    approvers: { groups: [leads] }
  - id: several
    title: Several
    system: aws-prod
    grant: { kind: aws-iam-inline-policy, statements: [{ actions: [s3:GetObject] }] }
    requesters: { groups: [leads, ghosts] }
    approvers:
      groups: [leads]
      requried: 2
    limits:
      maxDuration: 2x
`;
    const error = policyError(() => parsePolicy(text, 'config/policy.yaml'));
    const lines = error.message.split('\n');
    const expected = [
      /^config\/policy\.yaml: entitlements\[0\]\.system: no authorization system "aws-staging" \(line 12\)$/,
      /^config\/policy\.yaml: entitlements\[1\]\.grant\.kind: a gcp-iam-binding grant cannot run on aws system "aws-prod" \(line 19\)$/,
      /^config\/policy\.yaml: entitlements\[2\]\.requesters\.groups\[1\]: no group "ghosts" \(line 26\)$/,
      /^config\/policy\.yaml: entitlements\[2\]\.approvers: unknown key "requried" \(did you mean "required"\?\).* \(line 29\)$/,
      /^config\/policy\.yaml: entitlements\[2\]\.limits\.maxDuration: "2x" is not a duration.* \(line 31\)$/,
    ];
    assert.match(lines[0]!, /^config\/policy\.yaml is not a valid policy \(5 problems\):$/);
    assert.equal(lines.length, expected.length + 1, error.message);
    expected.forEach((pattern, index) => assert.match(lines[index + 1]!, pattern));
    assert.deepEqual(
      error.problems.map((p) => p.path),
      [
        'entitlements[0].system',
        'entitlements[1].grant.kind',
        'entitlements[2].requesters.groups[1]',
        'entitlements[2].approvers',
        'entitlements[2].limits.maxDuration',
      ],
    );
  });

  test('names wrong types, missing keys, bad values and unknown keys in plain words', () => {
    const text = `version: 2
authorizationSystems:
  - id: Prod
    cloud: aws
    accountId: 1234
    brokerRoleArn: arn:aws:iam::123456789012:role/least-broker
  - id: nowhere
    title: no cloud
groups:
  leads: lead@example.com
entitlemnts: []
entitlements:
  - id: logs
    title: Logs
    system: Prod
    grant: { kind: aws-iam-inline-policy, statements: [] }
    risk: extreme
    requesters: { everyone: "yes" }
    approvers: { users: [not-an-email], required: 11 }
`;
    const { message } = policyError(() => parsePolicy(text, 'p.yaml'));
    const expectations: [string, RegExp][] = [
      ['version', /version: must be 1/],
      ['id pattern', /authorizationSystems\[0\]\.id: use lowercase letters/],
      ['account id type', /authorizationSystems\[0\]\.accountId: expected a string, got number 1234/],
      ['missing discriminator', /authorizationSystems\[1\]\.cloud: missing; expected one of "aws", "azure", "gcp"/],
      ['record value type', /groups\.leads: expected a list, got the text "lead@example\.com"/],
      ['unknown top-level key', /\(top level\): unknown key "entitlemnts" \(did you mean "entitlements"\?\)/],
      ['empty list', /entitlements\[0\]\.grant\.statements: needs at least one entry/],
      ['enum', /entitlements\[0\]\.risk: expected one of "low", "medium", "high"/],
      ['boolean', /entitlements\[0\]\.requesters\.everyone: expected true or false, got the text "yes"/],
      ['e-mail', /entitlements\[0\]\.approvers\.users\[0\]: must be an e-mail address/],
      ['maximum', /entitlements\[0\]\.approvers\.required: at most 10/],
    ];
    for (const [what, pattern] of expectations) assert.match(message, pattern, `${what} in:\n${message}`);
  });

  test('a YAML syntax error names the line and column', () => {
    const text = 'version: 1\nauthorizationSystems:\n  - id: aws-prod\n    cloud: [aws\nentitlements: []\n';
    const error = policyError(() => parsePolicy(text, 'broken.yaml'));
    assert.match(error.message, /^broken\.yaml: line \d+, column \d+: /m);
    assert.ok(error.problems[0]?.line !== undefined && error.problems[0].line >= 4, JSON.stringify(error.problems));
  });

  test('a duplicated key is an error, not a silent override', () => {
    const error = policyError(() => parsePolicy(`${MINIMAL}version: 1\n`, 'dup.yaml'));
    assert.match(error.message, /^dup\.yaml: line 16, column 1: Map keys must be unique/m);
  });

  test('an empty file and a file that is not a mapping say so', () => {
    assert.match(policyError(() => parsePolicy('', 'empty.yaml')).message, /empty\.yaml: the file is empty/);
    assert.match(
      policyError(() => parsePolicy('- just\n- a list\n', 'list.yaml')).message,
      /list\.yaml: \(top level\): expected a mapping/,
    );
  });

  test('an alias bomb is refused instead of expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
          .fill(`*${i === 0 ? 'a' : 'b'.repeat(i)}`)
          .join(', ')}]`,
      );
    const error = policyError(() => parsePolicy(lines.join('\n'), 'bomb.yaml'));
    assert.match(error.message, /alias/i);
  });
});

describe('loadPolicyFile', () => {
  test('a missing file says how to start', () => {
    const error = policyError(() => loadPolicyFile('/nonexistent/least/policy.yaml'));
    assert.match(
      error.message,
      /\/nonexistent\/least\/policy\.yaml: no such file\. Copy config\/policy\.example\.yaml/,
    );
  });

  test('reads a file and names it in errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'least-policy-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      writeFileSync(file, MINIMAL);
      assert.equal(loadPolicyFile(file).entitlements.length, 1);
      writeFileSync(file, MINIMAL.replace('cloud: aws', 'cloud: aws\n    colour: blue'));
      const error = policyError(() => loadPolicyFile(file));
      assert.ok(error.message.includes(`${file}: authorizationSystems[0]: unknown key "colour"`), error.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/policy.schema.json', () => {
  test('is exactly what policyJsonSchema() generates (run `npm run policy:schema` after changing the schema)', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    assert.equal(committed, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
  });

  test('describes durations as strings people write, with their defaults in that form', () => {
    const schema = policyJsonSchema() as JsonSchema;
    const limits = at(schema, ['properties', 'defaults', 'properties', 'limits', 'properties']);
    assert.deepEqual(at(limits, ['maxDuration']), {
      type: 'string',
      description: 'A duration such as 30m, 2h, 1d or PT2H',
      default: '4h',
    });
    // an entitlement's own limits inherit from `defaults`, so they carry no default of their own
    const entitlementLimits = at(schema, ['properties', 'entitlements', 'items', 'properties', 'limits', 'properties']);
    assert.equal(at(entitlementLimits, ['maxDuration']).default, undefined);
    // every default anywhere is valid against its own schema (no seconds where a duration string goes)
    for (const { node, where } of walk(schema)) {
      if (node.default !== undefined) {
        assert.deepEqual(validate(node, node.default, where), [], `default at ${where}`);
      }
    }
  });

  test('accepts the example and rejects what the validator rejects', () => {
    const schema = policyJsonSchema() as JsonSchema;
    const example = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(validate(schema, example), []);
    assert.deepEqual(schema.required, ['version', 'authorizationSystems', 'entitlements']);

    const typo = structuredClone(example) as { entitlements: Record<string, unknown>[] };
    typo.entitlements[0]!.maxDurration = '1h';
    assert.deepEqual(validate(schema, typo), ['$.entitlements[0]: unknown key maxDurration']);

    const seconds = structuredClone(example) as { defaults: { limits: Record<string, unknown> } };
    seconds.defaults.limits.maxDuration = 3600;
    assert.deepEqual(validate(schema, seconds), ['$.defaults.limits.maxDuration: expected string']);

    const wrongKind = structuredClone(example) as { entitlements: { grant: Record<string, unknown> }[] };
    wrongKind.entitlements[0]!.grant.kind = 'aws-magic';
    assert.deepEqual(validate(schema, wrongKind), ['$.entitlements[0].grant: matches none of 5 forms']);
  });
});

// A small JSON Schema (2020-12) checker covering the keywords policyJsonSchema() emits; enough to prove
// that editors using the committed schema see the example as valid and typos as errors.
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  [keyword: string]: unknown;
}

function at(schema: JsonSchema, keys: string[]): JsonSchema {
  let node: unknown = schema;
  for (const key of keys) node = (node as Record<string, unknown>)[key];
  assert.ok(node && typeof node === 'object', `no schema at ${keys.join('.')}`);
  return node as JsonSchema;
}

function* walk(node: JsonSchema, where = '$'): Generator<{ node: JsonSchema; where: string }> {
  yield { node, where };
  for (const [key, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${where}.${key}`);
  if (node.items) yield* walk(node.items, `${where}[]`);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    yield* walk(node.additionalProperties, `${where}.*`);
  }
  for (const [index, option] of (node.oneOf ?? node.anyOf ?? []).entries()) yield* walk(option, `${where}|${index}`);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function validate(schema: JsonSchema, value: unknown, where = '$'): string[] {
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      return [`${where}: expected ${types.join(' or ')}`];
    }
  }
  if ('const' in schema && schema.const !== value) errors.push(`${where}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${where}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${where}: does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where}: too long`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${where}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${where}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.items)
      value.forEach((item, index) => errors.push(...validate(schema.items!, item, `${where}[${index}]`)));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) errors.push(`${where}: missing ${key}`);
    for (const [key, item] of Object.entries(record)) {
      const child = `${where}.${key}`;
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames, key, `${child} (name)`));
      const known = schema.properties?.[key];
      if (known) errors.push(...validate(known, item, child));
      else if (schema.additionalProperties === false) errors.push(`${where}: unknown key ${key}`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties, item, child));
    }
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((option) => validate(option, value, where).length === 0).length;
    if (matching !== 1)
      errors.push(`${where}: matches ${matching === 0 ? 'none' : matching} of ${schema.oneOf.length} forms`);
  }
  return errors;
}
