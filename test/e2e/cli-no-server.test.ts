import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { activeRequest, pendingRequest } from '../activities/store/fixtures';
import type { PgStore } from '../../activities/store/pg-store';
import type { RequestState } from '../../domain/request';
import { spawnLeast } from '../support/generators/least-cli';

/**
 * `npx least …` as a person types it in a checkout, with no Temporal anywhere: TEMPORAL_ADDRESS
 * points at a closed port. Help, policy validation and the listing (PostgreSQL only) still answer.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE_POLICY = 'config/policy.example.yaml';

let db: TestDatabase;
let store: PgStore;
let closedAddress: string;

function least(...args: string[]) {
  return spawnLeast(args, { TEMPORAL_ADDRESS: closedAddress, DATABASE_URL: db.url, LEAST_POLICY_FILE: EXAMPLE_POLICY });
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  ({ db, store } = await freshStore());
  closedAddress = `127.0.0.1:${await closedPort()}`;
});

after(async () => {
  await db?.drop();
});

describe('least with no server running', () => {
  it('prints usage for help and --help, exit 0', async () => {
    for (const args of [['help'], ['--help']]) {
      const run = await least(...args);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^least — time-limited cloud access/);
      assert.match(run.stdout, /request +--as EMAIL --entitlement ID/);
      assert.doesNotMatch(run.stdout + run.stderr, /Failed to connect/);
    }
  });

  it('prints usage with no command, exit 2', async () => {
    const run = await least();
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /^least — time-limited cloud access/);
  });

  it('validates the example policy as JSON', async () => {
    const run = await least('validate', EXAMPLE_POLICY, '--json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const example = YAML.parse(readFileSync(path.join(ROOT, EXAMPLE_POLICY), 'utf8')) as {
      authorizationSystems: unknown[];
      entitlements: unknown[];
    };
    assert.deepEqual(JSON.parse(run.stdout), {
      file: EXAMPLE_POLICY,
      valid: true,
      authorizationSystems: example.authorizationSystems.length,
      entitlements: example.entitlements.length,
    });
  });

  it('reports a broken policy as JSON with where each problem is, exit 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'least-cli-'));
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'version: 1\nauthorizationSystems: []\nentitlements:\n  - id: Not An Id\n');
    const run = await least('validate', file, '--json');
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const answer = JSON.parse(run.stdout) as { valid: boolean; code: string; problems: { path: string }[] };
    assert.equal(answer.valid, false);
    assert.equal(answer.code, 'POLICY.INVALID');
    assert.ok(
      answer.problems.some((p) => p.path.startsWith('entitlements[0]')),
      JSON.stringify(answer.problems),
    );
  });

  it('lists requests from PostgreSQL as JSON and as text, without Temporal', async () => {
    const pending = pendingRequest({
      requestId: 'r-nosrv00001',
      requester: 'frank@example.com',
      submittedAt: '2026-05-01T09:00:00.000Z',
    });
    const active = activeRequest({
      requestId: 'r-nosrv00002',
      requester: 'grace@example.com',
      submittedAt: '2026-05-01T10:00:00.000Z',
      grantedAt: '2026-05-01T10:05:00.000Z',
    });
    await store.saveRequest(pending);
    await store.saveRequest(active);

    const all = await least('list', '--json');
    assert.equal(all.code, 0, all.stdout + all.stderr);
    const ids = (JSON.parse(all.stdout) as RequestState[]).map((s) => s.request.requestId).sort();
    assert.deepEqual(ids, ['r-nosrv00001', 'r-nosrv00002']);

    const franks = await least('list', '--as', 'frank@example.com', '--json');
    assert.deepEqual(
      (JSON.parse(franks.stdout) as RequestState[]).map((s) => [s.request.requestId, s.status]),
      [['r-nosrv00001', 'pending']],
    );

    const text = await least('list', '--status', 'pending');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^r-nosrv00001 {2}pending {3}prod-db-readonly {2}frank@example\.com/);
    assert.doesNotMatch(text.stdout, /r-nosrv00002/);

    const badStatus = await least('list', '--status', 'sleeping');
    assert.equal(badStatus.code, 2);
    assert.match(badStatus.stdout, /--status "sleeping" is not one of pending, approved/);
  });
});
