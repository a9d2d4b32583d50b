import { createHmac } from 'node:crypto';

/**
 * Slack's inbound HTTP requests (slash commands, interactivity, options, Events API), built with the
 * fields Slack sends and signed as Slack signs them, sent to a Bolt app's `/slack/events` with fetch.
 */

/** How to sign one request; the default is a correct signature made now with the sender's secret. */
export interface SlackSigning {
  secret?: string;
  /** Unix seconds, used in the header and in the signed base string. */
  timestamp?: number;
  /** Sent as `x-slack-signature` verbatim instead of the computed one. */
  signature?: string;
  /** Send neither signature header. */
  omit?: boolean;
}

export interface SlackReply {
  status: number;
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
  /** The id the request's response_url was made with (`responseUrl(id)`), when it has one. */
  responseId?: string;
}

export interface SlackSenderOptions {
  /** Full URL of the app's events endpoint, e.g. http://127.0.0.1:3000/slack/events. */
  url: string;
  signingSecret: string;
  teamId?: string;
  /** Makes each request's response_url; without it the URL is on a host that never resolves. */
  responseUrl?: (id: string) => string;
}

export interface BlockActionInput {
  action_id: string;
  value?: string;
  block_id?: string;
  selected_option?: { value: string; text?: { type: 'plain_text'; text: string } };
  /** The element type; `button`, or `static_select` when an option is selected. */
  type?: string;
}

export type ActionContainer =
  | { type: 'message'; channel_id: string; message_ts: string; is_ephemeral?: boolean }
  | { type: 'view'; view_id: string };

export interface BlockActionOptions {
  /**
   * Where the clicked element is. Default: the `view` when one is given, else the `message` in
   * `channelId`, else an ephemeral message (which Slack sends without a `message`).
   */
  container?: ActionContainer;
  message?: { ts: string; [key: string]: unknown };
  channelId?: string;
  triggerId?: string;
  view?: { id: string; [key: string]: unknown };
  /** Slack gives a response_url only to actions on messages; `true` adds one to a view action anyway. */
  responseUrl?: boolean;
  sign?: SlackSigning;
}

export interface SubmittedView {
  callback_id: string;
  private_metadata?: string;
  state: { values: Record<string, Record<string, unknown>> };
  id?: string;
  [key: string]: unknown;
}

const DEFAULT_CHANNEL = 'C0GENERAL';
const API_APP_ID = 'A0001';
const TEAM_DOMAIN = 'least-test';
/** The deprecated verification token Slack still sends; Bolt relies on the signature instead. */
const VERIFICATION_TOKEN = 'legacy-verification-token';

