import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TeamsUser } from '../generators/teams-requests';

/**
 * A local fake of the Bot Connector service Teams runs at `serviceUrl`: a real HTTP server on
 * 127.0.0.1 that the Agents SDK's real `ConnectorClient` talks to when an activity's `serviceUrl`
 * is `fake.url`. It implements the /v3/conversations routes the SDK calls, answers errors the way
 * the connector does (`{ error: { code, message } }`), records every call, and keeps each
 * conversation's activities with their version history so a test reads a chat as a person would.
 */

export type TeamsRoute =
  | 'createConversation'
  | 'sendToConversation'
  | 'replyToActivity'
  | 'updateActivity'
  | 'deleteActivity'
  | 'getConversationMember'
  | 'getConversationMembers'
  /** A PUT of a file's bytes to an upload URL from `fileUploadUrl` (OneDrive's, after a file consent). */
  | 'fileUpload';

export interface TeamsCall {
  route: TeamsRoute | 'unknown';
  method: string;
  /** The path as received, below the service URL (e.g. `/v3/conversations/a:1x/activities`). */
  path: string;
  query: Record<string, string>;
  /** Decoded from the path. */
  conversationId?: string;
  activityId?: string;
  /** The member asked for by getConversationMember. */
  userId?: string;
  body: unknown;
  /** The Authorization header as sent; absent for the SDK's anonymous client. */
  authorization?: string;
  /** The HTTP status the fake answered. */
  status: number;
  /** Date.now() when the fake received the call. */
  at: number;
}

export interface TeamsAttachment {
  contentType: string;
  content?: unknown;
  [key: string]: unknown;
}

/** An activity the bot posted, as the connector holds it now. */
export interface ConnectorActivity {
  id: string;
  conversationId: string;
  type: string;
  text?: string;
  attachments?: TeamsAttachment[];
  replyToId?: string;
  [key: string]: unknown;
}

/** A file consent's upload target, as Teams hands it to the bot in `uploadInfo`, and what was PUT there. */
export interface FakeUpload {
  uploadUrl: string;
  contentUrl: string;
  name: string;
  uniqueId: string;
  fileType: string;
  /** The bytes received, and the Content-Range sent with them; absent until the PUT. */
  bytes?: Buffer;
  contentRange?: string;
}

/** A Teams roster entry; getConversationMember finds it by `id`, `aadObjectId` or `userPrincipalName`. */
export type TeamsMember = Pick<TeamsUser, 'id' | 'name' | 'aadObjectId'> &
  Partial<Pick<TeamsUser, 'email' | 'userPrincipalName'>> & { givenName?: string; surname?: string };

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams refuses bot messages over about 28 KB (the whole activity JSON counts). */
export const MAX_MESSAGE_BYTES = 28 * 1024;
/** Teams service URLs carry a region path; keeping one here catches code that builds URLs from the origin. */
const SERVICE_PATH = '/amer';
const MAX_BODY_BYTES = 1024 * 1024;
const FIRST_ACTIVITY_ID = 1_700_100_000_000;

/** The 1:1 chat id Teams gives a bot and a user: stable, so createConversation finds the chat installs opened. */
export function personalConversationId(userId: string): string {
  return `a:1${createHash('sha256').update(`personal|${userId}`).digest('base64url').slice(0, 40)}`;
}

interface StoredActivity {
  conversationId: string;
  versions: ConnectorActivity[];
  deleted: boolean;
}

interface Fault {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
type Json = Record<string, unknown>;

const connectorError = (status: number, code: string, message: string): Answer => ({
  status,
  body: { error: { code, message } },
});
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const clone = <T>(value: T): T => structuredClone(value);

export class FakeTeamsConnector {
  readonly calls: TeamsCall[] = [];
  private readonly activities = new Map<string, StoredActivity>();
  private readonly roster: TeamsMember[] = [];
  private readonly faults = new Map<TeamsRoute, Fault[]>();
  private readonly uploads = new Map<string, FakeUpload>();
  private sequence = 0;
  private origin = '';
  private stopped = false;
  private readonly server: http.Server;

  private constructor(private readonly tenantId: string | undefined) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.requestTimeout = 15_000;
    this.server.headersTimeout = 10_000;
  }

