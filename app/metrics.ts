import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../bot/chat-routes';

/**
 * The bot's Prometheus series, in a registry of its own (never prom-client's global one, so two bots
 * in one process, as in tests, do not share counters). Chat requests are counted where the HTTP
 * server hands them to Bolt or the Teams adapter: by platform, kind and whether they were acked.
 * Labels come from fixed sets only; no user, team or request id ever becomes a label.
 */
export const ChatPlatform = { slack: 'slack', teams: 'teams' } as const;
export const ChatKind = {
  slashCommand: 'slash_command',
  interaction: 'interaction',
  event: 'event',
  message: 'message',
  invoke: 'invoke',
  other: 'other',
} as const;
export const ChatOutcome = { acked: 'acked', refused: 'refused' } as const;

type Platform = (typeof ChatPlatform)[keyof typeof ChatPlatform];
type Kind = (typeof ChatKind)[keyof typeof ChatKind];

const PLATFORM_OF_PATH: Record<string, Platform> = {
  [SLACK_EVENTS_PATH]: ChatPlatform.slack,
  [TEAMS_MESSAGES_PATH]: ChatPlatform.teams,
};

/** Enough of a body to tell its kind; Slack and Teams send a few KiB at most. */
const MAX_CAPTURED_BYTES = 64 * 1024;

export interface BotMetrics {
  registry: Registry;
  /** For the bot server: sees each request before it is routed; counts those to a chat front end. */
  observe(path: string, req: IncomingMessage, res: ServerResponse): void;
  /** The `/metrics` page in the Prometheus text format. */
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * `also`: registries rendered on the same page, such as the worker's when worker and bot share a
 * process (`npm start`); those must not collect the process metrics again (one set per process).
 */
export function createBotMetrics(options: { also?: Registry[] } = {}): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'least_chat_requests_total',
    help: 'Chat requests received over HTTP, by platform, kind and outcome (acked: 2xx answer; refused: any other answer or none).',
    labelNames: ['platform', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  const slackAck = new Histogram({
    name: 'least_slack_ack_seconds',
    help: 'Time from a Slack request arriving to the HTTP answer (the ack) being sent; Slack allows 3 s.',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [registry],
  });

  // After every series is registered: a merged registry holds the metrics registered by then.
  const page = options.also?.length ? Registry.merge([registry, ...options.also]) : registry;
  return {
    registry,
    observe(path, req, res) {
      const platform = PLATFORM_OF_PATH[path];
      if (!platform) return;
      const started = process.hrtime.bigint();
      const body = captureBody(req);
      res.once('close', () => {
        const kind = platform === ChatPlatform.slack ? slackKind(req, body()) : teamsKind(body());
        const answered = res.writableFinished;
        const outcome = answered && res.statusCode >= 200 && res.statusCode < 300 ? 'acked' : 'refused';
        requests.inc({ platform, kind, outcome });
        if (platform === ChatPlatform.slack && answered) {
          slackAck.observe({ kind }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      });
    },
    async render() {
      return { contentType: page.contentType, body: await page.metrics() };
    },
  };
}

/**
 * Sees the body's chunks as they are emitted to whoever reads the request (Bolt, the Teams adapter),
 * without reading it itself: the handler's flow and the stream's mode stay exactly as they were.
 */
function captureBody(req: IncomingMessage): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  const emit = req.emit.bind(req);
  req.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'data' && size < MAX_CAPTURED_BYTES) {
      const chunk = args[0];
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(bytes);
      size += bytes.length;
    }
    return emit(event, ...args);
  }) as typeof req.emit;
  return () => Buffer.concat(chunks).toString('utf8');
}

function slackKind(req: IncomingMessage, body: string): Kind {
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) return ChatKind.event;
  const form = new URLSearchParams(body);
  if (form.has('payload')) return ChatKind.interaction;
  if (form.has('command')) return ChatKind.slashCommand;
  return ChatKind.other;
}

function teamsKind(body: string): Kind {
  try {
    const type = (JSON.parse(body) as { type?: unknown }).type;
    if (type === 'message') return ChatKind.message;
    if (type === 'invoke') return ChatKind.invoke;
  } catch {
    // unreadable or cut short: counted as other
  }
  return ChatKind.other;
}
