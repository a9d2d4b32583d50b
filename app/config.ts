import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { GUID } from '../domain/guid';
import { ErrorCode } from '../domain/errors';
import { MIN_LINK_SECRET_LENGTH } from '../bot/file-links';

/** A sleeping lease needs no cached workflow: the cache holds the ones in flight (docs/scaling.md). */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

/**
 * Process configuration from the environment, validated once at start-up. A bad value stops the
 * process with a message naming each key and what was expected; values that may hold a secret are
 * never echoed.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** PostgreSQL connection string (DATABASE_URL). */
  databaseUrl: string;
  /** host:port of a Temporal frontend (TEMPORAL_ADDRESS); absent means the main job starts an embedded dev server. */
  temporalAddress?: string;
  temporalNamespace: string;
  taskQueue: string;
  /** Path of the policy YAML (LEAST_POLICY_FILE). */
  policyFile: string;
  /** Where local state lives: the embedded Temporal database, logs (LEAST_DATA_DIR). */
  dataDir: string;
  logLevel: LogLevel;
  botPort: number;
  /** Address the bot's HTTP server binds (BOT_HOST): loopback unless a container needs 0.0.0.0. */
  botHost: string;
  temporalUiPort: number;
  /**
   * LEAST_SANDBOX: true runs AWS against an embedded emulator, false never does; unset means "only
   * while the shipped example policy is in use".
   */
  sandbox?: boolean;
  /** The Slack front end, when SLACK_BOT_TOKEN is set. */
  slack?: SlackConfig;
  /** The Teams front end, when MICROSOFT_APP_ID is set, or TEAMS_LOCAL_MODE for local development. */
  teams?: TeamsConfig;
  /**
   * Signed, expiring links to files the bot serves (reports in Teams channels, digest pictures too large
   * for a Teams message), when LEAST_LINK_SECRET and BOT_PUBLIC_URL are both set; without them such links
   * are refused and people are told why.
   */
  links?: LinksConfig;
  /** How the worker, bot and CLI reach Temporal beyond its address: TLS, mTLS, an API key (Temporal Cloud). */
  temporalAccess: TemporalAccessConfig;
  /**
   * The Temporal web UI's base URL for links to a request's workflow (TEMPORAL_UI_URL); by default the
   * embedded dev server's UI, and none for an external Temporal unless set.
   */
  temporalUiUrl?: string;
  /**
   * A workflow bundle built ahead (LEAST_WORKFLOW_BUNDLE, the image sets it): the worker loads it instead of
   * running webpack at start, unless tracing is on (its interceptors must be bundled in).
   */
  workflowBundle?: string;
  /** Workflows the worker keeps cached between tasks (WORKER_MAX_CACHED_WORKFLOWS, default 100). */
  maxCachedWorkflows: number;
  /** The worker-only role's `/metrics` and `/healthz` port (WORKER_METRICS_PORT); absent: no such server. */
  workerMetricsPort?: number;
  /** host:port where the Temporal SDK's own Prometheus metrics are served (TEMPORAL_METRICS_ADDRESS); absent: off. */
  temporalMetricsAddress?: string;
  /** Where OpenTelemetry spans go (OTLP over HTTP); absent: tracing is off and nothing is sent. */
  tracesEndpoint?: string;
}

/**
 * TEMPORAL_API_KEY, or a client certificate and key (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, as file paths),
 * optionally a CA and a server name; either turns TLS on. The files are read when the configuration loads,
 * so a path that cannot be read stops the process at once, naming the key.
 */
export interface TemporalAccessConfig {
  tls: boolean;
  /** Sent as a bearer token on every call; never logged or shown. */
  apiKey?: string;
  clientCert?: Buffer;
  clientKey?: Buffer;
  serverRootCa?: Buffer;
  serverName?: string;
}

export interface LinksConfig {
  /** HMAC key for the links; never logged or shown. */
  secret: string;
  /** The bot's public base URL, as chat clients reach it. */
  publicUrl: string;
  /** How long a report's link lives (REPORT_LINK_HOURS, default 24 h). */
  reportSeconds: number;
  /** How long a digest picture's link lives (CHART_LINK_DAYS, default 7 days). */
  chartSeconds: number;
}

export interface TeamsConfig {
  /** The bot's Entra app (client) id; absent only in local mode, where requests are not authenticated. */
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  /** No app id: the SDK's anonymous mode, accepted from loopback addresses only. */
  localMode: boolean;
}