  /** `tenantId` is what getConversationMember reports for members; default: none. */
  static async start(options: { tenantId?: string } = {}): Promise<FakeTeamsConnector> {
    const fake = new FakeTeamsConnector(options.tenantId);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.origin = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The serviceUrl to put in inbound activities, like `https://smba.trafficmanager.net/amer/`. */
  get url(): string {
    return `${this.origin}${SERVICE_PATH}/`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * The `uploadInfo` Teams sends with an accepted file consent: an upload URL on this fake (a PUT there
   * is recorded as route `fileUpload`, its bytes kept) and the file's OneDrive address.
   */
  fileUploadUrl(name: string): Omit<FakeUpload, 'bytes' | 'contentRange'> {
    const uniqueId = `upload-${++this.sequence}`;
    const upload: FakeUpload = {
      uploadUrl: `${this.origin}/upload/${uniqueId}`,
      contentUrl: `https://contoso.sharepoint.example/personal/Documents/Applications/Least/${encodeURIComponent(name)}`,
      name,
      uniqueId,
      fileType: name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '',
    };
    this.uploads.set(uniqueId, upload);
    return { ...upload };
  }

  /** An upload target with what was PUT to it. */
  upload(uniqueId: string): FakeUpload | undefined {
    const upload = this.uploads.get(uniqueId);
    return upload && { ...upload, ...(upload.bytes ? { bytes: Buffer.from(upload.bytes) } : {}) };
  }

  addMember(member: TeamsMember): void {
    this.roster.push({ ...member });
  }

  /**
   * The next call to `route` fails once with this status and body (default: a connector error);
   * a 429 carries `Retry-After: 1` unless `headers` says otherwise. Several calls queue in order.
   */
  failNext(route: TeamsRoute, status: number, body?: unknown, headers?: Record<string, string>): void {
    const fault: Fault = {
      status,
      body: body ?? connectorError(status, faultCode(status), `injected ${status}`).body,
      headers: headers ?? (status === 429 ? { 'retry-after': '1' } : {}),
    };
    this.faults.set(route, [...(this.faults.get(route) ?? []), fault]);
  }

  callsTo(route: TeamsRoute): TeamsCall[] {
    return this.calls.filter((call) => call.route === route);
  }

  /** Forgets recorded calls and unused faults; conversations and the roster stay. */
  clear(): void {
    this.calls.length = 0;
    this.faults.clear();
  }

  /**
   * Every message in a conversation as it reads now (after updates, without deleted ones), oldest
   * first. A bare channel id (`19:…@thread.tacv2`) also gathers its threads (`…;messageid=…`).
   */
  messagesIn(conversationId: string): ConnectorActivity[] {
    const thread = `${conversationId};messageid=`;
    return [...this.activities.values()]
      .filter((a) => !a.deleted && (a.conversationId === conversationId || a.conversationId.startsWith(thread)))
      .map((a) => clone(a.versions.at(-1)!))
      .filter((a) => a.type === 'message');
  }

  textsIn(conversationId: string): string[] {
    return this.messagesIn(conversationId).flatMap((m) => (typeof m.text === 'string' && m.text ? [m.text] : []));
  }

  /** The Adaptive Card contents posted in a conversation, current versions, oldest first. */
  cardsIn(conversationId: string): Json[] {
    return this.messagesIn(conversationId).flatMap((m) =>
      (m.attachments ?? []).flatMap((a) =>
        a.contentType === ADAPTIVE_CARD_CONTENT_TYPE && isObject(a.content) ? [a.content] : [],
      ),
    );
  }

  /** Every version of an activity, the first as posted; empty when the connector never saw it. */
  updatesOf(activityId: string): ConnectorActivity[] {
    return clone(this.activities.get(activityId)?.versions ?? []);
  }

  /**
   * Polls until `probe` returns something other than undefined, null or false, and returns it.
   * On timeout the error lists the calls and messages captured so far.
   */
  async waitFor<T>(
    probe: () => T | undefined | null | false,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    let probeError: unknown;
    for (;;) {
      try {
        const found = probe();
        if (found !== undefined && found !== null && found !== false) return found;
      } catch (error) {
        probeError = error;
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(
      `FakeTeamsConnector: ${options.what ?? 'condition'} not met within ${timeoutMs} ms` +
        (probeError ? `; the probe threw: ${String(probeError)}` : '') +
        `\n${this.describe()}`,
    );
  }

  /** What the fake has seen: calls per route and status, then each conversation's messages. */
  describe(): string {
    const counts = new Map<string, number>();
    for (const call of this.calls) {
      const key = `${call.route} ${call.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const calls = [...counts].map(([key, n]) => `${key} ×${n}`).join(', ') || 'none';
    const byConversation = new Map<string, string[]>();
    for (const stored of this.activities.values()) {
      const current = stored.versions.at(-1)!;
      const cards = (current.attachments ?? []).filter((a) => a.contentType === ADAPTIVE_CARD_CONTENT_TYPE).length;
      const line =
        `  ${current.id} ${current.type}${stored.deleted ? ' (deleted)' : ''}` +
        `${stored.versions.length > 1 ? ` v${stored.versions.length}` : ''}` +
        `${current.text ? ` ${JSON.stringify(current.text.slice(0, 120))}` : ''}${cards ? ` [${cards} card(s)]` : ''}`;
      byConversation.set(stored.conversationId, [...(byConversation.get(stored.conversationId) ?? []), line]);
    }
    const conversations = [...byConversation].map(([id, lines]) => `${id}:\n${lines.join('\n')}`).join('\n');
    return `calls: ${calls}\nactivities: ${conversations || 'none'}`;
  }

  // ---------------------------------------------------------------- HTTP

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      let answer: Answer;
      let call: TeamsCall | undefined;
      try {
        const upload = /^\/upload\/([^/]+)$/.exec(new URL(req.url ?? '/', this.origin).pathname);
        if (upload) {
          send(res, this.receiveUpload(req, decodeURIComponent(upload[1]!), Buffer.concat(chunks)));
          return;
        }
        call = this.record(req, Buffer.concat(chunks).toString('utf8'));
        answer =
          size > MAX_BODY_BYTES ? connectorError(413, 'RequestEntityTooLarge', 'Request too large') : this.answer(call);
      } catch (error) {
        // A fake must not take the test process down with it: say what went wrong instead.
        answer = connectorError(500, 'FakeTeamsError', String(error));
      }
      if (call) call.status = answer.status;
      send(res, answer);
    });
    req.on('error', () => res.destroy());
  }

  /** OneDrive's upload session: the whole file in one PUT with its Content-Range, answered 201. */
  private receiveUpload(req: IncomingMessage, uniqueId: string, bytes: Buffer): Answer {
    const method = (req.method ?? 'GET').toUpperCase();
    const call: TeamsCall = {
      route: 'fileUpload',
      method,
      path: new URL(req.url ?? '/', this.origin).pathname,
      query: {},
      body: undefined,
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const target = this.uploads.get(uniqueId);
    const range = req.headers['content-range'];
    const answer: Answer =
      method !== 'PUT'
        ? connectorError(405, 'MethodNotAllowed', 'Upload with PUT')
        : !target
          ? connectorError(404, 'itemNotFound', 'The upload session does not exist')
          : range !== `bytes 0-${bytes.length - 1}/${bytes.length}`
            ? connectorError(400, 'invalidRange', `Content-Range ${String(range)} does not match ${bytes.length} bytes`)
            : { status: 201, body: { id: uniqueId, name: target.name, size: bytes.length } };
    if (target && answer.status === 201) Object.assign(target, { bytes, contentRange: range });
    call.status = answer.status;
    return answer;
  }

  private record(req: IncomingMessage, raw: string): TeamsCall {
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // kept as text; the route answers 400
    }
    const call: TeamsCall = {
      route: 'unknown',
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      status: 0,
      at: Date.now(),
    };
    const base = `${SERVICE_PATH}/v3/conversations`;
    const below =
      url.pathname === base
        ? ''
        : url.pathname.startsWith(`${base}/`)
          ? url.pathname.slice(base.length + 1)
          : undefined;
    const segments = below === undefined ? undefined : below === '' ? [] : below.split('/').map(safeDecode);
    this.calls.push(call);
    if (!segments || segments.some((s) => !s)) return call;
    const [conversationId, collection, itemId, ...rest] = segments as string[];
    if (rest.length > 0) return call;
    if (conversationId !== undefined) call.conversationId = conversationId;
    if (collection === 'members' && itemId !== undefined) call.userId = itemId;
    else if (itemId !== undefined) call.activityId = itemId;
    call.route = routeOf(method, segments.length, collection, itemId) ?? 'unknown';
    return call;
  }

  private answer(call: TeamsCall): Answer {
    if (call.route === 'unknown') return connectorError(404, 'NotFound', `No route for ${call.method} ${call.path}`);
    const fault = this.faults.get(call.route)?.shift();
    if (fault) return fault;
    if (call.method !== 'GET' && call.method !== 'DELETE' && !isObject(call.body))
      return connectorError(400, 'BadSyntax', 'The request body must be a JSON object');
    const body = call.body as Json;
    const conversationId = call.conversationId ?? '';
    switch (call.route) {
      case 'createConversation':
        return this.createConversation(body);
      case 'sendToConversation':
        return this.post(conversationId, body, undefined);
      case 'replyToActivity':
        return this.post(conversationId, body, call.activityId);
      case 'updateActivity':
        return this.update(conversationId, call.activityId ?? '', body);
      case 'deleteActivity': {
        const stored = this.find(conversationId, call.activityId ?? '');
        if (!stored) return connectorError(404, 'NotFound', 'Activity not found');
        stored.deleted = true;
        return { status: 200 };
      }
      case 'getConversationMember': {
        const member = this.member(call.userId ?? '');
        return member
          ? { status: 200, body: this.memberBody(member) }
          : connectorError(404, 'MemberNotFound', 'The member was not found in the conversation');
      }
      case 'fileUpload':
        return connectorError(404, 'NotFound', 'Uploads go to /upload/<id>');
      case 'getConversationMembers': {
        const inChat = this.roster.filter((m) => personalConversationId(m.id) === conversationId);
        return { status: 200, body: (inChat.length ? inChat : this.roster).map((m) => this.memberBody(m)) };
      }
    }
  }

  /** 1:1 chats (members[0], not a group) and channel posts (`channelData.channel.id` and an activity). */
  private createConversation(body: Json): Answer {
    const channelData = isObject(body.channelData) ? body.channelData : {};
    const tenantId = body.tenantId ?? (isObject(channelData.tenant) ? channelData.tenant.id : undefined);
    if (typeof tenantId !== 'string' || !tenantId)
      return connectorError(400, 'BadArgument', 'A tenant id is required (tenantId or channelData.tenant.id)');
    const channelId = isObject(channelData.channel) ? channelData.channel.id : undefined;
    const activity = isObject(body.activity) ? body.activity : undefined;
    if (typeof channelId === 'string' && channelId) {
      if (!activity) return connectorError(400, 'BadArgument', 'A channel conversation starts with an activity');
      const posted = this.post(channelId, activity, undefined);
      if (posted.status !== 201) return posted;
      const activityId = (posted.body as { id: string }).id;
      const stored = this.activities.get(activityId)!;
      stored.conversationId = `${channelId};messageid=${activityId}`;
      stored.versions[0]!.conversationId = stored.conversationId;
      return { status: 201, body: { id: stored.conversationId, activityId } };
    }
    const members = Array.isArray(body.members) ? body.members : [];
    const userId = isObject(members[0]) ? members[0].id : undefined;
    if (body.isGroup === true || members.length !== 1 || typeof userId !== 'string')
      return connectorError(400, 'BadArgument', 'A bot can open a 1:1 chat with one member, or post in a channel');
    if (!this.member(userId))
      return connectorError(403, 'Forbidden', 'The bot is not part of the conversation roster.');
    const id = personalConversationId(this.member(userId)!.id);
    if (!activity) return { status: 201, body: { id } };
    const posted = this.post(id, activity, undefined);
    return posted.status === 201
      ? { status: 201, body: { id, activityId: (posted.body as { id: string }).id } }
      : posted;
  }

  private post(conversationId: string, body: Json, replyToId: string | undefined): Answer {
    const invalid = checkActivity(body);
    if (invalid) return invalid;
    const id = String(FIRST_ACTIVITY_ID + ++this.sequence);
    const activity = {
      ...clone(body),
      id,
      conversationId,
      ...(replyToId !== undefined ? { replyToId } : {}),
    } as ConnectorActivity;
    this.activities.set(id, { conversationId, versions: [activity], deleted: false });
    return { status: 201, body: { id } };
  }

  /** Like Teams: the new content replaces the old, the id and conversation stay. */
  private update(conversationId: string, activityId: string, body: Json): Answer {
    const stored = this.find(conversationId, activityId);
    if (!stored) return connectorError(404, 'NotFound', 'Activity not found');
    const invalid = checkActivity(body);
    if (invalid) return invalid;
    const previous = stored.versions.at(-1)!;
    stored.versions.push({
      ...clone(body),
      id: activityId,
      conversationId: stored.conversationId,
      ...(previous.replyToId !== undefined ? { replyToId: previous.replyToId } : {}),
    } as ConnectorActivity);
    return { status: 200, body: { id: activityId } };
  }

  /** A channel post can be addressed by the bare channel id or by its thread's id, as in Teams. */
  private find(conversationId: string, activityId: string): StoredActivity | undefined {
    const stored = this.activities.get(activityId);
    const channelOf = (id: string) => id.split(';messageid=')[0];
    return stored && !stored.deleted && channelOf(stored.conversationId) === channelOf(conversationId)
      ? stored
      : undefined;
  }

  private member(idOrAadOrUpn: string): TeamsMember | undefined {
    const wanted = idOrAadOrUpn.toLowerCase();
    return this.roster.find(
      (m) =>
        m.id === idOrAadOrUpn ||
        m.aadObjectId.toLowerCase() === wanted ||
        m.userPrincipalName?.toLowerCase() === wanted,
    );
  }

  /** A TeamsChannelAccount as the connector answers it. */
  private memberBody(member: TeamsMember): Json {
    const [givenName, ...rest] = member.name.split(' ');
    return {
      id: member.id,
      name: member.name,
      aadObjectId: member.aadObjectId,
      givenName: member.givenName ?? givenName,
      surname: member.surname ?? rest.join(' '),
      ...(member.email !== undefined ? { email: member.email } : {}),
      ...(member.userPrincipalName !== undefined ? { userPrincipalName: member.userPrincipalName } : {}),
      ...(this.tenantId !== undefined ? { tenantId: this.tenantId } : {}),
      userRole: 'user',
    };
  }
}

function routeOf(
  method: string,
  depth: number,
  collection: string | undefined,
  itemId: string | undefined,
): TeamsRoute | undefined {
  if (depth === 0) return method === 'POST' ? 'createConversation' : undefined;
  if (collection === 'activities') {
    if (itemId === undefined) return method === 'POST' ? 'sendToConversation' : undefined;
    return ({ POST: 'replyToActivity', PUT: 'updateActivity', DELETE: 'deleteActivity' } as const)[
      method as 'POST' | 'PUT' | 'DELETE'
    ];
  }
  if (collection === 'members' && method === 'GET')
    return itemId === undefined ? 'getConversationMembers' : 'getConversationMember';
  return undefined;
}

/** Teams rejects empty messages, broken card attachments and messages over its size limit. */
function checkActivity(body: Json): Answer | undefined {
  if (typeof body.type !== 'string' || !body.type)
    return connectorError(400, 'BadArgument', 'Activity type is required');
  if (body.type !== 'message') return undefined;
  const attachments = body.attachments;
  if (attachments !== undefined && !Array.isArray(attachments))
    return connectorError(400, 'BadArgument', 'attachments must be an array');
  const hasText = typeof body.text === 'string' && body.text.trim().length > 0;
  if (!hasText && !(Array.isArray(attachments) && attachments.length > 0))
    return connectorError(400, 'BadArgument', 'A message needs text or attachments');
  for (const attachment of (attachments ?? []) as unknown[]) {
    if (!isObject(attachment) || typeof attachment.contentType !== 'string')
      return connectorError(400, 'BadArgument', 'Each attachment needs a contentType');
    if (
      attachment.contentType === ADAPTIVE_CARD_CONTENT_TYPE &&
      (!isObject(attachment.content) || attachment.content.type !== 'AdaptiveCard')
    )
      return connectorError(400, 'BadArgument', 'An Adaptive Card attachment needs content of type AdaptiveCard');
  }
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_MESSAGE_BYTES)
    return connectorError(413, 'MessageSizeTooBig', 'Message size too large');
  return undefined;
}

function faultCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 404) return 'NotFound';
  if (status === 403) return 'Forbidden';
  return status >= 500 ? 'ServiceError' : 'BadArgument';
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  const headers = {
    ...(answer.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...answer.headers,
  };
  res.writeHead(answer.status, headers).end(answer.body !== undefined ? JSON.stringify(answer.body) : undefined);
}
