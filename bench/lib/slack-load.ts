/**
 * The parent's side of the slack scenario's load generator (`slack-load-child.ts`): forks it on the
 * same Node and loader (tsx), hands it batches of commands and gets back each command's timings.
 * Also the floor: a bare node:http server in this process that reads each request and answers 200,
 * with nothing of Bolt's or ours in the way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from './clock';
import {
  slackLoadReplySchema,
  type SlackLoadCommand,
  type SlackLoadRequest,
  type SlackLoadSample,
} from './slack-load-protocol';

export interface SlackLoadRun {
  url: string;
  signingSecret: string;
  commands: SlackLoadCommand[];
  concurrency: number;
  awaitReply: boolean;
  replyTimeoutMs: number;
}

export interface SlackLoad {
  pid: number;
  /** Where the child receives replies: `${replyBaseUrl}/r/…` (it builds the response_urls itself). */
  replyBaseUrl: string;
  run(batch: SlackLoadRun): Promise<SlackLoadSample[]>;
  stop(): Promise<void>;
}

export async function startSlackLoad(signal: AbortSignal): Promise<SlackLoad> {
  const child: ChildProcess = fork(require.resolve('./slack-load-child'), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const kill = (): void => void (exited || child.kill('SIGKILL'));
  signal.addEventListener('abort', kill, { once: true });
  const pending = new Map<number, { resolve: (s: SlackLoadSample[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ready = new Promise<string>((resolve, reject) => {
    child.on('message', (raw) => {
      const parsed = slackLoadReplySchema.safeParse(raw);
      if (!parsed.success) return;
      const reply = parsed.data;
      if (reply.type === 'ready') resolve(reply.replyBaseUrl);
      else if (reply.type === 'result') {
        pending.get(reply.id)?.resolve(reply.samples);
        pending.delete(reply.id);
      } else {
        const error = new Error(`slack load child failed: ${reply.error}`);
        reject(error);
        for (const waiter of pending.values()) waiter.reject(error);
        pending.clear();
      }
    });
    void exit.then(() => {
      const error = new Error('slack load child exited');
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  let replyBaseUrl: string;
  try {
    replyBaseUrl = await withTimeout(ready, 60_000, 'slack load child start');
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid: child.pid!,
    replyBaseUrl,
    run(batch) {
      const id = ++nextId;
      const request: SlackLoadRequest = { type: 'run', id, ...batch };
      return new Promise<SlackLoadSample[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send(request);
      });
    },
    async stop() {
      signal.removeEventListener('abort', kill);
      if (!exited) {
        child.send({ type: 'stop' } satisfies SlackLoadRequest);
        await withTimeout(exit, 5_000, 'slack load child stop').catch(kill);
      }
    },
  };
}

/** The floor: node:http alone, reading the signed body and answering 200 with an empty body, as Bolt's ack does. */
export async function startFloorServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
