import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { personalConversationId } from '../fakes/fake-teams';

/**
 * Teams' inbound activities (messages, installs, Universal Actions), built with the fields Teams
 * sends and POSTed as JSON to a bot's `/api/messages`, with an optional bearer token.
 */

export const TEAMS_TENANT_ID = '5f0c7e1a-4b2d-4c6e-9a8b-7d3e2f1a0b9c';
export const TEAMS_BOT_NAME = 'Least';
export const ADAPTIVE_CARD_ACTION = 'adaptiveCard/action';

export interface TeamsUser {
  /** The bot-scoped Teams id, `29:1…`. */
  id: string;
  /** The Entra object id (a GUID): what Graph and the product's directory know the person by. */
  aadObjectId: string;
  name: string;
  email: string;
  userPrincipalName: string;
}

export interface TeamsConversation {
  /** `a:1…` for a 1:1 chat; a channel's `19:…@thread.tacv2`, with `;messageid=…` for a thread. */
  id: string;
  conversationType: 'personal' | 'channel' | 'groupChat';
  tenantId: string;
  isGroup?: true;
  name?: string;
  channelData: Record<string, unknown>;
}

/** What the bot answered over HTTP, and the activity that was sent (with its id). */
export interface TeamsReply {
  status: number;
  /** JSON when the body parses, else the text; undefined when empty. */
  body: unknown;
  activity: InboundActivity;
}

export type InboundActivity = Record<string, unknown> & { id: string; type: string };

export interface RequestOptions {
  /** Headers sent as given, replacing the computed ones; `undefined` removes a header (e.g. authorization). */
  rawHeaders?: Record<string, string | undefined>;
}

export interface TeamsSenderOptions {
  /** e.g. http://127.0.0.1:PORT/api/messages */
  botUrl: string;
  /** The fake connector's url: where the bot's replies go. */
  serviceUrl: string;
  tenantId?: string;
  /** The bot's app id; Teams addresses the bot as `28:<botId>`. */
  botId: string;
  botName?: string;
  /** Sent as `Authorization: Bearer <token>`; without it no Authorization header is sent. */
  token?: string;
  locale?: string;
}

export interface CardAction {
  verb: string;
  data?: Record<string, unknown>;
  /** Input values: Teams merges them into `action.data`. */
  inputs?: Record<string, unknown>;
}

const FIRST_MESSAGE_ID = 1_700_000_000_000;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A person with deterministic Teams and Entra ids derived from their name. */
export function teamsUser(name: string, overrides: Partial<TeamsUser> = {}): TeamsUser {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  const hex = digest(`aad|${name}`).toString('hex');
  const aadObjectId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return {
    id: `29:1${digest(`teams|${name}`).toString('base64url').slice(0, 42)}`,
    aadObjectId,
    name,
    email: `${slug}@contoso.example`,
    userPrincipalName: `${slug}@contoso.example`,
    ...overrides,
  };
}

/** The bot's 1:1 chat with a user, as Teams describes it in every activity there. */
export function personalConversation(user: TeamsUser, tenantId = TEAMS_TENANT_ID): TeamsConversation {
  return {
    id: personalConversationId(user.id),
    conversationType: 'personal',
    tenantId,
    channelData: { tenant: { id: tenantId } },
  };
}

/**
 * A team channel. Messages sent to it start new threads (their conversation id gets
 * `;messageid=<their id>`); use `inThread` for activities in an existing thread, e.g. card actions.
 */
export function channelConversation(options: {
  teamId: string;
  channelId?: string;
  teamName?: string;
  channelName?: string;
  tenantId?: string;
}): TeamsConversation {
  const tenantId = options.tenantId ?? TEAMS_TENANT_ID;
  const channelId = options.channelId ?? options.teamId; // the General channel shares the team's id
  return {
    id: channelId,
    conversationType: 'channel',
    tenantId,
    isGroup: true,
    ...(options.channelName ? { name: options.channelName } : {}),
    channelData: {
      teamsTeamId: options.teamId,
      teamsChannelId: channelId,
      team: { id: options.teamId, ...(options.teamName ? { name: options.teamName } : {}) },
      channel: { id: channelId, ...(options.channelName ? { name: options.channelName } : {}) },
      tenant: { id: tenantId },
    },
  };
}

