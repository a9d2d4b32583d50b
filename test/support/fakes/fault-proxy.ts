import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * Faults between the product and a cloud emulator, on loopback. Two proxies:
 *
 * - `FaultProxy`: an HTTP proxy in front of moto that answers a share of the AWS SDK's calls with the
 *   errors AWS really returns under load (500/503 and 429 throttling, bodies shaped per protocol so the
 *   SDK classifies them as transient or throttling and retries), drops connections before forwarding
 *   (the call never happened) and after forwarding (the call LANDED but the caller saw a reset: the case
 *   that makes a non-idempotent grant happen twice), and passes the rest. It counts what it did, per
 *   operation. Settings change at run time; moto's own control API (`/moto-api/`) is always passed.
 * - `CuttableTcpProxy`: a byte pipe to any TCP server that can be cut (open sockets destroyed, new ones
 *   refused) and restored, to make a database or server "go away" without stopping the real one.
 */

export interface FaultSettings {
  /** Share of calls answered with an error response (500, 503 or 429), never forwarded. */
  errorRate: number;
  /** Share of calls whose connection is destroyed before anything is forwarded. */
  resetBeforeRate: number;
  /** Share of calls forwarded, answered by the emulator, and then the caller's connection destroyed. */
  resetAfterRate: number;
}

export const NO_FAULTS: FaultSettings = { errorRate: 0, resetBeforeRate: 0, resetAfterRate: 0 };

export type FaultAction = 'passed' | 'error500' | 'error503' | 'throttled429' | 'resetBefore' | 'resetAfter';

export interface FaultCounts {
  /** Every call the proxy saw (moto's control API excluded). */
  calls: number;
  byAction: Record<FaultAction, number>;
  /** Per operation (IAM `Action=`, JSON `X-Amz-Target`'s last part), what happened to its calls. */
  byOperation: Record<string, Partial<Record<FaultAction, number>>>;
}

function emptyCounts(): FaultCounts {
  return {
    calls: 0,
    byAction: { passed: 0, error500: 0, error503: 0, throttled429: 0, resetBefore: 0, resetAfter: 0 },
    byOperation: {},
  };
}

/** The operation an AWS SDK call names: query protocol (IAM, STS) in the form body, JSON protocols in a header. */
export function awsOperation(headers: http.IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const action = /(?:^|&)Action=([^&]+)/.exec(body)?.[1];
  return action ? decodeURIComponent(action) : 'unknown';
}

/**
 * The error body AWS returns for the protocol the caller spoke: query protocol (IAM, STS) gets an
 * `<ErrorResponse>` XML document, JSON protocols (SSO Admin, Identity Store) a `__type` object and the
 * `x-amzn-ErrorType` header. Codes are ones the SDK's retry strategy knows as throttling or transient.
 */
