import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local fake of the Slack Web API for tests: a real HTTP server on 127.0.0.1 that the real
 * `WebClient` talks to through `slackApiUrl: fake.apiUrl`. It answers like Slack (HTTP 200 with
 * `{ ok: true, ... }` or `{ ok: false, error }`, 429 with Retry-After), records every call, and
 * keeps the messages posted so a test can read a channel as a person would after updates.
 * `respond()` goes to `responseUrl()`, recorded as the method `response_url`.
 *
 * File uploads follow Slack's external upload flow (what `files.uploadV2` does): files.getUploadURLExternal
 * answers an upload URL on this fake, the bytes are POSTed there (recorded as the method `upload`), and
 * files.completeUploadExternal shares the files, with the message's blocks, into a channel.
 */

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token?: string;
  /** Date.now() when the fake received the call. */
  at: number;
  /** The error the fake answered with (`ok: false`, or `ratelimited` for a 429); absent on success. */
  error?: string;
  /** For `response_url` calls: the id the URL was made with (`responseUrl(id)`). */
  responseId?: string;
}

export interface FakeSlackUser {
  id: string;
  email?: string;
  name?: string;
  isBot?: boolean;
}

/** A message as the channel shows it now (after every chat.update). Replies carry `thread_ts`. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  /** Absent (undefined) for a text-only message. */
  blocks: unknown;
  attachments?: unknown;
  user: string;
  bot_id: string;
  edited?: { user: string; ts: string };
  /** Files shared with the message (files.completeUploadExternal). */
  files?: { id: string; title: string; name: string }[];
}

/** A file uploaded through the external upload flow. */
export interface FakeSlackFile {
  id: string;
  filename: string;
  /** The length declared to files.getUploadURLExternal. */
  length: number;
  altText?: string;
  /** The bytes received at the upload URL; absent until then. */
  bytes?: Buffer;
  title?: string;
  /** Where files.completeUploadExternal shared it; absent: private (or not completed). */
  channel?: string;
  completed: boolean;
}

/** Why a channel refuses the bot: it left (or was never invited), the channel was deleted, or archived. */
export type ChannelRefusal = 'not_in_channel' | 'channel_not_found' | 'is_archived';

/** A Slack error code answered as `{ ok: false, error }`, or a 429 with a Retry-After header. */
export type SlackFault = string | { status: 429; retryAfterSeconds: number };

export interface FakeSlackOptions {
  /** Accept only this token (others get `invalid_auth`); by default any token is accepted. */
  token?: string;
  /** Bodies larger than this are refused with 413 (default 1 MB). */
  maxBodyBytes?: number;
}

/** Tokens the tests hand the real clients: plainly fake, nothing a secret scanner or Slack would take for real. */
export const FAKE_BOT_TOKEN = 'fake-bot-token';
export const FAKE_APP_TOKEN = 'fake-app-token';

/** Who the bot is in the fake workspace (what auth.test answers). */
export const FakeSlackWorkspace = {
  teamId: 'T0001',
  team: 'Least Test',
  botUserId: 'UBOT',
  botId: 'BBOT',
  appId: 'A0001',
  url: 'https://least-test.slack.com/',
} as const;

type Args = Record<string, unknown>;
type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: string; [key: string]: unknown };

const DEFAULT_MAX_BODY = 1024 * 1024;
/** Form values WebClient JSON-encodes because they are objects; the rest stay the strings Slack receives. */
const STRUCTURED_ARGS = new Set([
  'blocks',
  'attachments',
  'view',
  'metadata',
  'unfurls',
  'user_auth_blocks',
  'options',
  'option_groups',
  'dialog',
  'profile',
  'prefs',
  'files',
]);
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CONVERSATION_ID = /^[CDG][A-Z0-9]{2,}$/;
const MAX_MESSAGE_BLOCKS = 50;
const MAX_VIEW_BLOCKS = 100;
const MAX_PRIVATE_METADATA = 3000;
const MAX_MODAL_TITLE = 24;

