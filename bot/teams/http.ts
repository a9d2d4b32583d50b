import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { CloudAdapter, Request, TurnContext, WebResponse } from '@microsoft/agents-hosting';

/** Nothing Teams sends is near this; a bigger body is refused before it is parsed. */
const MAX_BODY_BYTES = 256 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `/api/messages` on a plain Node server: the SDK expects an Express-like request (parsed body) and
 * response; this is the smallest such bridge. The JWT check runs first, then the adapter's turn.
 */
export function teamsRequestListener(
  adapter: CloudAdapter,
  logic: (context: TurnContext) => Promise<void>,
  hooks: { onRejected(status: number): void; onError(error: unknown): void; loopbackOnly: boolean },
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void handle(adapter, logic, req, res, hooks).catch((error: unknown) => {
      hooks.onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      if (!res.writableEnded) res.end('{"error":"internal error"}');
    });
  };
}

async function handle(
  adapter: CloudAdapter,
  logic: (context: TurnContext) => Promise<void>,
  req: IncomingMessage,
  res: ServerResponse,
  hooks: { onRejected(status: number): void; loopbackOnly: boolean },
): Promise<void> {
  if (hooks.loopbackOnly && !LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    // Local mode checks no tokens, so nothing from another machine is taken.
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end('{"error":"local mode accepts requests from this machine only"}');
    hooks.onRejected(401);
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const raw = await readBody(req);
  if (raw === undefined) {
    res.writeHead(413).end();
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"the body is not an activity"}');
    return;
  }
  const request: Request = { body: body as Record<string, unknown>, headers: req.headers, method: req.method };
  const response = webResponse(res);
  let authorized = false;
  await adapter.authorizeRequest(request, response, () => {
    authorized = true;
  });
  if (!authorized) {
    if (!res.writableEnded) res.end();
    hooks.onRejected(res.statusCode);
    return;
  }
  await adapter.process(request, response, logic);
  if (!res.writableEnded) res.end();
}

function webResponse(res: ServerResponse): WebResponse {
  const response: WebResponse = {
    status(code: number) {
      res.statusCode = code;
      return response;
    },
    setHeader(name: string, value: string) {
      res.setHeader(name, value);
      return response;
    },
    send(body?: unknown) {
      if (body === undefined) return response;
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        res.write(body);
      } else {
        if (!res.headersSent && !res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
        res.write(JSON.stringify(body));
      }
      return response;
    },
    end() {
      res.end();
      return response;
    },
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
  };
  return response;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