/** `v0=` + hex HMAC-SHA256(secret, `v0:${timestamp}:${rawBody}`), Slack's request signature. */
export function signSlackRequest(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export class SlackSender {
  private readonly teamId: string;
  private sequence = 0;

  constructor(private readonly options: SlackSenderOptions) {
    this.teamId = options.teamId ?? 'T0001';
  }

  /** A slash command, e.g. `/access request prod-read-only 1h INC-42`. */
  command(
    userId: string,
    text: string,
    opts: { command?: string; channelId?: string; triggerId?: string; sign?: SlackSigning } = {},
  ): Promise<SlackReply> {
    const responseId = `command-${++this.sequence}`;
    const channelId = opts.channelId ?? DEFAULT_CHANNEL;
    const form = new URLSearchParams({
      token: VERIFICATION_TOKEN,
      team_id: this.teamId,
      team_domain: TEAM_DOMAIN,
      channel_id: channelId,
      channel_name: channelId.startsWith('D') ? 'directmessage' : 'general',
      user_id: userId,
      user_name: userId.toLowerCase(),
      command: opts.command ?? '/access',
      text,
      api_app_id: API_APP_ID,
      is_enterprise_install: 'false',
      response_url: this.responseUrlFor(responseId),
      trigger_id: opts.triggerId ?? this.triggerId(),
    });
    return this.withResponseId(this.send(form.toString(), 'application/x-www-form-urlencoded', opts.sign), responseId);
  }

  /** A click (or selection) on a Block Kit element: a `block_actions` payload. */
  blockAction(userId: string, action: BlockActionInput, opts: BlockActionOptions = {}): Promise<SlackReply> {
    const container = opts.container ?? this.defaultContainer(opts);
    const onMessage = container.type === 'message';
    const responseId = onMessage || opts.responseUrl ? `action-${++this.sequence}` : undefined;
    const element = {
      type: action.type ?? (action.selected_option ? 'static_select' : 'button'),
      action_id: action.action_id,
      block_id: action.block_id ?? 'actions',
      action_ts: this.nowTs(),
      ...(action.value !== undefined ? { value: action.value } : {}),
      ...(action.selected_option
        ? {
            selected_option: {
              text: { type: 'plain_text', text: action.selected_option.value },
              ...action.selected_option,
            },
          }
        : {}),
      ...(!action.selected_option && !action.type
        ? { text: { type: 'plain_text', text: action.action_id, emoji: true } }
        : {}),
    };
    const payload = {
      type: 'block_actions',
      ...this.who(userId),
      api_app_id: API_APP_ID,
      token: VERIFICATION_TOKEN,
      container,
      trigger_id: opts.triggerId ?? this.triggerId(),
      is_enterprise_install: false,
      enterprise: null,
      ...(onMessage
        ? {
            channel: {
              id: container.channel_id,
              name: container.channel_id.startsWith('D') ? 'directmessage' : 'general',
            },
          }
        : {}),
      ...(onMessage && !container.is_ephemeral ? { message: this.messageIn(container, opts.message) } : {}),
      ...(container.type === 'view' ? { view: this.viewIn(container.view_id, opts.view) } : {}),
      state: { values: {} },
      ...(responseId ? { response_url: this.responseUrlFor(responseId) } : {}),
      actions: [element],
    };
    return this.withResponseId(this.sendPayload(payload, opts.sign), responseId);
  }

  /** A modal submitted: a `view_submission` payload; Bolt answers with the ack's response_action JSON. */
  viewSubmission(
    userId: string,
    view: SubmittedView,
    opts: { triggerId?: string; sign?: SlackSigning } = {},
  ): Promise<SlackReply> {
    const payload = {
      type: 'view_submission',
      ...this.who(userId),
      api_app_id: API_APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: opts.triggerId ?? this.triggerId(),
      view: this.viewIn(view.id ?? `VSUBMIT${++this.sequence}`, view),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    return this.sendPayload(payload, opts.sign);
  }

  /** Typing in an external_select: a `block_suggestion` payload (Bolt's app.options); the reply holds the options. */
  blockSuggestion(
    userId: string,
    actionId: string,
    value: string,
    opts: { blockId?: string; view?: { id: string; [key: string]: unknown }; sign?: SlackSigning } = {},
  ): Promise<SlackReply> {
    const viewId = opts.view?.id ?? `VSUGGEST${++this.sequence}`;
    const payload = {
      type: 'block_suggestion',
      ...this.who(userId),
      container: { type: 'view', view_id: viewId },
      api_app_id: API_APP_ID,
      token: VERIFICATION_TOKEN,
      action_id: actionId,
      block_id: opts.blockId ?? actionId,
      value,
      view: this.viewIn(viewId, opts.view),
      is_enterprise_install: false,
      enterprise: null,
    };
    return this.sendPayload(payload, opts.sign);
  }

  /** An Events API delivery (JSON), e.g. `{ type: 'app_home_opened', user, tab: 'home', channel }`. */
  event(event: Record<string, unknown>, opts: { sign?: SlackSigning } = {}): Promise<SlackReply> {
    const eventTime = Math.floor(Date.now() / 1000);
    const body = {
      token: VERIFICATION_TOKEN,
      team_id: this.teamId,
      context_team_id: this.teamId,
      api_app_id: API_APP_ID,
      event: { event_ts: this.nowTs(), ...event },
      type: 'event_callback',
      event_id: `Ev${String(++this.sequence).padStart(8, '0')}`,
      event_time: eventTime,
      authorizations: [
        { enterprise_id: null, team_id: this.teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    };
    return this.send(JSON.stringify(body), 'application/json', opts.sign);
  }

  /** The handshake Slack makes when a Request URL is saved; Bolt answers with the challenge. */
  urlVerification(challenge: string, opts: { sign?: SlackSigning } = {}): Promise<SlackReply> {
    return this.send(
      JSON.stringify({ token: VERIFICATION_TOKEN, challenge, type: 'url_verification' }),
      'application/json',
      opts.sign,
    );
  }

  /** Any body with any content type, signed (or not) as asked: for tests of what Bolt refuses. */
  async send(rawBody: string, contentType: string, sign: SlackSigning = {}): Promise<SlackReply> {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!sign.omit) {
      const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] =
        sign.signature ?? signSlackRequest(sign.secret ?? this.options.signingSecret, timestamp, rawBody);
    }
    const response = await fetch(this.options.url, { method: 'POST', headers, body: rawBody });
    const body = await response.text();
    let json: unknown;
    try {
      json = body.length > 0 ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, body, ...(json !== undefined ? { json } : {}) };
  }

  private sendPayload(payload: Record<string, unknown>, sign?: SlackSigning): Promise<SlackReply> {
    return this.send(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
      sign,
    );
  }

  private async withResponseId(reply: Promise<SlackReply>, responseId: string | undefined): Promise<SlackReply> {
    return { ...(await reply), ...(responseId ? { responseId } : {}) };
  }

  private who(userId: string): { user: Record<string, string>; team: Record<string, string> } {
    const name = userId.toLowerCase();
    return {
      user: { id: userId, username: name, name, team_id: this.teamId },
      team: { id: this.teamId, domain: TEAM_DOMAIN },
    };
  }

  private defaultContainer(opts: BlockActionOptions): ActionContainer {
    if (opts.view) return { type: 'view', view_id: opts.view.id };
    const channelId = opts.channelId ?? DEFAULT_CHANNEL;
    if (opts.message)
      return { type: 'message', channel_id: channelId, message_ts: opts.message.ts, is_ephemeral: false };
    return { type: 'message', channel_id: channelId, message_ts: this.nowTs(), is_ephemeral: true };
  }

  private messageIn(
    container: { message_ts: string },
    message: BlockActionOptions['message'],
  ): Record<string, unknown> {
    return {
      type: 'message',
      ts: container.message_ts,
      user: 'UBOT',
      bot_id: 'BBOT',
      text: '',
      blocks: [],
      ...message,
    };
  }

  private viewIn(viewId: string, view: Record<string, unknown> | undefined): Record<string, unknown> {
    return {
      type: 'modal',
      team_id: this.teamId,
      callback_id: '',
      private_metadata: '',
      blocks: [],
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${viewId}`,
      root_view_id: viewId,
      previous_view_id: null,
      app_id: API_APP_ID,
      bot_id: 'BBOT',
      ...view,
      id: viewId,
    };
  }

  private responseUrlFor(id: string): string {
    // `.invalid` never resolves (RFC 2606): a respond() without a fake fails at once, never reaching out.
    return (
      this.options.responseUrl?.(id) ?? `https://hooks.slack.invalid/actions/${this.teamId}/${encodeURIComponent(id)}`
    );
  }

  private triggerId(): string {
    return `${++this.sequence}.${Math.floor(Date.now() / 1000)}.fake-trigger`;
  }

  private nowTs(): string {
    const ms = Date.now();
    return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (++this.sequence % 1000)).padStart(6, '0')}`;
  }
}