const fail = (error: string, detail?: string): Answer => ({
  ok: false,
  error,
  ...(detail ? { response_metadata: { messages: [`[ERROR] ${detail}`] } } : {}),
});
const text = (args: Args, key: string): string | undefined => {
  const value = args[key];
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;
};
const clone = <T>(value: T): T => structuredClone(value);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  private readonly users = new Map<string, FakeSlackUser>();
  private readonly usergroups = new Map<string, string[]>();
  private readonly messages = new Map<string, FakeSlackMessage>();
  private readonly views = new Map<string, Record<string, unknown>>();
  private readonly homes = new Map<string, string>();
  private readonly conversations = new Map<string, string>();
  private readonly faults = new Map<string, SlackFault[]>();
  private readonly files = new Map<string, FakeSlackFile>();
  private readonly refusals = new Map<string, ChannelRefusal>();
  private readonly handlers: Record<string, (args: Args) => Answer>;
  private clock = 1_700_000_000_000_000; // microseconds: ts 1700000000.000100 is the first
  private sequence = 0;
  private stopped = false;

  private readonly server: http.Server;
  private origin = '';

  private constructor(private readonly options: FakeSlackOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    // Tests send small bodies fast; a stalled client must not hold a socket.
    this.server.requestTimeout = 15_000;
    this.server.headersTimeout = 10_000;
    this.handlers = {
      'auth.test': () => ({
        ok: true,
        url: FakeSlackWorkspace.url,
        team: FakeSlackWorkspace.team,
        user: 'least',
        team_id: FakeSlackWorkspace.teamId,
        user_id: FakeSlackWorkspace.botUserId,
        bot_id: FakeSlackWorkspace.botId,
        is_enterprise_install: false,
      }),
      'chat.postMessage': (args) => this.postMessage(args),
      'chat.update': (args) => this.updateMessage(args),
      'chat.delete': (args) => this.deleteMessage(args),
      'chat.postEphemeral': (args) => this.postEphemeral(args),
      'views.open': (args) => this.openView(args),
      'views.push': (args) => this.openView(args),
      'views.update': (args) => this.updateView(args),
      'views.publish': (args) => this.publishView(args),
      'users.info': (args) => {
        const user = this.users.get(text(args, 'user') ?? '');
        return user ? { ok: true, user: this.userObject(user) } : fail('user_not_found');
      },
      'users.lookupByEmail': (args) => {
        const wanted = (text(args, 'email') ?? '').trim().toLowerCase();
        const user = [...this.users.values()].find((u) => u.email !== undefined && u.email.toLowerCase() === wanted);
        return wanted && user ? { ok: true, user: this.userObject(user) } : fail('users_not_found');
      },
      'usergroups.users.list': (args) => {
        const members = this.usergroups.get(text(args, 'usergroup') ?? '');
        return members ? { ok: true, users: [...members] } : fail('no_such_subteam');
      },
      'conversations.open': (args) => this.openConversation(args),
      'files.getUploadURLExternal': (args) => this.uploadUrl(args),
      'files.completeUploadExternal': (args) => this.completeUpload(args),
      // Socket Mode: the URL a test's socket server listens on (see fake-socket-mode.ts).
      'apps.connections.open': () => (this.socketUrl ? { ok: true, url: this.socketUrl } : fail('invalid_auth')),
    };
  }

  /** Where `apps.connections.open` sends Socket Mode clients. */
  socketUrl?: string;

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.origin = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** http://127.0.0.1:PORT */
  get baseUrl(): string {
    return this.origin;
  }

  /** The WebClient's `slackApiUrl`; ends with `/api/`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A `response_url` on the fake: what is posted to it is recorded as method `response_url` with this id. */
  responseUrl(id = `R${++this.sequence}`): string {
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, { ...user });
  }

  addUsergroup(id: string, userIds: string[]): void {
    this.usergroups.set(id, [...userIds]);
  }

  /** The next call to `method` fails once with this fault; several calls queue up in order. */
  failNext(method: string, fault: SlackFault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Forgets recorded calls and unused faults; users, groups and messages stay (they are the workspace). */
  clear(): void {
    this.calls.length = 0;
    this.faults.clear();
  }

  /** The first call to `method` (already made or yet to come) that the predicate accepts. */
  async waitFor(method: string, predicate?: (call: SlackCall) => boolean, timeoutMs = 10_000): Promise<SlackCall> {
    const deadline = Date.now() + timeoutMs;
    let predicateError: unknown;
    for (;;) {
      for (const call of this.calls) {
        if (call.method !== method) continue;
        try {
          if (!predicate || predicate(call)) return call;
        } catch (error) {
          predicateError = error;
        }
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const counts = new Map<string, number>();
    for (const call of this.calls) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
    const seen = [...counts].map(([name, count]) => `${name} ×${count}`).join(', ') || 'none';
    const matching = counts.get(method) ?? 0;
    throw new Error(
      `FakeSlack: no ${method} call${predicate ? ' matching the predicate' : ''} within ${timeoutMs} ms ` +
        `(${matching} ${method} call(s) seen; methods seen so far: ${seen})` +
        (predicateError ? `; the predicate threw: ${String(predicateError)}` : ''),
    );
  }

  /** From now on the channel refuses the bot's posts and shares with this error, as Slack does. */
  refuseChannel(channel: string, refusal: ChannelRefusal): void {
    this.refusals.set(this.resolveChannel(channel), refusal);
  }

  /** A file uploaded through files.getUploadURLExternal, with its bytes once they arrived. */
  uploadedFile(fileId: string): FakeSlackFile | undefined {
    const file = this.files.get(fileId);
    return file && { ...file, ...(file.bytes ? { bytes: Buffer.from(file.bytes) } : {}) };
  }

  /** The DM channel id the fake gives a user, as chat.postMessage and conversations.open answer it. */
  dmChannel(userId: string): string {
    return this.conversationId(`im:${userId}`, 'D');
  }

  /** Every message in a channel (a channel id, a `#name`, or a user id for their DM) as it reads now, oldest first. */
  messagesIn(channel: string): FakeSlackMessage[] {
    const id = this.resolveChannel(channel);
    return [...this.messages.values()]
      .filter((m) => m.channel === id)
      .sort((a, b) => compareTs(a.ts, b.ts))
      .map(clone);
  }

  /** The replies in a thread, oldest first, without the parent message. */
  threadReplies(channel: string, threadTs: string): FakeSlackMessage[] {
    return this.messagesIn(channel).filter((m) => m.thread_ts === threadTs);
  }

  /** The Home tab last published for a user. */
  homeOf(userId: string): Record<string, unknown> | undefined {
    const id = this.homes.get(userId);
    const view = id ? this.views.get(id) : undefined;
    return view ? clone(view) : undefined;
  }

  // ---------------------------------------------------------------- HTTP

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = URL.canParse(req.url ?? '/', this.baseUrl) ? new URL(req.url ?? '/', this.baseUrl) : undefined;
    if (!url) {
      send(res, 400, { ok: false, error: 'invalid_url' });
      return;
    }
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const response = /^\/response\/([^/]+)$/.exec(url.pathname);
    const upload = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (!api && !response && !upload) {
      send(res, 404, { ok: false, error: 'not_found' });
      return;
    }
    // Bounded: past the limit the rest of the body is read and dropped (requestTimeout ends a
    // stream that never stops), then refused with 413 so the client sees why.
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        send(res, 413, { ok: false, error: 'request_too_large' });
        return;
      }
      if (upload) {
        this.answerUpload(decodeURIComponent(upload[1]!), req, Buffer.concat(chunks), res).catch((error: unknown) =>
          send(res, 500, { ok: false, error: 'fake_slack_error', detail: String(error) }),
        );
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        if (api) this.answerApi(api[1]!, req, url, body, res);
        else this.answerResponseUrl(decodeURIComponent(response![1]!), req, body, res);
      } catch (error) {
        // A fake must not take the test process down with it: say what went wrong instead.
        send(res, 500, { ok: false, error: 'fake_slack_error', detail: String(error) });
      }
    });
    req.on('error', () => res.destroy());
  }

  private answerApi(method: string, req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    const parsed = parseArgs(req.headers['content-type'], body);
    const args: Args = { ...Object.fromEntries(url.searchParams), ...(parsed.ok ? parsed.args : {}) };
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? text(args, 'token');
    delete args.token;
    const call: SlackCall = { method, args, ...(token !== undefined ? { token } : {}), at: Date.now() };
    this.calls.push(call);

    const fault = this.takeFault(method);
    if (fault !== undefined && typeof fault !== 'string') {
      call.error = 'ratelimited';
      send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSeconds) });
      return;
    }
    let answer: Answer;
    if (!parsed.ok) answer = fail(parsed.error);
    else if (!token) answer = fail('not_authed');
    else if (this.options.token !== undefined && token !== this.options.token) answer = fail('invalid_auth');
    else if (fault !== undefined) answer = fail(fault);
    else answer = this.handlers[method]?.(args) ?? fail('unknown_method');
    if (!answer.ok) call.error = answer.error;
    send(res, 200, answer);
  }

  /** Slack answers a response_url with 200 `ok`; an expired or used one with 404. */
  private answerResponseUrl(id: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const parsed = parseArgs(req.headers['content-type'], body);
    const call: SlackCall = {
      method: 'response_url',
      args: parsed.ok ? parsed.args : { body },
      at: Date.now(),
      responseId: id,
    };
    this.calls.push(call);
    const fault = this.takeFault('response_url');
    if (fault !== undefined && typeof fault !== 'string') {
      call.error = 'ratelimited';
      send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSeconds) });
    } else if (fault !== undefined || !parsed.ok) {
      call.error = fault ?? (parsed.ok ? 'invalid_payload' : parsed.error);
      send(res, fault !== undefined ? 404 : 400, { ok: false, error: call.error });
    } else {
      send(res, 200, { ok: true });
    }
  }

  /**
   * The upload URL: the file's bytes, raw or as the one part of a multipart form (what WebClient
   * sends). Slack answers 200 and a line of text; an unknown URL is a 404.
   */
  private async answerUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const call: SlackCall = { method: 'upload', args: { file_id: fileId }, at: Date.now() };
    this.calls.push(call);
    const fault = this.takeFault('upload');
    const file = this.files.get(fileId);
    if (fault !== undefined || !file || file.completed) {
      call.error = typeof fault === 'string' ? fault : fault ? 'ratelimited' : 'upload_not_found';
      res.writeHead(fault && typeof fault !== 'string' ? 429 : 404, { 'content-type': 'text/plain' }).end(call.error);
      return;
    }
    const type = req.headers['content-type'] ?? '';
    let bytes = raw;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((value): value is File => typeof value !== 'string');
      bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    }
    file.bytes = bytes;
    call.args.bytes = bytes.length;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
  }

  private takeFault(method: string): SlackFault | undefined {
    const queue = this.faults.get(method);
    const fault = queue?.shift();
    if (queue && queue.length === 0) this.faults.delete(method);
    return fault;
  }

  // ---------------------------------------------------------------- messages

  private postMessage(args: Args): Answer {
    const target = text(args, 'channel');
    if (!target) return fail('channel_not_found');
    const invalid = checkMessageContent(args);
    if (invalid) return invalid;
    const channel = this.resolveChannel(target);
    const refusal = this.refusals.get(channel);
    if (refusal) return fail(refusal);
    const threadTs = text(args, 'thread_ts');
    const message: FakeSlackMessage = {
      channel,
      ts: this.nextTs(),
      text: text(args, 'text') ?? '',
      blocks: args.blocks,
      ...(args.attachments !== undefined ? { attachments: args.attachments } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      user: FakeSlackWorkspace.botUserId,
      bot_id: FakeSlackWorkspace.botId,
    };
    this.messages.set(messageKey(channel, message.ts), message);
    return { ok: true, channel, ts: message.ts, message: messageObject(message) };
  }

  /** Like Slack, chat.update needs the conversation id (a DM's D…, not the user id) and a ts posted there. */
  private updateMessage(args: Args): Answer {
    const channel = text(args, 'channel');
    const ts = text(args, 'ts');
    if (!channel) return fail('channel_not_found');
    const message = ts ? this.messages.get(messageKey(channel, ts)) : undefined;
    if (!message) return fail('message_not_found');
    const invalid = checkMessageContent(args);
    if (invalid) return invalid;
    if (args.text !== undefined) message.text = text(args, 'text') ?? '';
    if (args.blocks !== undefined) message.blocks = args.blocks;
    if (args.attachments !== undefined) message.attachments = args.attachments;
    message.edited = { user: FakeSlackWorkspace.botUserId, ts: this.nextTs() };
    return { ok: true, channel, ts: message.ts, text: message.text, message: messageObject(message) };
  }

  private deleteMessage(args: Args): Answer {
    const channel = text(args, 'channel') ?? '';
    const ts = text(args, 'ts') ?? '';
    if (!this.messages.delete(messageKey(channel, ts))) return fail('message_not_found');
    return { ok: true, channel, ts };
  }

  /** Ephemeral messages are seen by one person only and are not kept in the channel's history. */
  private postEphemeral(args: Args): Answer {
    if (!text(args, 'channel')) return fail('channel_not_found');
    if (!text(args, 'user')) return fail('user_not_in_channel');
    const invalid = checkMessageContent(args);
    if (invalid) return invalid;
    return { ok: true, message_ts: this.nextTs() };
  }

  // ---------------------------------------------------------------- files

  private uploadUrl(args: Args): Answer {
    const filename = text(args, 'filename');
    const length = Number(text(args, 'length'));
    if (!filename) return fail('invalid_arguments', 'missing required field: filename');
    if (!Number.isInteger(length) || length < 1) return fail('invalid_arguments', 'length must be a positive integer');
    const id = `F${String(++this.sequence).padStart(9, '0')}`;
    const altText = text(args, 'alt_text');
    this.files.set(id, { id, filename, length, ...(altText ? { altText } : {}), completed: false });
    return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
  }

  /** Shares uploaded files; with `channel_id`, as one message carrying `blocks` (or `initial_comment`). */
  private completeUpload(args: Args): Answer {
    const listed = args.files;
    if (!Array.isArray(listed) || listed.length === 0)
      return fail('invalid_arguments', 'missing required field: files [json-pointer:/files]');
    const files: FakeSlackFile[] = [];
    for (const entry of listed as { id?: unknown; title?: unknown }[]) {
      const file = typeof entry?.id === 'string' ? this.files.get(entry.id) : undefined;
      if (!file || file.completed) return fail('file_not_found');
      if (!file.bytes || file.bytes.length !== file.length) return fail('file_upload_size_mismatch');
      files.push(file);
      if (typeof entry.title === 'string') file.title = entry.title;
    }
    const target = text(args, 'channel_id');
    let channel: string | undefined;
    if (target) {
      if (!CONVERSATION_ID.test(target)) return fail('invalid_arguments', 'channel_id must be a conversation id');
      channel = this.resolveChannel(target);
      const refusal = this.refusals.get(channel);
      if (refusal) return fail(refusal);
      const comment = text(args, 'initial_comment');
      const blocks = comment ? undefined : args.blocks;
      if (blocks !== undefined) {
        const invalid = checkMessageContent({ blocks });
        if (invalid) return invalid;
      }
      const message: FakeSlackMessage = {
        channel,
        ts: this.nextTs(),
        text: comment ?? '',
        blocks,
        user: FakeSlackWorkspace.botUserId,
        bot_id: FakeSlackWorkspace.botId,
        files: files.map((file) => ({ id: file.id, title: file.title ?? file.filename, name: file.filename })),
      };
      this.messages.set(messageKey(channel, message.ts), message);
    }
    for (const file of files) {
      file.completed = true;
      if (channel) file.channel = channel;
    }
    return {
      ok: true,
      files: files.map((file) => ({ id: file.id, title: file.title ?? file.filename, name: file.filename })),
    };
  }

  // ---------------------------------------------------------------- views

  private openView(args: Args): Answer {
    if (!text(args, 'trigger_id')) return fail('invalid_arguments', 'missing required field: trigger_id');
    const invalid = checkView(args.view);
    if (invalid) return invalid;
    const id = `V${String(++this.sequence).padStart(8, '0')}`;
    const view = this.storeView(id, args.view as Args);
    return { ok: true, view };
  }

  private updateView(args: Args): Answer {
    const viewId = text(args, 'view_id');
    const externalId = text(args, 'external_id');
    const found = viewId
      ? this.views.get(viewId)
      : [...this.views.values()].find((v) => externalId && v.external_id === externalId);
    if (!found) return fail('not_found');
    const hash = text(args, 'hash');
    if (hash && hash !== found.hash) return fail('hash_conflict');
    const invalid = checkView(args.view);
    if (invalid) return invalid;
    return { ok: true, view: this.storeView(String(found.id), args.view as Args) };
  }

  private publishView(args: Args): Answer {
    const userId = text(args, 'user_id');
    if (!userId) return fail('invalid_arguments', 'missing required field: user_id');
    const invalid = checkView(args.view);
    if (invalid) return invalid;
    if ((args.view as Args).type !== 'home')
      return fail('invalid_arguments', 'views.publish takes a view of type home');
    const id = this.homes.get(userId) ?? `V${String(++this.sequence).padStart(8, '0')}`;
    this.homes.set(userId, id);
    return { ok: true, view: this.storeView(id, args.view as Args) };
  }

  private storeView(id: string, view: Args): Record<string, unknown> {
    const stored = {
      ...clone(view),
      id,
      team_id: FakeSlackWorkspace.teamId,
      state: { values: {} },
      hash: `${Date.now()}.${++this.sequence}`,
      root_view_id: id,
      previous_view_id: null,
      app_id: FakeSlackWorkspace.appId,
      bot_id: FakeSlackWorkspace.botId,
    };
    this.views.set(id, stored);
    return clone(stored);
  }

  // ---------------------------------------------------------------- directory and conversations

  private openConversation(args: Args): Answer {
    const channel = text(args, 'channel');
    if (channel) return { ok: true, channel: { id: channel } };
    const users = (text(args, 'users') ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    if (users.length === 0) return fail('users_list_not_supplied');
    if (users.some((u) => !USER_ID.test(u))) return fail('user_not_found');
    const id =
      users.length === 1 ? this.dmChannel(users[0]!) : this.conversationId(`mpim:${[...users].sort().join(',')}`, 'G');
    return { ok: true, channel: { id } };
  }

  private userObject(user: FakeSlackUser): Record<string, unknown> {
    const name = user.name ?? user.id.toLowerCase();
    return {
      id: user.id,
      team_id: FakeSlackWorkspace.teamId,
      name,
      real_name: name,
      deleted: false,
      is_bot: user.isBot ?? false,
      is_app_user: false,
      profile: {
        real_name: name,
        display_name: name,
        team: FakeSlackWorkspace.teamId,
        ...(user.email ? { email: user.email } : {}),
      },
    };
  }

  /** A user id means their DM (as chat.postMessage does); a name (`#access` or `access`) gets a stable C… id. */
  private resolveChannel(channel: string): string {
    if (USER_ID.test(channel)) return this.dmChannel(channel);
    if (CONVERSATION_ID.test(channel)) return channel;
    return this.conversationId(`name:${channel.replace(/^#/, '')}`, 'C');
  }

  private conversationId(key: string, prefix: 'C' | 'D' | 'G'): string {
    let id = this.conversations.get(key);
    if (!id) {
      id = `${prefix}${String(this.conversations.size + 1).padStart(8, '0')}`;
      this.conversations.set(key, id);
    }
    return id;
  }

  private nextTs(): string {
    this.clock += 100;
    return `${Math.floor(this.clock / 1e6)}.${String(this.clock % 1e6).padStart(6, '0')}`;
  }
}

function parseArgs(
  contentType: string | undefined,
  body: string,
): { ok: true; args: Args } | { ok: false; error: string } {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.length === 0) return { ok: true, args: {} };
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? { ok: true, args: parsed as Args }
        : { ok: false, error: 'invalid_json' };
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    const args: Args = {};
    for (const [key, value] of new URLSearchParams(body))
      args[key] = STRUCTURED_ARGS.has(key) ? decodeJson(value) : value;
    return { ok: true, args };
  }
  return { ok: false, error: 'invalid_form_data' };
}

function decodeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value; // left as sent; the method then answers invalid_blocks_format / invalid_arguments
  }
}

function checkMessageContent(args: Args): Answer | undefined {
  const blocks = args.blocks;
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) return fail('invalid_blocks_format', 'blocks must be a JSON array');
    if (blocks.length > MAX_MESSAGE_BLOCKS)
      return fail('invalid_blocks', `no more than ${MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]`);
  }
  const hasText = typeof args.text === 'string' && args.text.length > 0;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = args.attachments !== undefined && args.attachments !== '';
  return hasText || hasBlocks || hasAttachments ? undefined : fail('no_text');
}

function checkView(view: unknown): Answer | undefined {
  if (!view || typeof view !== 'object' || Array.isArray(view))
    return fail('invalid_arguments', 'view must be a JSON object');
  const v = view as Args;
  if (!Array.isArray(v.blocks))
    return fail('invalid_arguments', 'missing required field: blocks [json-pointer:/view/blocks]');
  if (v.blocks.length > MAX_VIEW_BLOCKS)
    return fail('invalid_arguments', `no more than ${MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]`);
  if (typeof v.private_metadata === 'string' && v.private_metadata.length > MAX_PRIVATE_METADATA) {
    return fail(
      'invalid_arguments',
      `must be less than ${MAX_PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]`,
    );
  }
  const title = (v.title as { text?: unknown } | undefined)?.text;
  if (v.type === 'modal' && typeof title === 'string' && title.length > MAX_MODAL_TITLE) {
    return fail(
      'invalid_arguments',
      `must be less than ${MAX_MODAL_TITLE + 1} characters [json-pointer:/view/title/text]`,
    );
  }
  return undefined;
}

function messageObject(message: FakeSlackMessage): Record<string, unknown> {
  const { channel: _channel, ...rest } = clone(message);
  return { type: 'message', team: FakeSlackWorkspace.teamId, ...rest };
}

function messageKey(channel: string, ts: string): string {
  return `${channel}|${ts}`;
}

function compareTs(a: string, b: string): number {
  const [as = '', af = ''] = a.split('.');
  const [bs = '', bf = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(af) - Number(bf);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}
