import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig, redact } from '../../app/config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'CONFIG.INVALID');
  return caught;
}

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    assert.deepEqual(loadConfig({}), {
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/least',
      temporalNamespace: 'default',
      taskQueue: 'least',
      policyFile: 'config/policy.yaml',
      dataDir: '.least',
      logLevel: 'info',
      botPort: 3000,
      botHost: '127.0.0.1',
      temporalUiPort: 8233,
      temporalAccess: { tls: false },
      temporalUiUrl: 'http://127.0.0.1:8233',
      maxCachedWorkflows: 100,
    });
    assert.equal(loadConfig({}).temporalAddress, undefined, 'no address means the embedded dev server');
    assert.equal(DEFAULT_DATABASE_URL, loadConfig({}).databaseUrl);
  });

  test('reads every key', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://least:pw@db.internal:6432/least_prod?sslmode=require',
      TEMPORAL_ADDRESS: 'least.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'least.a1b2c',
      TEMPORAL_TASK_QUEUE: 'least-prod',
      LEAST_POLICY_FILE: '/etc/least/policy.yaml',
      LEAST_DATA_DIR: '/var/lib/least',
      LOG_LEVEL: 'debug',
      BOT_PORT: '8080',
      BOT_HOST: '0.0.0.0',
      TEMPORAL_UI_PORT: '18233',
      LEAST_SANDBOX: 'true',
    });
    assert.deepEqual(config, {
      databaseUrl: 'postgresql://least:pw@db.internal:6432/least_prod?sslmode=require',
      temporalAddress: 'least.a1b2c.tmprl.cloud:7233',
      temporalNamespace: 'least.a1b2c',
      taskQueue: 'least-prod',
      policyFile: '/etc/least/policy.yaml',
      dataDir: '/var/lib/least',
      logLevel: 'debug',
      botPort: 8080,
      botHost: '0.0.0.0',
      temporalUiPort: 18233,
      sandbox: true,
      temporalAccess: { tls: false },
      maxCachedWorkflows: 100,
    });
  });

  test('empty values count as unset; log levels ignore case', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '', BOT_PORT: '  ', LOG_LEVEL: ' WARN ' });
    assert.equal(config.temporalAddress, undefined);
    assert.equal(config.botPort, 3000);
    assert.equal(config.logLevel, 'warn');
  });

  test('accepts IPv6 and host-only Temporal addresses', () => {
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: '[::1]:7233' }).temporalAddress, '[::1]:7233');
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: 'temporal-frontend' }).temporalAddress, 'temporal-frontend');
  });

  test('every bad value is named with what was expected, one line per key', () => {
    const error = configError({
      LOG_LEVEL: 'verbose',
      BOT_PORT: 'eighty',
      TEMPORAL_UI_PORT: '70000',
      TEMPORAL_ADDRESS: 'http://temporal:7233',
      TEMPORAL_NAMESPACE: 'my namespace',
      DATABASE_URL: 'mysql://db/least',
    });
    const lines = error.message.split('\n');
    assert.equal(lines[0], 'Configuration is invalid:');
    assert.deepEqual(
      error.problems.map((p) => p.key),
      ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'LOG_LEVEL', 'BOT_PORT', 'TEMPORAL_UI_PORT'],
    );
    assert.equal(lines.length, 7, error.message);
    assert.match(error.message, /^ {2}LOG_LEVEL: expected one of debug, info, warn, error \(got "verbose"\)$/m);
    assert.match(error.message, /^ {2}BOT_PORT: expected a port number from 1 to 65535 \(got "eighty"\)$/m);
    assert.match(error.message, /^ {2}TEMPORAL_UI_PORT: expected a port number from 1 to 65535 \(got "70000"\)$/m);
    assert.match(error.message, /^ {2}TEMPORAL_ADDRESS: expected host:port of a Temporal frontend .*\(no scheme\)/m);
    assert.match(error.message, /^ {2}TEMPORAL_NAMESPACE: expected a Temporal namespace/m);
    assert.match(error.message, /^ {2}DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/m);
  });

  test('the bot binds loopback unless BOT_HOST says otherwise; IPv6 brackets are dropped', () => {
    assert.equal(loadConfig({}).botHost, '127.0.0.1');
    assert.equal(loadConfig({ BOT_HOST: '[::]' }).botHost, '::');
    assert.match(configError({ BOT_HOST: 'http://0.0.0.0' }).message, /BOT_HOST: expected an address to listen on/);
  });

  test('LEAST_SANDBOX is true, false or unset (then the policy in use decides)', () => {
    assert.equal(loadConfig({}).sandbox, undefined);
    assert.equal(loadConfig({ LEAST_SANDBOX: 'false' }).sandbox, false);
    assert.match(configError({ LEAST_SANDBOX: 'yes' }).message, /LEAST_SANDBOX: expected true or false/);
  });

  test('port 0 and fractional ports are refused', () => {
    assert.match(configError({ BOT_PORT: '0' }).message, /BOT_PORT: expected a port number/);
    assert.match(configError({ BOT_PORT: '30.5' }).message, /BOT_PORT: expected a port number/);
  });

  test('a password in a bad URL is not echoed', () => {
    const error = configError({ DATABASE_URL: 'mysql://admin:hunter2@db.internal/least' });
    assert.ok(!error.message.includes('hunter2'), error.message);
    assert.match(error.message, /got "mysql:\/\/admin:\*\*\*@db\.internal\/least"/);
  });

  test('a value that is not a URL at all is withheld: it may be a pasted secret', () => {
    const error = configError({ DATABASE_URL: 'correct-horse-battery-staple' });
    assert.ok(!error.message.includes('correct-horse'), error.message);
    assert.match(error.message, /DATABASE_URL: .*\(got \[not shown: not a URL\]\)/);
  });

  test('secret query parameters are not echoed either', () => {
    const error = configError({ TEMPORAL_ADDRESS: 'https://temporal:7233/?api_key=s3cr3t&token=t0k3n' });
    assert.ok(!error.message.includes('s3cr3t') && !error.message.includes('t0k3n'), error.message);
  });
});

