import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../app/embedded/processes';
import { freshDatabase, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { FakeSlack } from '../support/fakes/fake-slack';
import { SlackSender } from '../support/generators/slack-requests';
import { FakeTeamsConnector } from '../support/fakes/fake-teams';
import { personalConversation, TeamsSender, teamsUser } from '../support/generators/teams-requests';
import { TEAMS_BOT_ID } from '../support/stacks/teams-stack';
import { CuttableTcpProxy } from '../support/fakes/fault-proxy';

/**
 * The bot role of the main job as an operator runs it (`tsx app/main.ts bot`), against the test
 * Temporal server, with PostgreSQL reached through a TCP proxy this test can cut: `/readyz` says
 * which dependency is missing and recovers; `/metrics` counts the Slack requests it acked.
 */
const ROOT = path.resolve(__dirname, '..', '..');
/** Shaped as config.ts expects (hex secret, xoxb- token); the fake Slack accepts any token. */
const SIGNING_SECRET = randomBytes(16).toString('hex');
const BOT_TOKEN = `xoxb-${randomBytes(8).toString('hex')}`;

let db: TestDatabase;
/** A loopback TCP proxy to PostgreSQL; cutting it drops open connections and every new one. */
let proxy: CuttableTcpProxy;
let slack: FakeSlack;
let connector: FakeTeamsConnector;
let job: ChildProcess;
let base: string;
const lines: string[] = [];

before(async () => {
  db = await freshDatabase();
  const direct = new URL(db.url);
  proxy = new CuttableTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  await proxy.start();
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  slack = await FakeSlack.start();
  connector = await FakeTeamsConnector.start();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(SLACK_|MICROSOFT_|TEAMS_|LEAST_LINK_|BOT_)/.test(key) || key === 'LEAST_SANDBOX') delete env[key];
  }
  Object.assign(env, {
    TEMPORAL_ADDRESS: testServices().temporalAddress,
    TEMPORAL_TASK_QUEUE: `least-readyz-${randomBytes(4).toString('hex')}`,
    DATABASE_URL: viaProxy.toString(),
    BOT_PORT: String(port),
    LEAST_POLICY_FILE: 'config/policy.example.yaml',
    LOG_LEVEL: 'warn',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    TEAMS_LOCAL_MODE: 'true',
  });
  job = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['app/main.ts', 'bot'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
  };
  job.stdout!.on('data', collect);
  job.stderr!.on('data', collect);
  const deadline = Date.now() + 90_000;
  while ((await get('/healthz'))?.status !== 200) {
    if (job.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the bot did not serve /healthz:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (job && job.exitCode === null && job.signalCode === null) process.kill(-job.pid!, 'SIGKILL');
  await proxy?.stop();
  await slack?.stop();
  await connector?.stop();
  await db?.drop();
});

async function get(pathname: string, init: RequestInit = {}): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`${base}${pathname}`, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** Polls `/readyz` until it answers `status`; returns the body and how long it took. */
async function readyzUntil(status: number, withinMs: number): Promise<{ body: unknown; ms: number }> {
  const started = Date.now();
  let last: { status: number; body: string } | undefined;
  while (Date.now() - started < withinMs) {
    last = await get('/readyz');
    if (last?.status === status) return { body: JSON.parse(last.body) as unknown, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`/readyz did not answer ${status} within ${withinMs} ms; last: ${JSON.stringify(last)}`);
}

/** Prometheus text format → sample value by `name{labels}` (labels sorted as written). */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    values.set(match[1]!, Number(match[2]));
  }
  return values;
}