export interface SlackConfig {
  botToken: string;
  /** Verifies every HTTP request Slack sends; required unless Socket Mode is used. */
  signingSecret: string;
  /** App-level token: Socket Mode instead of a public request URL. */
  appToken?: string;
  /** Web API base URL override (emulators and tests). */
  apiUrl?: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/least';

const port = z
  .string()
  .regex(/^\d{1,5}$/, 'a port number from 1 to 65535')
  .transform(Number)
  .refine((value) => value >= 1 && value <= 65535, 'a port number from 1 to 65535');

function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,6}$/, `a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `a whole number from ${min} to ${max}`);
}

const namespace = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'a Temporal namespace: letters, digits, dots, dashes and underscores');

const environment = z.object({
  DATABASE_URL: z
    .string()
    .refine(isPostgresUrl, 'a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/least')
    .default(DEFAULT_DATABASE_URL),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(
      /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/,
      'host:port of a Temporal frontend such as 127.0.0.1:7233 (no scheme); leave unset for the embedded dev server',
    )
    .optional(),
  TEMPORAL_NAMESPACE: namespace.default('default'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .regex(/^\S{1,255}$/, 'a task queue name: up to 255 characters without spaces')
    .default('least'),
  LEAST_POLICY_FILE: z.string().default('config/policy.yaml'),
  LEAST_DATA_DIR: z.string().default('.least'),
  LOG_LEVEL: z
    .string()
    .transform((level) => level.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  BOT_PORT: port.default(3000),
  BOT_HOST: z
    .string()
    .regex(
      /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9.-]+)$/,
      'an address to listen on such as 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces, in a container)',
    )
    .transform((host) => host.replace(/^\[|\]$/g, ''))
    .default('127.0.0.1'),
  LEAST_SANDBOX: z.enum(['true', 'false'], { error: 'true or false' }).optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-\S+$/, 'a bot token starting with xoxb- (OAuth & Permissions page)')
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .regex(/^[0-9a-f]{16,128}$/i, 'the hex signing secret from the Basic Information page')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-\S+$/, 'an app-level token starting with xapp- (for Socket Mode)')
    .optional(),
  SLACK_API_URL: z.url({ error: 'an http(s) URL ending in /api/' }).optional(),
  MICROSOFT_APP_ID: z.string().regex(GUID, "the bot's Entra app (client) id, a GUID").optional(),
  MICROSOFT_APP_PASSWORD: z.string().min(1).optional(),
  MICROSOFT_APP_TENANT_ID: z.string().regex(GUID, 'the Entra tenant id of a single-tenant bot, a GUID').optional(),
  TEAMS_LOCAL_MODE: z.enum(['true', 'false'], { error: 'true or false' }).optional(),
  LEAST_LINK_SECRET: z
    .string()
    .min(
      MIN_LINK_SECRET_LENGTH,
      `a random secret of at least ${MIN_LINK_SECRET_LENGTH} characters (openssl rand -base64 48)`,
    )
    .optional(),
  BOT_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "the bot's public base URL such as https://least.example.com" })
    .refine((url) => !/[?#]/.test(url), "the bot's public base URL, without a query or fragment")
    .optional(),
  REPORT_LINK_HOURS: wholeNumber(1, 24 * 7).default(24),
  CHART_LINK_DAYS: wholeNumber(1, 90).default(7),
  TEMPORAL_UI_URL: z
    .url({ protocol: /^https?$/, error: "the Temporal web UI's base URL such as https://cloud.temporal.io" })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  TEMPORAL_API_KEY: z.string().regex(/^\S+$/, 'a Temporal Cloud API key (one line, no spaces)').optional(),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name the server certificate is checked against')
    .optional(),
  WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(1, 100_000).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  LEAST_WORKFLOW_BUNDLE: z
    .string()
    .refine((file) => existsSync(file), 'the path of a workflow bundle built by `tsx app/build-workflows.ts OUT`')
    .optional(),
  WORKER_METRICS_PORT: port.optional(),
  TEMPORAL_METRICS_ADDRESS: z
    .string()
    .regex(
      /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
      "host:port for the Temporal SDK's Prometheus metrics such as 127.0.0.1:9464",
    )
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'an OTLP/HTTP collector base URL such as http://127.0.0.1:4318' })
    .optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'an OTLP/HTTP traces URL such as http://127.0.0.1:4318/v1/traces' })
    .optional(),
});

/** The environment variables Least reads, in the order they are documented. */
export const CONFIG_KEYS = Object.keys(environment.shape) as (keyof typeof environment.shape)[];

export interface ConfigProblem {
  key: string;
  /** What a valid value looks like. */
  expected: string;
  /** The value as it may be shown: redacted or withheld for anything that can hold a secret. */
  shown: string;
}

/** The environment is wrong; the message lists every bad key and stops the process. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = ErrorCode.ConfigInvalid;
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Configuration is invalid:\n${problems.map((p) => `  ${p.key}: expected ${p.expected} (got ${p.shown})`).join('\n')}`,
    );
  }
}