function errorResponse(
  action: 'error500' | 'error503' | 'throttled429',
  json: boolean,
): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomBytes(16).toString('hex');
  const [status, code, message] =
    action === 'error500'
      ? [500, json ? 'InternalServerException' : 'InternalFailure', 'Injected internal failure']
      : action === 'error503'
        ? [503, 'ServiceUnavailable', 'Injected: service unavailable']
        : [429, json ? 'ThrottlingException' : 'Throttling', 'Rate exceeded (injected)'];
  if (json) {
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': code,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export class FaultProxy {
  private server: http.Server | undefined;
  private settings: FaultSettings = { ...NO_FAULTS };
  private counts = emptyCounts();
  private readonly upstream: URL;
  private readonly agent = new http.Agent({ keepAlive: true });
  port = 0;

  /** `random` picks each call's fate; pass a seeded one to replay a run. */
  constructor(
    upstreamUrl: string,
    private readonly random: () => number = Math.random,
  ) {
    this.upstream = new URL(upstreamUrl);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  configure(settings: Partial<FaultSettings>): void {
    const next = { ...this.settings, ...settings };
    const total = next.errorRate + next.resetBeforeRate + next.resetAfterRate;
    if (Object.values(next).some((rate) => rate < 0) || total > 1)
      throw new Error(`fault rates must be ≥ 0 and sum to ≤ 1: ${JSON.stringify(next)}`);
    this.settings = next;
  }

  /** What the proxy did so far (a copy); `reset` starts the counts again. */
  stats(reset = false): FaultCounts {
    const copy = structuredClone(this.counts);
    if (reset) this.counts = emptyCounts();
    return copy;
  }

  /** Calls of one operation that reached the emulator (passed, or landed and then reset). */
  landed(operation: string): number {
    const seen = this.counts.byOperation[operation] ?? {};
    return (seen.passed ?? 0) + (seen.resetAfter ?? 0);
  }

  async start(): Promise<void> {
    const server = http.createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.agent.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private pick(): FaultAction {
    const { errorRate, resetBeforeRate, resetAfterRate } = this.settings;
    const roll = this.random();
    if (roll < errorRate) {
      const third = errorRate / 3;
      return roll < third ? 'error500' : roll < 2 * third ? 'error503' : 'throttled429';
    }
    if (roll < errorRate + resetBeforeRate) return 'resetBefore';
    if (roll < errorRate + resetBeforeRate + resetAfterRate) return 'resetAfter';
    return 'passed';
  }

  private count(operation: string, action: FaultAction): void {
    this.counts.calls++;
    this.counts.byAction[action]++;
    const seen = (this.counts.byOperation[operation] ??= {});
    seen[action] = (seen[action] ?? 0) + 1;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of request) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    if ((request.url ?? '').startsWith('/moto-api/')) {
      await this.forward(request, body, response, false);
      return;
    }
    const operation = awsOperation(request.headers, body.toString('utf8'));
    const action = this.pick();
    this.count(operation, action);
    if (action === 'resetBefore') {
      request.socket.destroy();
      return;
    }
    if (action === 'error500' || action === 'error503' || action === 'throttled429') {
      const json = typeof request.headers['x-amz-target'] === 'string';
      const answer = errorResponse(action, json);
      response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      response.end(answer.body);
      return;
    }
    await this.forward(request, body, response, action === 'resetAfter');
  }

  /** Sends the call on to the emulator; with `dropAnswer`, the emulator acts but the caller gets a reset. */
  private forward(
    request: http.IncomingMessage,
    body: Buffer,
    response: http.ServerResponse,
    dropAnswer: boolean,
  ): Promise<void> {
    return new Promise((resolve) => {
      const headers = { ...request.headers, host: this.upstream.host };
      const outgoing = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: request.method,
          path: request.url,
          headers,
          agent: this.agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', () => {
            request.socket.destroy();
            resolve();
          });
          answer.on('end', () => {
            if (dropAnswer) {
              request.socket.destroy();
            } else {
              const payload = Buffer.concat(chunks);
              const passed = { ...answer.headers, 'content-length': String(payload.length) };
              delete passed['transfer-encoding'];
              delete passed.connection;
              response.writeHead(answer.statusCode ?? 502, passed);
              response.end(payload);
            }
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        // the emulator itself failed: the caller sees what a dead endpoint looks like
        request.socket.destroy();
        resolve();
      });
      outgoing.end(body);
    });
  }
}

/**
 * A loopback TCP proxy to one server. `cut()` destroys every open connection and refuses new ones
 * (the port stays bound, so clients see resets, as when a server restarts); `restore()` lets them in.
 */
export class CuttableTcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private cutNow = false;
  /** Connections accepted and refused so far. */
  accepted = 0;
  refused = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get isCut(): boolean {
    return this.cutNow;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.cutNow) {
        this.refused++;
        client.destroy();
        return;
      }
      this.accepted++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  cut(): void {
    this.cutNow = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cutNow = false;
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
