import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../app/config';
import { temporalConnectionOptions } from '../../app/temporal-connection';
import { temporalUi } from '../../app/runtime';

/**
 * Temporal Cloud settings (an API key, or mTLS from files), the web UI's base URL for links, and the
 * worker's observability keys: read once, refused with a message naming the key, secrets never shown.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'least-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** PEM-shaped files made here; nothing real is in them. */
function pem(name: string, label: string): { file: string; bytes: Buffer } {
  const bytes = Buffer.from(
    `-----BEGIN ${label}-----\n${randomBytes(48).toString('base64')}\n-----END ${label}-----\n`,
  );
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

const CLOUD = { TEMPORAL_ADDRESS: 'least.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'least.a1b2c' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('the configuration was accepted');
}

describe('Temporal Cloud settings', () => {
  test('nothing set: a plain connection to the address', () => {
    assert.deepEqual(temporalConnectionOptions(loadConfig({})), { address: '127.0.0.1:7233' });
    assert.deepEqual(temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' })), {
      address: 'temporal:7233',
    });
  });

  test('an API key turns TLS on and is sent with every call', () => {
    const apiKey = randomBytes(24).toString('base64url');
    const options = temporalConnectionOptions(loadConfig({ ...CLOUD, TEMPORAL_API_KEY: apiKey }));
    assert.deepEqual(options, { address: CLOUD.TEMPORAL_ADDRESS, tls: true, apiKey });
  });

  test('mTLS: the certificate and key files (and a CA, a server name) become the TLS settings', () => {
    const cert = pem('client.pem', 'CERTIFICATE');
    const key = pem('client.key', 'PRIVATE KEY');
    const ca = pem('ca.pem', 'CERTIFICATE');
    const options = temporalConnectionOptions(
      loadConfig({
        ...CLOUD,
        TEMPORAL_TLS_CERT: cert.file,
        TEMPORAL_TLS_KEY: key.file,
        TEMPORAL_TLS_CA: ca.file,
        TEMPORAL_TLS_SERVER_NAME: 'least.a1b2c.tmprl.cloud',
      }),
    );
    assert.deepEqual(options, {
      address: CLOUD.TEMPORAL_ADDRESS,
      tls: {
        serverNameOverride: 'least.a1b2c.tmprl.cloud',
        serverRootCACertificate: ca.bytes,
        clientCertPair: { crt: cert.bytes, key: key.bytes },
      },
    });
  });

  test('a missing key file stops start-up naming the key, without showing the path', () => {
    const cert = pem('only-cert.pem', 'CERTIFICATE');
    const missing = path.join(dir, 'nowhere.key');
    const error = configError({ ...CLOUD, TEMPORAL_TLS_CERT: cert.file, TEMPORAL_TLS_KEY: missing });
    assert.deepEqual(
      error.problems.map((p) => p.key),
      ['TEMPORAL_TLS_KEY'],
    );
    assert.match(error.message, /TEMPORAL_TLS_KEY: expected the path of a readable PEM file \(no such file\)/);
    assert.doesNotMatch(error.message, /nowhere/);
  });

  test('a certificate without its key, or a file that is not PEM, is refused', () => {
    const cert = pem('lonely.pem', 'CERTIFICATE');
    assert.match(configError({ TEMPORAL_TLS_CERT: cert.file }).message, /TEMPORAL_TLS_KEY: .*TEMPORAL_TLS_CERT is set/);
    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    assert.match(
      configError({ TEMPORAL_TLS_CA: notPem }).message,
      /TEMPORAL_TLS_CA: expected the path of a PEM file .* \(got ".*not\.pem"\)/,
    );
  });

  test('an API key that cannot be one is refused without being echoed', () => {
    const key = `${randomBytes(8).toString('hex')} ${randomBytes(8).toString('hex')}`;
    const error = configError({ TEMPORAL_API_KEY: key });
    assert.match(error.message, /TEMPORAL_API_KEY: expected .* \(got \[hidden\]\)/);
    assert.ok(!error.message.includes(key));
  });
});

describe('the Temporal web UI for links', () => {
  test("the embedded dev server's UI by default; none for an external Temporal unless set", () => {
    assert.deepEqual(temporalUi(loadConfig({ TEMPORAL_UI_PORT: '18233' })), {
      baseUrl: 'http://127.0.0.1:18233',
      namespace: 'default',
    });
    assert.equal(temporalUi(loadConfig(CLOUD)), undefined);
    assert.deepEqual(temporalUi(loadConfig({ ...CLOUD, TEMPORAL_UI_URL: 'https://cloud.temporal.io/' })), {
      baseUrl: 'https://cloud.temporal.io',
      namespace: 'least.a1b2c',
    });
    assert.match(configError({ TEMPORAL_UI_URL: 'ftp://x' }).message, /TEMPORAL_UI_URL/);
  });
});

describe('worker observability keys', () => {
  test('defaults: cache of 100, no metrics server, no SDK metrics, no tracing', () => {
    const config = loadConfig({});
    assert.equal(config.maxCachedWorkflows, 100);
    assert.equal(config.workerMetricsPort, undefined);
    assert.equal(config.temporalMetricsAddress, undefined);
    assert.equal(config.tracesEndpoint, undefined);
  });

  test('each is read and checked', () => {
    const config = loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '2000',
      WORKER_METRICS_PORT: '9100',
      TEMPORAL_METRICS_ADDRESS: '127.0.0.1:9464',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    assert.equal(config.maxCachedWorkflows, 2000);
    assert.equal(config.workerMetricsPort, 9100);
    assert.equal(config.temporalMetricsAddress, '127.0.0.1:9464');
    assert.equal(config.tracesEndpoint, 'http://collector:4318/v1/traces');
    assert.equal(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
      }).tracesEndpoint,
      'http://traces:4318/custom',
      'the traces endpoint, when set, is used as it is',
    );
    const error = configError({ WORKER_MAX_CACHED_WORKFLOWS: '0', TEMPORAL_METRICS_ADDRESS: '9464' });
    assert.deepEqual(
      error.problems.map((p) => p.key),
      ['WORKER_MAX_CACHED_WORKFLOWS', 'TEMPORAL_METRICS_ADDRESS'],
    );
  });
});
