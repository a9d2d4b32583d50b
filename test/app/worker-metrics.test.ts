import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { createBotMetrics } from '../../app/metrics';
import { createWorkerMetrics, MAX_ERROR_CODES, OTHER_CODE, type WorkerMetrics } from '../../app/worker-metrics';
import type { RequestState } from '../../domain/request';
import { LEAD, REQUESTER, startStack, type Stack } from '../support/stacks/stack';
import { startShortLease } from '../support/generators/short-lease';

/**
 * The worker's Prometheus series after one whole lifecycle on real components (dev server, moto,
 * PostgreSQL): a request needing approval, approved by a lead, granted in moto, expired and revoked.
 * The page is read over HTTP from the bot server as `npm start` serves it (bot and worker series on
 * one page), as an operator's scraper would.
 */

/** Short enough to expire during the test; the policy's one-minute floor applies to people, not to this drill. */
const LEASE_SECONDS = 3;

let stack: Stack;
let metrics: WorkerMetrics;
let server: BotServer;

before(async () => {
  metrics = createWorkerMetrics({ processMetrics: false });
  stack = await startStack('dev', { metrics });
  await stack.startWorker();
  server = await startBotServer({
    port: 0,
    routes: {},
    metrics: createBotMetrics({ also: [metrics.registry] }),
  });
});

after(async () => {
  await server?.close();
  await stack?.close();
});

/** `name{labels}` → value, for every sample on a Prometheus text page. */
function samples(page: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    found.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return found;
}

async function scrape(): Promise<{ page: string; values: Map<string, number> }> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const page = await response.text();
  return { page, values: samples(page) };
}

/** A request for the stack's inline-policy entitlement that waits for a lead, lasting LEASE_SECONDS once granted. */
function startShortRequest(): Promise<string> {
  return startShortLease(stack.env.client, stack, {
    requester: REQUESTER,
    entitlementId: 'payments-logs',
    seconds: LEASE_SECONDS,
    reason: 'metrics drill',
    outcome: 'needs-approval',
  });
}

describe('worker metrics after a lifecycle', { timeout: 90_000 }, () => {
  it('count the request, the decision, the grant and the revocation, with its lateness and the approval wait', async () => {
    const before = await scrape();
    assert.equal(before.values.get('least_grants_total{cloud="aws"}'), undefined, 'nothing granted yet');
    assert.match(before.page, /^# HELP least_chat_requests_total /m, "the bot's series are on the same page");

    const requestId = await startShortRequest();
    await stack.waitForStatus(requestId, 'pending');
    // the approval wait is submit → the settling decision: make it measurably more than nothing
    await new Promise((resolve) => setTimeout(resolve, 200));
    const decided = await stack.access.decide(requestId, LEAD, 'approve');
    assert.ok(decided.ok, JSON.stringify(decided));
    const final = (await stack.env.client.workflow.getHandle(requestId).result()) as RequestState;
    assert.equal(final.status, 'revoked');
    assert.equal(final.endedBy, 'expiry');

    const { page, values } = await scrape();
    assert.equal(values.get('least_requests_total{outcome="needs-approval"}'), 1);
    assert.equal(values.get('least_decisions_total{verdict="approve"}'), 1);
    assert.equal(values.get('least_grants_total{cloud="aws"}'), 1);
    assert.equal(values.get('least_revocations_total{cloud="aws"}'), 1);
    assert.equal(values.get('least_revocation_lateness_seconds_count{cloud="aws"}'), 1, 'the expiry was observed');
    const lateness = values.get('least_revocation_lateness_seconds_sum{cloud="aws"}')!;
    assert.ok(lateness >= 0 && lateness < 60, `lateness ${lateness} s`);
    assert.equal(values.get('least_approval_wait_seconds_count'), 1);
    const wait = values.get('least_approval_wait_seconds_sum')!;
    assert.ok(wait > 0 && wait < 60, `approval wait ${wait} s`);
    for (const [sample, value] of values)
      if (sample.startsWith('least_')) assert.ok(value >= 0, `${sample} is negative: ${value}`);
    // one process, one set of process metrics, even with two registries on the page
    assert.equal(page.match(/^# TYPE process_cpu_user_seconds_total /gm)?.length, 1);
  });
});

describe('cloud error codes', () => {
  it('keep their own label up to the cap and fold the rest into "other"', async () => {
    const local = createWorkerMetrics({ processMetrics: false });
    for (let i = 0; i < MAX_ERROR_CODES + 10; i++) local.cloudError('aws', 'grant', `Code${i}`);
    local.cloudError('aws', 'grant', 'Code0');
    const values = samples((await local.render()).body);
    const codes = [...values.keys()].filter((key) => key.startsWith('least_cloud_errors_total{'));
    assert.equal(codes.length, MAX_ERROR_CODES + 1);
    assert.equal(values.get('least_cloud_errors_total{cloud="aws",operation="grant",code="Code0"}'), 2);
    assert.equal(values.get(`least_cloud_errors_total{cloud="aws",operation="grant",code="${OTHER_CODE}"}`), 10);
  });
});