/** Reads and validates the configuration. Empty variables count as unset, as in most .env files. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const parsed = environment.safeParse(input);
  if (!parsed.success) {
    const problems = new Map<string, ConfigProblem>();
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '(environment)');
      if (problems.has(key)) continue; // one line per key: the first thing wrong with it
      problems.set(key, { key, expected: issue.message, shown: showValue(key, input[key]) });
    }
    throw new ConfigError([...problems.values()]);
  }
  const e = parsed.data;
  const slack = slackConfig(e);
  const teams = teamsConfig(e, env);
  const links = linksConfig(e);
  const temporalAccess = temporalAccessConfig(e);
  const temporalUiUrl =
    e.TEMPORAL_UI_URL ?? (e.TEMPORAL_ADDRESS ? undefined : `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`);
  const tracesEndpoint =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  return {
    databaseUrl: e.DATABASE_URL,
    ...(e.TEMPORAL_ADDRESS ? { temporalAddress: e.TEMPORAL_ADDRESS } : {}),
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    policyFile: e.LEAST_POLICY_FILE,
    dataDir: e.LEAST_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    botPort: e.BOT_PORT,
    botHost: e.BOT_HOST,
    ...(e.LEAST_SANDBOX ? { sandbox: e.LEAST_SANDBOX === 'true' } : {}),
    temporalUiPort: e.TEMPORAL_UI_PORT,
    ...(slack ? { slack } : {}),
    ...(teams ? { teams } : {}),
    ...(links ? { links } : {}),
    temporalAccess,
    ...(temporalUiUrl ? { temporalUiUrl } : {}),
    maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    ...(e.LEAST_WORKFLOW_BUNDLE ? { workflowBundle: e.LEAST_WORKFLOW_BUNDLE } : {}),
    ...(e.WORKER_METRICS_PORT ? { workerMetricsPort: e.WORKER_METRICS_PORT } : {}),
    ...(e.TEMPORAL_METRICS_ADDRESS ? { temporalMetricsAddress: e.TEMPORAL_METRICS_ADDRESS } : {}),
    ...(tracesEndpoint ? { tracesEndpoint } : {}),
  };
}

/** An API key or an mTLS pair (each part a file read now); a certificate without its key is a mistake worth stopping for. */
function temporalAccessConfig(e: z.output<typeof environment>): TemporalAccessConfig {
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    const [missing, present] = e.TEMPORAL_TLS_CERT
      ? ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CERT']
      : ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'];
    throw new ConfigError([
      { key: missing, expected: `the path of the client's PEM file (${present} is set without it)`, shown: 'nothing' },
    ]);
  }
  const clientCert = pemFile('TEMPORAL_TLS_CERT', e.TEMPORAL_TLS_CERT);
  const clientKey = pemFile('TEMPORAL_TLS_KEY', e.TEMPORAL_TLS_KEY);
  const serverRootCa = pemFile('TEMPORAL_TLS_CA', e.TEMPORAL_TLS_CA);
  const tls = Boolean(e.TEMPORAL_API_KEY || clientCert || serverRootCa || e.TEMPORAL_TLS_SERVER_NAME);
  return {
    tls,
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
    ...(serverRootCa ? { serverRootCa } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
}

/** A PEM file's bytes; unreadable or not PEM stops start-up naming the key (a key file's path is not shown). */
function pemFile(key: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'the file cannot be read';
    throw new ConfigError([
      { key, expected: `the path of a readable PEM file (${reason})`, shown: showValue(key, path) },
    ]);
  }
  if (!bytes.toString('utf8', 0, Math.min(bytes.length, 4096)).includes('-----BEGIN '))
    throw new ConfigError([
      { key, expected: 'the path of a PEM file (its text starts with -----BEGIN)', shown: showValue(key, path) },
    ]);
  return bytes;
}

/** Links need both the secret and the public URL; one without the other is a mistake worth stopping for. */
function linksConfig(e: z.output<typeof environment>): LinksConfig | undefined {
  if (!e.LEAST_LINK_SECRET && !e.BOT_PUBLIC_URL) return undefined;
  if (!e.LEAST_LINK_SECRET)
    throw new ConfigError([
      {
        key: 'LEAST_LINK_SECRET',
        expected: `a random secret of at least ${MIN_LINK_SECRET_LENGTH} characters (BOT_PUBLIC_URL is set without it)`,
        shown: 'nothing',
      },
    ]);
  if (!e.BOT_PUBLIC_URL)
    throw new ConfigError([
      {
        key: 'BOT_PUBLIC_URL',
        expected: "the bot's public base URL such as https://least.example.com (LEAST_LINK_SECRET is set without it)",
        shown: 'nothing',
      },
    ]);
  return {
    secret: e.LEAST_LINK_SECRET,
    publicUrl: e.BOT_PUBLIC_URL,
    reportSeconds: e.REPORT_LINK_HOURS * 3600,
    chartSeconds: e.CHART_LINK_DAYS * 86_400,
  };
}

