import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** `npm test -- test/domain` on a machine with no servers: pure folders start and check nothing. */
const ROOT = path.resolve(__dirname, '..', '..');

describe('the test launcher', () => {
  it('runs pure files with no Temporal, no emulator and no PostgreSQL', () => {
    const run = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['test/support/launch/run-tests.ts', 'test/domain/duration.test.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...withoutTestContext(),
          // every server it could reach for is missing
          LEAST_TEST_DATABASE_ADMIN_URL: 'postgres://postgres@127.0.0.1:1/postgres',
          LEAST_TEMPORAL_CLI: '/nonexistent/temporal',
          LEAST_TEMPORAL_TEST_SERVER: '/nonexistent/temporal-test-server',
          LEAST_MOTO_SERVER: '/nonexistent/moto_server',
          NODE_ENV: 'production', // and nothing may be installed
        },
      },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /test services: none needed; 1 files/);
    assert.match(run.stdout, /ℹ pass [1-9]/);
  });
});

/** The outer test runner marks its children; the launcher's own runner must report as from a shell. */
function withoutTestContext(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}