describe('Slack settings', () => {
  const secret = '0123456789abcdef0123456789abcdef'; // plainly fake

  test('off without a bot token; on with token and signing secret; Socket Mode with an app token', () => {
    assert.equal(loadConfig({}).slack, undefined);
    assert.deepEqual(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: secret }).slack, {
      botToken: 'xoxb-1-2-abc',
      signingSecret: secret,
    });
    assert.equal(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-xyz' }).slack?.appToken,
      'xapp-1-A1-xyz',
    );
  });

  test('fails closed: a bot token without a way to verify requests stops the process, naming the key', () => {
    const error = configError({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' });
    assert.match(error.message, /SLACK_SIGNING_SECRET: expected the signing secret/);
  });

  test('a signing secret without a bot token is a mistake, not silently ignored', () => {
    assert.match(configError({ SLACK_SIGNING_SECRET: secret }).message, /SLACK_BOT_TOKEN/);
  });

  test('wrong token kinds are refused and never echoed', () => {
    const error = configError({ SLACK_BOT_TOKEN: 'xoxp-1-2-shown-nowhere', SLACK_SIGNING_SECRET: secret });
    assert.match(error.message, /SLACK_BOT_TOKEN: expected a bot token starting with xoxb-/);
    assert.doesNotMatch(error.message, /shown-nowhere/);
  });
});

describe('Teams settings', () => {
  const appId = '11111111-2222-4333-8444-555555555555';
  const tenantId = '66666666-7777-4888-9999-000000000000';
  const password = 'plainly-fake-client-secret';

  test('off by default; on with an app id and its secret; local mode only when asked for', () => {
    assert.equal(loadConfig({}).teams, undefined);
    assert.deepEqual(
      loadConfig({ MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: password, MICROSOFT_APP_TENANT_ID: tenantId })
        .teams,
      {
        appId,
        appPassword: password,
        tenantId,
        localMode: false,
      },
    );
    assert.deepEqual(loadConfig({ TEAMS_LOCAL_MODE: 'true' }).teams, { localMode: true });
  });

  test('fails closed: local mode beside an app id, or in production, stops the process', () => {
    assert.match(
      configError({ MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: password, TEAMS_LOCAL_MODE: 'true' }).message,
      /TEAMS_LOCAL_MODE: expected unset when MICROSOFT_APP_ID is set/,
    );
    assert.match(
      configError({ TEAMS_LOCAL_MODE: 'true', NODE_ENV: 'production' }).message,
      /TEAMS_LOCAL_MODE: expected unset in production/,
    );
  });

  test('an app id without its secret, or a secret without an app id, names the missing key and never shows the secret', () => {
    assert.match(
      configError({ MICROSOFT_APP_ID: appId }).message,
      /MICROSOFT_APP_PASSWORD: expected the client secret/,
    );
    const stray = configError({ MICROSOFT_APP_PASSWORD: password });
    assert.match(stray.message, /MICROSOFT_APP_ID/);
    assert.doesNotMatch(stray.message, /plainly-fake/);
  });

  test('ids must be GUIDs', () => {
    assert.match(
      configError({ MICROSOFT_APP_ID: 'least-bot', MICROSOFT_APP_PASSWORD: password }).message,
      /MICROSOFT_APP_ID: expected the bot's Entra app \(client\) id, a GUID/,
    );
  });
});

describe('redact', () => {
  test('masks the password of a connection string', () => {
    assert.equal(
      redact('postgres://least:hunter2@db.internal:5432/least'),
      'postgres://least:***@db.internal:5432/least',
    );
    assert.equal(redact('postgres://least:p%40ss@db/least'), 'postgres://least:***@db/least');
  });

  test('masks secret query parameters and keeps the rest', () => {
    assert.equal(
      redact('postgres://db/least?sslmode=require&password=hunter2'),
      'postgres://db/least?sslmode=require&password=***',
    );
  });

  test('leaves a URL without secrets exactly as written', () => {
    assert.equal(redact('postgres://postgres@127.0.0.1:5432/least'), 'postgres://postgres@127.0.0.1:5432/least');
    assert.equal(redact('127.0.0.1:7233'), '127.0.0.1:7233');
  });

  test('masks credentials in text that does not parse as a URL, up to the last @', () => {
    const masked = redact('postgres://least:p@ss word@db/least');
    assert.ok(!masked.includes('p@ss') && !masked.includes('word'), masked);
    assert.ok(masked.startsWith('postgres://least:***@'), masked);
  });
});
