import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

/**
 * OpenTelemetry tracing through Temporal's interceptors, on only when an OTLP endpoint is configured:
 * the bot's client calls (start, update, query) carry their trace into the workflow, whose spans and
 * its activities' spans join it. Spans go out over OTLP/HTTP (JSON) in batches; nothing is created,
 * kept or sent when tracing is off, because nothing here is loaded then.
 */
export type TracedService = 'least-bot' | 'least-worker';

/** The workflow-side interceptors: bundled into the workflow code only when tracing is on. */
export const WORKFLOW_TRACING_MODULES = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface Tracing {
  /** For the Temporal Client (connectCore): a span per call, its context in the call's headers. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** For Worker.create: activity spans, and the workflow interceptors (whose spans leave through `sinks`). */
  workerInterceptors: WorkerInterceptors;
  sinks: InjectedSinks<OpenTelemetrySinks>;
  /** Sends what is still batched, then stops. */
  shutdown(): Promise<void>;
}

let globalsInstalled = false;

/**
 * The trace context moves between processes in W3C `traceparent` headers and within one through
 * AsyncLocalStorage; both are process-wide in OpenTelemetry's API, so they are set once.
 */
function installGlobals(): void {
  if (globalsInstalled) return;
  otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  globalsInstalled = true;
}

export function startTracing(options: { tracesUrl: string; service: TracedService }): Tracing {
  installGlobals();
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.service });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: options.tracesUrl }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('least');
  return {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor({ tracer })],
    workerInterceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      workflowModules: WORKFLOW_TRACING_MODULES,
    },
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    shutdown: () => provider.shutdown(),
  };
}
