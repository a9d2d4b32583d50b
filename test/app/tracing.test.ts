import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../../app/config';
import { accessClient } from '../../app/runtime';
import { startTracing, type Tracing } from '../../app/tracing';
import { createWorker } from '../../app/worker';
import { testServices } from '../support/launch/services';
import { startStack, submitRequest, type Stack } from '../support/stacks/stack';

/**
 * Tracing as the main job wires it, against an OTLP/HTTP receiver on loopback: one request's client
 * call (least-bot), its workflow and its activities (least-worker) arrive as spans of one trace. A
 * lifecycle without tracing configured sends nothing and carries no trace header.
 */

const ONCALL = 'oncall@example.com';

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** Accepts what the OTLP/HTTP exporter posts (JSON) and keeps each span with its resource's service name. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests++;
      if (req.method === 'POST' && req.url === '/v1/traces') this.keep(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private keep(body: string): void {
    type Attribute = { key: string; value: { stringValue?: string } };
    const parsed = JSON.parse(body) as {
      resourceSpans: {
        resource: { attributes: Attribute[] };
        scopeSpans: { spans: Omit<ReceivedSpan, 'service'>[] }[];
      }[];
    };
    for (const resourceSpans of parsed.resourceSpans) {
      const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const scope of resourceSpans.scopeSpans)
        for (const span of scope.spans)
          this.spans.push({
            service,
            name: span.name,
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
          });
    }
  }
}

let stack: Stack;
let receiver: OtlpReceiver;
let base: string;
let botTracing: Tracing;
let workerTracing: Tracing;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  stack = await startStack('dev');
  receiver = new OtlpReceiver();
  base = await receiver.start();
});

after(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await connection?.close();
  await stack?.close();
  await receiver?.close();
});

describe('tracing', { timeout: 120_000 }, () => {
  it('is off and sends nothing when no OTLP endpoint is configured', async () => {
    assert.equal(loadConfig({}).tracesEndpoint, undefined);
    await stack.startWorker();
    const requestId = await submitRequest(stack, {
      requester: ONCALL,
      entitlementId: 'payments-logs',
      duration: '15m',
    });
    await stack.waitForStatus(requestId, 'active');
    const history = await stack.env.client.workflow.getHandle(requestId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.header?.fields?.['_tracer-data'], undefined, 'no trace header on an untraced start');
    assert.ok((await stack.access.end(requestId, ONCALL, 'done')).ok);
    await stack.waitForStatus(requestId, 'revoked');
    assert.equal(receiver.requests, 0);
  });

  it("joins a request's client call, workflow and activities in one trace", async () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/` });
    assert.equal(config.tracesEndpoint, `${base}/v1/traces`);
    botTracing = startTracing({ tracesUrl: config.tracesEndpoint!, service: 'least-bot' });
    workerTracing = startTracing({ tracesUrl: config.tracesEndpoint!, service: 'least-worker' });
    const taskQueue = `${stack.taskQueue}-traced`;
    ({ worker } = await createWorker({
      address: testServices().temporalAddress,
      namespace: 'default',
      taskQueue,
      activities: stack.activities,
      tracing: { interceptors: workerTracing.workerInterceptors, sinks: workerTracing.sinks },
    }));
    running = worker.run();
    connection = await Connection.connect({ address: testServices().temporalAddress });
    const access = accessClient({
      temporal: new Client({ connection, interceptors: { workflow: botTracing.clientInterceptors } }),
      taskQueue,
      policy: () => stack.policy,
      store: stack.store,
    });
    const submitted = await access.submit({
      requester: ONCALL,
      entitlementId: 'payments-logs',
      duration: '15m',
      reason: 'traced drill',
      origin: { platform: 'cli' },
    });
    assert.ok(submitted.ok, JSON.stringify(submitted));
    const requestId = submitted.state.request.requestId;
    await stack.waitForStatus(requestId, 'active');
    assert.ok((await access.end(requestId, ONCALL, 'done')).ok);
    await stack.waitForStatus(requestId, 'revoked');
    // the workflow's own span ends with the workflow, after its last steps (right-sizing)
    await stack.env.client.workflow.getHandle(requestId).result();
    worker.shutdown();
    await running;
    await botTracing.shutdown();
    await workerTracing.shutdown();

    const started = receiver.spans.find(
      (span) => span.service === 'least-bot' && /Workflow/.test(span.name) && !span.parentSpanId,
    );
    assert.ok(started, `no client span from least-bot; got ${JSON.stringify(receiver.spans.map((s) => s.name))}`);
    const trace = receiver.spans.filter((span) => span.traceId === started.traceId);
    const names = trace.map((span) => `${span.service} ${span.name}`);
    assert.ok(names.includes('least-worker RunWorkflow:accessRequest'), names.join(', '));
    assert.ok(
      trace.some((span) => span.service === 'least-worker' && span.name.startsWith('RunActivity:')),
      names.join(', '),
    );
    assert.ok(
      trace.some((span) => span.service === 'least-worker' && span.name.startsWith('StartActivity:')),
      `workflow-side spans: ${names.join(', ')}`,
    );
  });
});