/** A group chat the bot was added to (Teams delivers messages there only when they @mention the bot). */
export function groupChatConversation(
  options: { id?: string; name?: string; tenantId?: string } = {},
): TeamsConversation {
  const tenantId = options.tenantId ?? TEAMS_TENANT_ID;
  return {
    id: options.id ?? '19:7d2f0c5b8e1a4f3c9b6d0e2a1c8f5b7e@thread.v2',
    conversationType: 'groupChat',
    tenantId,
    isGroup: true,
    ...(options.name ? { name: options.name } : {}),
    channelData: { tenant: { id: tenantId } },
  };
}

/** The same channel, in the thread whose root message has this id. */
export function inThread(channel: TeamsConversation, rootMessageId: string): TeamsConversation {
  return { ...channel, id: `${channel.id.split(';')[0]};messageid=${rootMessageId}` };
}

export class TeamsSender {
  private readonly tenantId: string;
  private readonly botName: string;
  private sequence = 0;

  constructor(private readonly options: TeamsSenderOptions) {
    this.tenantId = options.tenantId ?? TEAMS_TENANT_ID;
    this.botName = options.botName ?? TEAMS_BOT_NAME;
  }

  /** The bot as Teams addresses it (`recipient` of every inbound activity). */
  get bot(): { id: string; name: string } {
    return { id: `28:${this.options.botId}`, name: this.botName };
  }

  /**
   * A message from `user`. In a channel or group chat it @mentions the bot (Teams delivers only
   * those): the text starts with `<at>Least</at> ` and a mention entity names the bot.
   */
  message(
    user: TeamsUser,
    conversation: TeamsConversation,
    text: string,
    opts: RequestOptions & { mention?: boolean; deliveryMode?: 'expectReplies' } = {},
  ): Promise<TeamsReply> {
    const id = String(FIRST_MESSAGE_ID + ++this.sequence);
    const mention = opts.mention ?? conversation.conversationType !== 'personal';
    const at = `<at>${this.botName}</at>`;
    const fullText = mention ? `${at} ${text}` : text;
    const newThread = conversation.conversationType === 'channel' && !conversation.id.includes(';messageid=');
    const activity = {
      ...this.envelope('message', id, user, newThread ? inThread(conversation, id) : conversation),
      text: fullText,
      textFormat: 'plain',
      // Teams sends the rendered HTML alongside the text.
      attachments: [{ contentType: 'text/html', content: `<p>${mention ? `${at} ` : ''}${escapeHtml(text)}</p>` }],
      entities: [...(mention ? [{ type: 'mention', text: at, mentioned: this.bot }] : []), this.clientInfo()],
      ...(opts.deliveryMode ? { deliveryMode: opts.deliveryMode } : {}),
    };
    return this.send(activity, opts);
  }

  /**
   * What Teams sends when `user` adds the app: an `installationUpdate` (action `add`), then a
   * `conversationUpdate` whose `membersAdded` holds the bot.
   */
  async install(
    user: TeamsUser,
    conversation: TeamsConversation,
    opts: RequestOptions = {},
  ): Promise<{ installationUpdate: TeamsReply; conversationUpdate: TeamsReply }> {
    const installationUpdate = await this.send(
      {
        ...this.envelope('installationUpdate', this.eventId(), user, conversation, { source: { name: 'message' } }),
        action: 'add',
        entities: [this.clientInfo()],
      },
      opts,
    );
    const conversationUpdate = await this.send(
      {
        ...this.envelope(
          'conversationUpdate',
          this.eventId(),
          user,
          conversation,
          conversation.conversationType === 'personal' ? {} : { eventType: 'teamMemberAdded' },
        ),
        membersAdded: [{ id: this.bot.id }],
      },
      opts,
    );
    return { installationUpdate, conversationUpdate };
  }

  /** The app removed: an `installationUpdate` with action `remove`. */
  uninstall(user: TeamsUser, conversation: TeamsConversation, opts: RequestOptions = {}): Promise<TeamsReply> {
    return this.send(
      { ...this.envelope('installationUpdate', this.eventId(), user, conversation), action: 'remove' },
      opts,
    );
  }

  /**
   * A click on an `Action.Execute` (Universal Action) in the card posted as `replyToId`:
   * an `adaptiveCard/action` invoke. The response body is the card response.
   */
  execute(
    user: TeamsUser,
    conversation: TeamsConversation,
    action: CardAction,
    replyToId?: string,
    opts: RequestOptions = {},
  ): Promise<TeamsReply> {
    return this.invokeAction(user, conversation, action, 'manual', replyToId, opts);
  }

