/**
 * The slack scenario's load generator, alone in its own process: it signs and sends the commands,
 * times each HTTP answer (Slack's ack) and receives each private reply on a response_url it serves
 * itself. Its event loop holds nothing else, so an ack is timed when it arrives, not when the bot's
 * loop (shared with the worker and the fake Web API) gets round to noticing it. Bodies are built
 * before the clock starts and sent with node:http over kept-alive connections: the generator's own
 * cost per command (one HMAC, one write, one read) stays small beside what it measures.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { signSlackRequest, SlackSender, type SlackReply } from '../../test/support/generators/slack-requests';
import { runPool } from './pool';
import {
  slackLoadRequestSchema,
  type SlackLoadCommand,
  type SlackLoadReply,
  type SlackLoadRequest,
  type SlackLoadSample,
} from './slack-load-protocol';

const REQUEST_ID = /r-[a-z0-9]{10}/;

function send(message: SlackLoadReply): void {
  process.send?.(message);
}

/** Replies posted to `/r/<key>`: kept until asked for, or handed to whoever waits for them. */
class ReplyBox {
  private readonly arrived = new Map<string, { at: number; body: string }>();
  private readonly waiting = new Map<string, (reply: { at: number; body: string }) => void>();

  receive(key: string, reply: { at: number; body: string }): void {
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter(reply);
    } else this.arrived.set(key, reply);
  }

  wait(key: string, timeoutMs: number): Promise<{ at: number; body: string }> {
    const early = this.arrived.get(key);
    if (early) {
      this.arrived.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no reply on the response_url within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }
}

async function startReplyServer(box: ReplyBox): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const key = decodeURIComponent((req.url ?? '').replace(/^\/r\//, ''));
      // Slack answers a response_url with 200 `ok`.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      box.receive(key, { at, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}` };
}

/**
 * Builds a command's body exactly as SlackSender does (every field Slack sends), without sending it:
 * the bodies are made before the clock starts, so the generator's own work per command is the signing
 * and one write.
 */
class PreparedSender extends SlackSender {
  last: { body: string; contentType: string } | undefined;

  override send(rawBody: string, contentType: string): Promise<SlackReply> {
    this.last = { body: rawBody, contentType };
    return Promise.resolve({ status: 0, body: '' });
  }

  async prepare(command: SlackLoadCommand): Promise<{ body: string; contentType: string; responseId: string }> {
    const reply = await this.command(command.userId, command.text, {
      ...(command.triggerId ? { triggerId: command.triggerId } : {}),
    });
    return { ...this.last!, responseId: reply.responseId! };
  }
}

/** One signed POST over a kept-alive connection; resolves with the status once the body has been read. */
function post(
  agent: http.Agent,
  url: URL,
  secret: string,
  prepared: { body: string; contentType: string },
): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': prepared.contentType,
          'content-length': Buffer.byteLength(prepared.body),
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(secret, timestamp, prepared.body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(prepared.body);
  });
}

async function run(
  request: Extract<SlackLoadRequest, { type: 'run' }>,
  box: ReplyBox,
  base: string,
  agent: http.Agent,
): Promise<SlackLoadSample[]> {
  const builder = new PreparedSender({
    url: request.url,
    signingSecret: request.signingSecret,
    responseUrl: (id) => `${base}/r/${request.id}-${encodeURIComponent(id)}`,
  });
  const prepared: { body: string; contentType: string; responseId: string }[] = [];
  for (const command of request.commands) prepared.push(await builder.prepare(command));
  const url = new URL(request.url);
  const samples: SlackLoadSample[] = [];
  const controller = new AbortController();
  await runPool(request.commands.length, request.concurrency, controller.signal, async (index) => {
    const command = prepared[index]!;
    const sent = performance.now();
    let sample: SlackLoadSample | undefined;
    try {
      const status = await post(agent, url, request.signingSecret, command);
      sample = { index, status, ackMs: performance.now() - sent };
      samples.push(sample);
      if (status !== 200) {
        sample.error = `answered ${status}`;
        return;
      }
      if (!request.awaitReply) return;
      const reply = await box.wait(`${request.id}-${command.responseId}`, request.replyTimeoutMs);
      sample.replyMs = reply.at - sent;
      const id = REQUEST_ID.exec(reply.body)?.[0];
      if (id) sample.requestId = id;
      else sample.error = `reply without a request id: ${reply.body.slice(0, 200)}`;
    } catch (error) {
      const message = String(error).slice(0, 300);
      if (sample) sample.error = message;
      else samples.push({ index, status: 0, ackMs: performance.now() - sent, error: message });
    }
  });
  return samples;
}

async function main(): Promise<void> {
  const box = new ReplyBox();
  const { server, base } = await startReplyServer(box);
  // Connections stay open between commands, as Slack keeps them; as many as there are commands in flight.
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: Infinity });
  process.on('message', (raw) => {
    const parsed = slackLoadRequestSchema.safeParse(raw);
    if (!parsed.success) {
      send({ type: 'failed', error: `unreadable request: ${parsed.error.message}` });
      return;
    }
    const request = parsed.data;
    if (request.type === 'stop') {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => process.exit(0));
      return;
    }
    run(request, box, base, agent).then(
      (samples) => send({ type: 'result', id: request.id, samples }),
      (error: unknown) => send({ type: 'failed', error: String(error) }),
    );
  });
  // The parent going away (a crash, an abort) ends this process too.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', replyBaseUrl: base });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: String(error) });
  process.exit(1);
});
