import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../app/config';

/** Static checks of the Compose deployment (no Docker here): what each container is given. */

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  environment?: Record<string, string>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const envExample = read('deploy/env.example');

/** Every key the AWS, Azure and Google SDKs take credentials (or a way to get them) from. */
const CLOUD_CREDENTIAL_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'GOOGLE_APPLICATION_CREDENTIALS',
];
const NOT_CREDENTIALS = new Set(['AWS_REGION']);

/** Keys env.example names, set or commented out (`# KEY=`). */
function exampleKeys(): string[] {
  return [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
}

describe('docker-compose.yml', () => {
  const bot = compose.services.bot!.environment ?? {};

  test('the bot container gets every cloud credential key blanked', () => {
    const documented = exampleKeys().filter((key) => /^(AWS|AZURE|GOOGLE)_/.test(key) && !NOT_CREDENTIALS.has(key));
    for (const key of new Set([...CLOUD_CREDENTIAL_KEYS, ...documented])) {
      assert.equal(bot[key], '', `${key} must be blanked in the bot container`);
    }
  });

  test('the worker keeps its cloud credentials', () => {
    const worker = compose.services.worker!.environment ?? {};
    for (const key of CLOUD_CREDENTIAL_KEYS) assert.equal(worker[key], undefined, `${key} is set in the worker`);
  });

  test('the bot listens beyond loopback inside its container, behind the published port', () => {
    assert.equal(String(bot.BOT_HOST), '0.0.0.0');
  });
});

describe('deploy/env.example', () => {
  test('names every key Least reads', () => {
    const named = new Set(envExample.match(/[A-Z][A-Z0-9_]+/g));
    const missing = CONFIG_KEYS.filter((key) => !named.has(key));
    assert.deepEqual(missing, [], `env.example should mention ${missing.join(', ')}`);
  });

  test('documents the Slack, Teams, Azure and GCP credentials', () => {
    const keys = exampleKeys();
    for (const key of ['SLACK_BOT_TOKEN', 'MICROSOFT_APP_ID', 'AZURE_CLIENT_SECRET', 'GOOGLE_APPLICATION_CREDENTIALS'])
      assert.ok(keys.includes(key), `${key} is in env.example`);
  });
});