  /** Teams asking the bot to refresh a card (its `refresh.action`) when someone opens it. */
  refresh(
    user: TeamsUser,
    conversation: TeamsConversation,
    action: Omit<CardAction, 'inputs'>,
    replyToId: string,
    opts: RequestOptions = {},
  ): Promise<TeamsReply> {
    return this.invokeAction(user, conversation, action, 'automatic', replyToId, opts);
  }

  /**
   * The person's answer to a file consent card (`replyToId`): a `fileConsent/invoke` whose value carries
   * the card's accept or decline context and, on accept, where to upload (`uploadInfo`).
   */
  fileConsent(
    user: TeamsUser,
    conversation: TeamsConversation,
    answer: { action: 'accept' | 'decline'; context: unknown; uploadInfo?: Record<string, unknown> },
    replyToId?: string,
    opts: RequestOptions = {},
  ): Promise<TeamsReply> {
    const activity = {
      ...this.envelope('invoke', this.eventId(), user, conversation, { source: { name: 'message' } }),
      name: 'fileConsent/invoke',
      value: {
        type: 'fileUpload',
        action: answer.action,
        context: answer.context,
        ...(answer.uploadInfo ? { uploadInfo: answer.uploadInfo } : {}),
      },
      entities: [this.clientInfo()],
      ...(replyToId ? { replyToId } : {}),
    };
    return this.send(activity, opts);
  }

  /** POSTs any activity as Teams would (JSON, with the sender's token). */
  async send(activity: InboundActivity, opts: RequestOptions = {}): Promise<TeamsReply> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    for (const [name, value] of Object.entries(opts.rawHeaders ?? {})) {
      if (value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    const response = await fetch(this.options.botUrl, { method: 'POST', headers, body: JSON.stringify(activity) });
    const text = await response.text();
    let body: unknown = text || undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, activity };
  }

  private invokeAction(
    user: TeamsUser,
    conversation: TeamsConversation,
    action: CardAction,
    trigger: 'manual' | 'automatic',
    replyToId: string | undefined,
    opts: RequestOptions,
  ): Promise<TeamsReply> {
    const activity = {
      ...this.envelope('invoke', this.eventId(), user, conversation, {
        source: { name: 'message' },
        ...(replyToId ? { legacy: { replyToId } } : {}),
      }),
      name: ADAPTIVE_CARD_ACTION,
      value: {
        action: { type: 'Action.Execute', verb: action.verb, data: { ...action.data, ...action.inputs } },
        trigger,
      },
      entities: [this.clientInfo()],
      ...(replyToId ? { replyToId } : {}),
    };
    return this.send(activity, opts);
  }

  private envelope(
    type: string,
    id: string,
    user: TeamsUser,
    conversation: TeamsConversation,
    channelData: Record<string, unknown> = {},
  ): InboundActivity {
    const now = new Date();
    return {
      type,
      id,
      timestamp: now.toISOString(),
      localTimestamp: now.toISOString(),
      localTimezone: 'Europe/London',
      channelId: 'msteams',
      serviceUrl: this.options.serviceUrl,
      from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
      conversation: {
        id: conversation.id,
        conversationType: conversation.conversationType,
        tenantId: conversation.tenantId,
        ...(conversation.isGroup ? { isGroup: true } : {}),
        ...(conversation.name ? { name: conversation.name } : {}),
      },
      recipient: this.bot,
      channelData: { ...conversation.channelData, ...channelData, tenant: { id: conversation.tenantId } },
      locale: this.options.locale ?? 'en-GB',
    };
  }

  private clientInfo(): Record<string, unknown> {
    return {
      type: 'clientInfo',
      locale: this.options.locale ?? 'en-GB',
      country: 'GB',
      platform: 'Web',
      timezone: 'Europe/London',
    };
  }

  /** Teams gives invokes and events ids like `f:…`. */
  private eventId(): string {
    return `f:${digest(`event|${this.options.botId}|${++this.sequence}`).toString('hex').slice(0, 20)}`;
  }
}

/**
 * A JWT that looks like a Bot Framework token (issuer, audience, serviceurl, an hour of life)
 * signed with a fresh RSA key under a `kid` no real JWKS has: a bot must answer it with 401.
 */
export function forgedBotFrameworkToken(options: {
  appId: string;
  serviceUrl: string;
  issuer?: string;
  kid?: string;
}): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? 'least-forged-key' });
  const claims = encode({
    serviceurl: options.serviceUrl,
    nbf: now - 5,
    exp: now + 3600,
    iss: options.issuer ?? 'https://api.botframework.com',
    aud: options.appId,
  });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), privateKey).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