/**
 * Teams is on with an app id (every request must carry a valid Bot Framework token) or, for local
 * development only, with TEAMS_LOCAL_MODE=true and no app id. Never both: local mode is not a switch
 * that can quietly turn authentication off in a configured deployment.
 */
function teamsConfig(e: z.output<typeof environment>, env: NodeJS.ProcessEnv): TeamsConfig | undefined {
  const local = e.TEAMS_LOCAL_MODE === 'true';
  if (!e.MICROSOFT_APP_ID) {
    const stray = (['MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID'] as const).find((key) => e[key]);
    if (stray)
      throw new ConfigError([
        { key: 'MICROSOFT_APP_ID', expected: `the bot's app id (${stray} is set without it)`, shown: 'nothing' },
      ]);
    if (local && env.NODE_ENV === 'production') {
      throw new ConfigError([
        {
          key: 'TEAMS_LOCAL_MODE',
          expected: 'unset in production (local mode checks no tokens); set MICROSOFT_APP_ID instead',
          shown: '"true"',
        },
      ]);
    }
    return local ? { localMode: true } : undefined;
  }
  if (local) {
    throw new ConfigError([
      {
        key: 'TEAMS_LOCAL_MODE',
        expected: 'unset when MICROSOFT_APP_ID is set (local mode turns token checks off)',
        shown: '"true"',
      },
    ]);
  }
  if (!e.MICROSOFT_APP_PASSWORD) {
    throw new ConfigError([
      {
        key: 'MICROSOFT_APP_PASSWORD',
        expected: "the client secret of the bot's app registration (Least posts cards with it)",
        shown: 'nothing',
      },
    ]);
  }
  return {
    appId: e.MICROSOFT_APP_ID,
    appPassword: e.MICROSOFT_APP_PASSWORD,
    ...(e.MICROSOFT_APP_TENANT_ID ? { tenantId: e.MICROSOFT_APP_TENANT_ID } : {}),
    localMode: false,
  };
}

/** Slack is on when a bot token is set; then HTTP mode needs the signing secret (fail closed, never unverified). */
function slackConfig(e: z.output<typeof environment>): SlackConfig | undefined {
  if (!e.SLACK_BOT_TOKEN) {
    const stray = (['SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const).find((key) => e[key]);
    if (stray)
      throw new ConfigError([
        {
          key: 'SLACK_BOT_TOKEN',
          expected: `a bot token starting with xoxb- (${stray} is set without it)`,
          shown: 'nothing',
        },
      ]);
    return undefined;
  }
  if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError([
      {
        key: 'SLACK_SIGNING_SECRET',
        expected:
          'the signing secret (every request from Slack is verified with it), or SLACK_APP_TOKEN for Socket Mode',
        shown: 'nothing',
      },
    ]);
  }
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET ?? '',
    ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
    ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
  };
}

const SECRET_KEY = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|PRIVATE/i;
const SECRET_PARAM = /pass|secret|token|key|credential/i;

/** How a value may appear in an error message or a log line. */
function showValue(key: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (SECRET_KEY.test(key)) return '[hidden]';
  if (/URL|DSN|ADDRESS|ENDPOINT/i.test(key)) {
    // Something that is not a URL at all might be a pasted password: withhold it.
    return URL.canParse(value) ? JSON.stringify(clip(redact(value))) : '[not shown: not a URL]';
  }
  return JSON.stringify(clip(value));
}

/**
 * A URL or connection string safe to log: the password (and any secret-looking query parameter) is
 * replaced by `***`, e.g. postgres://user:***@host/db. Text that does not parse as a URL still has
 * anything between `://user:` and `@` masked.
 */
export function redact(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Greedy up to the last `@`: a password may itself contain one.
    return url.replace(/(\/\/[^/:@\s]*:)\S*@/, '$1***@');
  }
  const secretParams = [...parsed.searchParams.keys()].filter((name) => SECRET_PARAM.test(name));
  if (!parsed.password && secretParams.length === 0) return url; // nothing to hide: show it exactly as written
  if (parsed.password) parsed.password = '***';
  for (const name of secretParams) parsed.searchParams.set(name, '***');
  // URL percent-encodes the mask; keep it readable.
  return parsed.toString().replace(/%2A/gi, '*');
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && (url.hostname !== '' || url.pathname !== '')
    );
  } catch {
    return false;
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
