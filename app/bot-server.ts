import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The bot's HTTP endpoints: health, and each chat front end at its path (`/slack/events`, later `/api/messages`). */
export interface BotServer {
  url: string;
  close(): Promise<void>;
}

export async function startBotServer(options: {
  port: number;
  host?: string;
  routes: Record<string, RequestListener>;
  /** Handlers for every path below a prefix, e.g. `/files/` for shared files behind signed links. */
  prefixes?: Record<string, RequestListener>;
  /** GET /readyz: 200 when every dependency answers, 503 naming the one that does not. */
  readiness?: () => Promise<{ ok: boolean }>;
  /** GET /metrics in the Prometheus text format; `observe` sees each routed request first (counters). */
  metrics?: {
    observe(path: string, req: IncomingMessage, res: ServerResponse): void;
    render(): Promise<{ contentType: string; body: string }>;
  };
}): Promise<BotServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const probe = path === '/readyz' ? options.readiness : undefined;
    if (probe) {
      if (!getOnly(req, res)) return;
      void probe().then(
        (readiness) =>
          res
            .writeHead(readiness.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(readiness)),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false}'),
      );
      return;
    }
    const metrics = options.metrics;
    if (metrics && path === '/metrics') {
      if (!getOnly(req, res)) return;
      void metrics.render().then(
        (page) => res.writeHead(200, { 'content-type': page.contentType }).end(page.body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable'),
      );
      return;
    }
    metrics?.observe(path, req, res);
    const route = options.routes[path];
    if (route) {
      route(req, res);
      return;
    }
    const prefix = Object.keys(options.prefixes ?? {}).find((start) => path.startsWith(start));
    if (prefix) {
      options.prefixes![prefix]!(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  // Slow or stalled clients must not hold sockets for long; Slack and Teams send small bodies fast.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function getOnly(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
  return false;
}
