import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freshDatabase, type TestDatabase } from '../support/launch/database';

/**
 * What a worker loads (issue 15): the SDKs of a cloud or chat platform it does not use cost it memory
 * for every lease it holds, so they load with their first use, never with the worker. A fresh process
 * builds the worker as app/main.ts does (app/runtime.ts, app/worker.ts) and lists the packages loaded.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** Used only by the bot, by an Azure or GCP system, once Teams has something to post, or to draw a chart. */
const NOT_FOR_AN_AWS_WORKER = [
  '@slack/bolt',
  '@azure/arm-authorization',
  '@azure/arm-monitor',
  '@azure/identity',
  'google-gax',
  '@google-cloud/resource-manager',
  '@google-cloud/recommender',
  '@googleapis/iam',
  '@microsoft/agents-hosting',
  'echarts',
];

/**
 * The child: a worker for the example policy (AWS alone), without chat and then with Teams configured;
 * last, the Azure SDK's loader is called, to show that this listing sees a package loaded on first use.
 */
const CHILD = `
const { buildActivities } = require('./app/runtime');
require('./app/worker');
const { PgStore } = require('./activities/store/pg-store');
const { loadPolicyFile } = require('./app/policy-file');
const { authorizationSdk } = require('./activities/cloud/azure/connections');
const packages = () =>
  [...new Set(Object.keys(require.cache).flatMap((file) => /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1] ?? []))];
(async () => {
  const store = PgStore.connect(process.env.DATABASE_URL);
  const policy = loadPolicyFile('config/policy.example.yaml');
  const plain = buildActivities({ store, policy, slack: undefined, teams: undefined });
  const withoutChat = packages();
  const teams = buildActivities({ store, policy, slack: undefined, teams: {} });
  const withTeams = packages();
  authorizationSdk();
  const afterAzure = packages();
  await plain.close();
  await teams.close();
  await store.close();
  console.log(JSON.stringify({ systems: policy.authorizationSystems.map((s) => s.cloud), withoutChat, withTeams, afterAzure }));
})();
`;

interface Loaded {
  systems: string[];
  withoutChat: string[];
  withTeams: string[];
  afterAzure: string[];
}

let db: TestDatabase;
let loaded: Loaded;

before(async () => {
  db = await freshDatabase();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url },
    timeout: 60_000,
  });
  loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as Loaded;
});

after(async () => {
  await db?.drop();
});

describe('the modules a worker loads', () => {
  it('are built for an AWS-only policy', () => {
    assert.deepEqual([...new Set(loaded.systems)], ['aws']);
    assert.ok(loaded.withoutChat.includes('@aws-sdk/client-sts'), loaded.withoutChat.join(' '));
  });

  it('leave out Bolt, the Azure, GCP and Teams SDKs and ECharts for an AWS worker without chat', () => {
    const unused = NOT_FOR_AN_AWS_WORKER.filter((name) => loaded.withoutChat.includes(name));
    assert.deepEqual(unused, []);
  });

  it('leave out the Agents SDK with Teams configured, until the first message is posted', () => {
    assert.equal(loaded.withTeams.includes('@microsoft/agents-hosting'), false);
  });

  it('show an SDK loaded on first use (so the checks above can fail)', () => {
    assert.ok(loaded.afterAzure.includes('@azure/arm-authorization'), loaded.afterAzure.join(' '));
  });
});