describe('the bot: /readyz and /metrics', () => {
  it('is ready when PostgreSQL and Temporal both answer', async () => {
    const { body } = await readyzUntil(200, 10_000);
    assert.deepEqual(body, { ok: true, checks: { postgres: 'ok', temporal: 'ok' } });
    assert.equal((await get('/readyz', { method: 'POST' }))?.status, 405);
  });

  it('answers 503 naming postgres while the database is unreachable, and recovers', async () => {
    proxy.cut();
    const down = await readyzUntil(503, 5_000);
    const checks = (down.body as { ok: boolean; checks: Record<string, string> }).checks;
    assert.equal((down.body as { ok: boolean }).ok, false);
    assert.notEqual(checks.postgres, 'ok');
    assert.equal(checks.temporal, 'ok');
    // Which dependency, never where it is or how to log in.
    const raw = JSON.stringify(down.body);
    assert.ok(!raw.includes(String(proxy.port)) && !raw.includes('postgres://'), raw);
    assert.equal((await get('/healthz'))?.status, 200, 'liveness does not depend on the database');
    // The operator's log says which check fails, once, without the connection string.
    const warning = lines.find((line) => line.includes('readiness check failing'));
    assert.ok(warning, lines.join('\n'));
    assert.equal((JSON.parse(warning) as { dependency?: string }).dependency, 'postgres');
    assert.ok(!warning.includes('postgres://'), warning);

    proxy.restore();
    const up = await readyzUntil(200, 10_000);
    assert.deepEqual(up.body, { ok: true, checks: { postgres: 'ok', temporal: 'ok' } });
  });

  it('counts the Slack requests it acked and refused, with one ack time per request', async () => {
    const sender = new SlackSender({
      url: `${base}/slack/events`,
      signingSecret: SIGNING_SECRET,
      responseUrl: (id) => slack.responseUrl(id),
    });
    const acked = [];
    for (let i = 0; i < 3; i++) acked.push(await sender.command('UMETRICS01', 'help'));
    for (const reply of acked) assert.equal(reply.status, 200, reply.body);
    const forged = await sender.command('UMETRICS01', 'help', { sign: { signature: 'v0=forged' } });
    assert.equal(forged.status, 401);

    const page = await get('/metrics');
    assert.equal(page?.status, 200);
    const values = samples(page.body);
    assert.equal(values.get('least_chat_requests_total{platform="slack",kind="slash_command",outcome="acked"}'), 3);
    const refused = [...values].filter(
      ([key]) => key.startsWith('least_chat_requests_total{platform="slack"') && key.includes('outcome="refused"'),
    );
    assert.equal(
      refused.reduce((sum, [, value]) => sum + value, 0),
      1,
      JSON.stringify(refused),
    );
    const counts = [...values].filter(([key]) => key.startsWith('least_slack_ack_seconds_count'));
    assert.equal(
      counts.reduce((sum, [, value]) => sum + value, 0),
      4,
      JSON.stringify(counts),
    );
    const seconds = values.get('least_slack_ack_seconds_sum{kind="slash_command"}') ?? -1;
    assert.ok(seconds > 0 && seconds < 4 * 3, `ack seconds ${seconds}`);
    assert.ok((values.get('process_cpu_user_seconds_total') ?? 0) > 0, 'default process metrics');
    // Bounded labels: no user, team or trigger id becomes a series.
    assert.ok(!/UMETRICS01|T0001/.test(page.body));
    assert.equal((await get('/metrics', { method: 'DELETE' }))?.status, 405);
  });

  it('counts Teams messages and invokes by kind', async () => {
    const sender = new TeamsSender({ botUrl: `${base}/api/messages`, serviceUrl: connector.url, botId: TEAMS_BOT_ID });
    const ada = teamsUser('Ada Metrics');
    const chat = personalConversation(ada);
    const message = await sender.message(ada, chat, 'help');
    assert.equal(message.status, 200, JSON.stringify(message.body));
    await sender.execute(ada, chat, { verb: 'least.metrics.unknown' });

    const values = samples((await get('/metrics'))!.body);
    assert.equal(values.get('least_chat_requests_total{platform="teams",kind="message",outcome="acked"}'), 1);
    const invokes = [...values].filter(([key]) =>
      key.startsWith('least_chat_requests_total{platform="teams",kind="invoke"'),
    );
    assert.equal(
      invokes.reduce((sum, [, value]) => sum + value, 0),
      1,
      JSON.stringify(invokes),
    );
  });
});
